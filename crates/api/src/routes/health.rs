//! `GET /api/health`, for load balancers, orchestrators and monitoring: 200 when this
//! instance can serve (its database answered a statement just now), 503 when it cannot, so
//! that traffic goes to another instance until it can. Open to anyone, like a load
//! balancer's probe, and it tells nothing but that: no version, no backend, no error text.

use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::Json;
use std::time::Duration;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use wire::api::Health;

/// How long the database may take to answer before the instance counts as unable to serve
/// (a probe's own timeout is usually a few seconds).
const ANSWER_WITHIN: Duration = Duration::from_secs(2);

/// The health route.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(health))
}

/// Whether this instance can serve: its database answered a statement within two seconds.
#[utoipa::path(get, path = "/api/health", tag = "site",
    responses((status = 200, body = Health), (status = 503, body = wire::ErrorBody)))]
async fn health(State(state): State<AppState>) -> Result<impl IntoResponse, ApiError> {
    match tokio::time::timeout(ANSWER_WITHIN, state.store.ping()).await {
        Ok(Ok(())) => Ok((
            [(header::CACHE_CONTROL, "no-store")],
            Json(Health {
                status: "ok".to_owned(),
            }),
        )),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "health check: the database failed");
            Err(ApiError::Unavailable)
        }
        Err(_) => {
            tracing::warn!("health check: the database did not answer within 2 s");
            Err(ApiError::Unavailable)
        }
    }
}
