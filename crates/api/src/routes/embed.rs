//! Single sign-on from a portal that frames the desktop: `POST /api/embed/login-token` (the
//! portal's back end, with its portal secret, asks for a login token for one agent) and
//! `POST /api/auth/embed` (the desktop in the frame exchanges it for a session, answered like a
//! login). The secret is compared in constant time with every portal's; tokens are random,
//! stored only as hashes, used once, for a minute, and only from their portal's origin.
//! `GET /api/embed/config` (public) tells the framed desktop which origins it may take
//! `postMessage` commands from.

use super::check_chars;
use crate::auth::{new_token, token_hash};
use crate::error::{ApiError, JsonBody};
use crate::login_limits::Refusal;
use crate::state::AppState;
use crate::store::{EmbedExchange, EmbedIssueRefusal, EmbedLoginRefusal, NewEmbedToken};
use crate::util::{ms, now_ms};
use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum::Json;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::net::SocketAddr;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use wire::api::LoginResponse;
use wire::checks::Lines;
use wire::embed::{EmbedConfig, EmbedLoginRequest, EmbedTokenRequest, EmbedTokenResponse};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(login_token))
        .routes(routes!(embed_login))
        .routes(routes!(embed_config))
}

/// Why a token request failed: an ordinary API error, or a quota (with `Retry-After`).
enum EmbedError {
    /// A refused secret, a bad body, an unknown login, a store error.
    Api(ApiError),
    /// A quota is used up.
    Limited(Refusal),
}

impl From<ApiError> for EmbedError {
    fn from(e: ApiError) -> Self {
        EmbedError::Api(e)
    }
}

impl From<crate::store::StoreError> for EmbedError {
    fn from(e: crate::store::StoreError) -> Self {
        EmbedError::Api(e.into())
    }
}

impl IntoResponse for EmbedError {
    fn into_response(self) -> Response {
        match self {
            EmbedError::Api(e) => e.into_response(),
            EmbedError::Limited(r) => r.into_response(),
        }
    }
}

/// A MAC of a secret under a fixed key: comparing two of these with `verify_slice` takes the
/// same time wherever they differ, and whatever their lengths.
fn secret_mac(secret: &str) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(b"threadline embed portal secret")
        .expect("HMAC takes any key length");
    mac.update(secret.as_bytes());
    mac
}

/// The name of the portal whose secret is `presented`, compared with every portal's in
/// constant time (no early exit, so the time says nothing about which or how much matched).
fn portal_for_secret(state: &AppState, presented: &str) -> Option<String> {
    let presented_tag = secret_mac(presented).finalize().into_bytes();
    let mut found = None;
    for portal in &state.config.embed_portals {
        if secret_mac(&portal.secret)
            .verify_slice(&presented_tag)
            .is_ok()
        {
            found = Some(portal.name.clone());
        }
    }
    found
}

/// A portal's back end, known by the secret it presented (`Authorization: Bearer <secret>`).
/// Before the secret is compared, the client address's login quota is taken, so guessing
/// secrets is as slow as guessing passwords; a wrong or missing secret is a 401 and a warning
/// in the log (never with the secret).
struct PortalAuth {
    /// The portal's configured name.
    name: String,
}

impl FromRequestParts<AppState> for PortalAuth {
    type Rejection = EmbedError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let ConnectInfo(peer) = ConnectInfo::<SocketAddr>::from_request_parts(parts, state)
            .await
            .map_err(|e| ApiError::Internal(format!("no peer address: {e}")))?;
        let client = state.login_limits.client_address(peer.ip(), &parts.headers);
        state
            .login_limits
            .admit_address(client)
            .map_err(EmbedError::Limited)?;
        let presented = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .unwrap_or_default();
        let found = (!presented.is_empty())
            .then(|| portal_for_secret(state, presented))
            .flatten();
        let Some(name) = found else {
            tracing::warn!(
                client = %client,
                "refused a login token request: no portal has the secret presented"
            );
            return Err(ApiError::Unauthorized.into());
        };
        Ok(PortalAuth { name })
    }
}

/// Asks for a login token for one agent; called by a portal's back end with its portal secret
/// (`Authorization: Bearer <secret>`), never by a browser. The token is used once, within a
/// minute, by the desktop framed in that portal (`POST /api/auth/embed`). Requests are limited
/// per client address and per portal (429 with `Retry-After`).
#[utoipa::path(post, path = "/api/embed/login-token", tag = "auth", security(("bearer" = [])),
    request_body = EmbedTokenRequest,
    responses((status = 200, body = EmbedTokenResponse), (status = 400, body = wire::ErrorBody),
        (status = 401, body = wire::ErrorBody), (status = 404, body = wire::ErrorBody),
        (status = 409, body = wire::ErrorBody), (status = 429, body = wire::ErrorBody)))]
async fn login_token(
    State(state): State<AppState>,
    PortalAuth { name: portal }: PortalAuth,
    JsonBody(req): JsonBody<EmbedTokenRequest>,
) -> Result<Json<EmbedTokenResponse>, EmbedError> {
    let login = req.login.trim().to_lowercase();
    if login.is_empty() || login.len() > 100 {
        return Err(ApiError::invalid("login must be 1 to 100 characters").into());
    }
    check_chars("the login", &login, Lines::One)?;
    state
        .login_limits
        .admit_portal(&portal)
        .map_err(EmbedError::Limited)?;
    let token = new_token("tle_");
    let expires_at = now_ms() + ms(state.config.embed_token_ttl);
    let issued = state
        .store
        .issue_embed_token(NewEmbedToken {
            portal: &portal,
            login: &login,
            token_hash: &token_hash(&token),
            expires_at,
        })
        .await?;
    match issued {
        Ok(_) => Ok(Json(EmbedTokenResponse { token, expires_at })),
        Err(EmbedIssueRefusal::UnknownLogin) => {
            Err(ApiError::NotFound(format!("no account has the login {login:?}")).into())
        }
        Err(EmbedIssueRefusal::Deactivated) => Err(ApiError::conflict(format!(
            "the account {login:?} is deactivated and cannot log in"
        ))
        .into()),
    }
}

/// Exchanges a portal's login token for a session; called by the desktop framed in the portal,
/// with the origin it saw the token come from. Answers exactly like `POST /api/auth/login`.
/// Refused (401, with the reason) when the token is unknown, already used, expired, or was
/// issued for another portal.
#[utoipa::path(post, path = "/api/auth/embed", tag = "auth", request_body = EmbedLoginRequest,
    responses((status = 200, body = LoginResponse), (status = 400, body = wire::ErrorBody),
        (status = 401, body = wire::ErrorBody)))]
async fn embed_login(
    State(state): State<AppState>,
    JsonBody(req): JsonBody<EmbedLoginRequest>,
) -> Result<Json<LoginResponse>, ApiError> {
    if req.token.len() > 200 || req.portal_origin.len() > 300 {
        return Err(ApiError::invalid(
            "the token or the portal origin is too long",
        ));
    }
    check_chars("the token", &req.token, Lines::One)?;
    check_chars("the portal origin", &req.portal_origin, Lines::One)?;
    let origin = crate::config::parse_origin(&req.portal_origin);
    let portals: Vec<String> = state
        .config
        .embed_portals
        .iter()
        .filter(|p| origin.as_ref() == Some(&p.origin))
        .map(|p| p.name.clone())
        .collect();
    let session = new_token("tla_");
    let session_expires_at = now_ms() + ms(state.config.session_ttl);
    let redeemed = state
        .store
        .redeem_embed_token(EmbedExchange {
            token_hash: &token_hash(req.token.trim()),
            portals: &portals,
            session_hash: &token_hash(&session),
            session_expires_at,
        })
        .await?;
    let agent = match redeemed {
        Ok(agent) => agent,
        Err(refusal) => {
            let why = match refusal {
                EmbedLoginRefusal::Unknown => {
                    "this login link is not valid; log in again from the portal"
                }
                EmbedLoginRefusal::Used => "this login link was already used",
                EmbedLoginRefusal::Expired => {
                    "this login link has expired; log in again from the portal"
                }
                EmbedLoginRefusal::OtherPortal => "this login link was issued for another portal",
                EmbedLoginRefusal::Deactivated => "this account is deactivated",
            };
            return Err(ApiError::LoginRefused(why.to_owned()));
        }
    };
    let agent = state
        .store
        .agent(agent)
        .await?
        .ok_or(ApiError::Unauthorized)?;
    Ok(Json(LoginResponse {
        token: session,
        expires_at: session_expires_at,
        agent,
    }))
}

/// The origins that may frame the desktop (the same list as its `frame-ancestors`, every
/// portal's origin among them). Public: the header shows them to anyone anyway. The framed
/// desktop takes `postMessage` commands only from these origins.
#[utoipa::path(get, path = "/api/embed/config", tag = "auth",
    responses((status = 200, body = EmbedConfig)))]
async fn embed_config(State(state): State<AppState>) -> Json<EmbedConfig> {
    Json(EmbedConfig {
        origins: state.config.embed_origins.clone(),
    })
}
