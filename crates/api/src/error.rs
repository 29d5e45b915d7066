//! [`ApiError`]: what every handler returns on failure. Each variant documents its status; 5xx
//! variants log their cause and send the client only a generic message.

use crate::store::StoreError;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use wire::{ErrorBody, ErrorCode};

/// A failed request.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400: the body or a parameter is malformed or out of range.
    #[error("{0}")]
    Invalid(String),
    /// 400 `invalid_webhook`: a platform's webhook body without a required field or with a
    /// value out of range (nothing of it is stored).
    #[error("{0}")]
    InvalidWebhook(String),
    /// 401: missing, expired or revoked credentials.
    #[error("authentication required")]
    Unauthorized,
    /// 401: wrong login name or password.
    #[error("wrong login name or password")]
    BadCredentials,
    /// 401 `unauthorized` with its reason: a portal's login token that cannot be used (unknown,
    /// used, expired, for another portal), so the framed desktop can say why.
    #[error("{0}")]
    LoginRefused(String),
    /// 401: an expired visitor token.
    #[error("the visitor session has expired; start a new one")]
    TokenExpired,
    /// 401: an identified customer's visitor token offered without the site's identity.
    #[error("this conversation can be resumed only when the website confirms who you are")]
    IdentityRequired,
    /// 403: not yours.
    #[error("{0}")]
    Forbidden(String),
    /// 404: no such thing (or not visible to the caller).
    #[error("{0}")]
    NotFound(String),
    /// 404 `not_configured`: the feature is not set up on this server.
    #[error("{0}")]
    NotConfigured(String),
    /// 408: the request (its body included) did not arrive and get answered in time.
    #[error("the request took too long; try again")]
    Timeout,
    /// 409: the thing is not in a state that allows this.
    #[error("{0}")]
    Conflict(String),
    /// 409: offered or reserved to another agent (`held_by_colleague`).
    #[error("{0}")]
    HeldByColleague(String),
    /// 409: asynchronous chat is off for the channel (`async_chat_off`).
    #[error("{0}")]
    AsyncChatOff(String),
    /// 409: the platform's messaging window is closed (`outside_window`).
    #[error("{0}")]
    OutsideWindow(String),
    /// 413: too large.
    #[error("{0}")]
    TooLarge(String),
    /// 415: not an accepted image.
    #[error("{0}")]
    UnsupportedMedia(String),
    /// 422: well-formed but refused.
    #[error("{0}")]
    Unprocessable(String),
    /// 422 `too_long_for_platform`: a public reply longer than the platform takes.
    #[error("{0}")]
    TooLongForPlatform(String),
    /// 429: too many attempts.
    #[error("too many attempts; wait a minute and try again")]
    RateLimited,
    /// 429 with `Retry-After`: a quota for strangers (visitor sessions, messages, uploads,
    /// typing, streams) is used up; retry after the duration.
    #[error("{1}")]
    Throttled(std::time::Duration, String),
    /// 503: the database is unreachable or busy.
    #[error("service unavailable")]
    Unavailable,
    /// 500: a bug or an unexpected database error; logged, never shown.
    #[error("internal error")]
    Internal(String),
}

impl ApiError {
    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Invalid(_) | ApiError::InvalidWebhook(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized
            | ApiError::BadCredentials
            | ApiError::LoginRefused(_)
            | ApiError::TokenExpired
            | ApiError::IdentityRequired => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) | ApiError::NotConfigured(_) => StatusCode::NOT_FOUND,
            ApiError::Timeout => StatusCode::REQUEST_TIMEOUT,
            ApiError::Conflict(_)
            | ApiError::HeldByColleague(_)
            | ApiError::AsyncChatOff(_)
            | ApiError::OutsideWindow(_) => StatusCode::CONFLICT,
            ApiError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMedia(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Unprocessable(_) | ApiError::TooLongForPlatform(_) => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            ApiError::RateLimited | ApiError::Throttled(..) => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The machine-readable code.
    pub fn code(&self) -> ErrorCode {
        match self {
            ApiError::Invalid(_) => ErrorCode::InvalidInput,
            ApiError::InvalidWebhook(_) => ErrorCode::InvalidWebhook,
            ApiError::NotConfigured(_) => ErrorCode::NotConfigured,
            ApiError::Unauthorized | ApiError::LoginRefused(_) => ErrorCode::Unauthorized,
            ApiError::BadCredentials => ErrorCode::BadCredentials,
            ApiError::TokenExpired => ErrorCode::TokenExpired,
            ApiError::IdentityRequired => ErrorCode::IdentityRequired,
            ApiError::Forbidden(_) => ErrorCode::Forbidden,
            ApiError::NotFound(_) => ErrorCode::NotFound,
            ApiError::Timeout => ErrorCode::RequestTimeout,
            ApiError::Conflict(_) => ErrorCode::Conflict,
            ApiError::HeldByColleague(_) => ErrorCode::HeldByColleague,
            ApiError::AsyncChatOff(_) => ErrorCode::AsyncChatOff,
            ApiError::OutsideWindow(_) => ErrorCode::OutsideWindow,
            ApiError::TooLarge(_) => ErrorCode::TooLarge,
            ApiError::UnsupportedMedia(_) => ErrorCode::UnsupportedMediaType,
            ApiError::Unprocessable(_) => ErrorCode::Unprocessable,
            ApiError::TooLongForPlatform(_) => ErrorCode::TooLongForPlatform,
            ApiError::RateLimited | ApiError::Throttled(..) => ErrorCode::RateLimited,
            ApiError::Unavailable => ErrorCode::Unavailable,
            ApiError::Internal(_) => ErrorCode::Internal,
        }
    }

    /// Shorthand for a 400.
    pub fn invalid(msg: impl Into<String>) -> Self {
        ApiError::Invalid(msg.into())
    }

    /// Shorthand for a 404.
    pub fn not_found(what: &str) -> Self {
        ApiError::NotFound(format!("{what} not found"))
    }

    /// Shorthand for a 409.
    pub fn conflict(msg: impl Into<String>) -> Self {
        ApiError::Conflict(msg.into())
    }
}

/// The one mapping from the store's failures to statuses. Database failures become a 503
/// (unreachable or busy) or a 500 whose text is logged and never sent.
impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(what) => ApiError::not_found(what),
            StoreError::Conflict(msg) => ApiError::Conflict(msg),
            StoreError::HeldByColleague(msg) => ApiError::HeldByColleague(msg),
            StoreError::AsyncChatOff(msg) => ApiError::AsyncChatOff(msg),
            StoreError::InvalidState(refused) => ApiError::Conflict(refused.to_string()),
            StoreError::NotYours(msg) => ApiError::Forbidden(msg),
            StoreError::Rejected(msg) => ApiError::Unprocessable(msg),
            StoreError::OutsideWindow(msg) => ApiError::OutsideWindow(msg),
            StoreError::TooLong(msg) => ApiError::Invalid(msg),
            StoreError::TooLongForPlatform(msg) => ApiError::TooLongForPlatform(msg),
            StoreError::NoSuchAgent => ApiError::Unauthorized,
            StoreError::Database(
                e @ (sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_)),
            ) => {
                tracing::error!(error = %e, "database unavailable");
                ApiError::Unavailable
            }
            // A unique index caught what the store's own check could not see yet: the same
            // thing saved at the same moment by someone else.
            StoreError::Database(sqlx::Error::Database(db)) if db.is_unique_violation() => {
                ApiError::Conflict(
                    "the same was saved at the same moment by someone else; reload and check"
                        .into(),
                )
            }
            StoreError::Database(other) => ApiError::Internal(format!("database: {other}")),
            StoreError::Internal(msg) => ApiError::Internal(msg),
        }
    }
}

impl From<serde_json::Error> for ApiError {
    fn from(e: serde_json::Error) -> Self {
        ApiError::Internal(format!("json: {e}"))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let message = match &self {
            ApiError::Internal(detail) => {
                tracing::error!(%detail, "internal error");
                "Something went wrong on the server. Please try again.".to_owned()
            }
            other => other.to_string(),
        };
        let body = Json(ErrorBody::new(self.code(), message));
        if let ApiError::Throttled(wait, _) = self {
            let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            let retry = [(axum::http::header::RETRY_AFTER, secs.max(1).to_string())];
            return (status, retry, body).into_response();
        }
        (status, body).into_response()
    }
}

/// A JSON body extractor whose rejections are [`ApiError`]s (so a malformed body gets the
/// standard error shape, not axum's plain text).
#[derive(Debug, Clone, Copy, Default)]
pub struct JsonBody<T>(pub T);

impl<S, T> axum::extract::FromRequest<S> for JsonBody<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(JsonBody(v)),
            Err(rejection) => Err(match rejection {
                axum::extract::rejection::JsonRejection::MissingJsonContentType(_) => {
                    ApiError::UnsupportedMedia("send the body as application/json".to_owned())
                }
                axum::extract::rejection::JsonRejection::BytesRejection(_) => {
                    ApiError::TooLarge("the request body is too large".to_owned())
                }
                other => ApiError::Invalid(other.body_text()),
            }),
        }
    }
}

/// A `multipart/form-data` body (an upload) whose rejections are [`ApiError`]s: a request that
/// is not multipart, or has no boundary, gets 415 in the standard error shape.
pub struct FormBody(pub axum::extract::Multipart);

impl<S> axum::extract::FromRequest<S> for FormBody
where
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Multipart::from_request(req, state)
            .await
            .map(FormBody)
            .map_err(|_| {
                ApiError::UnsupportedMedia(
                    "send the image as multipart/form-data, in a field named \"file\"".to_owned(),
                )
            })
    }
}

/// A query-string extractor whose rejections are [`ApiError`]s.
#[derive(Debug, Clone, Copy, Default)]
pub struct QueryParams<T>(pub T);

impl<S, T> axum::extract::FromRequestParts<S> for QueryParams<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Query(v)| QueryParams(v))
            .map_err(|e| ApiError::Invalid(e.body_text()))
    }
}

/// A path extractor whose rejections are [`ApiError`]s.
#[derive(Debug, Clone, Copy, Default)]
pub struct PathParam<T>(pub T);

impl<S, T> axum::extract::FromRequestParts<S> for PathParam<T>
where
    T: serde::de::DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(v)| PathParam(v))
            .map_err(|_| ApiError::invalid("malformed id in the path"))
    }
}
