//! `GET /api/metrics`: this instance's figures in the OpenMetrics text format, for Prometheus
//! or any collector that reads it. Off unless `THREADLINE_METRICS_TOKEN` is set (404
//! `not_configured`); the collector presents that token as `Authorization: Bearer …`,
//! compared in constant time (401 otherwise). A scrape costs three indexed reads.
//!
//! What it reports: event streams open here by kind, the log's events handed to them by name,
//! chats not yet Done by state, agents logged in and Ready, platform replies waiting or
//! failed, how long this instance took to answer requests (a histogram by route, see
//! [`RequestTimes`]), and the process's resident memory and open files.

use crate::error::ApiError;
use crate::state::AppState;
use crate::util::same_secret;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderMap, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::text::{encode_eof, encode_registry};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
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
    let closed_slow = Counter::<u64>::default();
    closed_slow.inc_by(hub.closed_slow);
    registry.register(
        "event_streams_closed_slow",
        "Event streams this instance closed because their client did not keep up (it \
         reconnects and replays what it missed)",
        closed_slow,
    );
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
    registry.register(
        "http_request_duration_seconds",
        "Time from a request's arrival to its answer's headers (for an event stream, until it \
         opens), by method, route and status class",
        state.requests.0.clone(),
    );
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

/// The upper bounds of the request histogram's buckets, in seconds: from half a millisecond
/// (a read answered from the cache) to the request deadline (30 s by default), about two
/// to three times apart.
const REQUEST_BUCKETS: [f64; 15] = [
    0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0,
];

/// One series of the request histogram. Every label comes from a closed set, so no request
/// can add series: the method from the standard ones, the route from the router's patterns.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct RequestLabels {
    /// `GET`, `POST`, …, or `other`.
    method: &'static str,
    /// The route's pattern (`/api/contacts/{id}`, a wildcard shown as `*`), or `files` for
    /// what no route's pattern names: the desktop's, widget's and console's files and pages,
    /// and unknown paths outside `/api/`.
    route: String,
    /// `2xx`, `4xx`, …
    status: &'static str,
}

/// How long this instance took to answer, by method, route and status class (the metrics'
/// `threadline_http_request_duration_seconds`): the acknowledgement of a send, a search, a
/// report, as an operator would alert on them. Measured from the request's arrival at the
/// router to its answer's headers, the request deadline's `503` included.
#[derive(Debug, Clone)]
pub struct RequestTimes(Family<RequestLabels, Histogram, fn() -> Histogram>);

impl Default for RequestTimes {
    fn default() -> Self {
        RequestTimes(Family::new_with_constructor(|| {
            Histogram::new(REQUEST_BUCKETS)
        }))
    }
}

impl RequestTimes {
    /// Records one answered request.
    fn observe(&self, labels: &RequestLabels, seconds: f64) {
        self.0.get_or_create(labels).observe(seconds);
    }
}

/// The middleware that times every request into `times` (see [`RequestTimes`]).
pub async fn time_requests(times: RequestTimes, req: Request, next: Next) -> Response {
    let started = std::time::Instant::now();
    let method = method_label(req.method());
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "files".to_owned(), |p| route_label(p.as_str()));
    let response = next.run(req).await;
    let status = match response.status().as_u16() / 100 {
        1 => "1xx",
        2 => "2xx",
        3 => "3xx",
        4 => "4xx",
        _ => "5xx",
    };
    let labels = RequestLabels {
        method,
        route,
        status,
    };
    times.observe(&labels, started.elapsed().as_secs_f64());
    response
}

/// A method as a label: one of the standard methods, or `other`.
fn method_label(method: &Method) -> &'static str {
    [
        Method::GET,
        Method::POST,
        Method::PUT,
        Method::PATCH,
        Method::DELETE,
        Method::HEAD,
        Method::OPTIONS,
    ]
    .into_iter()
    .zip(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"])
    .find_map(|(m, label)| (m == method).then_some(label))
    .unwrap_or("other")
}

/// A route's pattern as a label: a trailing wildcard (`{*rest}`, or the one a nested service
/// gets) is shown as `*`.
fn route_label(pattern: &str) -> String {
    match pattern.find("{*") {
        Some(at) => format!("{}*", &pattern[..at]),
        None => pattern.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_come_from_closed_sets() {
        assert_eq!(route_label("/api/contacts/{id}"), "/api/contacts/{id}");
        assert_eq!(route_label("/api/{*rest}"), "/api/*");
        assert_eq!(
            route_label("/widget/{*__private__axum_nest_tail_param}"),
            "/widget/*"
        );
        assert_eq!(method_label(&Method::POST), "POST");
        assert_eq!(
            method_label(&Method::from_bytes(b"PROPFIND").expect("a method")),
            "other"
        );
    }
}
