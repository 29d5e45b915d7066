//! Catalog administration for administrators: standard response categories and responses
//! (`/api/admin/response-categories…`, `/api/admin/responses…`), disposition codes
//! (`/api/admin/dispositions…`) and Not Ready reasons (`/api/admin/not-ready-reasons…`). The
//! fields' rules are `wire::catalog`'s; the changes, each audited, are in the store
//! (`store/catalog_admin`). Agents read the result on their next load of `GET /api/responses`
//! and `GET /api/config` (retired codes are left out there).

use crate::auth::{AdminAuth, AgentAuth};
use crate::error::{ApiError, JsonBody, PathParam};
use crate::state::AppState;
use crate::store::CodeKind;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use wire::catalog::{
    CategoryForm, CodeChange, CodeList, CodeOrder, CodeView, NewCode, ResponseForm,
};
use wire::checks::Lines;
use wire::{CategoryId, CategoryView, ResponseId, StandardResponse};

use super::check_chars;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_category))
        .routes(routes!(update_category, delete_category))
        .routes(routes!(create_response))
        .routes(routes!(update_response, delete_response))
        .routes(routes!(
            dispositions,
            create_disposition,
            reorder_dispositions
        ))
        .routes(routes!(change_disposition))
        .routes(routes!(reasons, create_reason, reorder_reasons))
        .routes(routes!(change_reason))
}

fn check_category(form: &CategoryForm) -> Result<(), ApiError> {
    check_chars("the category name", &form.name, Lines::One)?;
    form.check().map_err(ApiError::Invalid)
}

fn check_response(form: &ResponseForm) -> Result<(), ApiError> {
    check_chars("the title", &form.title, Lines::One)?;
    check_chars("the text", &form.body, Lines::Many)?;
    form.check().map_err(ApiError::Invalid)
}

/// The code named in a path: the code rule, so nothing else reaches the database.
fn check_path_code(code: &str) -> Result<(), ApiError> {
    wire::catalog::check_code(code).map_err(ApiError::Invalid)
}

/// Adds a standard response category, at the top level or under `parent_id`. A name its
/// siblings already have is a 409.
#[utoipa::path(post, path = "/api/admin/response-categories", tag = "admin",
    security(("bearer" = [])), request_body = CategoryForm,
    responses((status = 201, body = CategoryView), (status = 400, body = wire::ErrorBody),
        (status = 403, body = wire::ErrorBody), (status = 409, body = wire::ErrorBody),
        (status = 422, body = wire::ErrorBody)))]
async fn create_category(
    State(state): State<AppState>,
    AdminAuth(auth): AdminAuth,
    JsonBody(form): JsonBody<CategoryForm>,
) -> Result<(StatusCode, Json<CategoryView>), ApiError> {
    check_category(&form)?;
    let made = state.store.create_category(auth.agent, &form).await?;
    Ok((StatusCode::CREATED, Json(made)))
}

/// Renames a category or moves it (to another parent, or the top level with no
/// `parent_id`). Moving it into itself or its own sub-category, or a name its new siblings
/// already have, is a 409.
#[utoipa::path(put, path = "/api/admin/response-categories/{id}", tag = "admin",
    security(("bearer" = [])), params(("id" = i64, Path, description = "category id")),
    request_body = CategoryForm,
    responses((status = 200, body = CategoryView), (status = 400, body = wire::ErrorBody),
        (status = 403, body = wire::ErrorBody), (status = 404, body = wire::ErrorBody),
        (status = 409, body = wire::ErrorBody), (status = 422, body = wire::ErrorBody)))]
async fn update_category(
    State(state): State<AppState>,
    AdminAuth(auth): AdminAuth,
    PathParam(id): PathParam<CategoryId>,
    JsonBody(form): JsonBody<CategoryForm>,
) -> Result<Json<CategoryView>, ApiError> {
    check_category(&form)?;
    Ok(Json(
        state.store.update_category(auth.agent, id, &form).await?,
    ))
}

/// Deletes an empty category; one that still holds responses or sub-categories is a 409.
#[utoipa::path(delete, path = "/api/admin/response-categories/{id}", tag = "admin",
    security(("bearer" = [])), params(("id" = i64, Path, description = "category id")),
    responses((status = 204), (status = 403, body = wire::ErrorBody),
        (status = 404, body = wire::ErrorBody), (status = 409, body = wire::ErrorBody)))]
async fn delete_category(
    State(state): State<AppState>,
    AdminAuth(auth): AdminAuth,
    PathParam(id): PathParam<CategoryId>,
) -> Result<StatusCode, ApiError> {
    state.store.delete_category(auth.agent, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Adds a standard response. The text may use only the known field codes (an unknown one is
/// a 400 that names it); a title its category already has is a 409.
#[utoipa::path(post, path = "/api/admin/responses", tag = "admin", security(("bearer" = [])),
    request_body = ResponseForm,
    responses((status = 201, body = StandardResponse), (status = 400, body = wire::ErrorBody),
        (status = 403, body = wire::ErrorBody), (status = 409, body = wire::ErrorBody),
        (status = 422, body = wire::ErrorBody)))]
async fn create_response(
    State(state): State<AppState>,
    AdminAuth(auth): AdminAuth,
    JsonBody(form): JsonBody<ResponseForm>,
) -> Result<(StatusCode, Json<StandardResponse>), ApiError> {
    check_response(&form)?;
    let made = state.store.create_response(auth.agent, &form).await?;
    Ok((StatusCode::CREATED, Json(made)))
}

/// Changes a standard response's title, text and category (the same rules as adding one).
#[utoipa::path(put, path = "/api/admin/responses/{id}", tag = "admin", security(("bearer" = [])),
    params(("id" = i64, Path, description = "standard response id")), request_body = ResponseForm,
    responses((status = 200, body = StandardResponse), (status = 400, body = wire::ErrorBody),
        (status = 403, body = wire::ErrorBody), (status = 404, body = wire::ErrorBody),
        (status = 409, body = wire::ErrorBody), (status = 422, body = wire::ErrorBody)))]
async fn update_response(
    State(state): State<AppState>,
    AdminAuth(auth): AdminAuth,
    PathParam(id): PathParam<ResponseId>,
    JsonBody(form): JsonBody<ResponseForm>,
) -> Result<Json<StandardResponse>, ApiError> {
    check_response(&form)?;
    Ok(Json(
        state.store.update_response(auth.agent, id, &form).await?,
    ))
}

/// Deletes a standard response (messages already sent with it keep their text).
#[utoipa::path(delete, path = "/api/admin/responses/{id}", tag = "admin",
    security(("bearer" = [])), params(("id" = i64, Path, description = "standard response id")),
    responses((status = 204), (status = 403, body = wire::ErrorBody),
        (status = 404, body = wire::ErrorBody)))]
async fn delete_response(
    State(state): State<AppState>,
    AdminAuth(auth): AdminAuth,
    PathParam(id): PathParam<ResponseId>,
) -> Result<StatusCode, ApiError> {
    state.store.delete_response(auth.agent, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn list(state: &AppState, kind: CodeKind) -> Result<Json<CodeList>, ApiError> {
    Ok(Json(state.store.code_list(kind).await?))
}

async fn create(
    state: &AppState,
    auth: &AgentAuth,
    kind: CodeKind,
    new: &NewCode,
) -> Result<(StatusCode, Json<CodeView>), ApiError> {
    check_chars("the label", &new.label, Lines::One)?;
    new.check().map_err(ApiError::Invalid)?;
    let made = state.store.create_code(auth.agent, kind, new).await?;
    Ok((StatusCode::CREATED, Json(made)))
}

async fn change(
    state: &AppState,
    auth: &AgentAuth,
    kind: CodeKind,
    code: &str,
    change: &CodeChange,
) -> Result<Json<CodeView>, ApiError> {
    check_path_code(code)?;
    if let Some(label) = &change.label {
        check_chars("the label", label, Lines::One)?;
    }
    change.check().map_err(ApiError::Invalid)?;
    Ok(Json(
        state
            .store
            .change_code(auth.agent, kind, code, change)
            .await?,
    ))
}

async fn reorder(
    state: &AppState,
    auth: &AgentAuth,
    kind: CodeKind,
    order: &CodeOrder,
) -> Result<Json<CodeList>, ApiError> {
    for code in &order.codes {
        check_path_code(code)?;
    }
    Ok(Json(
        state
            .store
            .reorder_codes(auth.agent, kind, &order.codes)
            .await?,
    ))
}

/// Every disposition code, retired ones included, in the order agents see them.
#[utoipa::path(get, path = "/api/admin/dispositions", tag = "admin", security(("bearer" = [])),
    responses((status = 200, body = CodeList), (status = 403, body = wire::ErrorBody)))]
async fn dispositions(
    State(state): State<AppState>,
    _auth: AdminAuth,
) -> Result<Json<CodeList>, ApiError> {
    list(&state, CodeKind::Disposition).await
}

/// Adds a disposition code at the end. A code or label already there is a 409.
#[utoipa::path(post, path = "/api/admin/dispositions", tag = "admin", security(("bearer" = [])),
    request_body = NewCode,
    responses((status = 201, body = CodeView), (status = 400, body = wire::ErrorBody),
        (status = 403, body = wire::ErrorBody), (status = 409, body = wire::ErrorBody)))]
async fn create_disposition(
    State(state): State<AppState>,
    AdminAuth(auth): AdminAuth,
    JsonBody(new): JsonBody<NewCode>,
) -> Result<(StatusCode, Json<CodeView>), ApiError> {
    create(&state, &auth, CodeKind::Disposition, &new).await
}

/// Puts the disposition codes in a new order; the order must list every code once (422).
#[utoipa::path(put, path = "/api/admin/dispositions", tag = "admin", security(("bearer" = [])),
    request_body = CodeOrder,
    responses((status = 200, body = CodeList), (status = 400, body = wire::ErrorBody),
        (status = 403, body = wire::ErrorBody), (status = 422, body = wire::ErrorBody)))]
async fn reorder_dispositions(
    State(state): State<AppState>,
    AdminAuth(auth): AdminAuth,
    JsonBody(order): JsonBody<CodeOrder>,
) -> Result<Json<CodeList>, ApiError> {
    reorder(&state, &auth, CodeKind::Disposition, &order).await
}

/// Relabels a disposition code, retires it (`active: false`: agents no longer see it, past
/// interactions and reports keep it) or brings it back.
#[utoipa::path(patch, path = "/api/admin/dispositions/{code}", tag = "admin",
    security(("bearer" = [])), params(("code" = String, Path, description = "disposition code")),
    request_body = CodeChange,
    responses((status = 200, body = CodeView), (status = 400, body = wire::ErrorBody),
        (status = 403, body = wire::ErrorBody), (status = 404, body = wire::ErrorBody),
        (status = 409, body = wire::ErrorBody)))]
async fn change_disposition(
    State(state): State<AppState>,
    AdminAuth(auth): AdminAuth,
    PathParam(code): PathParam<String>,
    JsonBody(body): JsonBody<CodeChange>,
) -> Result<Json<CodeView>, ApiError> {
    change(&state, &auth, CodeKind::Disposition, &code, &body).await
}

/// Every Not Ready reason, retired ones included, in the order agents see them.
#[utoipa::path(get, path = "/api/admin/not-ready-reasons", tag = "admin",
    security(("bearer" = [])),
    responses((status = 200, body = CodeList), (status = 403, body = wire::ErrorBody)))]
async fn reasons(
    State(state): State<AppState>,
    _auth: AdminAuth,
) -> Result<Json<CodeList>, ApiError> {
    list(&state, CodeKind::NotReadyReason).await
}

/// Adds a Not Ready reason at the end. A code or label already there is a 409.
#[utoipa::path(post, path = "/api/admin/not-ready-reasons", tag = "admin",
    security(("bearer" = [])), request_body = NewCode,
    responses((status = 201, body = CodeView), (status = 400, body = wire::ErrorBody),
        (status = 403, body = wire::ErrorBody), (status = 409, body = wire::ErrorBody)))]
async fn create_reason(
    State(state): State<AppState>,
    AdminAuth(auth): AdminAuth,
    JsonBody(new): JsonBody<NewCode>,
) -> Result<(StatusCode, Json<CodeView>), ApiError> {
    create(&state, &auth, CodeKind::NotReadyReason, &new).await
}

/// Puts the Not Ready reasons in a new order; the order must list every code once (422).
#[utoipa::path(put, path = "/api/admin/not-ready-reasons", tag = "admin",
    security(("bearer" = [])), request_body = CodeOrder,
    responses((status = 200, body = CodeList), (status = 400, body = wire::ErrorBody),
        (status = 403, body = wire::ErrorBody), (status = 422, body = wire::ErrorBody)))]
async fn reorder_reasons(
    State(state): State<AppState>,
    AdminAuth(auth): AdminAuth,
    JsonBody(order): JsonBody<CodeOrder>,
) -> Result<Json<CodeList>, ApiError> {
    reorder(&state, &auth, CodeKind::NotReadyReason, &order).await
}

/// Relabels a Not Ready reason, retires it (agents no longer see it; `logged_out` cannot be
/// retired, 409) or brings it back.
#[utoipa::path(patch, path = "/api/admin/not-ready-reasons/{code}", tag = "admin",
    security(("bearer" = [])), params(("code" = String, Path, description = "reason code")),
    request_body = CodeChange,
    responses((status = 200, body = CodeView), (status = 400, body = wire::ErrorBody),
        (status = 403, body = wire::ErrorBody), (status = 404, body = wire::ErrorBody),
        (status = 409, body = wire::ErrorBody)))]
async fn change_reason(
    State(state): State<AppState>,
    AdminAuth(auth): AdminAuth,
    PathParam(code): PathParam<String>,
    JsonBody(body): JsonBody<CodeChange>,
) -> Result<Json<CodeView>, ApiError> {
    change(&state, &auth, CodeKind::NotReadyReason, &code, &body).await
}
