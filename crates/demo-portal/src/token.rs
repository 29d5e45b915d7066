//! `POST /token`: the portal page asks its own back end for a login token for one agent; the
//! back end asks Threadline (`POST /api/embed/login-token`, with the portal's secret) and hands
//! the token to the page, which gives it to the framed desktop.
//!
//! # Layout
//! - [`token`]: the handler: who may call it (the portal's own page), the body, the call to
//!   Threadline.
//! - [`PortalError`]: every refusal as `{ "error": { "code", "message" } }`.
//!
//! Who may call: the demo portal has no accounts of its own (anyone who opens it may act as one
//! of the demo agents, whose passwords are published anyway), so it answers only its own page:
//! the browser's `Origin` must be this server's, and only the agents in the picker are offered.

use crate::{Shared, AGENTS};
use axum::extract::rejection::JsonRejection;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// The page's request.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    /// The agent's login: one of [`AGENTS`].
    login: String,
}

/// Threadline's answer, passed on to the page.
#[derive(Serialize, Deserialize)]
pub struct TokenResponse {
    /// The login token (used once, within a minute, by the desktop framed in this portal).
    token: String,
    /// When it expires, ms since the epoch.
    expires_at: i64,
}

/// Threadline's error body, read to pass its message on.
#[derive(Deserialize)]
struct ErrorBody {
    /// `{code, message}`.
    error: ErrorDetail,
}

/// One error.
#[derive(Serialize, Deserialize)]
struct ErrorDetail {
    /// A stable code.
    code: String,
    /// Words for people.
    message: String,
}

/// A refusal: the status and the error.
#[derive(Debug)]
pub struct PortalError {
    /// The HTTP status.
    status: StatusCode,
    /// The error code.
    code: &'static str,
    /// The message (never internal error text).
    message: String,
}

impl PortalError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> PortalError {
        PortalError {
            status,
            code,
            message: message.into(),
        }
    }

    /// 404 for every path the portal does not have.
    pub fn not_found() -> PortalError {
        PortalError::new(StatusCode::NOT_FOUND, "not_found", "no such page")
    }
}

impl IntoResponse for PortalError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({ "error": { "code": self.code, "message": self.message } });
        (self.status, Json(body)).into_response()
    }
}

/// `POST /token` (JSON `{"login": "ann"}`) → `{"token", "expires_at"}`.
pub async fn token(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Result<Json<TokenRequest>, JsonRejection>,
) -> Result<Json<TokenResponse>, PortalError> {
    own_page(&headers)?;
    let Json(request) = body.map_err(|rejection| match rejection {
        JsonRejection::MissingJsonContentType(_) => PortalError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "the body must be JSON (Content-Type: application/json)",
        ),
        JsonRejection::BytesRejection(_) => PortalError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            format!("the body may be at most {} bytes", crate::MAX_BODY),
        ),
        _ => PortalError::new(
            StatusCode::BAD_REQUEST,
            "invalid",
            "the body must be {\"login\": \"<agent login>\"}",
        ),
    })?;
    if !AGENTS.iter().any(|(login, _)| *login == request.login) {
        return Err(PortalError::new(
            StatusCode::BAD_REQUEST,
            "invalid",
            "login must be one of the agents this portal offers",
        ));
    }
    let config = &shared.config;
    let answer = shared
        .http
        .post(format!("{}/api/embed/login-token", config.threadline))
        .bearer_auth(&config.secret)
        .json(&serde_json::json!({ "login": request.login }))
        .send()
        .await
        .map_err(|_| unreachable_threadline())?;
    let status = answer.status();
    if status.is_success() {
        let token: TokenResponse = answer.json().await.map_err(|_| unreachable_threadline())?;
        return Ok(Json(token));
    }
    // Threadline's own refusals about the agent (unknown, deactivated, too many tokens) are
    // worth showing; a refused secret or a failure is the portal's problem, not the page's.
    let detail = answer.json::<ErrorBody>().await.ok().map(|b| b.error);
    match (status.as_u16(), detail) {
        (404 | 409 | 429, Some(detail)) => Err(PortalError::new(
            status,
            if status == StatusCode::TOO_MANY_REQUESTS {
                "rate_limited"
            } else {
                "refused"
            },
            detail.message,
        )),
        (401 | 403, _) => Err(PortalError::new(
            StatusCode::BAD_GATEWAY,
            "portal_refused",
            "Threadline refused this portal's secret; check THREADLINE_EMBED_SECRET_DEMO",
        )),
        _ => Err(unreachable_threadline()),
    }
}

fn unreachable_threadline() -> PortalError {
    PortalError::new(
        StatusCode::BAD_GATEWAY,
        "upstream",
        "Threadline could not give a login token; is it running?",
    )
}

/// Only the portal's own page may ask: its `Origin` is this server's (`http://<Host>`).
fn own_page(headers: &HeaderMap) -> Result<(), PortalError> {
    let value = |name| headers.get(name).and_then(|v| v.to_str().ok());
    match (value(header::ORIGIN), value(header::HOST)) {
        (Some(origin), Some(host))
            if origin == format!("http://{host}") || origin == format!("https://{host}") =>
        {
            Ok(())
        }
        _ => Err(PortalError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "login tokens are only for this portal's own page",
        )),
    }
}
