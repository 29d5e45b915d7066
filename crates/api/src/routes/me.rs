//! `GET /api/me`, `PUT /api/me/status`, `GET /api/config`.

use crate::auth::AgentAuth;
use crate::error::{ApiError, JsonBody};
use crate::state::AppState;
use axum::extract::State;
use axum::Json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use wire::api::{DesktopConfig, SetStatusRequest};
use wire::{AgentView, ChatStatus};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(me))
        .routes(routes!(set_status))
        .routes(routes!(config))
}

/// The logged-in agent.
#[utoipa::path(get, path = "/api/me", tag = "agent", security(("bearer" = [])),
    responses((status = 200, body = AgentView), (status = 401, body = wire::ErrorBody)))]
async fn me(State(state): State<AppState>, auth: AgentAuth) -> Result<Json<AgentView>, ApiError> {
    Ok(Json(
        state
            .store
            .agent(auth.agent)
            .await?
            .ok_or(ApiError::Unauthorized)?,
    ))
}

/// Sets the Chat channel status: Ready, or Not Ready with a reason.
#[utoipa::path(put, path = "/api/me/status", tag = "agent", security(("bearer" = [])), request_body = SetStatusRequest,
    responses((status = 200, body = AgentView), (status = 400, body = wire::ErrorBody), (status = 401, body = wire::ErrorBody)))]
async fn set_status(
    State(state): State<AppState>,
    auth: AgentAuth,
    JsonBody(req): JsonBody<SetStatusRequest>,
) -> Result<Json<AgentView>, ApiError> {
    if let ChatStatus::NotReady { reason } = &req.status {
        super::check_reason(&state, reason).await?;
    }
    let view = state.store.set_status(auth.agent, &req.status).await?;
    state.store.touch_agents(&[auth.agent]).await?;
    state.routing.poke();
    Ok(Json(view))
}

/// What the desktop needs to draw its choices.
#[utoipa::path(get, path = "/api/config", tag = "agent", security(("bearer" = [])),
    responses((status = 200, body = DesktopConfig), (status = 401, body = wire::ErrorBody)))]
async fn config(
    State(state): State<AppState>,
    _auth: AgentAuth,
) -> Result<Json<DesktopConfig>, ApiError> {
    let c = &state.config;
    Ok(Json(DesktopConfig {
        not_ready_reasons: state.store.not_ready_reasons().await?,
        dispositions: state.store.dispositions().await?,
        disposition_required: c.disposition_required,
        max_message_chars: u32::try_from(c.max_message_chars).unwrap_or(u32::MAX),
        max_image_bytes: c.max_image_bytes as u64,
        offer_timeout_ms: u64::try_from(c.offer_timeout.as_millis()).unwrap_or(u64::MAX),
        synchronous_channels: state
            .store
            .channel_settings()
            .await?
            .into_iter()
            .filter(|s| !s.async_chat)
            .map(|s| s.channel)
            .collect(),
    }))
}
