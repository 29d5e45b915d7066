//! Single sign-on from a portal that frames the desktop (issue 12, server side): a portal's
//! back end asks for a login token with its secret, the desktop exchanges it for a session that
//! works like a login's; the refusals (reuse, expiry, another portal, a wrong secret, unknown
//! and deactivated accounts, two exchanges at once) and the contact lookup by the company's own
//! customer id; the public list of origins that may frame the desktop; the script portals include
//! (`/embed.js`) and its types (`/embed.d.ts`).

mod common;

use common::{Backend, Caller, Server};
use reqwest::Method;
use serde_json::{json, Value};
use sqlx::Row;
use threadline_api::auth::sign_identity;
use threadline_api::config::{EmbedPortal, DEMO_IDENTITY_SECRET, DEMO_PORTAL_ORIGIN};
use threadline_api::Config;
use wire::accounts::AuditPage;
use wire::api::LoginResponse;

/// The test portal's secret (the demo portal has the published one).
const CRM_SECRET: &str = "crm-secret-0123456789abcdef0123456789";
/// The test portal's origin.
const CRM_ORIGIN: &str = "https://crm.example";

/// Adds the test portal `crm` beside the demo portal.
fn with_crm(c: &mut Config) {
    c.embed_portals.push(EmbedPortal {
        name: "crm".into(),
        origin: CRM_ORIGIN.into(),
        secret: CRM_SECRET.into(),
    });
}

/// `POST /api/embed/login-token` as a portal's back end presenting `secret`.
async fn ask_token(s: &Server, secret: Option<&str>, login: &str) -> (u16, Value) {
    s.call(
        Method::POST,
        "/api/embed/login-token",
        secret,
        Some(json!({ "login": login })),
    )
    .await
}

/// A login token for `login` from the crm portal.
async fn token_for(s: &Server, login: &str) -> String {
    let (status, body) = ask_token(s, Some(CRM_SECRET), login).await;
    assert_eq!(status, 200, "login token: {body}");
    let expires_at = body["expires_at"].as_i64().expect("expires_at");
    let now = common::now_ms();
    assert!(
        expires_at > now && expires_at <= now + 60_000,
        "valid for a minute at most: {body}"
    );
    body["token"].as_str().expect("a token").to_owned()
}

/// `POST /api/auth/embed` as the desktop framed in a page of `origin`.
async fn exchange(s: &Server, token: &str, origin: &str) -> (u16, Value) {
    s.call(
        Method::POST,
        "/api/auth/embed",
        None,
        Some(json!({ "token": token, "portal_origin": origin })),
    )
    .await
}

/// Asserts a refused exchange: 401 `unauthorized` with `message`.
fn assert_refused((status, body): (u16, Value), message: &str) {
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["error"]["code"], "unauthorized", "{body}");
    assert_eq!(body["error"]["message"], message, "{body}");
}

/// How many login tokens are stored.
async fn stored_tokens(s: &Server) -> i64 {
    let pool = s.db.pool().await;
    sqlx::query("SELECT COUNT(*) AS n FROM embed_tokens")
        .fetch_one(&pool)
        .await
        .expect("count tokens")
        .try_get("n")
        .expect("n")
}

async fn token_becomes_a_session(b: Backend) {
    let s = Server::start(b, with_crm).await;
    let ann_id = s.agent("ann").await.id;
    let token = token_for(&s, "ann").await;
    let (status, body) = exchange(&s, &token, "https://CRM.example/").await;
    assert_eq!(status, 200, "{body}");
    let login: LoginResponse = serde_json::from_value(body).expect("a login's answer");
    assert_eq!(login.agent.login, "ann");
    assert_eq!(login.agent.id, ann_id);
    let (status, me) = s
        .call(Method::GET, "/api/me", Some(&login.token), None)
        .await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["login"], "ann");

    // Any role may be embedded; the demo portal works the same way.
    let (status, body) =
        ask_token(&s, Some(threadline_api::config::DEMO_EMBED_SECRET), "sam").await;
    assert_eq!(status, 200, "{body}");
    let sam_token = body["token"].as_str().expect("a token");
    let (status, body) = exchange(&s, sam_token, DEMO_PORTAL_ORIGIN).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["agent"]["role"], "supervisor", "{body}");

    // Both steps are audited; the token request has no actor.
    let ada = s.agent("ada").await;
    let page: AuditPage = ada
        .get(&format!(
            "/api/admin/audit?action=embed.login_token&target_id={ann_id}"
        ))
        .await;
    assert_eq!(page.entries.len(), 1, "{page:?}");
    assert_eq!(page.entries[0].actor, None);
    assert_eq!(page.entries[0].after.as_ref().unwrap()["portal"], "crm");
    let page: AuditPage = ada
        .get(&format!(
            "/api/admin/audit?action=auth.embed_login&target_id={ann_id}"
        ))
        .await;
    assert_eq!(page.entries.len(), 1, "{page:?}");
    assert_eq!(page.entries[0].actor, Some(ann_id));

    // Logging out ends the session on the server, as for any login.
    let (status, _) = s
        .call(Method::POST, "/api/auth/logout", Some(&login.token), None)
        .await;
    assert_eq!(status, 204);
    let (status, _) = s
        .call(Method::GET, "/api/me", Some(&login.token), None)
        .await;
    assert_eq!(status, 401);
    s.stop().await;
}

async fn a_token_is_used_once(b: Backend) {
    let s = Server::start(b, with_crm).await;
    let token = token_for(&s, "ann").await;
    assert_eq!(exchange(&s, &token, CRM_ORIGIN).await.0, 200);
    assert_refused(
        exchange(&s, &token, CRM_ORIGIN).await,
        "this login link was already used",
    );
    assert_refused(
        exchange(&s, "tle_never-issued", CRM_ORIGIN).await,
        "this login link is not valid; log in again from the portal",
    );
    s.stop().await;
}

async fn an_expired_token_is_refused(b: Backend) {
    let s = Server::start(b, |c| {
        with_crm(c);
        c.embed_token_ttl = std::time::Duration::ZERO;
    })
    .await;
    let (status, body) = ask_token(&s, Some(CRM_SECRET), "ann").await;
    assert_eq!(status, 200, "{body}");
    let token = body["token"].as_str().expect("a token");
    assert_refused(
        exchange(&s, token, CRM_ORIGIN).await,
        "this login link has expired; log in again from the portal",
    );
    s.stop().await;
}

async fn another_portals_origin_is_refused(b: Backend) {
    let s = Server::start(b, with_crm).await;
    let token = token_for(&s, "ann").await;
    for origin in [DEMO_PORTAL_ORIGIN, "https://evil.example", "not an origin"] {
        assert_refused(
            exchange(&s, &token, origin).await,
            "this login link was issued for another portal",
        );
    }
    // A refusal does not spend the token: its own portal can still use it.
    assert_eq!(exchange(&s, &token, CRM_ORIGIN).await.0, 200);
    s.stop().await;
}

async fn a_wrong_secret_gets_nothing(b: Backend) {
    let s = Server::start(b, with_crm).await;
    let wrong = format!("{CRM_SECRET}x");
    for secret in [None, Some(""), Some(wrong.as_str()), Some("crm")] {
        let (status, body) = ask_token(&s, secret, "ann").await;
        assert_eq!(status, 401, "{secret:?}: {body}");
        assert_eq!(body["error"]["code"], "unauthorized", "{body}");
        assert!(body.get("token").is_none(), "{body}");
    }
    // An agent's own session is no portal secret either.
    let ann = s.agent("ann").await;
    assert_eq!(ask_token(&s, Some(ann.token.as_str()), "ann").await.0, 401);
    assert_eq!(stored_tokens(&s).await, 0, "nothing was issued");
    s.stop().await;
}

async fn a_bad_body_gets_the_error_shape(b: Backend) {
    let s = Server::start(b, with_crm).await;
    let client = reqwest::Client::new();
    let url = format!("{}/api/embed/login-token", s.base);
    let plain = client
        .post(&url)
        .bearer_auth(CRM_SECRET)
        .body("login=ann")
        .send()
        .await
        .expect("token request");
    assert_eq!(plain.status().as_u16(), 415);
    let body: Value = plain.json().await.expect("a JSON error");
    assert_eq!(body["error"]["code"], "unsupported_media_type", "{body}");
    for bad in [json!({}), json!({"login": ""}), json!({"login": "a\u{7}b"})] {
        let (status, body) = s
            .call(
                Method::POST,
                "/api/embed/login-token",
                Some(CRM_SECRET),
                Some(bad),
            )
            .await;
        assert!(matches!(status, 400 | 422), "{status} {body}");
        assert!(body["error"]["message"].is_string(), "{body}");
    }
    assert_eq!(stored_tokens(&s).await, 0, "nothing was issued");
    s.stop().await;
}

async fn unknown_and_deactivated_accounts_are_refused(b: Backend) {
    let s = Server::start(b, with_crm).await;
    let (status, body) = ask_token(&s, Some(CRM_SECRET), "nobody").await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(
        body["error"]["message"], "no account has the login \"nobody\"",
        "{body}"
    );
    // A token issued before the account is deactivated no longer logs in.
    let early = token_for(&s, "cleo").await;
    let ada = s.agent("ada").await;
    let cleo = s.agent("cleo").await;
    let (status, body) = ada
        .call(
            Method::POST,
            &format!("/api/admin/agents/{}/deactivate", cleo.id),
            None,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = ask_token(&s, Some(CRM_SECRET), "cleo").await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(
        body["error"]["message"], "the account \"cleo\" is deactivated and cannot log in",
        "{body}"
    );
    assert_refused(
        exchange(&s, &early, CRM_ORIGIN).await,
        "this account is deactivated",
    );
    assert_eq!(stored_tokens(&s).await, 1, "only the early token");
    s.stop().await;
}

async fn two_exchanges_at_once_one_wins(b: Backend) {
    let s = Server::start(b, with_crm).await;
    for _ in 0..5 {
        let token = token_for(&s, "ben").await;
        let (first, second) = tokio::join!(
            exchange(&s, &token, CRM_ORIGIN),
            exchange(&s, &token, CRM_ORIGIN)
        );
        let mut statuses = [first.0, second.0];
        statuses.sort_unstable();
        assert_eq!(statuses, [200, 401], "{first:?} {second:?}");
        let loser = if first.0 == 401 { first } else { second };
        assert_refused(loser, "this login link was already used");
    }
    let pool = s.db.pool().await;
    let sessions: i64 = sqlx::query(
        "SELECT COUNT(*) AS n FROM agent_sessions s JOIN agents a ON a.id = s.agent_id \
         WHERE a.login = 'ben'",
    )
    .fetch_one(&pool)
    .await
    .expect("count sessions")
    .try_get("n")
    .expect("n");
    assert_eq!(sessions, 5, "one session per token");
    s.stop().await;
}

async fn a_portals_tokens_are_limited(b: Backend) {
    let s = Server::start(b, |c| {
        with_crm(c);
        c.embed_per_portal = 2;
        c.login_window = std::time::Duration::from_mins(10);
    })
    .await;
    token_for(&s, "ann").await;
    token_for(&s, "ben").await;
    let resp = reqwest::Client::new()
        .post(format!("{}/api/embed/login-token", s.base))
        .bearer_auth(CRM_SECRET)
        .json(&json!({"login": "cleo"}))
        .send()
        .await
        .expect("token request");
    assert_eq!(resp.status().as_u16(), 429);
    assert!(resp.headers().contains_key("retry-after"));
    // Another portal has its own quota.
    let (status, body) =
        ask_token(&s, Some(threadline_api::config::DEMO_EMBED_SECRET), "cleo").await;
    assert_eq!(status, 200, "{body}");
    s.stop().await;
}

async fn contact_by_customer_id(b: Backend) {
    let s = Server::start(b, |_| {}).await;
    let identity = sign_identity(DEMO_IDENTITY_SECRET, "cust-77", common::unix_now() + 600);
    let visitor = s
        .visitor_with(json!({"identity": identity, "name": "Casey Cole"}))
        .await;
    let ann = s.agent("ann").await;
    let (status, body) = ann
        .call(Method::GET, "/api/contacts/by-customer/cust-77", None)
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["id"], json!(visitor.contact), "{body}");

    let (status, body) = ann
        .call(Method::GET, "/api/contacts/by-customer/cust-78", None)
        .await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(body["error"]["message"], "unknown contact", "{body}");

    let long = "x".repeat(201);
    for bad in [long.as_str(), "cust%07bell", "a%0Ab"] {
        let (status, body) = ann
            .call(
                Method::GET,
                &format!("/api/contacts/by-customer/{bad}"),
                None,
            )
            .await;
        assert_eq!(status, 400, "{bad}: {body}");
        assert_eq!(body["error"]["code"], "invalid_input", "{body}");
    }
    let (status, _) = visitor
        .call(Method::GET, "/api/contacts/by-customer/cust-77", None)
        .await;
    assert_eq!(status, 401, "agents only");
    s.stop().await;
}

/// `GET /api/embed/config` gives anyone the origins that may frame the desktop: the embed
/// origins and every portal's, as the `frame-ancestors` of the desktop's page name them.
async fn the_framing_origins_are_public(b: Backend) {
    let s = Server::start(b, |c| {
        c.embed_origins = vec!["https://Intranet.example/".into()];
        with_crm(c);
    })
    .await;
    let (status, body) = s.call(Method::GET, "/api/embed/config", None, None).await;
    assert_eq!(status, 200, "{body}");
    let origins: Vec<&str> = body["origins"]
        .as_array()
        .expect("origins")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for o in ["https://intranet.example", CRM_ORIGIN, DEMO_PORTAL_ORIGIN] {
        assert!(origins.contains(&o), "{o} in {body}");
    }
    s.stop().await;
}

on_both!(
    the_framing_origins_are_public,
    token_becomes_a_session,
    a_token_is_used_once,
    an_expired_token_is_refused,
    another_portals_origin_is_refused,
    a_wrong_secret_gets_nothing,
    a_bad_body_gets_the_error_shape,
    unknown_and_deactivated_accounts_are_refused,
    two_exchanges_at_once_one_wins,
    a_portals_tokens_are_limited,
    contact_by_customer_id,
);

/// `GET /embed.js` and `GET /embed.d.ts`: public, typed, not sniffed, revalidated with an
/// `ETag` (a 304 for a current copy), and they speak the protocol the desktop speaks.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_embed_script_and_its_types_are_served() {
    let s = Server::start(Backend::Sqlite, |_| {}).await;
    let client = reqwest::Client::new();
    for (path, content_type, names) in [
        (
            "/embed.js",
            "text/javascript; charset=utf-8",
            &[
                "threadline/1",
                "Threadline",
                "postMessage",
                "event.source",
                "acceptOffer",
            ][..],
        ),
        (
            "/embed.d.ts",
            "application/typescript; charset=utf-8",
            &[
                "threadline/1",
                "EmbedOptions",
                "offer_received",
                "unread_changed",
                "compose(",
            ][..],
        ),
    ] {
        let r = client
            .get(format!("{}{path}", s.base))
            .send()
            .await
            .expect("request");
        assert_eq!(r.status(), 200, "{path}");
        let header = |name: &str| {
            r.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned()
        };
        assert_eq!(header("content-type"), content_type, "{path}");
        assert_eq!(header("x-content-type-options"), "nosniff", "{path}");
        assert!(header("cache-control").contains("max-age="), "{path}");
        let etag = header("etag");
        assert!(etag.starts_with('"') && etag.len() > 2, "{path}: {etag:?}");
        let body = r.text().await.expect("body");
        for name in names {
            assert!(body.contains(name), "{path} names {name}");
        }
        // The script never posts to any origin.
        assert!(!body.contains("'*')"), "{path} posts to \"*\"");

        let again = client
            .get(format!("{}{path}", s.base))
            .header("if-none-match", &etag)
            .send()
            .await
            .expect("request");
        assert_eq!(again.status(), 304, "{path} with its ETag");
        let stale = client
            .get(format!("{}{path}", s.base))
            .header("if-none-match", "\"something-older\"")
            .send()
            .await
            .expect("request");
        assert_eq!(stale.status(), 200, "{path} with an old ETag");
    }
    // Only GET.
    let (status, body) = s.call(Method::POST, "/embed.js", None, None).await;
    assert_eq!(status, 405, "{body}");
    s.stop().await;
}

/// The protocol's guide shows the types a portal downloads, as served, and each event its
/// table describes is one of them.
#[test]
fn the_guide_shows_the_served_types() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let guide = std::fs::read_to_string(root.join("docs/embedding.md")).expect("the guide");
    let types = include_str!("../assets/embed.d.ts");
    let shown = guide
        .split_once("### `/embed.d.ts`\n\n```ts\n")
        .and_then(|(_, rest)| rest.split_once("```"))
        .map(|(block, _)| block);
    assert_eq!(shown, Some(types), "docs/embedding.md's copy of embed.d.ts");
    let events = guide
        .split_once("### Desktop → portal")
        .and_then(|(_, rest)| rest.split_once("\n\n| `type`"))
        .and_then(|(_, rest)| rest.split_once("\n\n"))
        .map(|(table, _)| table)
        .expect("the events table");
    let mut described = 0;
    for row in events.lines().skip(1) {
        let Some(name) = row.strip_prefix("| `").and_then(|r| r.split_once('`')) else {
            continue;
        };
        described += 1;
        if name.0 != "result" {
            assert!(
                types.contains(&format!("  {0}: {{ type: '{0}'", name.0))
                    || types.contains(&format!("  {0}: {{\n    type: '{0}'", name.0)),
                "embed.d.ts has no event {}",
                name.0
            );
        }
    }
    assert!(described >= 19, "{described} events in the table");
}
