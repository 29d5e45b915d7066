//! The HTTP surface: one router per resource, assembled with the OpenAPI document, plus the
//! static front ends.
//!
//! # Layout
//! - `accounts`: account administration and the audit log (administrators), and
//!   `GET /api/setup` (whether any account exists, for the first run).
//! - `catalog`: standard responses and their categories, disposition codes, Not Ready
//!   reasons (administrators).
//! - `auth`: login, logout, password. `embed`: a portal's login tokens and their exchange
//!   for a session (single sign-on into the framed desktop). `me`: the agent, status, configuration.
//! - `events`: stream tickets and the SSE streams (agents and visitors).
//! - `interactions`: accept, reject, end, Mark Done, handle time, typing.
//! - `contacts`: the Contacts list, details, history, conversation, sends, `Chat`, receipts,
//!   search, standard responses.
//! - `transfer`: Transfer (and a supervisor's reassign) of a chat, and the colleagues the
//!   Transfer dialog lists (`GET /api/agents`).
//! - `files`: image upload and download.
//! - `health`: `GET /api/health`, whether this instance can serve (load balancers, monitoring).
//! - `metrics`: `GET /api/metrics`, this instance's figures for a collector holding the
//!   metrics token.
//! - `supervisor`: the supervisor's board, its stream ticket, setting an agent Not Ready,
//!   logging an agent out.
//! - `visitor`: everything the widget calls.
//! - `webhooks`: what the messaging platforms call (Facebook Messenger), checked against the
//!   platform's signature before anything is read.
//! - `reports`: handle-time reports for supervisors and administrators (JSON and CSV).
//! - `site`: the desktop, the widget's files, the demo page, security headers.
//! - `embed_script`: `/embed.js` and `/embed.d.ts`, the script a portal includes to frame and
//!   drive the desktop, and its types.
//! - `csp`: the pages' Content-Security-Policy and the widget frame's `?parent=` check.
//! - `caching`: precompressed files, cache headers, API JSON compression.
//! - `answers`: the statuses every route of a kind can answer, added to the document once.

mod accounts;
mod answers;
mod auth;
mod caching;
mod catalog;
mod channels;
mod contacts;
mod csp;
mod embed;
mod embed_script;
mod events;
mod files;
mod health;
mod interactions;
mod me;
mod metrics;
mod reports;
mod site;
mod supervisor;
mod transfer;
mod visitor;
mod webhooks;

pub use metrics::{time_requests, RequestTimes};

use crate::error::ApiError;
use crate::state::AppState;
use axum::Router;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

/// The OpenAPI document's frame; paths are added from the handlers' annotations.
#[derive(OpenApi)]
#[openapi(
    info(title = "Threadline API", description = "Asynchronous chat for the contact center."),
    components(schemas(wire::ErrorBody, wire::Event, wire::EventEnvelope)),
    modifiers(&BearerAuth)
)]
struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The API routes with their OpenAPI document.
pub fn api() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let api = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(accounts::routes())
        .merge(catalog::routes())
        .merge(channels::routes())
        .merge(auth::routes())
        .merge(embed::routes())
        .merge(me::routes())
        .merge(events::routes())
        .merge(interactions::routes())
        .merge(transfer::routes())
        .merge(contacts::routes())
        .merge(files::routes())
        .merge(health::routes())
        .merge(metrics::routes())
        .merge(supervisor::routes())
        .merge(visitor::routes())
        .merge(webhooks::routes())
        .merge(reports::routes())
        // The event streams come after the compression layer, so that they do not carry its
        // response body: it never compresses them, but its body holds every encoder's state
        // (5.8 KiB), kept for as long as a stream stays open.
        .layer(caching::json_compression())
        .merge(events::streams());
    let (router, mut doc) = api.split_for_parts();
    answers::add_standard_answers(&mut doc);
    (router, doc)
}

/// The whole application.
pub fn router(state: AppState) -> Router {
    let (api, doc) = api();
    let doc = std::sync::Arc::new(doc);
    let described = Router::new()
        .route(
            "/api/openapi.json",
            axum::routing::get(move || {
                let doc = doc.clone();
                async move { axum::Json((*doc).clone()) }
            }),
        )
        .route(
            "/api/{*rest}",
            axum::routing::any(|| async { ApiError::NotFound("no such API route".into()) }),
        )
        .layer(caching::json_compression());
    let api = api.merge(described);
    site::with_site(api, &state).with_state(state)
}

/// Checks a message before it is stored: a well-formed client id, then the text rule both
/// browsers check with too (`wire::checks::message_text`: not empty unless an image is
/// attached, not over the configured length, no control characters). HTML is kept as text:
/// clients never render it.
pub(crate) fn validate_message(
    state: &AppState,
    client_id: &wire::ClientMessageId,
    text: &str,
    attachment: Option<wire::AttachmentId>,
) -> Result<(), ApiError> {
    if !client_id.is_valid() {
        return Err(ApiError::invalid(
            "client_id must be 8 to 64 letters, digits, '-' or '_'",
        ));
    }
    let max = state.config.max_message_chars;
    wire::checks::message_text(text, max, attachment.is_some()).map_err(|e| {
        let why = e.describe("the message");
        if e.is_too_large() {
            ApiError::TooLarge(why)
        } else {
            ApiError::invalid(why)
        }
    })?;
    Ok(())
}

/// The one character rule (`wire::checks::characters`) for a text field a caller sent: no
/// control characters, no invisible direction or zero-width marks, line breaks and tabs only
/// in multi-line text. A refusal is a 400 whose message names `field`.
pub(crate) fn check_chars(
    field: &str,
    text: &str,
    lines: wire::checks::Lines,
) -> Result<(), ApiError> {
    wire::checks::characters(text, lines).map_err(|e| ApiError::invalid(e.describe(field)))
}

/// A Not Ready reason an agent or a supervisor chose: its characters, not "Logged out" (the
/// status logging out gives, never chosen), and an active reason of the catalog. A refusal is
/// a 400.
pub(crate) async fn check_reason(
    state: &AppState,
    reason: &wire::ReasonCode,
) -> Result<(), ApiError> {
    check_chars("the reason", &reason.0, wire::checks::Lines::One)?;
    if reason.is_logged_out() {
        return Err(ApiError::invalid(
            "Logged out is not a reason to choose: it is the status logging out gives",
        ));
    }
    if !state.store.reason_exists(&reason.0).await? {
        return Err(ApiError::invalid(format!(
            "unknown Not Ready reason {:?}",
            reason.0
        )));
    }
    Ok(())
}

/// Page size from a query, within bounds.
pub(crate) fn page_size(limit: Option<u32>, default: u32) -> Result<u32, ApiError> {
    match limit {
        None => Ok(default),
        Some(0) => Err(ApiError::invalid("limit must be at least 1")),
        Some(n) if n > wire::limits::MAX_PAGE => Err(ApiError::invalid(format!(
            "limit may be at most {}",
            wire::limits::MAX_PAGE
        ))),
        Some(n) => Ok(n),
    }
}
