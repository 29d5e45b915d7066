//! How the static front ends and API JSON travel: precompressed files chosen by
//! `Accept-Encoding`, hashed assets cached for good, entry points revalidated with an `ETag`,
//! the desktop's own URLs answered with its page, large JSON compressed and small JSON not;
//! and the health check a load balancer asks, following the database; the metrics a
//! collector reads with its token.

mod common;

use common::{Backend, Server};
use reqwest::header::{
    ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_ENCODING, ETAG, IF_NONE_MATCH, VARY,
};
use reqwest::StatusCode;
use std::path::Path;

const WASM: &str = "threadline-0123456789abcdef_bg.wasm";

/// A desktop and a widget dist as xtask leaves them: files plus `.br` and `.gz` twins whose
/// contents say which one was sent.
fn fake_dists(root: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let desktop = root.join("desktop");
    let widget = root.join("widget");
    std::fs::create_dir_all(&desktop).expect("mkdir");
    std::fs::create_dir_all(&widget).expect("mkdir");
    let write = |path: std::path::PathBuf, text: &str| std::fs::write(path, text).expect("write");
    write(
        desktop.join("index.html"),
        "<!doctype html><title>desk</title>",
    );
    write(desktop.join("index.html.br"), "index-as-brotli");
    write(desktop.join(WASM), "raw-wasm");
    write(desktop.join(format!("{WASM}.br")), "brotli-wasm");
    write(desktop.join(format!("{WASM}.gz")), "gzip-wasm");
    write(
        widget.join("frame.html"),
        "<!doctype html><title>frame</title>",
    );
    write(widget.join("loader.js"), "raw-loader");
    write(widget.join("loader.js.gz"), "gzip-loader");
    (desktop, widget)
}

async fn start(root: &Path) -> Server {
    let (desktop, widget) = fake_dists(root);
    Server::start(Backend::Sqlite, |config| {
        config.desktop_dir = Some(desktop);
        config.widget_dir = Some(widget);
    })
    .await
}

async fn get(server: &Server, path: &str, encodings: &str) -> reqwest::Response {
    reqwest::Client::new()
        .get(format!("{}{path}", server.base))
        .header(ACCEPT_ENCODING, encodings)
        .send()
        .await
        .expect("request")
}

fn header(response: &reqwest::Response, name: reqwest::header::HeaderName) -> String {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hashed_assets_are_precompressed_and_cached_for_good() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = start(dir.path()).await;
    let path = format!("/{WASM}");

    let br = get(&server, &path, "gzip, deflate, br").await;
    assert_eq!(br.status(), StatusCode::OK);
    assert_eq!(header(&br, CONTENT_ENCODING), "br");
    assert_eq!(
        header(&br, CACHE_CONTROL),
        "public, max-age=31536000, immutable"
    );
    assert!(header(&br, VARY)
        .to_ascii_lowercase()
        .contains("accept-encoding"));
    assert_eq!(br.text().await.expect("body"), "brotli-wasm");

    let gz = get(&server, &path, "gzip").await;
    assert_eq!(header(&gz, CONTENT_ENCODING), "gzip");
    assert_eq!(gz.text().await.expect("body"), "gzip-wasm");

    let plain = get(&server, &path, "identity").await;
    assert_eq!(header(&plain, CONTENT_ENCODING), "");
    assert_eq!(plain.text().await.expect("body"), "raw-wasm");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn entry_points_are_revalidated_with_an_etag() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = start(dir.path()).await;
    for (path, encodings, body) in [
        ("/", "br, gzip", "index-as-brotli"),
        ("/interactions/7", "br, gzip", "index-as-brotli"),
        ("/widget/loader.js", "br, gzip", "gzip-loader"),
        (
            "/widget/frame.html",
            "br, gzip",
            "<!doctype html><title>frame</title>",
        ),
    ] {
        let first = get(&server, path, encodings).await;
        assert_eq!(first.status(), StatusCode::OK, "{path}");
        assert_eq!(header(&first, CACHE_CONTROL), "no-cache", "{path}");
        let tag = header(&first, ETAG);
        assert!(tag.starts_with("W/\""), "{path}: ETag {tag:?}");
        assert_eq!(first.text().await.expect("body"), body, "{path}");

        let again = reqwest::Client::new()
            .get(format!("{}{path}", server.base))
            .header(ACCEPT_ENCODING, encodings)
            .header(IF_NONE_MATCH, &tag)
            .send()
            .await
            .expect("request");
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED, "{path}");
        assert_eq!(header(&again, ETAG), tag, "{path}");
        assert!(again.bytes().await.expect("body").is_empty(), "{path}");

        let stale = reqwest::Client::new()
            .get(format!("{}{path}", server.base))
            .header(IF_NONE_MATCH, "W/\"0-0\"")
            .send()
            .await
            .expect("request");
        assert_eq!(
            stale.status(),
            StatusCode::OK,
            "{path}: a stale tag gets the file"
        );
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_api_json_is_compressed_small_json_is_not() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = start(dir.path()).await;
    let large = get(&server, "/api/openapi.json", "br, gzip").await;
    assert_eq!(large.status(), StatusCode::OK);
    assert_eq!(header(&large, CONTENT_ENCODING), "br");

    let small = get(&server, "/api/no-such-route", "br, gzip").await;
    assert_eq!(small.status(), StatusCode::NOT_FOUND);
    assert_eq!(header(&small, CONTENT_ENCODING), "");
    let body: serde_json::Value = small.json().await.expect("json error body");
    assert_eq!(body["error"]["code"], "not_found");
    server.stop().await;
}

/// Event streams are never compressed (each event must reach the client when it is written),
/// whatever the client accepts, while the API routes beside them still are.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn event_streams_are_not_compressed_and_api_lists_are() {
    use common::Caller;
    let dir = tempfile::tempdir().expect("tempdir");
    let server = start(dir.path()).await;
    let agent = server.agent("ann").await;
    for i in 0..30 {
        let visitor = server.visitor(&format!("Visitor number {i:02}")).await;
        visitor
            .say("Hello, I would like to ask about my order")
            .await;
    }
    let list = reqwest::Client::new()
        .get(format!("{}/api/contacts", server.base))
        .bearer_auth(agent.token())
        .header(ACCEPT_ENCODING, "br, gzip")
        .send()
        .await
        .expect("request");
    assert_eq!(list.status(), StatusCode::OK);
    assert_eq!(header(&list, CONTENT_ENCODING), "br");

    let ticket: wire::api::StreamTicket = agent
        .post("/api/events/ticket", serde_json::json!({}))
        .await;
    let mut stream = get(
        &server,
        &format!("/api/events?ticket={}", ticket.ticket),
        "br, gzip",
    )
    .await;
    assert_eq!(stream.status(), StatusCode::OK);
    assert_eq!(header(&stream, CONTENT_ENCODING), "");
    assert!(header(&stream, reqwest::header::CONTENT_TYPE).starts_with("text/event-stream"));
    // An event arrives readable as soon as it is written: the agent's own status.
    agent.ready().await;
    let chunk = tokio::time::timeout(std::time::Duration::from_secs(15), stream.chunk())
        .await
        .expect("an event within 15 s")
        .expect("read")
        .expect("a chunk");
    let text = String::from_utf8_lossy(&chunk);
    assert!(text.contains("event:") || text.contains("data:"), "{text}");
    server.stop().await;
}

/// The demo page's social panel is there only in demo mode with a stand-in platform, and only
/// then may the page connect to the stand-in (its `connect-src`) and is its script served.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_social_panel_only_with_a_stand_in() {
    let plain = Server::start(Backend::Sqlite, |_| {}).await;
    let page = get(&plain, "/demo", "identity").await;
    let csp = header(&page, reqwest::header::CONTENT_SECURITY_POLICY);
    assert!(csp.contains("connect-src 'self';"), "{csp}");
    let html = page.text().await.expect("page");
    assert!(html.contains("Northwind Outfitters"));
    assert!(!html.contains("Social channels"), "{html}");
    assert!(!html.contains("social panel"), "{html}");
    assert_eq!(
        get(&plain, "/demo/social.js", "identity").await.status(),
        StatusCode::NOT_FOUND
    );
    plain.stop().await;

    let demo = Server::start(Backend::Sqlite, |config| {
        config.seed_demo = true;
        config.demo_standin_url = Some("http://127.0.0.1:8082".to_owned());
    })
    .await;
    let page = get(&demo, "/demo", "identity").await;
    let csp = header(&page, reqwest::header::CONTENT_SECURITY_POLICY);
    assert!(
        csp.contains("connect-src 'self' http://127.0.0.1:8082;"),
        "{csp}"
    );
    let html = page.text().await.expect("page");
    assert!(html.contains("Social channels (demo)"), "{html}");
    assert!(html.contains(r#"data-standin="http://127.0.0.1:8082""#));
    let script = get(&demo, "/demo/social.js", "identity").await;
    assert_eq!(script.status(), StatusCode::OK);
    assert!(header(&script, reqwest::header::CONTENT_TYPE).starts_with("text/javascript"));
    demo.stop().await;
}

/// `GET /api/health` on each database: 200 `{"status":"ok"}` to anyone, never cached.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_answers_to_anyone_and_is_not_cached() {
    let mut backends = vec![Backend::Sqlite];
    if common::pg_url().is_some() {
        backends.push(Backend::Postgres);
    }
    for backend in backends {
        let server = Server::start(backend, |_| {}).await;
        let r = get(&server, "/api/health", "identity").await;
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(header(&r, CACHE_CONTROL), "no-store");
        let body: serde_json::Value = r.json().await.expect("json");
        assert_eq!(body, serde_json::json!({"status": "ok"}));
        server.stop().await;
    }
}

/// The check follows the database: PostgreSQL refusing the instance's connections (each one
/// ended, new ones not allowed) makes it 503 with the error body and no internal text, and it
/// is 200 again once the database lets the instance back in, with no restart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_follows_the_database() {
    let Some(base) = common::pg_url() else {
        eprintln!("THREADLINE_TEST_PG is not set: not run");
        return;
    };
    let server = Server::start(Backend::Postgres, |_| {}).await;
    let name = server
        .db
        .url
        .rsplit_once('/')
        .map(|(_, n)| n.to_owned())
        .expect("database name");
    sqlx::any::install_default_drivers();
    let mut admin = <sqlx::AnyConnection as sqlx::Connection>::connect(&base)
        .await
        .expect("connect");
    sqlx::query(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS false"))
        .execute(&mut admin)
        .await
        .expect("refuse connections");
    sqlx::query(&format!(
        "SELECT pg_terminate_backend(pid)::int AS ended FROM pg_stat_activity WHERE datname = '{name}'"
    ))
    .fetch_all(&mut admin)
    .await
    .expect("end connections");

    let status_within = |want: StatusCode| {
        let server = &server;
        async move {
            let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
            loop {
                let r = get(server, "/api/health", "identity").await;
                if r.status() == want {
                    return r;
                }
                assert!(
                    tokio::time::Instant::now() < deadline,
                    "health never answered {want}: last {}",
                    r.status()
                );
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
        }
    };
    let down = status_within(StatusCode::SERVICE_UNAVAILABLE).await;
    let body: serde_json::Value = down.json().await.expect("json");
    assert_eq!(body["error"]["code"], "unavailable", "{body}");
    let text = body.to_string();
    assert!(
        !text.contains("sqlx") && !text.contains(&name) && !text.contains("connection"),
        "no internal text: {text}"
    );

    sqlx::query(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS true"))
        .execute(&mut admin)
        .await
        .expect("allow connections");
    status_within(StatusCode::OK).await;
    server.stop().await;
}

/// The metrics token of [`metrics_count_what_happens`].
const METRICS_TOKEN: &str = "a-metrics-token-of-at-least-32-bytes";

/// Reads `/api/metrics` with `token`: status, content type, body.
async fn scrape(server: &Server, token: Option<&str>) -> (StatusCode, String, String) {
    let mut request = reqwest::Client::new().get(format!("{}/api/metrics", server.base));
    if let Some(t) = token {
        request = request.bearer_auth(t);
    }
    let r = request.send().await.expect("scrape");
    let status = r.status();
    let kind = header(&r, reqwest::header::CONTENT_TYPE);
    (status, kind, r.text().await.expect("body"))
}

/// The value of the sample line `name` (with its labels) in a scrape, if present.
fn sample(text: &str, name: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
}

/// The request histogram of a scrape: the visitor's send is counted under its route with
/// every bucket (the last one holding them all); paths no route knows, however many, share
/// one `/api/*` series, and none of them appears in the scrape.
async fn request_times(server: &Server) {
    let series = |method: &str, route: &str, status: &str| {
        format!(
            "threadline_http_request_duration_seconds_{{}}{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}}"
        )
    };
    let sends = series("POST", "/api/visitor/messages", "2xx");
    let (_, _, text) = scrape(server, Some(METRICS_TOKEN)).await;
    let count = sample(&text, &sends.replace("{}", "count"));
    assert!(count.is_some_and(|n| n >= 1.0), "{text}");
    assert!(
        sample(&text, &sends.replace("{}", "sum")).is_some_and(|s| s > 0.0),
        "{text}"
    );
    let buckets: Vec<&str> = text
        .lines()
        .filter(|l| {
            l.starts_with("threadline_http_request_duration_seconds_bucket{")
                && l.contains("route=\"/api/visitor/messages\",status=\"2xx\"")
        })
        .collect();
    assert_eq!(buckets.len(), 16, "15 bounds and +Inf: {buckets:?}");
    let all = buckets
        .last()
        .filter(|l| l.contains("le=\"+Inf\""))
        .and_then(|l| l.rsplit(' ').next()?.parse::<f64>().ok());
    assert_eq!(all, count, "the last bucket holds every send: {buckets:?}");

    let client = reqwest::Client::new();
    for n in 0..20 {
        let r = client
            .get(format!("{}/api/no-such-route-{n}", server.base))
            .send()
            .await
            .expect("an unknown path");
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
    }
    let (_, _, text) = scrape(server, Some(METRICS_TOKEN)).await;
    assert!(!text.contains("no-such-route"), "{text}");
    assert!(
        sample(
            &text,
            &series("GET", "/api/*", "4xx").replace("{}", "count")
        )
        .is_some_and(|n| n >= 20.0),
        "{text}"
    );
}

/// `GET /api/metrics` on each database: off without a token (404), 401 to a wrong or missing
/// token and to an agent's own, and with it OpenMetrics text that follows what happens: an
/// agent's stream, a visitor's waiting chat, a logged-in agent, the messages handed out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_what_happens() {
    let off = Server::start(Backend::Sqlite, |_| {}).await;
    let (status, _, body) = scrape(&off, Some(METRICS_TOKEN)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body.contains("not_configured"), "{body}");
    off.stop().await;

    let mut backends = vec![Backend::Sqlite];
    if common::pg_url().is_some() {
        backends.push(Backend::Postgres);
    }
    for backend in backends {
        let server = Server::start(backend, |c| {
            METRICS_TOKEN.clone_into(&mut c.metrics_token);
        })
        .await;
        let ann = server.agent("ann").await;
        for wrong in [
            None,
            Some("a-metrics-token-of-at-least-32-byteS"),
            Some(&*ann.token),
        ] {
            let (status, _, body) = scrape(&server, wrong).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{wrong:?}");
            assert!(!body.contains("threadline_"), "nothing leaks: {body}");
        }

        let _stream = ann.events().await;
        let counts = |text: &str| {
            let waiting = sample(text, "threadline_chats{state=\"queued\"}").unwrap_or(0.0)
                + sample(text, "threadline_chats{state=\"offered\"}").unwrap_or(0.0);
            let messages =
                sample(text, "threadline_events_total{event=\"message\"}").unwrap_or(0.0);
            (waiting, messages)
        };
        let (_, _, before) = scrape(&server, Some(METRICS_TOKEN)).await;
        let (waiting_before, messages_before) = counts(&before);
        let visitor = server.visitor("Mia Metrics").await;
        visitor.say("How are my figures?").await;
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(15);
        let text = loop {
            let (status, kind, text) = scrape(&server, Some(METRICS_TOKEN)).await;
            assert_eq!(status, StatusCode::OK);
            assert!(kind.starts_with("application/openmetrics-text"), "{kind}");
            assert!(text.ends_with("# EOF\n"), "{text}");
            let (waiting, messages) = counts(&text);
            if (waiting - waiting_before - 1.0).abs() < 0.5 && messages > messages_before {
                break text;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "the scrape never showed the new chat and its message: before {before}, now {text}"
            );
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        };
        assert_eq!(
            sample(&text, "threadline_event_streams{kind=\"agent\"}"),
            Some(1.0),
            "{text}"
        );
        assert!(
            sample(&text, "threadline_agents{status=\"logged_in\"}").is_some_and(|n| n >= 1.0),
            "{text}"
        );
        assert_eq!(
            sample(&text, "threadline_outbox{state=\"failed\"}"),
            Some(0.0),
            "{text}"
        );
        assert_eq!(
            sample(&text, "threadline_event_streams_closed_slow_total"),
            Some(0.0),
            "{text}"
        );
        assert!(
            sample(&text, "process_resident_memory_bytes").is_some_and(|b| b > 1e6),
            "{text}"
        );
        request_times(&server).await;
        server.stop().await;
    }
}
