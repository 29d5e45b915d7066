//! `GET /api/metrics`: this instance's figures in the OpenMetrics text format, for Prometheus
//! or any collector that reads it. Off unless `THREADLINE_METRICS_TOKEN` is set (404
//! `not_configured`); the collector presents that token as `Authorization: Bearer …`,
//! compared in constant time (401 otherwise). A scrape costs three indexed reads.
//!
//! What it reports: event streams open here by kind, the log's events handed to them by name,
//! chats not yet Done by state, agents logged in and Ready, platform replies waiting or
//! failed, and the process's resident memory and open files.

use crate::error::ApiError;
use crate::state::AppState;
use crate::util::same_secret;
use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::text::{encode_eof, encode_registry};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The answer's media type (OpenMetrics 1.0 text).
const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// A metric's labels.
type Labels = Vec<(&'static str, String)>;

/// The metrics route.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(metrics))
}

/// This instance's metrics (OpenMetrics text), for a collector holding the metrics token.
#[utoipa::path(get, path = "/api/metrics", tag = "site", security(("bearer" = [])),
    responses((status = 200, content_type = "application/openmetrics-text", body = String),
        (status = 401, body = wire::ErrorBody), (status = 404, body = wire::ErrorBody)))]
async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, ApiError> {
    let expected = &state.config.metrics_token;
    if expected.is_empty() {
        return Err(ApiError::NotConfigured(
            "metrics are off: set THREADLINE_METRICS_TOKEN to turn them on".into(),
        ));
    }
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    if !same_secret(given, expected) {
        return Err(ApiError::Unauthorized);
    }
    let gauges = state.store.gauges().await?;
    let hub = state.hub.tally();
    let mut registry = Registry::with_prefix("threadline");
    let gauge_family = |registry: &mut Registry, name: &str, help: &str| {
        let family = Family::<Labels, Gauge>::default();
        registry.register(name, help, family.clone());
        family
    };
    let streams = gauge_family(
        &mut registry,
        "event_streams",
        "Event streams open on this instance, by kind",
    );
    for (kind, n) in [
        ("agent", hub.agent_streams),
        ("visitor", hub.visitor_streams),
        ("board", hub.board_streams),
    ] {
        streams
            .get_or_create(&vec![("kind", kind.to_owned())])
            .set(i64::try_from(n).unwrap_or(i64::MAX));
    }
    let events = Family::<Labels, Counter>::default();
    registry.register(
        "events",
        "Events of the log handed to this instance's streams since it started, by event",
        events.clone(),
    );
    for (name, n) in hub.dispatched {
        events
            .get_or_create(&vec![("event", name.to_owned())])
            .inc_by(n);
    }
    let chats = gauge_family(&mut registry, "chats", "Chats not yet Done, by state");
    by_state(
        &chats,
        &["queued", "offered", "active", "ended"],
        &gauges.chats,
    );
    let agents = gauge_family(
        &mut registry,
        "agents",
        "Active accounts with a live session",
    );
    agents
        .get_or_create(&vec![("status", "logged_in".to_owned())])
        .set(gauges.agents_logged_in);
    agents
        .get_or_create(&vec![("status", "ready".to_owned())])
        .set(gauges.agents_ready);
    let outbox = gauge_family(
        &mut registry,
        "outbox",
        "Replies to Messenger and X waiting for the platform or refused by it, by state",
    );
    by_state(&outbox, &["waiting", "sending", "failed"], &gauges.outbox);
    let mut process = Registry::with_prefix("process");
    if let Some(bytes) = resident_bytes() {
        let g = Gauge::<i64>::default();
        g.set(bytes);
        process.register("resident_memory_bytes", "Resident memory of the server", g);
    }
    if let Ok(fds) = std::fs::read_dir("/proc/self/fd") {
        let g = Gauge::<i64>::default();
        g.set(i64::try_from(fds.count()).unwrap_or(i64::MAX));
        process.register("open_fds", "Open file descriptors (sockets included)", g);
    }
    let mut text = String::new();
    encode_registry(&mut text, &registry)
        .and_then(|()| encode_registry(&mut text, &process))
        .and_then(|()| encode_eof(&mut text))
        .map_err(|e| ApiError::Internal(format!("encoding metrics: {e}")))?;
    Ok((
        [
            (header::CONTENT_TYPE, OPENMETRICS),
            (header::CACHE_CONTROL, "no-store"),
        ],
        text,
    )
        .into_response())
}

/// Sets one gauge of `family` for each of `states`, from the counts read (0 for a state the
/// database had none of, so every state is always reported).
fn by_state(family: &Family<Labels, Gauge>, states: &[&str], counts: &[(String, i64)]) {
    for state in states {
        let n = counts
            .iter()
            .find(|(s, _)| s == state)
            .map_or(0, |(_, n)| *n);
        family
            .get_or_create(&vec![("state", (*state).to_owned())])
            .set(n);
    }
}

/// The process's resident memory in bytes (`VmRSS` of `/proc/self/status`), where there is one.
fn resident_bytes() -> Option<i64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: i64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib.saturating_mul(1024))
}
