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
//! Two more callers, a supervisor (sam) and an administrator (ada), are accounts of the contact
//! center like the colleague: they get the colleague's answer on every route except those in
//! [`BY_ROLE`], which lists their cells for the routes that depend on the role.
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
    Supervisor,
    Administrator,
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
    // Single sign-on from a portal: a login token is asked for with a portal secret, which no
    // caller here holds (an agent's or a visitor's token is none), and exchanged by presenting
    // the token, which none holds either (the body carries a forged one). With the real
    // credentials: `tests/embed.rs`.
    ("POST", "/api/embed/login-token",               [U, U, U, U, U, U, U, U]),
    ("POST", "/api/auth/embed",                      [U, U, U, U, U, U, U, U]),
    // The origins that may frame the desktop: public (the frame-ancestors header shows them).
    ("GET",  "/api/embed/config",                    [P, P, P, P, P, P, P, P]),
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
    ("GET",  "/api/contacts/by-customer/{customer_id}", [U, U, U, P, P, U, U, U]),
    ("PATCH","/api/contacts/{id}",                   [U, U, U, P, P, U, U, U]),
    // Linking and unlinking identities: any agent, as in Contact Information (the body here
    // is empty: 400; the real thing in `tests/contact_links.rs`).
    ("POST", "/api/contacts/{id}/link",              [U, U, U, P, P, U, U, U]),
    ("POST", "/api/contacts/{id}/unlink",            [U, U, U, P, P, U, U, U]),
    // Erasing a contact: administrators only (see `BY_ROLE`); here visitor A's chat is in
    // progress, so the administrator is refused for its state (the real thing in
    // `tests/contact_erasure.rs`).
    ("DELETE","/api/admin/contacts/{id}",            [U, U, U, F, F, U, U, U]),
    ("GET",  "/api/admin/contacts/{id}/export",      [U, U, U, F, F, U, U, U]),
    ("GET",  "/api/contacts/{id}/interactions",      [U, U, U, P, P, U, U, U]),
    ("GET",  "/api/contacts/{id}/conversation",      [U, U, U, P, P, U, U, U]),
    ("POST", "/api/contacts/{id}/messages",          [U, U, U, P, C, U, U, U]),
    ("POST", "/api/contacts/{id}/chat",              [U, U, U, P, C, U, U, U]),
    ("POST", "/api/contacts/{id}/receipts",          [U, U, U, P, P, U, U, U]),
    // Retry of a failed message to a platform: the id here is no such message (a Web Chat
    // one at most), refused for what it is; the author and chat rules: `tests/outbox.rs`.
    ("POST", "/api/messages/{id}/retry",             [U, U, U, C, C, U, U, U]),
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
    // The supervisor's board and actions: supervisors and administrators only.
    ("GET",  "/api/supervisor/board",                [U, U, U, F, F, U, U, U]),
    ("POST", "/api/supervisor/board/ticket",         [U, U, U, F, F, U, U, U]),
    ("PUT",  "/api/supervisor/agents/{id}/status",   [U, U, U, F, F, U, U, U]),
    ("POST", "/api/supervisor/agents/{id}/logout",   [U, U, U, F, F, U, U, U]),
    // Monitor: after the holder's Mark Done above, starting is refused for the chat's state.
    ("GET",  "/api/supervisor/interactions/{id}",    [U, U, U, F, F, U, U, U]),
    ("POST", "/api/supervisor/interactions/{id}/monitor", [U, U, U, F, F, U, U, U]),
    ("DELETE","/api/supervisor/interactions/{id}/monitor", [U, U, U, F, F, U, U, U]),
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
    ("POST", "/api/visitor/away",                    [U, P, P, U, U, U, U, U]),
    // Whether any account exists (the login page's first-run notice): public.
    ("GET",  "/api/setup",                           [P, P, P, P, P, P, P, P]),
    // Whether the instance can serve (a load balancer's probe): public.
    ("GET",  "/api/health",                          [P, P, P, P, P, P, P, P]),
    // The metrics: only a collector holding the metrics token (none of these callers; with
    // it: `tests/site.rs`). An agent's or visitor's token is not it.
    ("GET",  "/api/metrics",                         [U, U, U, U, U, U, U, U]),
    // Account administration and the audit log: administrators only (see `BY_ROLE`).
    ("GET",  "/api/admin/agents",                    [U, U, U, F, F, U, U, U]),
    ("POST", "/api/admin/agents",                    [U, U, U, F, F, U, U, U]),
    ("PATCH","/api/admin/agents/{id}",               [U, U, U, F, F, U, U, U]),
    ("POST", "/api/admin/agents/{id}/deactivate",    [U, U, U, F, F, U, U, U]),
    ("POST", "/api/admin/agents/{id}/reactivate",    [U, U, U, F, F, U, U, U]),
    ("POST", "/api/admin/agents/{id}/password",      [U, U, U, F, F, U, U, U]),
    ("GET",  "/api/admin/audit",                     [U, U, U, F, F, U, U, U]),
    // Catalog administration: administrators only (see `BY_ROLE`). The response's PUT comes
    // before its DELETE, which removes it; the category's DELETE is refused (not empty).
    ("POST", "/api/admin/response-categories",       [U, U, U, F, F, U, U, U]),
    ("PUT",  "/api/admin/response-categories/{id}",  [U, U, U, F, F, U, U, U]),
    ("DELETE","/api/admin/response-categories/{id}", [U, U, U, F, F, U, U, U]),
    ("POST", "/api/admin/responses",                 [U, U, U, F, F, U, U, U]),
    ("PUT",  "/api/admin/responses/{id}",            [U, U, U, F, F, U, U, U]),
    ("DELETE","/api/admin/responses/{id}",           [U, U, U, F, F, U, U, U]),
    ("GET",  "/api/admin/dispositions",              [U, U, U, F, F, U, U, U]),
    ("POST", "/api/admin/dispositions",              [U, U, U, F, F, U, U, U]),
    ("PUT",  "/api/admin/dispositions",              [U, U, U, F, F, U, U, U]),
    ("PATCH","/api/admin/dispositions/{code}",       [U, U, U, F, F, U, U, U]),
    ("GET",  "/api/admin/not-ready-reasons",         [U, U, U, F, F, U, U, U]),
    ("POST", "/api/admin/not-ready-reasons",         [U, U, U, F, F, U, U, U]),
    ("PUT",  "/api/admin/not-ready-reasons",         [U, U, U, F, F, U, U, U]),
    ("PATCH","/api/admin/not-ready-reasons/{code}",  [U, U, U, F, F, U, U, U]),
    ("GET",  "/api/admin/channels",                  [U, U, U, F, F, U, U, U]),
    ("PUT",  "/api/admin/channels",                  [U, U, U, F, F, U, U, U]),
    // Transfer: the colleagues list for every agent; a chat only by its holder (or a
    // supervisor). Last among the interaction's rows: the holder's call puts it in the queue.
    ("GET",  "/api/agents",                          [U, U, U, P, P, U, U, U]),
    ("POST", "/api/interactions/{id}/transfer",      [U, U, U, P, F, U, U, U]),
    // A platform's webhook: no caller's token counts, only the platform's own check. Without
    // the verify token the subscription check is refused; without the body's signature (none
    // of these callers can make one) a delivery is 401. With them: `tests/webhooks_meta.rs`.
    ("GET",  "/api/webhooks/meta",                   [F, F, F, F, F, F, F, F]),
    ("POST", "/api/webhooks/meta",                   [U, U, U, U, U, U, U, U]),
    // X's CRC check signs any token for anyone (that is the check); a delivery needs the
    // body's signature. With it: `tests/webhooks_x.rs`.
    ("GET",  "/api/webhooks/x",                      [P, P, P, P, P, P, P, P]),
    ("POST", "/api/webhooks/x",                      [U, U, U, U, U, U, U, U]),
];

/// The routes whose answer depends on the role: method, path, [supervisor, administrator].
/// Every other route answers them as it answers the colleague.
#[rustfmt::skip]
const BY_ROLE: &[(&str, &str, [Expect; 2])] = &[
    ("GET",  "/api/admin/agents",                    [F, P]),
    ("POST", "/api/admin/agents",                    [F, P]),
    ("PATCH","/api/admin/agents/{id}",               [F, P]),
    ("POST", "/api/admin/agents/{id}/deactivate",    [F, P]),
    ("POST", "/api/admin/agents/{id}/reactivate",    [F, P]),
    ("POST", "/api/admin/agents/{id}/password",      [F, P]),
    ("GET",  "/api/admin/audit",                     [F, P]),
    ("DELETE","/api/admin/contacts/{id}",            [F, C]),
    ("GET",  "/api/admin/contacts/{id}/export",      [F, P]),
    ("POST", "/api/admin/response-categories",       [F, P]),
    ("PUT",  "/api/admin/response-categories/{id}",  [F, P]),
    ("DELETE","/api/admin/response-categories/{id}", [F, P]),
    ("POST", "/api/admin/responses",                 [F, P]),
    ("PUT",  "/api/admin/responses/{id}",            [F, P]),
    ("DELETE","/api/admin/responses/{id}",           [F, P]),
    ("GET",  "/api/admin/dispositions",              [F, P]),
    ("POST", "/api/admin/dispositions",              [F, P]),
    ("PUT",  "/api/admin/dispositions",              [F, P]),
    ("PATCH","/api/admin/dispositions/{code}",       [F, P]),
    ("GET",  "/api/admin/not-ready-reasons",         [F, P]),
    ("POST", "/api/admin/not-ready-reasons",         [F, P]),
    ("PUT",  "/api/admin/not-ready-reasons",         [F, P]),
    ("PATCH","/api/admin/not-ready-reasons/{code}",  [F, P]),
    ("GET",  "/api/admin/channels",                  [F, P]),
    ("PUT",  "/api/admin/channels",                  [F, P]),
    ("GET",  "/api/supervisor/board",                [P, P]),
    ("POST", "/api/supervisor/board/ticket",         [P, P]),
    ("PUT",  "/api/supervisor/agents/{id}/status",   [P, P]),
    ("POST", "/api/supervisor/agents/{id}/logout",   [P, P]),
    ("GET",  "/api/supervisor/interactions/{id}",    [P, P]),
    ("POST", "/api/supervisor/interactions/{id}/monitor", [P, P]),
    ("DELETE","/api/supervisor/interactions/{id}/monitor", [P, P]),
    // After the holder's call the chat waits in the queue: handing it to the queue again is
    // refused for its state.
    ("POST", "/api/interactions/{id}/transfer",      [C, C]),
    ("GET",  "/api/reports",                         [P, P]),
    ("GET",  "/api/reports.csv",                     [P, P]),
];

/// What `who` must get on a row: its cell, or for the supervisor and the administrator their
/// [`BY_ROLE`] cell, else the colleague's.
fn expected(row: &Row, who: Who) -> Expect {
    let (method, path, cells) = row;
    let role_column = match who {
        Who::Supervisor => 0,
        Who::Administrator => 1,
        _ => {
            let column = WHO.iter().position(|w| *w == who).expect("a table column");
            return cells[column];
        }
    };
    BY_ROLE
        .iter()
        .find(|(m, p, _)| m == method && p == path)
        .map_or(cells[4], |(_, _, by_role)| by_role[role_column])
}

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
    /// The supervisor (sam) and the administrator (ada).
    supervisor: Agent,
    administrator: Agent,
    /// The account the administration rows change: Cleo's (already logged out).
    administered: wire::AgentId,
    /// The catalog rows' category (it holds responses, so deleting it is refused) and
    /// response (edited, then deleted, by the administrator).
    category: wire::CategoryId,
    response: wire::ResponseId,
}

impl World {
    /// Visitor A writes; Ann goes Ready, is offered the chat and accepts it; Ben is a colleague;
    /// Cleo logs in and out again; visitor A uploads a picture.
    async fn build(backend: Backend) -> World {
        // Ten callers try the login row as Ben, and log in for the session rows: more logins
        // per name than the default quota allows in a minute.
        let server = Server::start(backend, |c| {
            c.login_per_name = 100;
            "matrix-meta-app-secret".clone_into(&mut c.meta.app_secret);
            "matrix-verify-token".clone_into(&mut c.meta.verify_token);
            "matrix-x-consumer-secret".clone_into(&mut c.x.consumer_secret);
            "matrix-metrics-token-of-32-bytes-or-more".clone_into(&mut c.metrics_token);
        })
        .await;
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
        let supervisor = server.agent("sam").await;
        let administrator = server.agent("ada").await;
        let tree: wire::api::ResponseTree = holder.get("/api/responses").await;
        let response = tree.responses.first().expect("a seeded response");
        World {
            category: response.category_id,
            response: response.id,
            administered: cleo.id,
            supervisor,
            administrator,
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
            Who::Supervisor if fresh => Some(self.server.agent("sam").await.token),
            Who::Administrator if fresh => Some(self.server.agent("ada").await.token),
            Who::Supervisor => Some(self.supervisor.token.clone()),
            Who::Administrator => Some(self.administrator.token.clone()),
            Who::Holder => Some(self.holder.token.clone()),
            Who::Colleague => Some(self.colleague.token.clone()),
            Who::LoggedOut => Some(self.logged_out.clone()),
            Who::Forged => Some("tl_forged0000000000000000000000000000000000".into()),
            Who::Expired => Some(self.expired.clone()),
        }
    }

    fn path(&self, template: &str) -> String {
        if template.starts_with("/api/admin/response-categories/") {
            return template.replace("{id}", &self.category.to_string());
        }
        if template.starts_with("/api/admin/responses/") {
            return template.replace("{id}", &self.response.to_string());
        }
        if template.starts_with("/api/admin/dispositions/") {
            return template.replace("{code}", "resolved");
        }
        if template.starts_with("/api/admin/not-ready-reasons/") {
            return template.replace("{code}", "break");
        }
        if template.contains("{customer_id}") {
            return template.replace("{customer_id}", "cust-matrix");
        }
        template.replace("{key}", &self.file_key).replace(
            "{id}",
            &if template.starts_with("/api/interactions")
                || template.starts_with("/api/supervisor/interactions")
            {
                self.interaction.to_string()
            } else if template.starts_with("/api/admin/agents")
                || template.starts_with("/api/supervisor/agents")
            {
                self.administered.to_string()
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
        "/api/embed/login-token" => json!({"login": "ben"}),
        "/api/auth/embed" => json!({
            "token": "tle_forged0000000000000000000000000000000000",
            "portal_origin": threadline_api::config::DEMO_PORTAL_ORIGIN
        }),
        // Too short a new password: checked after the caller, changes nothing.
        "/api/auth/password" => json!({"current_password": "x", "new_password": "x"}),
        "/api/me/status" | "/api/supervisor/agents/{id}/status" => {
            json!({"status": {"state": "not_ready", "reason": "break"}})
        }
        "/api/visitor/session" => json!({"name": "Casey Cole"}),
        "/api/contacts/{id}" => json!({"notes": "prefers e-mail"}),
        "/api/contacts/{id}/messages" | "/api/visitor/messages" => {
            json!({"client_id": common::client_id(), "text": "hello"})
        }
        "/api/contacts/{id}/receipts" | "/api/visitor/receipts" => {
            json!({"up_to_seq": 1, "read": true})
        }
        "/api/interactions/{id}/done" => json!({"disposition": "resolved"}),
        "/api/interactions/{id}/transfer" => json!({"to": "queue", "note": "over to you"}),
        "/api/interactions/{id}/handle-time" => {
            let now = common::now_ms();
            json!({"started_at": now - 500, "ended_at": now})
        }
        "/api/interactions/{id}/typing" | "/api/visitor/typing" => json!({"typing": true}),
        "/api/admin/agents" if *method == Method::POST => json!({
            "login": "matrix.new", "display_name": "Matrix New", "role": "agent",
            "capacity": 2, "password": "matrix-pass-1"
        }),
        "/api/admin/agents/{id}" => json!({"capacity": 2}),
        "/api/admin/agents/{id}/password" => json!({"password": "matrix-pass-1"}),
        // The POST makes it at the top level; the PUT (to the same name there) is then a 409.
        "/api/admin/response-categories" | "/api/admin/response-categories/{id}" => {
            json!({"name": "matrix category"})
        }
        // An unknown category: refused for its content.
        "/api/admin/responses" | "/api/admin/responses/{id}" => {
            json!({"category_id": 999_999, "title": "Matrix", "body": "hello"})
        }
        "/api/admin/dispositions" | "/api/admin/not-ready-reasons" if *method == Method::PUT => {
            json!({"codes": []})
        }
        "/api/admin/dispositions" | "/api/admin/not-ready-reasons" => {
            json!({"code": "matrix_code", "label": "Matrix code"})
        }
        "/api/admin/dispositions/{code}" | "/api/admin/not-ready-reasons/{code}" => {
            json!({"label": "Matrix label"})
        }
        "/api/admin/channels" if *method == Method::PUT => json!({
            "channel": "messenger", "async_chat": true, "offer_public": true,
            "offer_timeout_secs": 30, "reservation_secs": 300
        }),
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

    for (method, path, _) in BY_ROLE {
        assert!(
            in_table.contains(&format!("{method} {path}")),
            "a BY_ROLE row for a route the matrix lacks: {method} {path}"
        );
    }

    let mut wrong = Vec::new();
    // Session-ending and password rows last, so every other row has live sessions.
    let (last, first): (Vec<&Row>, Vec<&Row>) = MATRIX
        .iter()
        .partition(|(_, p, _)| p.starts_with("/api/auth/") && *p != "/api/auth/login");
    for (method, template, cells) in first.into_iter().chain(last) {
        let row = (*method, *template, *cells);
        for who in WHO.iter().chain(&[Who::Supervisor, Who::Administrator]) {
            let expected = expected(&row, *who);
            let status = world.call(method, template, *who).await;
            if !answers(expected, status) {
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
