//! `POST /api/auth/login`, `/logout`, `/password`.

use super::check_chars;
use crate::auth::{dummy_hash, hash_password, new_token, token_hash, verify_password, AgentAuth};
use crate::error::{ApiError, JsonBody};
use crate::state::AppState;
use crate::util::{ms, now_ms};
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use std::net::SocketAddr;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use wire::api::{ChangePasswordRequest, LoginRequest, LoginResponse};
use wire::checks::Lines;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(login))
        .routes(routes!(logout))
        .routes(routes!(change_password))
}

/// Why a login failed: an ordinary API error, or a limit (with `Retry-After`).
enum LoginError {
    /// Bad input, bad credentials, a store error.
    Api(ApiError),
    /// Refused before the password check.
    Limited(crate::login_limits::Refusal),
}

impl From<ApiError> for LoginError {
    fn from(e: ApiError) -> Self {
        LoginError::Api(e)
    }
}

impl From<crate::store::StoreError> for LoginError {
    fn from(e: crate::store::StoreError) -> Self {
        LoginError::Api(e.into())
    }
}

impl IntoResponse for LoginError {
    fn into_response(self) -> Response {
        match self {
            LoginError::Api(e) => e.into_response(),
            LoginError::Limited(r) => r.into_response(),
        }
    }
}

/// Logs an agent in; answers with a bearer token. Attempts are limited globally, per client
/// address and per login name (429 with `Retry-After`), and password checks running at once
/// are bounded (503 with `Retry-After`).
#[utoipa::path(post, path = "/api/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = LoginResponse), (status = 401, body = wire::ErrorBody),
        (status = 429, body = wire::ErrorBody), (status = 503, body = wire::ErrorBody)))]
async fn login(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    JsonBody(req): JsonBody<LoginRequest>,
) -> Result<Json<LoginResponse>, LoginError> {
    let login = req.login.trim().to_lowercase();
    if login.is_empty() || login.len() > 100 || req.password.is_empty() || req.password.len() > 1000
    {
        return Err(ApiError::invalid("enter a username and a password").into());
    }
    check_chars("the username", &login, Lines::One)?;
    check_chars("the password", &req.password, Lines::One)?;
    let client = state.login_limits.client_address(peer.ip(), &headers);
    let permit = state
        .login_limits
        .admit(client, &login)
        .map_err(LoginError::Limited)?;
    let creds = state.store.agent_credentials(&login).await?;
    let password = req.password.clone();
    // Unknown names are checked against a dummy hash, so both take as long (no enumeration).
    let stored = creds.as_ref().map(|(_, h)| h.clone());
    // The permit moves into the check: it is held until the hash is done even when the
    // client goes away, so the bound holds.
    let ok = tokio::task::spawn_blocking(move || {
        let ok = match &stored {
            Some(hash) => verify_password(&password, hash),
            None => verify_password(&password, dummy_hash()),
        };
        drop(permit);
        ok
    })
    .await
    .map_err(|e| ApiError::Internal(e.to_string()))?;
    let Some((agent, _)) = creds.filter(|_| ok) else {
        return Err(ApiError::BadCredentials.into());
    };
    let token = new_token("tla_");
    let expires_at = now_ms() + ms(state.config.session_ttl);
    state
        .store
        .create_session(agent, &token_hash(&token), expires_at)
        .await?;
    let agent = state
        .store
        .agent(agent)
        .await?
        .ok_or(ApiError::BadCredentials)?;
    Ok(Json(LoginResponse {
        token,
        expires_at,
        agent,
    }))
}

/// Logs out: revokes this session's token.
#[utoipa::path(post, path = "/api/auth/logout", tag = "auth", security(("bearer" = [])),
    responses((status = 204), (status = 401, body = wire::ErrorBody)))]
async fn logout(State(state): State<AppState>, auth: AgentAuth) -> Result<StatusCode, ApiError> {
    state.store.revoke_session(&auth.token_hash).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Changes the password; every other session of the agent is revoked.
#[utoipa::path(post, path = "/api/auth/password", tag = "auth", security(("bearer" = [])), request_body = ChangePasswordRequest,
    responses((status = 204), (status = 400, body = wire::ErrorBody), (status = 401, body = wire::ErrorBody)))]
async fn change_password(
    State(state): State<AppState>,
    auth: AgentAuth,
    JsonBody(req): JsonBody<ChangePasswordRequest>,
) -> Result<StatusCode, ApiError> {
    check_chars("the current password", &req.current_password, Lines::One)?;
    check_chars("the new password", &req.new_password, Lines::One)?;
    wire::accounts::check_password(&req.new_password).map_err(ApiError::Invalid)?;
    let view = state
        .store
        .agent(auth.agent)
        .await?
        .ok_or(ApiError::Unauthorized)?;
    let (_, hash) = state
        .store
        .agent_credentials(&view.login)
        .await?
        .ok_or(ApiError::Unauthorized)?;
    let (current, new) = (req.current_password, req.new_password);
    let new_hash = tokio::task::spawn_blocking(move || {
        if verify_password(&current, &hash) {
            hash_password(&new).map(Some)
        } else {
            Ok(None)
        }
    })
    .await
    .map_err(|e| ApiError::Internal(e.to_string()))??;
    let Some(new_hash) = new_hash else {
        return Err(ApiError::BadCredentials);
    };
    state
        .store
        .set_password(auth.agent, &new_hash, &auth.token_hash)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
