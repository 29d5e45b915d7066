//! Transfer: `POST /api/interactions/{id}/transfer` hands a chat to a colleague or the queue
//! with a note (the agent who has it, or a supervisor or administrator on any live chat: their
//! reassign), and `GET /api/agents` lists the colleagues the Transfer dialog offers. The rules
//! (who, to whom, what a reject or timeout does) are in the store's `transfers` module.

use crate::auth::AgentAuth;
use crate::error::{ApiError, JsonBody, PathParam};
use crate::state::AppState;
use crate::store::TransferBy;
use axum::extract::State;
use axum::Json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use wire::api::{Colleague, TransferRequest, MAX_TRANSFER_NOTE_CHARS};
use wire::{InteractionId, InteractionView, Role};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(transfer))
        .routes(routes!(colleagues))
}

/// Transfers the chat to a colleague (who gets an offer saying from whom, with the note) or
/// back to the queue. Allowed to the agent whose chat is in progress, and to supervisors and
/// administrators on any live chat. A colleague must be connected, Ready and under capacity
/// (409 otherwise); their Reject or the offer's timeout gives an agent's transfer back to
/// that agent, and a queue transfer or reassign to the queue.
#[utoipa::path(post, path = "/api/interactions/{id}/transfer", tag = "interactions", security(("bearer" = [])),
    params(("id" = i64, Path, description = "interaction id")), request_body = TransferRequest,
    responses((status = 200, body = InteractionView), (status = 400, body = wire::ErrorBody),
        (status = 401, body = wire::ErrorBody), (status = 403, body = wire::ErrorBody),
        (status = 404, body = wire::ErrorBody), (status = 409, body = wire::ErrorBody),
        (status = 422, body = wire::ErrorBody)))]
async fn transfer(
    State(state): State<AppState>,
    auth: AgentAuth,
    PathParam(id): PathParam<InteractionId>,
    JsonBody(req): JsonBody<TransferRequest>,
) -> Result<Json<InteractionView>, ApiError> {
    if let Some(note) = &req.note {
        if note.chars().count() > MAX_TRANSFER_NOTE_CHARS {
            return Err(ApiError::invalid(format!(
                "the note may be at most {MAX_TRANSFER_NOTE_CHARS} characters"
            )));
        }
        super::check_chars("the note", note, wire::checks::Lines::Many)?;
    }
    let by = TransferBy {
        agent: auth.agent,
        may_reassign: auth.role.allows(Role::Supervisor),
    };
    let view = state
        .store
        .transfer(
            by,
            id,
            req.to,
            req.note.as_deref(),
            crate::offers::times(&state.config),
        )
        .await?;
    // A chat put back in the queue goes to routing at once.
    state.routing.poke();
    Ok(Json(view))
}

/// The colleagues a chat can be transferred to: every active account but the caller, with
/// status, load ("N of M") and whether their desktop is connected.
#[utoipa::path(get, path = "/api/agents", tag = "agent", security(("bearer" = [])),
    responses((status = 200, body = Vec<Colleague>), (status = 401, body = wire::ErrorBody)))]
async fn colleagues(
    State(state): State<AppState>,
    auth: AgentAuth,
) -> Result<Json<Vec<Colleague>>, ApiError> {
    let presence = crate::offers::times(&state.config).presence_ms;
    Ok(Json(state.store.colleagues(auth.agent, presence).await?))
}
