//! A stand-in for the platforms Threadline sends to, on loopback: the Messenger Send API
//! (`POST /{version}/me/messages`), X's Direct Message API
//! (`POST /2/dm_conversations/with/{participant_id}/messages`), and the public replies: a
//! comment on a Page post or comment (`POST /{version}/{object_id}/comments`) and a reply
//! Tweet (`POST /2/tweets`). It checks the token, answers
//! with ids in the platforms' shapes, records every request for tests to read, and can be told
//! to fail the next calls (a 500, a 429 with `Retry-After`, or a 400 with the platform's error
//! body). Given Threadline's webhook URL and secrets ([`Webhooks`]) it also sends, as the
//! platforms do, signed webhooks: customers' messages, comments and mentions, and the delivery
//! and read receipts of the sends it accepted.
//!
//! # Layout
//! - [`Standin`]: the shared handle (records, queued failures); [`Tokens`]: what it accepts.
//! - [`Recorded`], [`Failure`], [`FailOrder`]: what it records and what it can be told.
//! - [`webhooks`]: what it sends to Threadline.
//! - [`app`] / [`serve`]: the HTTP server; `/_standin/requests`, `/_standin/fail`,
//!   `/_standin/customer/{channel}` and `/_standin/webhooks` control it over HTTP when it runs
//!   as its own binary.

pub mod webhooks;

pub use webhooks::{
    sign_meta, sign_x, CustomerChannel, CustomerMessage, CustomerSent, SentWebhook, WebhookError,
    Webhooks,
};

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard};

/// The tokens the stand-in accepts (anything else is answered 401, as the platforms do).
#[derive(Debug, Clone)]
pub struct Tokens {
    /// The Page access token of the Messenger Send API.
    pub meta_page_token: String,
    /// The OAuth 2 user-context bearer token of the X API.
    pub x_access_token: String,
}

/// One request the stand-in received.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Recorded {
    /// `POST`, normally.
    pub method: String,
    /// The path, without the query.
    pub path: String,
    /// The `access_token` query parameter (Meta), if any.
    pub access_token: Option<String>,
    /// The `Authorization` header, if any.
    pub authorization: Option<String>,
    /// The JSON body (`null` when it was not JSON).
    pub body: Value,
    /// The status it was answered with.
    pub status: u16,
    /// When it arrived (ms since the Unix epoch): tests check the waits between attempts.
    pub received_at_ms: u64,
}

/// How a call is made to fail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Failure {
    /// `500 Internal Server Error`.
    ServerError,
    /// `429 Too Many Requests` with `Retry-After: <retry_after>` (seconds).
    RateLimited {
        /// The seconds in `Retry-After`.
        retry_after: u64,
    },
    /// `400 Bad Request` with the platform's error body carrying `message`.
    Rejected {
        /// The platform's reason.
        message: String,
    },
}

/// The body of `POST /_standin/fail`: fail the next `times` calls with `failure`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailOrder {
    /// How.
    pub failure: Failure,
    /// How many of the next calls.
    pub times: u32,
}

/// The state shared by the server and whoever drives it (cheap to clone).
#[derive(Debug, Clone)]
pub struct Standin {
    /// What it accepts.
    tokens: Arc<Tokens>,
    /// Records and queued failures.
    inner: Arc<Mutex<Inner>>,
    /// Sends the webhooks (one connection pool for all of them).
    client: reqwest::Client,
    /// The page origins whose scripts may post customers' messages
    /// (`/_standin/customer/{channel}`): the demo page's.
    cors_origins: Arc<Vec<HeaderValue>>,
}

/// The mutable part of [`Standin`].
#[derive(Debug, Default)]
struct Inner {
    /// Every request, in arrival order.
    requests: Vec<Recorded>,
    /// Failures for the next calls, first first.
    failures: VecDeque<Failure>,
    /// The last id handed out (ids are `m_<n>` on Messenger and `<n>` on X).
    last_id: u64,
    /// Where webhooks go and how they are signed; none sends none.
    webhooks: Option<Webhooks>,
    /// The last number given to a customer's message (their ids are apart from `last_id`'s).
    last_inbound: u64,
    /// Every webhook sent, in order.
    sent: Vec<SentWebhook>,
}

impl Standin {
    /// A stand-in accepting `tokens`, with nothing recorded.
    pub fn new(tokens: Tokens) -> Standin {
        Standin {
            tokens: Arc::new(tokens),
            inner: Arc::new(Mutex::new(Inner::default())),
            client: reqwest::Client::builder()
                .timeout(std::time::Duration::from_secs(10))
                .build()
                .unwrap_or_default(),
            cors_origins: Arc::new(Vec::new()),
        }
    }

    /// Lets pages of `origin` (`http://127.0.0.1:8080`) post customers' messages from their
    /// scripts (CORS on `/_standin/customer/{channel}`); before [`app`] is built.
    #[must_use]
    pub fn with_cors_origin(mut self, origin: &str) -> Standin {
        if let Ok(v) = HeaderValue::from_str(origin.trim_end_matches('/')) {
            Arc::make_mut(&mut self.cors_origins).push(v);
        }
        self
    }

    /// Sends webhooks to Threadline from now on, as `webhooks` says.
    pub fn send_webhooks_to(&self, webhooks: Webhooks) {
        self.lock().webhooks = Some(webhooks);
    }

    /// Where webhooks go, if anywhere.
    pub fn webhooks(&self) -> Option<Webhooks> {
        self.lock().webhooks.clone()
    }

    /// Every webhook sent so far, in order.
    pub fn sent_webhooks(&self) -> Vec<SentWebhook> {
        self.lock().sent.clone()
    }

    fn record_webhook(&self, sent: SentWebhook) {
        self.lock().sent.push(sent);
    }

    fn next_inbound(&self) -> u64 {
        let mut inner = self.lock();
        inner.last_inbound += 1;
        inner.last_inbound
    }

    fn client(&self) -> &reqwest::Client {
        &self.client
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Every request received so far, in order.
    pub fn requests(&self) -> Vec<Recorded> {
        self.lock().requests.clone()
    }

    /// Fails the next `times` platform calls with `failure` (after any already queued).
    pub fn fail(&self, failure: Failure, times: u32) {
        let mut inner = self.lock();
        for _ in 0..times {
            inner.failures.push_back(failure.clone());
        }
    }

    /// Takes the next queued failure, or hands out the next id.
    fn next_outcome(&self) -> Result<u64, Failure> {
        let mut inner = self.lock();
        if let Some(f) = inner.failures.pop_front() {
            return Err(f);
        }
        inner.last_id += 1;
        Ok(inner.last_id)
    }

    fn record(&self, method: &Method, uri: &Uri, headers: &HeaderMap, body: &Bytes, status: u16) {
        let access_token = uri.query().and_then(|q| {
            q.split('&')
                .filter_map(|p| p.split_once('='))
                .find(|(k, _)| *k == "access_token")
                .map(|(_, v)| v.to_owned())
        });
        self.lock().requests.push(Recorded {
            method: method.to_string(),
            path: uri.path().to_owned(),
            access_token,
            authorization: headers
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
            body: serde_json::from_slice(body).unwrap_or(Value::Null),
            status,
            received_at_ms: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
        });
    }
}

/// Which platform a call imitates (their error bodies differ).
#[derive(Debug, Clone, Copy)]
enum Platform {
    Meta,
    X,
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
}

fn error(platform: Platform, status: StatusCode, message: &str) -> Response {
    let body = match platform {
        Platform::Meta => json!({"error": {
            "message": message,
            "type": if status == StatusCode::UNAUTHORIZED { "OAuthException" } else { "GraphMethodException" },
            "code": if status == StatusCode::UNAUTHORIZED { 190 } else { 100 },
            "fbtrace_id": "standin"
        }}),
        Platform::X => json!({
            "title": status.canonical_reason().unwrap_or("Error"),
            "detail": message,
            "type": "about:blank",
            "status": status.as_u16()
        }),
    };
    (status, Json(body)).into_response()
}

fn failure_response(platform: Platform, failure: Failure) -> Response {
    match failure {
        Failure::ServerError => error(
            platform,
            StatusCode::INTERNAL_SERVER_ERROR,
            "An unexpected error has occurred.",
        ),
        Failure::RateLimited { retry_after } => {
            let mut r = error(platform, StatusCode::TOO_MANY_REQUESTS, "Too Many Requests");
            if let Ok(v) = HeaderValue::from_str(&retry_after.to_string()) {
                r.headers_mut().insert("retry-after", v);
            }
            r
        }
        Failure::Rejected { message } => error(platform, StatusCode::BAD_REQUEST, &message),
    }
}

/// Checks a Send API body: a recipient, a text, a known `messaging_type` (and a tag with
/// `MESSAGE_TAG`).
fn meta_body_problem(body: &Value) -> Option<&'static str> {
    if body["recipient"]["id"].as_str().is_none_or(str::is_empty) {
        return Some("(#100) The parameter recipient is required");
    }
    if body["message"]["text"].as_str().is_none_or(str::is_empty) {
        return Some("(#100) The parameter message is required");
    }
    match body["messaging_type"].as_str() {
        Some("RESPONSE" | "UPDATE") => None,
        Some("MESSAGE_TAG") if body["tag"].as_str().is_some() => None,
        Some("MESSAGE_TAG") => Some("(#100) Tag is required for MESSAGE_TAG"),
        _ => Some("(#100) Param messaging_type must be one of {RESPONSE, UPDATE, MESSAGE_TAG}"),
    }
}

/// X's answer to a body it cannot use.
const X_INVALID: &str = "One or more parameters to your request was invalid.";

/// The Graph API's caller: the Page token as `access_token` in the query, or as bearer.
fn meta_token<'a>(query: &'a HashMap<String, String>, headers: &'a HeaderMap) -> Option<&'a str> {
    query
        .get("access_token")
        .map(String::as_str)
        .or_else(|| bearer(headers))
}

/// How every send route answers, as the platform would: a wrong token 401 and a body
/// `problem` 400 in the platform's words, else the next ordered outcome (a failure, or
/// `accepted` with the call's number).
fn answer(
    s: &Standin,
    platform: Platform,
    token_ok: bool,
    problem: Option<&str>,
    accepted: impl FnOnce(u64) -> Response,
) -> Response {
    if !token_ok {
        let message = match platform {
            Platform::Meta => "Invalid OAuth access token - Cannot parse access token",
            Platform::X => "Unauthorized",
        };
        return error(platform, StatusCode::UNAUTHORIZED, message);
    }
    if let Some(problem) = problem {
        return error(platform, StatusCode::BAD_REQUEST, problem);
    }
    match s.next_outcome() {
        Err(f) => failure_response(platform, f),
        Ok(n) => accepted(n),
    }
}

async fn meta_send(
    State(s): State<Standin>,
    Path(_version): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let parsed: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let token_ok = meta_token(&query, &headers) == Some(s.tokens.meta_page_token.as_str());
    let response = answer(
        &s,
        Platform::Meta,
        token_ok,
        meta_body_problem(&parsed),
        |n| {
            let mid = format!("m_{n}");
            if let Some(psid) = parsed["recipient"]["id"].as_str() {
                s.receipts_for(webhooks::Signer::Meta, psid.to_owned(), mid.clone());
            }
            Json(json!({
                "recipient_id": parsed["recipient"]["id"],
                "message_id": mid,
            }))
            .into_response()
        },
    );
    s.record(&method, &uri, &headers, &body, response.status().as_u16());
    response
}

async fn x_send(
    State(s): State<Standin>,
    Path(participant): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let parsed: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let token_ok = bearer(&headers) == Some(s.tokens.x_access_token.as_str());
    let problem = parsed["text"]
        .as_str()
        .is_none_or(str::is_empty)
        .then_some(X_INVALID);
    let response = answer(&s, Platform::X, token_ok, problem, |n| {
        s.receipts_for(webhooks::Signer::X, participant.clone(), n.to_string());
        (
            StatusCode::CREATED,
            Json(json!({"data": {
                "dm_conversation_id": format!("1-{participant}"),
                "dm_event_id": n.to_string(),
            }})),
        )
            .into_response()
    });
    s.record(&method, &uri, &headers, &body, response.status().as_u16());
    response
}

/// A comment on a post or comment (Graph API `POST /{object-id}/comments` with `message`):
/// answered `{"id": "<object>_<n>"}` as Meta names comments.
async fn meta_comment(
    State(s): State<Standin>,
    Path((_version, object)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let parsed: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let token_ok = meta_token(&query, &headers) == Some(s.tokens.meta_page_token.as_str());
    let problem = parsed["message"]
        .as_str()
        .is_none_or(str::is_empty)
        .then_some("(#100) The parameter message is required");
    let response = answer(&s, Platform::Meta, token_ok, problem, |n| {
        Json(json!({"id": format!("{object}_{n}")})).into_response()
    });
    s.record(&method, &uri, &headers, &body, response.status().as_u16());
    response
}

/// A Tweet (X API v2 `POST /2/tweets` with `text` and, for a reply,
/// `reply.in_reply_to_tweet_id`): answered 201 `{"data": {"id", "text"}}`.
async fn x_tweet(
    State(s): State<Standin>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let parsed: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let reply_ok = match &parsed["reply"] {
        Value::Null => true,
        reply => reply["in_reply_to_tweet_id"]
            .as_str()
            .is_some_and(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit())),
    };
    let token_ok = bearer(&headers) == Some(s.tokens.x_access_token.as_str());
    let problem =
        (parsed["text"].as_str().is_none_or(str::is_empty) || !reply_ok).then_some(X_INVALID);
    let response = answer(&s, Platform::X, token_ok, problem, |n| {
        (
            StatusCode::CREATED,
            Json(json!({"data": {
                "id": format!("{}", 1_900_000_000_000_000_000_u64 + n),
                "text": parsed["text"],
            }})),
        )
            .into_response()
    });
    s.record(&method, &uri, &headers, &body, response.status().as_u16());
    response
}

async fn list_requests(State(s): State<Standin>) -> Json<Vec<Recorded>> {
    Json(s.requests())
}

async fn order_failure(State(s): State<Standin>, Json(order): Json<FailOrder>) -> StatusCode {
    s.fail(order.failure, order.times);
    StatusCode::NO_CONTENT
}

/// The error body of the stand-in's own routes: `{"error": {"code", "message"}}`.
fn own_error(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        Json(json!({"error": {"code": code, "message": message}})),
    )
        .into_response()
}

/// `POST /_standin/customer/{messenger|x_dm|page_comment|mention}` with `{name, text}`: the
/// customer's message goes to Threadline as a signed webhook; 200 with [`CustomerSent`] once
/// Threadline answered 2xx.
async fn customer(State(s): State<Standin>, Path(channel): Path<String>, body: Bytes) -> Response {
    let Some(channel) = CustomerChannel::parse(&channel) else {
        return own_error(
            StatusCode::NOT_FOUND,
            "unknown_channel",
            "the channel is messenger, x_dm, page_comment or mention",
        );
    };
    let message: CustomerMessage = match serde_json::from_slice(&body) {
        Ok(m) => m,
        Err(_) => {
            return own_error(
                StatusCode::BAD_REQUEST,
                "invalid",
                "the body must be {\"name\": \"…\", \"text\": \"…\"}",
            )
        }
    };
    match s.customer_sends(channel, &message).await {
        Ok(sent) => Json(sent).into_response(),
        Err(e @ WebhookError::Invalid(_)) => {
            own_error(StatusCode::BAD_REQUEST, "invalid", &e.to_string())
        }
        Err(e @ WebhookError::NotConfigured) => {
            own_error(StatusCode::CONFLICT, "not_configured", &e.to_string())
        }
        Err(e) => own_error(
            StatusCode::BAD_GATEWAY,
            "threadline_refused",
            &e.to_string(),
        ),
    }
}

async fn list_webhooks(State(s): State<Standin>) -> Json<Vec<SentWebhook>> {
    Json(s.sent_webhooks())
}

/// The stand-in's routes over `standin`.
pub fn app(standin: Standin) -> Router {
    // Only the customer route is for pages' scripts, and only from the origins given.
    let cors = tower_http::cors::CorsLayer::new()
        .allow_origin(tower_http::cors::AllowOrigin::list(
            standin.cors_origins.iter().cloned(),
        ))
        .allow_methods([Method::POST])
        .allow_headers([axum::http::header::CONTENT_TYPE]);
    Router::new()
        .route("/_standin/customer/{channel}", post(customer).layer(cors))
        .route("/_standin/webhooks", get(list_webhooks))
        .route("/{version}/me/messages", post(meta_send))
        .route(
            "/2/dm_conversations/with/{participant_id}/messages",
            post(x_send),
        )
        .route("/{version}/{object_id}/comments", post(meta_comment))
        .route("/2/tweets", post(x_tweet))
        .route("/_standin/requests", get(list_requests))
        .route("/_standin/fail", post(order_failure))
        .with_state(standin)
}

/// Serves `standin` on a free loopback port in a task of the current runtime, for tests;
/// answers its base URL (`http://127.0.0.1:<port>`). It stops with the runtime.
///
/// # Errors
/// No loopback port could be bound.
pub async fn spawn(standin: Standin) -> std::io::Result<String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    tokio::spawn(async move {
        // Serving ends only with the runtime; an accept error there has no one to tell.
        let _ = serve(listener, standin, std::future::pending()).await;
    });
    Ok(base)
}

/// Serves the stand-in on `listener` until `shutdown` completes.
///
/// # Errors
/// The listener failed.
pub async fn serve(
    listener: tokio::net::TcpListener,
    standin: Standin,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, app(standin))
        .with_graceful_shutdown(shutdown)
        .await
}
