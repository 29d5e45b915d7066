//! Account administration for administrators (`/api/admin/agents…`, `/api/admin/audit`) and
//! the public first-run check (`GET /api/setup`). The changes themselves, each audited, are in
//! the store (`store/accounts`), shared with the command line (`admin_cli`).

use super::{check_chars, page_size};
use crate::auth::{hash_password, AdminAuth};
use crate::error::{ApiError, JsonBody, PathParam, QueryParams};
use crate::state::AppState;
use crate::store::AuditQuery;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use wire::accounts::{
    AccountChange, AccountList, AccountView, AuditPage, NewAccount, PasswordReset, SetupState,
};
use wire::checks::Lines;
use wire::AgentId;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(setup))
        .routes(routes!(list, create))
        .routes(routes!(change))
        .routes(routes!(deactivate))
        .routes(routes!(reactivate))
        .routes(routes!(reset_password))
        .routes(routes!(audit))
}

/// Whether any account exists: the login page tells how to make the first administrator when
/// none does.
#[utoipa::path(get, path = "/api/setup", tag = "auth",
    responses((status = 200, body = SetupState)))]
async fn setup(State(state): State<AppState>) -> Result<Json<SetupState>, ApiError> {
    let (has_accounts, _) = state.store.setup_state().await?;
    Ok(Json(SetupState { has_accounts }))
}

/// Every account, deactivated ones included, with role, capacity, status and load.
#[utoipa::path(get, path = "/api/admin/agents", tag = "admin", security(("bearer" = [])),
    responses((status = 200, body = AccountList), (status = 403, body = wire::ErrorBody)))]
async fn list(
    State(state): State<AppState>,
    _auth: AdminAuth,
) -> Result<Json<AccountList>, ApiError> {
    Ok(Json(AccountList {
        accounts: state.store.accounts().await?,
    }))
}

async fn hash(password: String) -> Result<String, ApiError> {
    tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?
}

/// Creates an account. A login already taken is a 409.
#[utoipa::path(post, path = "/api/admin/agents", tag = "admin", security(("bearer" = [])),
    request_body = NewAccount,
    responses((status = 201, body = AccountView), (status = 403, body = wire::ErrorBody),
        (status = 409, body = wire::ErrorBody)))]
async fn create(
    State(state): State<AppState>,
    AdminAuth(auth): AdminAuth,
    JsonBody(mut new): JsonBody<NewAccount>,
) -> Result<(StatusCode, Json<AccountView>), ApiError> {
    new.check().map_err(ApiError::Invalid)?;
    let h = hash(std::mem::take(&mut new.password)).await?;
    let made = state
        .store
        .create_account(Some(auth.agent), &new, &h)
        .await?;
    Ok((StatusCode::CREATED, Json(made)))
}

/// Changes an account's display name, capacity or role. Demoting the last active administrator
/// is a 409.
#[utoipa::path(patch, path = "/api/admin/agents/{id}", tag = "admin", security(("bearer" = [])),
    params(("id" = i64, Path, description = "account (agent) id")), request_body = AccountChange,
    responses((status = 200, body = AccountView), (status = 403, body = wire::ErrorBody),
        (status = 409, body = wire::ErrorBody)))]
async fn change(
    State(state): State<AppState>,
    AdminAuth(auth): AdminAuth,
    PathParam(id): PathParam<AgentId>,
    JsonBody(change): JsonBody<AccountChange>,
) -> Result<Json<AccountView>, ApiError> {
    change.check().map_err(ApiError::Invalid)?;
    let view = state
        .store
        .change_account(Some(auth.agent), id, &change)
        .await?;
    // A lower capacity or another role may change who can take the waiting chats.
    state.routing.poke();
    Ok(Json(view))
}

/// Deactivates an account: it can no longer log in, its sessions end everywhere, it goes Not
/// Ready and the chats offered to it go back to the queue. The last active administrator, or
/// an account already deactivated, is a 409.
#[utoipa::path(post, path = "/api/admin/agents/{id}/deactivate", tag = "admin", security(("bearer" = [])),
    params(("id" = i64, Path, description = "account (agent) id")),
    responses((status = 200, body = AccountView), (status = 403, body = wire::ErrorBody),
        (status = 409, body = wire::ErrorBody)))]
async fn deactivate(
    State(state): State<AppState>,
    AdminAuth(auth): AdminAuth,
    PathParam(id): PathParam<AgentId>,
) -> Result<Json<AccountView>, ApiError> {
    let view = state.store.deactivate_account(Some(auth.agent), id).await?;
    state.routing.poke();
    Ok(Json(view))
}

/// Lets a deactivated account log in again (it starts Not Ready). An active one is a 409.
#[utoipa::path(post, path = "/api/admin/agents/{id}/reactivate", tag = "admin", security(("bearer" = [])),
    params(("id" = i64, Path, description = "account (agent) id")),
    responses((status = 200, body = AccountView), (status = 403, body = wire::ErrorBody),
        (status = 409, body = wire::ErrorBody)))]
async fn reactivate(
    State(state): State<AppState>,
    AdminAuth(auth): AdminAuth,
    PathParam(id): PathParam<AgentId>,
) -> Result<Json<AccountView>, ApiError> {
    Ok(Json(
        state.store.reactivate_account(Some(auth.agent), id).await?,
    ))
}

/// Sets a new password for an account; every session of it ends.
#[utoipa::path(post, path = "/api/admin/agents/{id}/password", tag = "admin", security(("bearer" = [])),
    params(("id" = i64, Path, description = "account (agent) id")), request_body = PasswordReset,
    responses((status = 200, body = AccountView), (status = 403, body = wire::ErrorBody)))]
async fn reset_password(
    State(state): State<AppState>,
    AdminAuth(auth): AdminAuth,
    PathParam(id): PathParam<AgentId>,
    JsonBody(req): JsonBody<PasswordReset>,
) -> Result<Json<AccountView>, ApiError> {
    wire::accounts::check_password(&req.password).map_err(ApiError::Invalid)?;
    let h = hash(req.password).await?;
    let view = state.store.reset_password(Some(auth.agent), id, &h).await?;
    state.routing.poke();
    Ok(Json(view))
}

/// Audit log filters and paging.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
struct AuditParams {
    /// Changes made by this account (id).
    actor: Option<i64>,
    /// Changes of this action, e.g. `agent.deactivate`.
    action: Option<String>,
    /// Changes of this kind of thing, e.g. `agent`.
    target_kind: Option<String>,
    /// Changes of this thing (its id).
    target_id: Option<String>,
    /// At or after (ms since the epoch).
    from: Option<i64>,
    /// Before (ms since the epoch).
    to: Option<i64>,
    /// `next_before` of the previous page.
    before: Option<i64>,
    /// Page size (default 50).
    limit: Option<u32>,
}

/// The audit log, newest first, filtered; page on with `before`.
#[utoipa::path(get, path = "/api/admin/audit", tag = "admin", security(("bearer" = [])),
    params(AuditParams),
    responses((status = 200, body = AuditPage), (status = 400, body = wire::ErrorBody),
        (status = 403, body = wire::ErrorBody)))]
async fn audit(
    State(state): State<AppState>,
    _auth: AdminAuth,
    QueryParams(p): QueryParams<AuditParams>,
) -> Result<Json<AuditPage>, ApiError> {
    for (field, value) in [
        ("action", &p.action),
        ("target_kind", &p.target_kind),
        ("target_id", &p.target_id),
    ] {
        if let Some(v) = value {
            if v.chars().count() > 100 {
                return Err(ApiError::invalid(format!(
                    "{field} may have at most 100 characters"
                )));
            }
            check_chars(field, v, Lines::One)?;
        }
    }
    let query = AuditQuery {
        actor: p.actor.map(AgentId),
        action: p.action,
        target_kind: p.target_kind,
        target_id: p.target_id,
        from: p.from,
        to: p.to,
        before: p.before,
        limit: page_size(p.limit, 50)?,
    };
    Ok(Json(state.store.audit_page(&query).await?))
}
