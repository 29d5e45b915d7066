//! `/api/interactions`: the agent's work, offers (accept, reject), End chat, Mark Done,
//! handle time and typing.

use crate::auth::AgentAuth;
use crate::error::{ApiError, JsonBody, PathParam};
use crate::state::AppState;
use crate::util::now_ms;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use wire::api::{HandleTimeSegment, MarkDoneRequest, MyWork, TypingRequest};
use wire::{InteractionId, InteractionView};

/// Longest handle-time segment accepted (a day).
const MAX_SEGMENT_MS: i64 = 24 * 3600 * 1000;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(my_work))
        .routes(routes!(get_interaction))
        .routes(routes!(accept))
        .routes(routes!(reject))
        .routes(routes!(end))
        .routes(routes!(done))
        .routes(routes!(handle_time))
        .routes(routes!(typing))
}

/// The agent's open interactions and pending offers.
#[utoipa::path(get, path = "/api/interactions", tag = "interactions", security(("bearer" = [])),
    responses((status = 200, body = MyWork), (status = 401, body = wire::ErrorBody)))]
async fn my_work(State(state): State<AppState>, auth: AgentAuth) -> Result<Json<MyWork>, ApiError> {
    Ok(Json(state.store.my_work(auth.agent).await?))
}

/// One interaction.
#[utoipa::path(get, path = "/api/interactions/{id}", tag = "interactions", security(("bearer" = [])),
    params(("id" = i64, Path, description = "interaction id")),
    responses((status = 200, body = InteractionView), (status = 404, body = wire::ErrorBody)))]
async fn get_interaction(
    State(state): State<AppState>,
    _auth: AgentAuth,
    PathParam(id): PathParam<InteractionId>,
) -> Result<Json<InteractionView>, ApiError> {
    Ok(Json(
        state
            .store
            .interaction(id)
            .await?
            .ok_or_else(|| ApiError::not_found("interaction"))?,
    ))
}

/// Accepts an offer.
#[utoipa::path(post, path = "/api/interactions/{id}/accept", tag = "interactions", security(("bearer" = [])),
    params(("id" = i64, Path, description = "interaction id")),
    responses((status = 200, body = InteractionView), (status = 409, body = wire::ErrorBody)))]
async fn accept(
    State(state): State<AppState>,
    auth: AgentAuth,
    PathParam(id): PathParam<InteractionId>,
) -> Result<Json<InteractionView>, ApiError> {
    Ok(Json(state.store.accept(auth.agent, id).await?))
}

/// Rejects an offer; it goes to the next agent.
#[utoipa::path(post, path = "/api/interactions/{id}/reject", tag = "interactions", security(("bearer" = [])),
    params(("id" = i64, Path, description = "interaction id")),
    responses((status = 204), (status = 409, body = wire::ErrorBody)))]
async fn reject(
    State(state): State<AppState>,
    auth: AgentAuth,
    PathParam(id): PathParam<InteractionId>,
) -> Result<StatusCode, ApiError> {
    state.store.reject(auth.agent, id).await?;
    state.routing.poke();
    Ok(StatusCode::NO_CONTENT)
}

/// Ends the chat session (the view stays open until Mark Done).
#[utoipa::path(post, path = "/api/interactions/{id}/end", tag = "interactions", security(("bearer" = [])),
    params(("id" = i64, Path, description = "interaction id")),
    responses((status = 200, body = InteractionView), (status = 403, body = wire::ErrorBody), (status = 409, body = wire::ErrorBody)))]
async fn end(
    State(state): State<AppState>,
    auth: AgentAuth,
    PathParam(id): PathParam<InteractionId>,
) -> Result<Json<InteractionView>, ApiError> {
    Ok(Json(state.store.end_by_agent(auth.agent, id).await?))
}

/// Marks the interaction Done (with a disposition code where required).
#[utoipa::path(post, path = "/api/interactions/{id}/done", tag = "interactions", security(("bearer" = [])),
    params(("id" = i64, Path, description = "interaction id")), request_body = MarkDoneRequest,
    responses((status = 200, body = InteractionView), (status = 403, body = wire::ErrorBody), (status = 409, body = wire::ErrorBody), (status = 422, body = wire::ErrorBody)))]
async fn done(
    State(state): State<AppState>,
    auth: AgentAuth,
    PathParam(id): PathParam<InteractionId>,
    JsonBody(req): JsonBody<MarkDoneRequest>,
) -> Result<Json<InteractionView>, ApiError> {
    if let Some(code) = &req.disposition {
        super::check_chars("the disposition code", &code.0, wire::checks::Lines::One)?;
    }
    let view = state
        .store
        .mark_done(
            auth.agent,
            id,
            req.disposition.as_ref(),
            state.config.disposition_required,
        )
        .await?;
    state.routing.poke();
    Ok(Json(view))
}

/// Records a stretch of time the interaction view was open (the handle-time KPI).
#[utoipa::path(post, path = "/api/interactions/{id}/handle-time", tag = "interactions", security(("bearer" = [])),
    params(("id" = i64, Path, description = "interaction id")), request_body = HandleTimeSegment,
    responses((status = 204), (status = 400, body = wire::ErrorBody), (status = 403, body = wire::ErrorBody),
        (status = 409, body = wire::ErrorBody), (status = 422, body = wire::ErrorBody)))]
async fn handle_time(
    State(state): State<AppState>,
    auth: AgentAuth,
    PathParam(id): PathParam<InteractionId>,
    JsonBody(seg): JsonBody<HandleTimeSegment>,
) -> Result<StatusCode, ApiError> {
    // Checked: a segment from i64::MIN to i64::MAX must not wrap into a small positive length.
    let len = seg.ended_at.checked_sub(seg.started_at).unwrap_or(-1);
    if len <= 0 || len > MAX_SEGMENT_MS || seg.ended_at > now_ms().saturating_add(60_000) {
        return Err(ApiError::invalid(
            "a handle-time segment must end after it starts, within a day, and not in the future",
        ));
    }
    state.store.add_handle_time(auth.agent, id, &seg).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The agent is typing (or stopped) in this interaction.
#[utoipa::path(post, path = "/api/interactions/{id}/typing", tag = "interactions", security(("bearer" = [])),
    params(("id" = i64, Path, description = "interaction id")), request_body = TypingRequest,
    responses((status = 204), (status = 403, body = wire::ErrorBody)))]
async fn typing(
    State(state): State<AppState>,
    auth: AgentAuth,
    PathParam(id): PathParam<InteractionId>,
    JsonBody(req): JsonBody<TypingRequest>,
) -> Result<StatusCode, ApiError> {
    // Like the visitor's typing: never written, handed to the visitor's streams here and to
    // the other instances through PostgreSQL `NOTIFY`.
    let contact = state.store.agent_typing_to(auth.agent, id).await?;
    let notice = state.hub.send_live(
        None,
        Some(contact),
        &wire::Event::Typing {
            contact_id: contact,
            party: wire::Party::Agent,
            typing: req.typing,
        },
    );
    state.store.notify_live(&notice).await?;
    Ok(StatusCode::NO_CONTENT)
}
