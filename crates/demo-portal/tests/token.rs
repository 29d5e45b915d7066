//! `POST /token` against a real Threadline server (SQLite, demo data, the demo portal): the
//! portal's own page gets a login token that Threadline then exchanges for the agent's session;
//! other pages, other agents, bad bodies, a wrong secret and an unreachable Threadline get JSON
//! errors with the right status. And the page names Threadline's script and the customer.

use serde_json::{json, Value};
use threadline_api::config::{DEMO_EMBED_SECRET, DEMO_PORTAL_ORIGIN};
use threadline_api::Config as ServerConfig;
use threadline_demo_portal::{Config, CUSTOMER_ID, DEMO_SECRET, MAX_BODY};
use tokio::sync::oneshot;

/// A running server or portal, stopped when dropped.
struct Running {
    /// `http://127.0.0.1:PORT`.
    base: String,
    /// Dropping it stops the server.
    _stop: oneshot::Sender<()>,
}

async fn threadline(data: &std::path::Path) -> Running {
    let mut config = ServerConfig::new(ServerConfig::sqlite_url(&data.join("t.db")));
    config.seed_demo = true;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(threadline_api::serve(listener, config, async move {
        let _ = stopped.await;
    }));
    let client = reqwest::Client::new();
    for _ in 0..600 {
        if client
            .get(format!("{base}/api/embed/config"))
            .send()
            .await
            .is_ok()
        {
            return Running { base, _stop: stop };
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("Threadline did not start");
}

async fn portal(config: Config) -> Running {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(threadline_demo_portal::serve(
        listener,
        config,
        async move {
            let _ = stopped.await;
        },
    ));
    Running { base, _stop: stop }
}

/// `POST /token` with `origin` (`None`: no Origin header) and a raw body.
async fn ask(
    p: &Running,
    origin: Option<&str>,
    content_type: Option<&str>,
    body: String,
) -> (u16, Value) {
    let mut request = reqwest::Client::new()
        .post(format!("{}/token", p.base))
        .body(body);
    if let Some(origin) = origin {
        request = request.header("origin", origin);
    }
    if let Some(t) = content_type {
        request = request.header("content-type", t);
    }
    let answer = request.send().await.expect("request");
    let status = answer.status().as_u16();
    (status, answer.json().await.unwrap_or(Value::Null))
}

fn assert_error((status, body): &(u16, Value), want_status: u16, code: &str) {
    assert_eq!(*status, want_status, "{body}");
    assert_eq!(body["error"]["code"], code, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{body}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_portal_page_gets_login_tokens_and_nobody_else() {
    assert_eq!(DEMO_SECRET, DEMO_EMBED_SECRET, "the published demo secret");
    let data = tempfile::tempdir().expect("tempdir");
    let t = threadline(data.path()).await;
    let p = portal(Config::new(&t.base, None, true).expect("config")).await;
    let own = p.base.clone();
    let json_type = Some("application/json");

    // The page: Threadline's script, its frame's origin in the policy, the customer.
    let page = reqwest::get(format!("{own}/")).await.expect("page");
    let policy = page.headers()["content-security-policy"]
        .to_str()
        .expect("csp")
        .to_owned();
    assert!(
        policy.contains(&format!("frame-src {}", t.base)),
        "{policy}"
    );
    let html = page.text().await.expect("html");
    assert!(
        html.contains(&format!("<script src=\"{}/embed.js\"></script>", t.base)),
        "{html}"
    );
    assert!(
        html.contains(CUSTOMER_ID) && html.contains("Acme CRM"),
        "{html}"
    );
    for id in [
        "login",
        "logout",
        "ready",
        "not-ready",
        "accept",
        "reject",
        "open-customer",
        "open-interaction",
        "start-chat",
        "compose",
    ] {
        assert!(html.contains(&format!("id=\"{id}\"")), "button {id}");
    }

    // The portal's own page asks for Ann: the token logs her in from the portal's origin.
    let answer = ask(
        &p,
        Some(&own),
        json_type,
        json!({"login": "ann"}).to_string(),
    )
    .await;
    assert_eq!(answer.0, 200, "{}", answer.1);
    let token = answer.1["token"].as_str().expect("token").to_owned();
    assert!(answer.1["expires_at"].as_i64().is_some(), "{}", answer.1);
    let session: Value = reqwest::Client::new()
        .post(format!("{}/api/auth/embed", t.base))
        .json(&json!({"token": token, "portal_origin": DEMO_PORTAL_ORIGIN}))
        .send()
        .await
        .expect("exchange")
        .json()
        .await
        .expect("json");
    assert_eq!(session["agent"]["login"], "ann", "{session}");

    // Another page, or none, gets nothing.
    let body = json!({"login": "ann"}).to_string();
    assert_error(
        &ask(&p, Some("http://evil.example"), json_type, body.clone()).await,
        403,
        "forbidden",
    );
    assert_error(
        &ask(&p, None, json_type, body.clone()).await,
        403,
        "forbidden",
    );
    // Only the agents the picker offers; only the one field; JSON only; small bodies only.
    for bad in [
        json!({"login": "ada"}),
        json!({"login": ""}),
        json!({"login": 7}),
        json!({"login": "ann", "admin": true}),
        json!({}),
    ] {
        assert_error(
            &ask(&p, Some(&own), json_type, bad.to_string()).await,
            400,
            "invalid",
        );
    }
    assert_error(
        &ask(&p, Some(&own), json_type, "{not json".to_owned()).await,
        400,
        "invalid",
    );
    assert_error(
        &ask(&p, Some(&own), None, body.clone()).await,
        415,
        "unsupported_media_type",
    );
    let big = json!({"login": "a".repeat(MAX_BODY)}).to_string();
    assert_error(&ask(&p, Some(&own), json_type, big).await, 413, "too_large");
    // Every other path is a JSON 404.
    let missing = reqwest::get(format!("{own}/admin")).await.expect("get");
    assert_eq!(missing.status(), 404);
    let missing: Value = missing.json().await.expect("json");
    assert_eq!(missing["error"]["code"], "not_found", "{missing}");

    // A portal with the wrong secret, and one whose Threadline is not there: 502, no details.
    let wrong = portal(Config::new(&t.base, Some("x".repeat(40)), false).expect("config")).await;
    let answer = ask(&wrong, Some(&wrong.base), json_type, body.clone()).await;
    assert_error(&answer, 502, "portal_refused");
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let nowhere = format!("http://{}", closed.local_addr().expect("addr"));
    drop(closed);
    let lost = portal(Config::new(&nowhere, None, true).expect("config")).await;
    let answer = ask(&lost, Some(&lost.base), json_type, body).await;
    assert_error(&answer, 502, "upstream");
}
