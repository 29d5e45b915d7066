//! The supervisor's board and what a supervisor does to an agent's work from it (supervisors
//! and administrators only): `GET /api/supervisor/board`, its stream ticket, setting an agent
//! Not Ready, logging an agent out, and Monitor: reading a live chat, starting and stopping to
//! watch it (the agent holding it is told).

use crate::auth::SupervisorAuth;
use crate::error::{ApiError, JsonBody, PathParam};
use crate::state::AppState;
use crate::store::TicketScope;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use wire::api::{SetStatusRequest, StreamTicket};
use wire::board::Board;
use wire::monitor::{Monitor, MonitorView};
use wire::{AgentId, AgentView, ChatStatus, InteractionId};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(board))
        .routes(routes!(board_ticket))
        .routes(routes!(set_agent_status))
        .routes(routes!(log_out_agent))
        .routes(routes!(monitored_interaction))
        .routes(routes!(start_monitor, stop_monitor))
}

/// The board: the queue (longest waiting first), every active account with status, time in
/// it and the chats they hold, and the totals.
#[utoipa::path(get, path = "/api/supervisor/board", tag = "supervisor", security(("bearer" = [])),
    responses((status = 200, body = Board)))]
async fn board(
    State(state): State<AppState>,
    _auth: SupervisorAuth,
) -> Result<Json<Board>, ApiError> {
    let presence_ms = crate::util::ms(state.config.presence_timeout);
    Ok(Json(state.store.board(presence_ms).await?))
}

/// A ticket for the board stream: `GET /api/events?ticket=…` then sends every event agents and visitors
/// see (the board reads itself again when one arrives). It ends with the session.
#[utoipa::path(post, path = "/api/supervisor/board/ticket", tag = "supervisor", security(("bearer" = [])),
    responses((status = 200, body = StreamTicket)))]
async fn board_ticket(
    State(state): State<AppState>,
    SupervisorAuth(auth): SupervisorAuth,
) -> Result<Json<StreamTicket>, ApiError> {
    super::events::ticket(
        &state,
        TicketScope::Board(auth.agent),
        Some(&auth.token_hash),
    )
    .await
}

/// Sets an agent Not Ready with a reason (a supervisor cannot make someone Ready: only the
/// agent knows they are there). `409` when the agent is not logged in.
#[utoipa::path(put, path = "/api/supervisor/agents/{id}/status", tag = "supervisor", security(("bearer" = [])),
    params(("id" = i64, Path, description = "agent id")), request_body = SetStatusRequest,
    responses((status = 200, body = AgentView), (status = 409, body = wire::ErrorBody)))]
async fn set_agent_status(
    State(state): State<AppState>,
    SupervisorAuth(auth): SupervisorAuth,
    PathParam(id): PathParam<AgentId>,
    JsonBody(req): JsonBody<SetStatusRequest>,
) -> Result<Json<AgentView>, ApiError> {
    let ChatStatus::NotReady { reason } = &req.status else {
        return Err(ApiError::invalid(
            "a supervisor can set an agent Not Ready, not Ready",
        ));
    };
    super::check_reason(&state, reason).await?;
    let view = state
        .store
        .force_not_ready(auth.agent, id, reason)
        .await?
        .ok_or_else(|| ApiError::not_found("agent"))?;
    Ok(Json(view))
}

/// Logs an agent out everywhere: their desktops return to the login screen, they go Not
/// Ready, and chats kept for them go back to routing.
#[utoipa::path(post, path = "/api/supervisor/agents/{id}/logout", tag = "supervisor", security(("bearer" = [])),
    params(("id" = i64, Path, description = "agent id")),
    responses((status = 204, description = "Logged out")))]
async fn log_out_agent(
    State(state): State<AppState>,
    SupervisorAuth(auth): SupervisorAuth,
    PathParam(id): PathParam<AgentId>,
) -> Result<StatusCode, ApiError> {
    if !state.store.log_out_agent(auth.agent, id).await? {
        return Err(ApiError::not_found("agent"));
    }
    state.routing.poke();
    Ok(StatusCode::NO_CONTENT)
}

/// Any interaction, read-only, for the monitor view: the interaction, the newest page of its
/// contact's conversation, and who watches it now. New messages follow on the board stream.
#[utoipa::path(get, path = "/api/supervisor/interactions/{id}", tag = "supervisor", security(("bearer" = [])),
    params(("id" = i64, Path, description = "interaction id")),
    responses((status = 200, body = MonitorView), (status = 404, body = wire::ErrorBody)))]
async fn monitored_interaction(
    State(state): State<AppState>,
    _auth: SupervisorAuth,
    PathParam(id): PathParam<InteractionId>,
) -> Result<Json<MonitorView>, ApiError> {
    Ok(Json(
        state
            .store
            .monitor_view(id)
            .await?
            .ok_or_else(|| ApiError::not_found("interaction"))?,
    ))
}

/// Starts monitoring a live chat: the agent holding it sees who watches. It ends on `DELETE`,
/// when this session ends, or when the chat session ends.
#[utoipa::path(post, path = "/api/supervisor/interactions/{id}/monitor", tag = "supervisor", security(("bearer" = [])),
    params(("id" = i64, Path, description = "interaction id")),
    responses((status = 200, body = Monitor), (status = 404, body = wire::ErrorBody), (status = 409, body = wire::ErrorBody)))]
async fn start_monitor(
    State(state): State<AppState>,
    SupervisorAuth(auth): SupervisorAuth,
    PathParam(id): PathParam<InteractionId>,
) -> Result<Json<Monitor>, ApiError> {
    Ok(Json(
        state
            .store
            .start_monitor(auth.agent, &auth.token_hash, id)
            .await?,
    ))
}

/// Stops monitoring the chat (the agent is told); nothing to do when this supervisor was not
/// monitoring it.
#[utoipa::path(delete, path = "/api/supervisor/interactions/{id}/monitor", tag = "supervisor", security(("bearer" = [])),
    params(("id" = i64, Path, description = "interaction id")),
    responses((status = 204, description = "Stopped"), (status = 404, body = wire::ErrorBody)))]
async fn stop_monitor(
    State(state): State<AppState>,
    SupervisorAuth(auth): SupervisorAuth,
    PathParam(id): PathParam<InteractionId>,
) -> Result<StatusCode, ApiError> {
    if !state.store.stop_monitor(auth.agent, id).await? {
        return Err(ApiError::not_found("interaction"));
    }
    Ok(StatusCode::NO_CONTENT)
}
