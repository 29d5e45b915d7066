//! The test harness: starts the real server on a loopback port over a fresh database (a
//! temporary SQLite file, or a new PostgreSQL database when `THREADLINE_TEST_PG` names a
//! server), and drives it over HTTP like the desktop and the widget do.

#![allow(dead_code, clippy::missing_panics_doc)]

use eventsource_stream::Eventsource;
use futures_util::{Stream, StreamExt};
use serde::de::DeserializeOwned;
use serde_json::{json, Value};
use std::pin::Pin;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;
use threadline_api::Config;
use tokio::sync::oneshot;
use wire::api::{LoginResponse, StreamTicket, VisitorSession};
use wire::{AgentId, ContactId, Event, EventEnvelope, EventId};

pub mod platforms;
mod visitor_form;
pub use visitor_form::{read_event, LIVE_ONLY};

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// A temporary SQLite file.
    Sqlite,
    /// A fresh database on the PostgreSQL server in `THREADLINE_TEST_PG`.
    Postgres,
}

/// Runs a test body on SQLite and (when configured) PostgreSQL, as two test functions.
#[macro_export]
macro_rules! on_both {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name($crate::common::Backend::Sqlite).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if $crate::common::pg_url().is_none() {
                    eprintln!("THREADLINE_TEST_PG is not set: PostgreSQL variant not run");
                    return;
                }
                super::$name($crate::common::Backend::Postgres).await;
            }
        }
    )*};
}

/// The PostgreSQL server URL for tests, if any.
pub fn pg_url() -> Option<String> {
    std::env::var("THREADLINE_TEST_PG")
        .ok()
        .filter(|s| !s.is_empty())
}

/// A database made for one test.
pub struct TestDb {
    /// Its URL.
    pub url: String,
    /// Keeps the SQLite file's directory alive.
    _dir: Option<tempfile::TempDir>,
}

impl TestDb {
    /// A database another test server already uses.
    pub fn existing(url: String) -> TestDb {
        TestDb { url, _dir: None }
    }

    /// The SQLite file (none on PostgreSQL).
    pub fn sqlite_file(&self) -> Option<std::path::PathBuf> {
        use std::str::FromStr;
        if !self.url.starts_with("sqlite:") {
            return None;
        }
        let options = sqlx::sqlite::SqliteConnectOptions::from_str(&self.url).ok()?;
        Some(options.get_filename().to_path_buf())
    }

    /// One connection straight to this database, for what a test reads or sets beside the API.
    pub async fn pool(&self) -> sqlx::AnyPool {
        sqlx::any::install_default_drivers();
        sqlx::any::AnyPoolOptions::new()
            .max_connections(1)
            .connect(&self.url)
            .await
            .expect("open the test database")
    }
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// A fresh, empty database.
pub async fn fresh_db(backend: Backend) -> TestDb {
    match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().expect("temp dir");
            let url = Config::sqlite_url(&dir.path().join("test.db"));
            TestDb {
                url,
                _dir: Some(dir),
            }
        }
        Backend::Postgres => {
            let base = pg_url().expect("THREADLINE_TEST_PG");
            let name = format!(
                "threadline_t_{}_{}_{}",
                std::process::id(),
                COUNTER.fetch_add(1, Ordering::SeqCst),
                rand_suffix()
            );
            sqlx::any::install_default_drivers();
            let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&base)
                .await
                .expect("connect to PostgreSQL");
            drop_stale_databases(&mut conn).await;
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&mut conn)
                .await
                .expect("create database");
            let url = match base.rsplit_once('/') {
                Some((prefix, _)) => format!("{prefix}/{name}"),
                None => format!("{base}/{name}"),
            };
            TestDb { url, _dir: None }
        }
    }
}

/// Drops test databases left by earlier runs whose process is gone (a failed test leaves its
/// database behind for inspection until the next run).
async fn drop_stale_databases(conn: &mut sqlx::AnyConnection) {
    use sqlx::Row;
    let rows = sqlx::query("SELECT datname FROM pg_database WHERE datname LIKE 'threadline_t_%'")
        .fetch_all(&mut *conn)
        .await
        .unwrap_or_default();
    for row in rows {
        let Ok(name) = row.try_get::<String, _>("datname") else {
            continue;
        };
        let pid = name.split('_').nth(2).and_then(|p| p.parse::<u32>().ok());
        let alive = pid.is_some_and(|p| {
            p == std::process::id() || std::path::Path::new(&format!("/proc/{p}")).exists()
        });
        if !alive {
            let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&mut *conn)
                .await;
        }
    }
}

fn rand_suffix() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(u64::from(std::process::id()));
    h.finish() % 1_000_000
}

/// A running server.
pub struct Server {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// Its database.
    pub db: TestDb,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Server {
    /// Starts a server with demo data over a fresh database; `tweak` adjusts the config.
    pub async fn start(backend: Backend, tweak: impl FnOnce(&mut Config)) -> Server {
        let db = fresh_db(backend).await;
        Server::start_on(db, tweak).await
    }

    /// Starts a server over an existing database.
    pub async fn start_on(db: TestDb, tweak: impl FnOnce(&mut Config)) -> Server {
        let mut config = Config::new(db.url.clone());
        config.seed_demo = true;
        tweak(&mut config);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            threadline_api::serve(listener, config, async move {
                let _ = rx.await;
            })
            .await
            .expect("server failed");
        });
        let server = Server {
            base,
            db,
            shutdown: Some(tx),
            task: Some(task),
        };
        server.wait_ready().await;
        server
    }

    async fn wait_ready(&self) {
        let client = reqwest::Client::new();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(r) = client
                .get(format!("{}/api/openapi.json", self.base))
                .send()
                .await
            {
                if r.status().is_success() {
                    return;
                }
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "server did not start"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// A handle on a server started elsewhere (the real binary) at `base`, for the plain
    /// calls; it owns no database and stops nothing.
    pub fn probe(base: &str) -> Server {
        Server {
            base: base.to_owned(),
            db: TestDb::existing(String::new()),
            shutdown: None,
            task: None,
        }
    }

    /// Stops the server and waits for it.
    pub async fn stop(mut self) -> TestDb {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = tokio::time::timeout(Duration::from_secs(20), task).await;
        }
        std::mem::replace(
            &mut self.db,
            TestDb {
                url: String::new(),
                _dir: None,
            },
        )
    }

    /// A plain HTTP client call; returns status and JSON body (or null).
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        let client = reqwest::Client::new();
        let mut req = client.request(method, format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.expect("request");
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// Logs in a demo agent.
    pub async fn agent(&self, login: &str) -> Agent {
        let password = format!("{login}-pass-1");
        let (status, body) = self
            .call(
                reqwest::Method::POST,
                "/api/auth/login",
                None,
                Some(json!({"login": login, "password": password})),
            )
            .await;
        assert_eq!(status, 200, "login {login}: {body}");
        let login: LoginResponse = serde_json::from_value(body).expect("login response");
        Agent {
            base: self.base.clone(),
            token: login.token,
            id: login.agent.id,
        }
    }

    /// A new anonymous visitor with a name.
    pub async fn visitor(&self, name: &str) -> Visitor {
        self.visitor_with(json!({"name": name})).await
    }

    /// A new visitor session started with `body` (a `VisitorSessionRequest`).
    pub async fn visitor_with(&self, body: Value) -> Visitor {
        let (status, body) = self
            .call(
                reqwest::Method::POST,
                "/api/visitor/session",
                None,
                Some(body),
            )
            .await;
        assert_eq!(status, 200, "visitor session: {body}");
        let s: VisitorSession = serde_json::from_value(body).expect("session");
        Visitor {
            base: self.base.clone(),
            token: s.visitor_token,
            contact: s.contact_id,
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Something with a bearer token that calls the API.
pub trait Caller {
    /// Base URL.
    fn base(&self) -> &str;
    /// Bearer token.
    fn token(&self) -> &str;

    /// Calls the API; returns status and JSON body (null when empty).
    fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> impl std::future::Future<Output = (u16, Value)> + Send
    where
        Self: Sync,
    {
        async move {
            let client = reqwest::Client::new();
            let mut req = client
                .request(method, format!("{}{path}", self.base()))
                .bearer_auth(self.token());
            if let Some(b) = body {
                req = req.json(&b);
            }
            let resp = req.send().await.expect("request");
            let status = resp.status().as_u16();
            let text = resp.text().await.unwrap_or_default();
            (status, serde_json::from_str(&text).unwrap_or(Value::Null))
        }
    }

    /// GET, expecting 200, decoded.
    fn get<T: DeserializeOwned>(&self, path: &str) -> impl std::future::Future<Output = T> + Send
    where
        Self: Sync,
    {
        async move {
            let (s, v) = self.call(reqwest::Method::GET, path, None).await;
            assert_eq!(s, 200, "GET {path}: {v}");
            serde_json::from_value(v).expect("decode")
        }
    }

    /// POST, expecting 2xx, decoded (use `Value` for 204).
    fn post<T: DeserializeOwned>(
        &self,
        path: &str,
        body: Value,
    ) -> impl std::future::Future<Output = T> + Send
    where
        Self: Sync,
    {
        async move {
            let (s, v) = self.call(reqwest::Method::POST, path, Some(body)).await;
            assert!((200..300).contains(&s), "POST {path}: {s} {v}");
            serde_json::from_value(v).expect("decode")
        }
    }

    /// Opens an event stream (ticket, then the stream), resuming after `last` when given.
    fn stream(
        &self,
        ticket_path: &str,
        stream_path: &str,
        last: Option<EventId>,
    ) -> impl std::future::Future<Output = Events> + Send
    where
        Self: Sync,
    {
        async move {
            let t: StreamTicket = self.post(ticket_path, json!({})).await;
            let mut url = format!("{}{stream_path}?ticket={}", self.base(), t.ticket);
            if let Some(l) = last {
                url = format!("{url}&last_event_id={}", l.0);
            }
            let resp = reqwest::Client::new()
                .get(url)
                .send()
                .await
                .expect("stream");
            assert_eq!(resp.status().as_u16(), 200, "stream refused");
            let inner = resp.bytes_stream().eventsource();
            Events {
                inner: Box::pin(inner),
                last: last.unwrap_or(t.head),
                seen: Vec::new(),
            }
        }
    }
}

/// A logged-in agent.
pub struct Agent {
    base: String,
    /// The bearer token.
    pub token: String,
    /// The agent's id.
    pub id: AgentId,
}

impl Caller for Agent {
    fn base(&self) -> &str {
        &self.base
    }
    fn token(&self) -> &str {
        &self.token
    }
}

impl Agent {
    /// Opens the agent's event stream.
    pub async fn events(&self) -> Events {
        self.stream("/api/events/ticket", "/api/events", None).await
    }

    /// Accepts an offered chat.
    pub async fn accept(&self, id: wire::InteractionId) -> wire::InteractionView {
        self.post(&format!("/api/interactions/{id}/accept"), json!({}))
            .await
    }

    /// Waits on `events` for the next offer (`what` names it in a failure) and accepts it.
    pub async fn take_offer(&self, events: &mut Events, what: &str) -> wire::InteractionView {
        let offer = events.offer(what).await;
        self.accept(offer.interaction.id).await
    }

    /// Ends the chat and marks it Done (disposition `resolved`).
    pub async fn finish(&self, id: wire::InteractionId) {
        let _: Value = self
            .post(&format!("/api/interactions/{id}/end"), json!({}))
            .await;
        let _: Value = self
            .post(
                &format!("/api/interactions/{id}/done"),
                json!({"disposition": "resolved"}),
            )
            .await;
    }

    /// Goes Ready.
    pub async fn ready(&self) {
        let (s, v) = self
            .call(
                reqwest::Method::PUT,
                "/api/me/status",
                Some(json!({"status": {"state": "ready"}})),
            )
            .await;
        assert_eq!(s, 200, "ready: {v}");
    }

    /// Goes Not Ready (break).
    pub async fn not_ready(&self) {
        let (s, v) = self
            .call(
                reqwest::Method::PUT,
                "/api/me/status",
                Some(json!({"status": {"state": "not_ready", "reason": "break"}})),
            )
            .await;
        assert_eq!(s, 200, "not ready: {v}");
    }
}

/// A website visitor.
pub struct Visitor {
    base: String,
    /// The visitor token.
    pub token: String,
    /// Their contact.
    pub contact: ContactId,
}

impl Caller for Visitor {
    fn base(&self) -> &str {
        &self.base
    }
    fn token(&self) -> &str {
        &self.token
    }
}

impl Visitor {
    /// The visitor of a `VisitorSession` answer.
    pub fn from_session(s: &Server, session: &Value) -> Visitor {
        let s2: VisitorSession = serde_json::from_value(session.clone()).expect("session");
        Visitor {
            base: s.base.clone(),
            token: s2.visitor_token,
            contact: s2.contact_id,
        }
    }

    /// The same visitor (token and contact) calling `server` instead, such as one started on
    /// a copy of the database.
    pub fn on(&self, server: &Server) -> Visitor {
        Visitor {
            base: server.base.clone(),
            token: self.token.clone(),
            contact: self.contact,
        }
    }

    /// Opens the visitor's event stream.
    pub async fn events(&self) -> Events {
        self.stream("/api/visitor/events/ticket", "/api/visitor/events", None)
            .await
    }

    /// Sends a text message with a fresh client id.
    pub async fn say(&self, text: &str) -> wire::visitor::VisitorMessage {
        self.post(
            "/api/visitor/messages",
            json!({"client_id": client_id(), "text": text}),
        )
        .await
    }
}

/// A fresh client message id.
pub fn client_id() -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    format!(
        "cid-{}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst),
        rand_suffix()
    )
}

type SseStream = Pin<
    Box<
        dyn Stream<
                Item = Result<
                    eventsource_stream::Event,
                    eventsource_stream::EventStreamError<reqwest::Error>,
                >,
            > + Send,
    >,
>;

/// An open event stream.
pub struct Events {
    inner: SseStream,
    /// The last event id received.
    pub last: EventId,
    /// Every event received so far, in order.
    pub seen: Vec<EventEnvelope>,
}

impl Events {
    /// Waits (up to 15 s) for the next event that matches; panics with what was seen if none.
    pub async fn until(&mut self, what: &str, pred: impl Fn(&Event) -> bool) -> EventEnvelope {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let next = tokio::time::timeout(left, self.inner.next()).await;
            let Ok(Some(Ok(ev))) = next else {
                panic!(
                    "no {what} event arrived; saw {:?}",
                    self.seen.iter().map(|e| e.event.name()).collect::<Vec<_>>()
                );
            };
            let env = read_event(&ev.event, &ev.data);
            if env.id != LIVE_ONLY {
                assert_eq!(ev.id, env.id.0.to_string(), "SSE id matches the envelope");
                self.last = env.id;
            }
            self.seen.push(env.clone());
            if pred(&env.event) {
                return env;
            }
        }
    }

    /// Waits for the next chat offer; `what` names it in the failure message.
    pub async fn offer(&mut self, what: &str) -> wire::event::OfferView {
        let env = self.until(what, |e| matches!(e, Event::Offer { .. })).await;
        let Event::Offer { offer } = env.event else {
            unreachable!("until returned a matching event")
        };
        offer
    }

    /// Waits for the next `message` event whose message matches; `what` names it in the
    /// failure message.
    pub async fn message(
        &mut self,
        what: &str,
        pred: impl Fn(&wire::MessageView) -> bool,
    ) -> wire::MessageView {
        let env = self
            .until(
                what,
                |e| matches!(e, Event::Message { message } if pred(message)),
            )
            .await;
        let Event::Message { message } = env.event else {
            unreachable!("until returned a matching event")
        };
        message
    }

    /// Waits (up to 15 s) for the server to end the stream; events before the end are kept in
    /// `seen`. Panics if it stays open.
    pub async fn ended(&mut self) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let next = tokio::time::timeout(left, self.inner.next())
                .await
                .expect("the stream stayed open");
            match next {
                None | Some(Err(_)) => return,
                Some(Ok(ev)) => self.seen.push(read_event(&ev.event, &ev.data)),
            }
        }
    }

    /// Collects events for a while (no wait condition: used only to prove nothing else came).
    pub async fn drain_for(&mut self, d: Duration) -> Vec<EventEnvelope> {
        let mut out = Vec::new();
        let deadline = tokio::time::Instant::now() + d;
        while let Ok(Some(Ok(ev))) = tokio::time::timeout(
            deadline.saturating_duration_since(tokio::time::Instant::now()),
            self.inner.next(),
        )
        .await
        {
            let env = read_event(&ev.event, &ev.data);
            if env.id != LIVE_ONLY {
                self.last = env.id;
            }
            self.seen.push(env.clone());
            out.push(env);
        }
        out
    }
}

/// Uploads an image (multipart field `file`) to `path` with `token`; status and body.
pub async fn upload(s: &Server, token: &str, path: &str, bytes: Vec<u8>) -> (u16, Value) {
    upload_as(s, token, path, bytes, "photo.png", Some("image/png")).await
}

/// Uploads `bytes` as file `name`, declared as `mime` (or with no type), to `path` with
/// `token`; status and body.
pub async fn upload_as(
    s: &Server,
    token: &str,
    path: &str,
    bytes: Vec<u8>,
    name: &str,
    mime: Option<&str>,
) -> (u16, Value) {
    let mut part = reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned());
    if let Some(mime) = mime {
        part = part.mime_str(mime).expect("mime");
    }
    let r = reqwest::Client::new()
        .post(format!("{}{path}", s.base))
        .bearer_auth(token)
        .multipart(reqwest::multipart::Form::new().part("file", part))
        .send()
        .await
        .expect("upload");
    (
        r.status().as_u16(),
        r.json::<Value>().await.unwrap_or(Value::Null),
    )
}

/// Whether `needle` occurs in `hay`, byte for byte.
pub fn holds_bytes(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// A valid 1×1 PNG.
pub fn tiny_png() -> Vec<u8> {
    vec![
        0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0x0D, 0x49, 0x48, 0x44, 0x52, 0,
        0, 0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0, 0x1F, 0x15, 0xC4, 0x89, 0, 0, 0, 0x0D, 0x49, 0x44,
        0x41, 0x54, 0x78, 0x9C, 0x63, 0xF8, 0xCF, 0xC0, 0xF0, 0x1F, 0, 0x05, 0x00, 0x01, 0xFF,
        0x89, 0x99, 0x3D, 0x1D, 0, 0, 0, 0, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
    ]
}

/// Now, in milliseconds since 1970 (the API's `Millis`).
pub fn now_ms() -> i64 {
    i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("clock")
            .as_millis(),
    )
    .expect("millis")
}

/// Now, in seconds since 1970 (signed identities' expiry).
pub fn unix_now() -> i64 {
    now_ms() / 1000
}

/// A loopback port free right now, for a server binary started by a test.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

/// Waits (up to a minute) until the server binary at `base` answers.
pub async fn wait_up(base: &str) {
    let deadline = tokio::time::Instant::now() + Duration::from_mins(1);
    while reqwest::get(format!("{base}/api/openapi.json"))
        .await
        .map(|r| r.status().is_success())
        .ok()
        != Some(true)
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "server did not come up"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Logs in with a claimed client address; returns status, `Retry-After` and body.
pub async fn login_as(
    s: &Server,
    login: &str,
    password: &str,
    forwarded_for: Option<&str>,
) -> (u16, Option<u64>, Value) {
    let body = json!({"login": login, "password": password});
    post_as(s, "/api/auth/login", None, forwarded_for, body).await
}

/// Posts `body` to `path` with an optional bearer token and a claimed client address
/// (`X-Forwarded-For`); returns status, `Retry-After` in seconds and the JSON body (null when
/// there is none).
pub async fn post_as(
    s: &Server,
    path: &str,
    token: Option<&str>,
    forwarded_for: Option<&str>,
    body: Value,
) -> (u16, Option<u64>, Value) {
    let mut req = reqwest::Client::new()
        .post(format!("{}{path}", s.base))
        .json(&body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(x) = forwarded_for {
        req = req.header("x-forwarded-for", x);
    }
    let resp = req.send().await.expect("request");
    let status = resp.status().as_u16();
    let retry = resp
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    let body = resp.json().await.unwrap_or(Value::Null);
    (status, retry, body)
}

/// Loopback as the one trusted proxy, so a test can claim any client address.
pub fn loopback_trusted() -> Vec<threadline_api::config::IpNet> {
    vec!["127.0.0.1".parse().expect("an address")]
}
