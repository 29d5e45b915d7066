//! The authorization matrix (issue 13, "The suite"): every route of the OpenAPI document, called
//! by every kind of caller, against the answer this table expects. A route in the document that
//! is missing from the table fails the test, and so does a row for a route that no longer exists,
//! so a new route cannot ship without deciding who may call it.
//!
//! # Reading the table
//! Columns are the callers, in [`Who`]'s order: nobody (no credentials), visitor A (the contact
//! whose chat it is), visitor B (another visitor), the agent holding A's chat, a colleague agent,
//! a session that has logged out, a forged token, and a visitor token that has expired (its
//! signed identity ran out). Cells say what the answer must be:
//! - `P` — the caller passed the authorization check: 2xx, or a business answer about the request
//!   itself (400, 409, 413, 415, 422). Bodies are chosen so that most passing calls succeed.
//! - `U` — 401: no valid credentials for this kind of route.
//! - `F` — 403: known caller, not allowed.
//! - `C` — 409: allowed in general, refused because of the thing's state: the chat is held by
//!   another agent, or the offer is not (or no longer) the caller's. An agent whose offer moved on
//!   a moment ago gets the same answer, so it is a conflict, not a permission.
//!
//! Stream routes (`GET /api/events`, `GET /api/visitor/events`) take a ticket, not a bearer token:
//! each caller presents a ticket from its own ticket route (or none when it cannot get one).

mod common;

use common::{Agent, Backend, Caller, Server, Visitor};
use reqwest::Method;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::time::Duration;
use threadline_api::auth::sign_identity;
use threadline_api::config::DEMO_IDENTITY_SECRET;

/// The kinds of caller, in the table's column order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Nobody,
    VisitorA,
    VisitorB,
    Holder,
    Colleague,
    LoggedOut,
    Forged,
    Expired,
}

const WHO: [Who; 8] = [
    Who::Nobody,
    Who::VisitorA,
    Who::VisitorB,
    Who::Holder,
    Who::Colleague,
    Who::LoggedOut,
    Who::Forged,
    Who::Expired,
];

/// A cell: the class of answer expected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    P,
    U,
    F,
    C,
}
use Expect::{C, F, P, U};

/// Method, path template, one cell per [`Who`].
type Row = (&'static str, &'static str, [Expect; 8]);

/// Who may call what.  nobody visitorA visitorB holder colleague loggedout forged expired
#[rustfmt::skip]
const MATRIX: &[Row] = &[
    // Anyone may try to log in or open a visitor session; the document and files are public
    // (file keys are unguessable capabilities, so `<img>` works without credentials).
    ("POST", "/api/auth/login",                      [P, P, P, P, P, P, P, P]),
    ("POST", "/api/visitor/session",                 [P, P, P, P, P, P, P, P]),
    ("GET",  "/api/files/{key}",                     [P, P, P, P, P, P, P, P]),
    // An agent's own session.
    ("POST", "/api/auth/logout",                     [U, U, U, P, P, U, U, U]),
    ("POST", "/api/auth/password",                   [U, U, U, P, P, U, U, U]),
    ("GET",  "/api/me",                              [U, U, U, P, P, U, U, U]),
    ("PUT",  "/api/me/status",                       [U, U, U, P, P, U, U, U]),
    ("GET",  "/api/config",                          [U, U, U, P, P, U, U, U]),
    ("POST", "/api/events/ticket",                   [U, U, U, P, P, U, U, U]),
    ("GET",  "/api/events",                          [U, U, U, P, P, U, U, U]),
    // Contacts and their history: every agent of the contact center (a colleague answers a
    // contact whose last agent is away); no visitor.
    ("GET",  "/api/contacts",                        [U, U, U, P, P, U, U, U]),
    ("GET",  "/api/contacts/{id}",                   [U, U, U, P, P, U, U, U]),
    ("PATCH","/api/contacts/{id}",                   [U, U, U, P, P, U, U, U]),
    ("GET",  "/api/contacts/{id}/interactions",      [U, U, U, P, P, U, U, U]),
    ("GET",  "/api/contacts/{id}/conversation",      [U, U, U, P, P, U, U, U]),
    ("POST", "/api/contacts/{id}/messages",          [U, U, U, P, C, U, U, U]),
    ("POST", "/api/contacts/{id}/chat",              [U, U, U, P, C, U, U, U]),
    ("POST", "/api/contacts/{id}/receipts",          [U, U, U, P, P, U, U, U]),
    ("GET",  "/api/search",                          [U, U, U, P, P, U, U, U]),
    ("GET",  "/api/responses",                       [U, U, U, P, P, U, U, U]),
    ("POST", "/api/attachments",                     [U, U, U, P, P, U, U, U]),
    // An interaction: anyone may read it; only its holder may work it.
    ("GET",  "/api/interactions",                    [U, U, U, P, P, U, U, U]),
    ("GET",  "/api/interactions/{id}",               [U, U, U, P, P, U, U, U]),
    ("POST", "/api/interactions/{id}/accept",        [U, U, U, P, C, U, U, U]),
    ("POST", "/api/interactions/{id}/reject",        [U, U, U, P, C, U, U, U]),
    ("POST", "/api/interactions/{id}/end",           [U, U, U, P, F, U, U, U]),
    ("POST", "/api/interactions/{id}/done",          [U, U, U, P, F, U, U, U]),
    ("POST", "/api/interactions/{id}/handle-time",   [U, U, U, P, F, U, U, U]),
    ("POST", "/api/interactions/{id}/typing",        [U, U, U, P, F, U, U, U]),
    // Reports: supervisors and administrators only (the agents here get 403).
    ("GET",  "/api/reports",                         [U, U, U, F, F, U, U, U]),
    ("GET",  "/api/reports.csv",                     [U, U, U, F, F, U, U, U]),
    // The visitor's own conversation: only with a visitor token.
    ("GET",  "/api/visitor/conversation",            [U, P, P, U, U, U, U, U]),
    ("POST", "/api/visitor/messages",                [U, P, P, U, U, U, U, U]),
    ("POST", "/api/visitor/typing",                  [U, P, P, U, U, U, U, U]),
    ("POST", "/api/visitor/receipts",                [U, P, P, U, U, U, U, U]),
    ("POST", "/api/visitor/attachments",             [U, P, P, U, U, U, U, U]),
    ("POST", "/api/visitor/events/ticket",           [U, P, P, U, U, U, U, U]),
    ("GET",  "/api/visitor/events",                  [U, P, P, U, U, U, U, U]),
    ("POST", "/api/visitor/end",                     [U, P, P, U, U, U, U, U]),
];

/// The people and things the table's calls are about.
struct World {
    server: Server,
    visitor_a: Visitor,
    visitor_b: Visitor,
    holder: Agent,
    colleague: Agent,
    logged_out: String,
    expired: String,
    interaction: wire::InteractionId,
    file_key: String,
}

impl World {
    /// Visitor A writes; Ann goes Ready, is offered the chat and accepts it; Ben is a colleague;
    /// Cleo logs in and out again; visitor A uploads a picture.
    async fn build(backend: Backend) -> World {
        let server = Server::start(backend, |_| {}).await;
        let holder = server.agent("ann").await;
        let colleague = server.agent("ben").await;
        let mut events = holder.events().await;
        holder.ready().await;
        let visitor_a = server.visitor("Avery Ash").await;
        visitor_a.say("my parcel never came").await;
        let offer = events.offer("the offer of visitor A's chat").await;
        holder.accept(offer.interaction.id).await;
        let visitor_b = server.visitor("Blake Birch").await;
        let cleo = server.agent("cleo").await;
        let (status, body) = cleo.call(Method::POST, "/api/auth/logout", None).await;
        assert!((200..300).contains(&status), "logout: {status} {body}");
        let (status, picture) = upload(
            &server.base,
            Some(&visitor_a.token),
            "/api/visitor/attachments",
        )
        .await;
        assert_eq!(status, 200, "upload: {picture}");
        let url = picture["url"].as_str().expect("an attachment url");
        let file_key = url.rsplit('/').next().expect("a file key").to_string();
        let expired = expired_visitor(&server).await;
        World {
            expired,
            interaction: offer.interaction.id,
            logged_out: cleo.token,
            server,
            visitor_a,
            visitor_b,
            holder,
            colleague,
            file_key,
        }
    }

    /// The bearer token `who` presents; for session-ending routes agents use a second session
    /// of their own, so the table's later rows still have theirs.
    async fn token(&self, who: Who, path: &str) -> Option<String> {
        let fresh = path == "/api/auth/logout";
        match who {
            Who::Nobody => None,
            Who::VisitorA => Some(self.visitor_a.token.clone()),
            Who::VisitorB => Some(self.visitor_b.token.clone()),
            Who::Holder if fresh => Some(self.server.agent("ann").await.token),
            Who::Colleague if fresh => Some(self.server.agent("ben").await.token),
            Who::Holder => Some(self.holder.token.clone()),
            Who::Colleague => Some(self.colleague.token.clone()),
            Who::LoggedOut => Some(self.logged_out.clone()),
            Who::Forged => Some("tl_forged0000000000000000000000000000000000".into()),
            Who::Expired => Some(self.expired.clone()),
        }
    }

    fn path(&self, template: &str) -> String {
        template.replace("{key}", &self.file_key).replace(
            "{id}",
            &if template.starts_with("/api/interactions") {
                self.interaction.to_string()
            } else {
                self.visitor_a.contact.to_string()
            },
        )
    }

    /// Calls one cell and returns the status.
    async fn call(&self, method: &str, template: &str, who: Who) -> u16 {
        let token = self.token(who, template).await;
        let path = self.path(template);
        let base = &self.server.base;
        if template.ends_with("/attachments") {
            return upload(base, token.as_deref(), &path).await.0;
        }
        if template == "/api/events" || template == "/api/visitor/events" {
            return stream_status(base, token.as_deref(), template).await;
        }
        let method = Method::from_bytes(method.as_bytes()).expect("a method");
        let body = body_for(&method, template);
        self.server
            .call(method, &path, token.as_deref(), body)
            .await
            .0
    }
}

/// A customer's visitor token whose signed identity has run out: issued for an identity that
/// expires in two seconds, then used until the server refuses it as expired.
async fn expired_visitor(server: &Server) -> String {
    let identity = sign_identity(DEMO_IDENTITY_SECRET, "cust-matrix", common::unix_now() + 2);
    let visitor = server.visitor_with(json!({"identity": identity})).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let mut tick = tokio::time::interval(Duration::from_millis(200));
    loop {
        tick.tick().await;
        let (status, body) = visitor
            .call(Method::GET, "/api/visitor/conversation", None)
            .await;
        if status == 401 {
            assert_eq!(body["error"]["code"], "token_expired", "{body}");
            return visitor.token;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the token never expired"
        );
    }
}

/// A body that an allowed caller's call would succeed with (or be refused for its content,
/// never for who sent it).
fn body_for(method: &Method, template: &str) -> Option<Value> {
    let body = match template {
        "/api/auth/login" => json!({"login": "ben", "password": "ben-pass-1"}),
        // Too short a new password: checked after the caller, changes nothing.
        "/api/auth/password" => json!({"current_password": "x", "new_password": "x"}),
        "/api/me/status" => json!({"status": {"state": "not_ready", "reason": "break"}}),
        "/api/visitor/session" => json!({"name": "Casey Cole"}),
        "/api/contacts/{id}" => json!({"notes": "prefers e-mail"}),
        "/api/contacts/{id}/messages" | "/api/visitor/messages" => {
            json!({"client_id": common::client_id(), "text": "hello"})
        }
        "/api/contacts/{id}/receipts" | "/api/visitor/receipts" => {
            json!({"up_to_seq": 1, "read": true})
        }
        "/api/interactions/{id}/done" => json!({"disposition": "resolved"}),
        "/api/interactions/{id}/handle-time" => {
            let now = common::now_ms();
            json!({"started_at": now - 500, "ended_at": now})
        }
        "/api/interactions/{id}/typing" | "/api/visitor/typing" => json!({"typing": true}),
        _ if *method == Method::POST => json!({}),
        _ => return None,
    };
    Some(body)
}

/// Uploads a one-pixel PNG.
async fn upload(base: &str, token: Option<&str>, path: &str) -> (u16, Value) {
    let part = reqwest::multipart::Part::bytes(common::tiny_png())
        .file_name("dot.png")
        .mime_str("image/png")
        .expect("mime");
    let mut req = reqwest::Client::new()
        .post(format!("{base}{path}"))
        .multipart(reqwest::multipart::Form::new().part("file", part));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let resp = req.send().await.expect("upload");
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

/// Opens a stream with the ticket the caller can get from its own kind's ticket route, and
/// returns the status (the stream itself is dropped at once).
async fn stream_status(base: &str, token: Option<&str>, stream: &str) -> u16 {
    let client = reqwest::Client::new();
    let mut ticket = "none".to_string();
    if let Some(token) = token {
        for route in ["/api/events/ticket", "/api/visitor/events/ticket"] {
            let resp = client
                .post(format!("{base}{route}"))
                .bearer_auth(token)
                .json(&json!({}))
                .send()
                .await
                .expect("ticket");
            if resp.status().is_success() {
                let body: Value = resp.json().await.expect("ticket body");
                ticket = body["ticket"].as_str().expect("a ticket").to_string();
                break;
            }
        }
    }
    let resp = tokio::time::timeout(
        Duration::from_secs(10),
        client.get(format!("{base}{stream}?ticket={ticket}")).send(),
    )
    .await
    .expect("the stream answers")
    .expect("stream");
    resp.status().as_u16()
}

/// Whether an answer is the one a cell expects.
fn answers(expected: Expect, status: u16) -> bool {
    match expected {
        P => matches!(status, 200..=299 | 400 | 409 | 413 | 415 | 422),
        U => status == 401,
        F => status == 403,
        C => status == 409,
    }
}

/// Every route of the document, as `METHOD path`.
async fn documented(server: &Server) -> BTreeSet<String> {
    let (status, doc) = server
        .call(Method::GET, "/api/openapi.json", None, None)
        .await;
    assert_eq!(status, 200);
    let mut routes = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("a path item").keys() {
            if ["get", "put", "post", "patch", "delete"].contains(&method.as_str()) {
                routes.insert(format!("{} {path}", method.to_uppercase()));
            }
        }
    }
    routes
}

async fn matrix(backend: Backend) {
    let world = World::build(backend).await;
    let in_doc = documented(&world.server).await;
    let in_table: BTreeSet<String> = MATRIX.iter().map(|(m, p, _)| format!("{m} {p}")).collect();
    let missing: Vec<_> = in_doc.difference(&in_table).collect();
    let stale: Vec<_> = in_table.difference(&in_doc).collect();
    assert!(
        missing.is_empty(),
        "routes without a row in the authorization matrix: {missing:?}"
    );
    assert!(
        stale.is_empty(),
        "rows for routes the API no longer has: {stale:?}"
    );

    let mut wrong = Vec::new();
    // Session-ending and password rows last, so every other row has live sessions.
    let (last, first): (Vec<&Row>, Vec<&Row>) = MATRIX
        .iter()
        .partition(|(_, p, _)| p.starts_with("/api/auth/") && *p != "/api/auth/login");
    for (method, template, cells) in first.into_iter().chain(last) {
        for (who, expected) in WHO.iter().zip(cells) {
            let status = world.call(method, template, *who).await;
            if !answers(*expected, status) {
                wrong.push(format!(
                    "{method} {template} as {who:?}: {status}, expected {expected:?}"
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "authorization answers that differ from the matrix:\n{}",
        wrong.join("\n")
    );
}

on_both!(matrix);
