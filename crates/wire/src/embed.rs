//! Single sign-on from a portal that frames the agent desktop: the portal's back end asks for a
//! short-lived, single-use login token for one agent (`POST /api/embed/login-token`, with its
//! portal secret), hands it to the desktop in the frame, and the desktop exchanges it for an
//! ordinary session (`POST /api/auth/embed`, answered like a login with
//! [`crate::api::LoginResponse`]). No password is asked twice and no cookie is needed, so it
//! works where third-party cookies are blocked.

use crate::Millis;
use serde::{Deserialize, Serialize};

/// `POST /api/embed/login-token`: which agent the portal logs in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EmbedTokenRequest {
    /// The login name of an active account (any role may be embedded).
    pub login: String,
}

/// The answer to `POST /api/embed/login-token`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EmbedTokenResponse {
    /// The login token: opaque, used once, only from the portal's origin. The server keeps
    /// only its hash.
    pub token: String,
    /// When it can no longer be used (a minute after it was issued).
    pub expires_at: Millis,
}

/// `POST /api/auth/embed`: the desktop in the portal's frame exchanges a login token for a
/// session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EmbedLoginRequest {
    /// The login token the portal handed over.
    pub token: String,
    /// The origin the portal's `login` message came from (as the browser reported it): it
    /// must be the origin of the portal the token was issued for.
    pub portal_origin: String,
}

/// `GET /api/embed/config` (public): the origins that may frame the desktop, the same list that
/// feeds its `frame-ancestors`. The framed desktop takes `postMessage` commands only from these.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EmbedConfig {
    /// Origins (`scheme://host[:port]`), lower case, without a trailing slash.
    pub origins: Vec<String>,
}

pub mod host;
