//! The error body: `{ "error": { "code": "...", "message": "..." } }`.

use serde::{Deserialize, Serialize};

/// What every failing request returns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// A machine-readable code and a message a person can read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorDetail {
    /// Stable, machine-readable.
    pub code: ErrorCode,
    /// For people; never internal detail.
    pub message: String,
}

/// Every error code the API returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// 400: the body or a parameter is malformed or out of range.
    InvalidInput,
    /// 400: a platform's webhook body is not in the platform's documented shape (a required
    /// field missing, a value out of range); nothing of it was stored.
    InvalidWebhook,
    /// 401: no valid credentials.
    Unauthorized,
    /// 401: login name or password wrong.
    BadCredentials,
    /// 401: the visitor token has expired (start a new session).
    TokenExpired,
    /// 401: this visitor token belongs to an identified customer and is resumed only with the
    /// site's signed identity.
    IdentityRequired,
    /// 403: authenticated, but this is not yours.
    Forbidden,
    /// 404: no such thing.
    NotFound,
    /// 404: the feature asked for is not configured on this server (a platform's webhook
    /// without its secret).
    NotConfigured,
    /// 408: the request (its body included) did not arrive and get answered in time.
    RequestTimeout,
    /// 409: the thing is not in a state that allows this.
    Conflict,
    /// 409: the chat is offered or reserved to another agent; only that agent may take it.
    HeldByColleague,
    /// 409: asynchronous chat is off for the channel: an agent cannot reopen an ended chat or
    /// write to a contact who is not in a chat.
    AsyncChatOff,
    /// 409: the platform's messaging window for the contact is closed (Messenger: more than 7
    /// days since the contact last wrote); nothing was stored.
    OutsideWindow,
    /// 413: too large.
    TooLarge,
    /// 415: not an accepted image type.
    UnsupportedMediaType,
    /// 422: well-formed but refused (for example a missing disposition code).
    Unprocessable,
    /// 422: a public reply longer than the platform takes (a Tweet's 280, counted as X
    /// weighs it); nothing was stored.
    TooLongForPlatform,
    /// 429: slow down.
    RateLimited,
    /// 500: something broke on the server; details are in its log, not here.
    Internal,
    /// 503: the server is shutting down or its database is unreachable.
    Unavailable,
}

impl ErrorBody {
    /// Builds a body.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ErrorBody {
            error: ErrorDetail {
                code,
                message: message.into(),
            },
        }
    }
}

impl std::fmt::Display for ErrorBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.error.message)
    }
}

impl std::error::Error for ErrorBody {}
