//! The live streams: `POST /api/events/ticket` + `GET /api/events` for agents, and the
//! visitor equivalents. A ticket is single-use and lives 60 s, so no long-lived credential is
//! ever in a URL. A stream replays from `Last-Event-ID` (header or `last_event_id`), or from
//! the ticket's head, then goes live; ids already replayed are not sent again. An id the log
//! cannot replay from (pruned, too far behind, or above the log's head) gets `resync` first.
//! An agent's ticket and stream belong to the session that asked for the ticket and end with it
//! (logout, password change, expiry).
//! A visitor's stream sends each event in its visitor form (`wire::visitor::PublicEnvelope`)
//! and holds a place in the visitor stream caps while open.

use crate::auth::{new_token, token_hash, AgentAuth, VisitorAuth};
use crate::error::{ApiError, QueryParams};
use crate::hub::LIVE_ONLY;
use crate::state::AppState;
use crate::store::{StoredEvent, TicketScope};
use crate::util::now_ms;
use axum::extract::{ConnectInfo, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::Json;
use futures_util::stream::{self, Stream, StreamExt};
use serde::Deserialize;
use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use wire::api::StreamTicket;
use wire::visitor::PublicEnvelope;
use wire::{Event, EventEnvelope, EventId};

/// Most events replayed on one reconnect; further behind than this gets `resync`.
const MAX_REPLAY: i64 = 5000;
/// How long a ticket may wait to be used.
const TICKET_TTL_MS: i64 = 60_000;
/// Keep-alive comment interval (the budget says at most 15 s).
const KEEP_ALIVE: Duration = Duration::from_secs(10);
/// Longest a ticket or a stream waits for the hub to find its place in the log (milliseconds
/// after a start; longer only when the database cannot be read): then 503, and the client
/// tries again.
const HORIZON_WAIT: Duration = Duration::from_secs(10);

/// Where this instance's hub is in the log (see `Hub::horizon`).
async fn horizon(state: &AppState) -> Result<EventId, ApiError> {
    tokio::time::timeout(HORIZON_WAIT, state.hub.horizon())
        .await
        .map_err(|_| ApiError::Unavailable)
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(agent_ticket))
        .routes(routes!(visitor_ticket))
}

/// The streams themselves, apart from [`routes`]: they are never compressed, and are kept out
/// of the compression layer altogether (see `routes::api`).
pub fn streams() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(agent_stream))
        .routes(routes!(visitor_stream))
}

/// Stream parameters.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
struct StreamQuery {
    /// The single-use ticket.
    ticket: String,
    /// Resume after this event id (the `Last-Event-ID` header wins when both are given).
    last_event_id: Option<i64>,
}

/// A ticket for the agent's event stream.
#[utoipa::path(post, path = "/api/events/ticket", tag = "events", security(("bearer" = [])),
    responses((status = 200, body = StreamTicket), (status = 401, body = wire::ErrorBody)))]
async fn agent_ticket(
    State(state): State<AppState>,
    auth: AgentAuth,
) -> Result<Json<StreamTicket>, ApiError> {
    ticket(
        &state,
        TicketScope::Agent(auth.agent),
        Some(&auth.token_hash),
    )
    .await
}

/// A ticket for the visitor's event stream.
#[utoipa::path(post, path = "/api/visitor/events/ticket", tag = "visitor", security(("bearer" = [])),
    responses((status = 200, body = StreamTicket), (status = 401, body = wire::ErrorBody), (status = 429, body = wire::ErrorBody)))]
async fn visitor_ticket(
    State(state): State<AppState>,
    auth: VisitorAuth,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Result<Json<StreamTicket>, ApiError> {
    state.visitor_limits.admit(
        crate::visitor_limits::Action::Ticket,
        auth.contact,
        super::visitor::client_of(&state, peer, &headers),
    )?;
    ticket(&state, TicketScope::Visitor(auth.contact), None).await
}

pub(super) async fn ticket(
    state: &AppState,
    scope: TicketScope,
    session: Option<&str>,
) -> Result<Json<StreamTicket>, ApiError> {
    let ticket = new_token("tlt_");
    let expires_at = now_ms() + TICKET_TTL_MS;
    // Where the hub is: every event after it reaches the new stream, live or replayed.
    let head = horizon(state).await?;
    state
        .store
        .create_ticket(&token_hash(&ticket), scope, session, head, expires_at)
        .await?;
    Ok(Json(StreamTicket {
        ticket,
        expires_at,
        head,
    }))
}

/// The agent's live events (text/event-stream).
#[utoipa::path(get, path = "/api/events", tag = "events", params(StreamQuery),
    responses((status = 200, content_type = "text/event-stream", body = EventEnvelope), (status = 401, body = wire::ErrorBody)))]
async fn agent_stream(
    State(state): State<AppState>,
    headers: HeaderMap,
    QueryParams(q): QueryParams<StreamQuery>,
) -> Result<Sse<impl Stream<Item = Result<SseEvent, Infallible>>>, ApiError> {
    stream_for(&state, &headers, &q, None).await
}

/// The visitor's live events (text/event-stream), scoped to their own conversation.
#[utoipa::path(get, path = "/api/visitor/events", tag = "visitor", params(StreamQuery),
    responses((status = 200, content_type = "text/event-stream", body = EventEnvelope), (status = 401, body = wire::ErrorBody)))]
async fn visitor_stream(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    QueryParams(q): QueryParams<StreamQuery>,
) -> Result<Sse<impl Stream<Item = Result<SseEvent, Infallible>>>, ApiError> {
    let client = super::visitor::client_of(&state, peer, &headers);
    stream_for(&state, &headers, &q, Some(client)).await
}

/// Opens a stream; `visitor` is the client address of a visitor stream, none for an agent's.
async fn stream_for(
    state: &AppState,
    headers: &HeaderMap,
    q: &StreamQuery,
    visitor: Option<IpAddr>,
) -> Result<Sse<impl Stream<Item = Result<SseEvent, Infallible>> + use<>>, ApiError> {
    let ticket = state
        .store
        .redeem_ticket(&token_hash(&q.ticket))
        .await?
        .ok_or(ApiError::Unauthorized)?;
    let (scope, head) = (ticket.scope, ticket.head);
    let slot = match (scope, visitor) {
        (TicketScope::Visitor(contact), Some(client)) => {
            Some(state.visitor_limits.open_stream(contact, client)?)
        }
        (TicketScope::Agent(_) | TicketScope::Board(_), None) => None,
        _ => return Err(ApiError::Unauthorized),
    };
    let public = slot.is_some();
    let header_id = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<i64>().ok());
    let after = EventId(header_id.or(q.last_event_id).unwrap_or(head.0).max(0));
    // Register first, then replay: whatever commits meanwhile arrives live, and ids the replay
    // already sent are skipped.
    let sub = state
        .hub
        .subscribe(scope, ticket.session.as_deref())
        .ok_or(ApiError::Unavailable)?;
    // The session may have ended between the redeem and the registration: its end then went by
    // before this stream could hear it, so look again now that it would. A session that expires
    // by itself ends its streams then.
    let mut lifetime = None;
    if let Some(session) = &ticket.session {
        let live = state
            .store
            .session_agent(session)
            .await?
            .ok_or(ApiError::Unauthorized)?;
        let left = u64::try_from(live.expires_at - now_ms()).unwrap_or(0);
        lifetime = Some(Duration::from_millis(left));
    }
    match scope {
        TicketScope::Agent(a) => {
            state.store.touch_agents(&[a]).await?;
            state.routing.poke();
        }
        // Present from now, not from the next presence tick: on a channel without
        // asynchronous chat, a visitor who is away too long has left.
        TicketScope::Visitor(c) => state.store.touch_visitors(&[c]).await?,
        TicketScope::Board(_) => {}
    }
    // Replay up to where the hub is (read after registering: every event after it arrives
    // live), then read the floor and the head: pruning only raises the floor, so an event
    // pruned before or during the replay shows as `after < floor` and gets `resync`, never a
    // silent gap.
    let horizon = horizon(state).await?;
    let replay = state
        .store
        .events_for(scope, after, horizon, MAX_REPLAY + 1)
        .await?;
    let bounds = state.store.log_bounds(after).await?;
    let mut first: Vec<Arc<StoredEvent>> = Vec::new();
    let mut last_sent = after;
    // Above the head is an id this log never gave (another database, a restore): skipping to
    // it would silently drop every event until the log caught up, so the client reloads.
    // An id in a restore's gap is one the log this was copied from gave after the copy: the
    // client saw events this log never had (and this log's events after the gap are others).
    let too_far = after < bounds.floor
        || after > bounds.head
        || i64::try_from(replay.len()).unwrap_or(i64::MAX) > MAX_REPLAY
        || bounds.never_given;
    if too_far {
        // The client reloads what it shows; everything after the hub's place arrives live.
        first = vec![Arc::new(resync(horizon))];
        last_sent = horizon;
    } else {
        if let Some(e) = replay.last() {
            last_sent = e.id;
        }
        first.extend(replay.into_iter().map(Arc::new));
    }
    // The stream's slot in the visitor caps lives as long as the stream.
    let live = stream::unfold((sub, slot), |(mut sub, slot)| async move {
        sub.rx.recv().await.map(|e| (e, (sub, slot)))
    })
    .filter(move |e| std::future::ready(e.id == LIVE_ONLY || e.id > last_sent))
    .take_until(async move {
        match lifetime {
            Some(left) => tokio::time::sleep(left).await,
            None => std::future::pending().await,
        }
    });
    let events = stream::iter(first).chain(live).filter_map(move |e| {
        let sse = if public {
            visitor_form(&e).map(|data| to_sse(&e, &data))
        } else {
            Some(to_sse(&e, &e.data))
        };
        std::future::ready(sse.map(Ok))
    });
    Ok(Sse::new(events).keep_alive(KeepAlive::new().interval(KEEP_ALIVE).text("keep-alive")))
}

/// One SSE event: its name, `data`, and its log id as `id:` (none for a live-only event, so
/// a client's `Last-Event-ID` stays on the log).
fn to_sse(e: &StoredEvent, data: &str) -> SseEvent {
    let sse = SseEvent::default().event(e.name).data(data);
    if e.id == LIVE_ONLY {
        sse
    } else {
        sse.id(e.id.0.to_string())
    }
}

/// An event's `data:` as a visitor may see it: only the visitor rows of the event table, with
/// the visitor views (none for an agent-only event, which a visitor stream never gets).
fn visitor_form(e: &StoredEvent) -> Option<String> {
    let envelope: EventEnvelope = serde_json::from_str(&e.data).ok()?;
    let public = PublicEnvelope {
        id: envelope.id,
        at: envelope.at,
        event: envelope.event.into_public()?,
    };
    serde_json::to_string(&public).ok()
}

fn resync(head: EventId) -> StoredEvent {
    let envelope = EventEnvelope {
        id: head,
        at: now_ms(),
        event: Event::Resync,
    };
    StoredEvent {
        id: head,
        agent_id: None,
        to_all_agents: false,
        visitor: None,
        data: serde_json::to_string(&envelope).unwrap_or_default().into(),
        name: Event::Resync.name(),
        internal: None,
    }
}
