//! The visitor side of issue 13, tried as an attacker would, on SQLite and PostgreSQL:
//! - finding 3: visitor tokens expire (anonymous: sliding; identified: with the signed
//!   identity), expired ones get 401 `token_expired`, an identified customer's token is never
//!   resumed without the site's identity;
//! - finding 5: every visitor response and every visitor stream event has only the fields of
//!   `wire::visitor` (raw JSON compared with the allowed field sets);
//! - finding 6: quotas per visitor and per address (429 + `Retry-After`, behind
//!   `--trusted-proxies` too), stream caps, typing never written, unsent uploads swept, and
//!   routing that a head of unroutable chats cannot starve.

mod common;

use common::{client_id, Backend, Caller, Server, Visitor};
use eventsource_stream::Eventsource;
use futures_util::StreamExt;
use reqwest::Method;
use serde_json::{json, Value};
use std::time::Duration;
use threadline_api::auth::sign_identity;
use threadline_api::config::DEMO_IDENTITY_SECRET;
use wire::api::StreamTicket;
use wire::Event;

on_both!(
    visitor_responses_and_events_carry_only_visitor_fields,
    tokens_expire_and_identified_ones_need_the_site,
    anonymous_tokens_slide_with_use,
    strangers_are_rate_limited_per_visitor_and_address,
    proxies_name_the_address_that_is_limited,
    visitor_streams_are_capped,
    typing_is_live_only,
    unsent_uploads_are_swept,
    spam_at_the_head_of_the_queue_cannot_starve_routing,
);

// ---- finding 5: the allowed fields -------------------------------------------------------

const MESSAGE: &[&str] = &[
    "id",
    "contact_id",
    "interaction_id",
    "seq",
    "author",
    "text",
    "attachment",
    "client_id",
    "created_at",
    "delivered_at",
    "read_at",
    "system",
];
const AUTHOR: &[&str] = &["kind", "name"];
const ATTACHMENT: &[&str] = &[
    "id",
    "content_type",
    "size",
    "width",
    "height",
    "file_name",
    "url",
];
const INTERACTION: &[&str] = &[
    "id",
    "contact_id",
    "state",
    "agent_name",
    "created_at",
    "ended_at",
    "ended_by",
];
const PAGE: &[&str] = &["contact_id", "messages", "interactions", "has_more"];
const SESSION: &[&str] = &[
    "visitor_token",
    "contact_id",
    "name",
    "unread",
    "open_interaction",
];
const TICKET: &[&str] = &["ticket", "expires_at", "head"];
/// Fields of the desktop's views a customer must never see (the review's list and more).
const INTERNAL: &[&str] = &[
    "disposition",
    "handle_time_ms",
    "reserved_for",
    "offer_expires_at",
    "agent_id",
    "contact_page",
    "contact_name",
    "continued_as",
    "reactivated_by",
    "reactivated_from",
    "done_at",
];

fn only(v: &Value, allowed: &[&str], what: &str) {
    let obj = v
        .as_object()
        .unwrap_or_else(|| panic!("{what} is not an object: {v}"));
    for key in obj.keys() {
        assert!(
            allowed.contains(&key.as_str()),
            "{what} has the field `{key}`, which a visitor may not see: {v}"
        );
        assert!(!INTERNAL.contains(&key.as_str()), "{what} leaks `{key}`");
    }
}

fn check_message(v: &Value) {
    only(v, MESSAGE, "a message");
    only(&v["author"], AUTHOR, "a message's author");
    if !v["attachment"].is_null() {
        only(&v["attachment"], ATTACHMENT, "an attachment");
    }
}

fn check_interaction(v: &Value) {
    only(v, INTERACTION, "an interaction");
}

fn check_page(v: &Value) {
    only(v, PAGE, "a conversation page");
    for m in v["messages"].as_array().expect("messages") {
        check_message(m);
    }
    for i in v["interactions"].as_array().expect("interactions") {
        check_interaction(i);
    }
}

/// Checks one visitor stream event (its SSE name and raw `data:`); returns its `type`.
fn check_event(name: &str, data: &str) -> String {
    let v: Value = serde_json::from_str(data).expect("event JSON");
    only(&v, &["id", "at", "event"], "an event envelope");
    let e = &v["event"];
    let kind = e["type"].as_str().expect("type").to_owned();
    assert_eq!(kind, name, "the SSE name is the type");
    match kind.as_str() {
        "message" => {
            only(e, &["type", "message"], "a message event");
            check_message(&e["message"]);
        }
        "interaction" => {
            only(e, &["type", "interaction"], "an interaction event");
            check_interaction(&e["interaction"]);
        }
        "typing" => only(e, &["type", "contact_id", "party", "typing"], "typing"),
        "receipt" => only(
            e,
            &[
                "type",
                "contact_id",
                "author_party",
                "up_to_seq",
                "read",
                "at",
            ],
            "a receipt",
        ),
        "resync" => only(e, &["type"], "resync"),
        other => panic!("a visitor stream sent an agent-only event `{other}`: {data}"),
    }
    kind
}

/// A visitor's stream read raw: every event is checked, and the types seen are kept.
struct RawStream {
    inner: std::pin::Pin<
        Box<
            dyn futures_util::Stream<
                    Item = Result<
                        eventsource_stream::Event,
                        eventsource_stream::EventStreamError<reqwest::Error>,
                    >,
                > + Send,
        >,
    >,
    seen: Vec<String>,
}

impl RawStream {
    async fn open(s: &Server, v: &Visitor) -> RawStream {
        let (st, t) = v
            .call(Method::POST, "/api/visitor/events/ticket", Some(json!({})))
            .await;
        assert_eq!(st, 200, "{t}");
        only(&t, TICKET, "a stream ticket");
        let t: StreamTicket = serde_json::from_value(t).expect("ticket");
        let resp = reqwest::Client::new()
            .get(format!("{}/api/visitor/events?ticket={}", s.base, t.ticket))
            .send()
            .await
            .expect("stream");
        assert_eq!(resp.status().as_u16(), 200);
        RawStream {
            inner: Box::pin(resp.bytes_stream().eventsource()),
            seen: Vec::new(),
        }
    }

    /// Waits (up to 15 s) for an event whose data contains `needle`.
    async fn until(&mut self, kind: &str, needle: &str) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let Ok(Some(Ok(ev))) = tokio::time::timeout(left, self.inner.next()).await else {
                panic!("no {kind} event with {needle}; saw {:?}", self.seen);
            };
            let got = check_event(&ev.event, &ev.data);
            self.seen.push(got.clone());
            if got == kind && ev.data.contains(needle) {
                return;
            }
        }
    }
}

async fn upload(s: &Server, token: &str, path: &str, bytes: Vec<u8>) -> (u16, Value) {
    let part = reqwest::multipart::Part::bytes(bytes)
        .file_name("photo.png")
        .mime_str("image/png")
        .expect("mime");
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

fn tiny_png() -> Vec<u8> {
    vec![
        0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0x0D, 0x49, 0x48, 0x44, 0x52, 0,
        0, 0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0, 0x1F, 0x15, 0xC4, 0x89, 0, 0, 0, 0x0D, 0x49, 0x44,
        0x41, 0x54, 0x78, 0x9C, 0x63, 0xF8, 0xCF, 0xC0, 0xF0, 0x1F, 0, 0x05, 0x00, 0x01, 0xFF,
        0x89, 0x99, 0x3D, 0x1D, 0, 0, 0, 0, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
    ]
}

async fn visitor_responses_and_events_carry_only_visitor_fields(b: Backend) {
    let s = Server::start(b, |_| {}).await;
    let ann = s.agent("ann").await;
    let mut ann_ev = ann.events().await;
    ann.ready().await;
    let (st, session) = s
        .call(
            Method::POST,
            "/api/visitor/session",
            None,
            Some(json!({"name": "Vera Visible", "page": "/pricing"})),
        )
        .await;
    assert_eq!(st, 200, "{session}");
    only(&session, SESSION, "a session");
    let v = Visitor::from_session(&s, &session);
    let mut raw = RawStream::open(&s, &v).await;
    // The visitor's own upload and send.
    let (st, image) = upload(&s, &v.token, "/api/visitor/attachments", tiny_png()).await;
    assert_eq!(st, 200, "{image}");
    only(&image, ATTACHMENT, "an upload");
    let (st, sent) = v
        .call(
            Method::POST,
            "/api/visitor/messages",
            Some(json!({"client_id": client_id(), "text": "hello with a photo", "attachment_id": image["id"]})),
        )
        .await;
    assert_eq!(st, 200, "{sent}");
    check_message(&sent);
    raw.until("message", "hello with a photo").await;
    // Offered (internally: reserved, offer expiry), accepted, written to, typed at.
    let offer = ann_ev.offer("offer").await;
    let id = offer.interaction.id;
    ann.accept(id).await;
    raw.until("interaction", "\"active\"").await;
    let (st, agent_image) = upload(&s, &ann.token, "/api/attachments", tiny_png()).await;
    assert_eq!(st, 200, "{agent_image}");
    ann.post::<Value>(
        &format!("/api/contacts/{}/messages", v.contact),
        json!({"client_id": client_id(), "text": "agent reply", "attachment_id": agent_image["id"]}),
    )
    .await;
    raw.until("message", "agent reply").await;
    ann.post::<Value>(
        &format!("/api/interactions/{id}/typing"),
        json!({"typing": true}),
    )
    .await;
    raw.until("typing", "\"agent\"").await;
    v.post::<Value>(
        "/api/visitor/receipts",
        json!({"up_to_seq": 3, "read": true}),
    )
    .await;
    ann.post::<Value>(
        &format!("/api/contacts/{}/receipts", v.contact),
        json!({"up_to_seq": 1, "read": true}),
    )
    .await;
    // Ended and marked Done with a disposition and handle time, which the visitor must not see.
    ann.post::<Value>(&format!("/api/interactions/{id}/end"), json!({}))
        .await;
    raw.until("interaction", "\"ended\"").await;
    ann.post::<Value>(
        &format!("/api/interactions/{id}/done"),
        json!({"disposition": "resolved"}),
    )
    .await;
    raw.until("interaction", "\"done\"").await;
    // Every visitor read, after all of that.
    let (st, page) = v.call(Method::GET, "/api/visitor/conversation", None).await;
    assert_eq!(st, 200, "{page}");
    check_page(&page);
    let texts: Vec<&str> = page["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .filter_map(|m| m["text"].as_str())
        .collect();
    assert!(texts.contains(&"agent reply"), "{page}");
    let (st, again) = s
        .call(
            Method::POST,
            "/api/visitor/session",
            None,
            Some(json!({"visitor_token": v.token})),
        )
        .await;
    assert_eq!(st, 200, "{again}");
    only(&again, SESSION, "a resumed session");
    let (st, _) = v.call(Method::POST, "/api/visitor/end", None).await;
    assert!(st == 204 || st == 409, "end: {st}");
    // A stream opened now replays the whole log for this visitor: all checked again.
    let mut replay = RawStream::open(&s, &v).await;
    let (st, _) = v
        .call(
            Method::POST,
            "/api/visitor/messages",
            Some(json!({"client_id": client_id(), "text": "one more"})),
        )
        .await;
    assert_eq!(st, 200);
    replay.until("message", "one more").await;
    for kind in ["message", "interaction", "typing"] {
        assert!(raw.seen.iter().any(|k| k == kind), "saw {:?}", raw.seen);
    }
}

// ---- finding 3: token lifetimes ----------------------------------------------------------

fn unix_now() -> i64 {
    i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("clock")
            .as_secs(),
    )
    .expect("time")
}

/// Calls the conversation with `token` until it is refused (at most `within`); the body.
async fn until_refused(s: &Server, token: &str, within: Duration) -> Value {
    let deadline = tokio::time::Instant::now() + within;
    let mut tick = tokio::time::interval(Duration::from_millis(200));
    loop {
        tick.tick().await;
        let (st, body) = s
            .call(Method::GET, "/api/visitor/conversation", Some(token), None)
            .await;
        if st != 200 {
            assert_eq!(st, 401, "{body}");
            return body;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the token still works"
        );
    }
}

async fn tokens_expire_and_identified_ones_need_the_site(b: Backend) {
    let ttl = Duration::from_secs(2);
    let s = Server::start(b, |c| c.visitor_token_ttl = ttl).await;
    // Anonymous: refused with a clear code once its lifetime passes unused. Any call would
    // extend it, so the test lets the lifetime pass untouched: time passing is what is tested.
    let anon = s.visitor("Short Lived").await;
    tokio::time::sleep(ttl + Duration::from_millis(500)).await;
    let (st, body) = anon
        .call(Method::GET, "/api/visitor/conversation", None)
        .await;
    assert_eq!(st, 401, "{body}");
    assert_eq!(body["error"]["code"], "token_expired", "{body}");
    let (st, body) = s
        .call(
            Method::POST,
            "/api/visitor/session",
            None,
            Some(json!({"visitor_token": anon.token})),
        )
        .await;
    assert_eq!((st, &body["error"]["code"]), (401, &json!("token_expired")));
    // Identified: the token lives as long as the signed identity, not longer.
    let identity = sign_identity(DEMO_IDENTITY_SECRET, "cust-13", unix_now() + 4);
    let customer = s.visitor_with(json!({"identity": identity})).await;
    customer.say("my account number is 1234").await;
    // The site stops vouching (the page of a logged-out customer has no identity): the saved
    // token alone does not reopen the conversation.
    let (st, body) = s
        .call(
            Method::POST,
            "/api/visitor/session",
            None,
            Some(json!({"visitor_token": customer.token})),
        )
        .await;
    assert_eq!(st, 401, "{body}");
    assert_eq!(body["error"]["code"], "identity_required");
    // Another customer's identity with the old token gets that customer's own conversation.
    let other = sign_identity(DEMO_IDENTITY_SECRET, "cust-14", unix_now() + 600);
    let next = s
        .visitor_with(json!({"identity": other, "visitor_token": customer.token}))
        .await;
    assert_ne!(next.contact, customer.contact);
    let page: wire::visitor::VisitorConversationPage = next.get("/api/visitor/conversation").await;
    assert!(page.messages.is_empty(), "a stranger's conversation showed");
    // The same customer vouched for again gets their conversation back.
    let again = sign_identity(DEMO_IDENTITY_SECRET, "cust-13", unix_now() + 600);
    let back = s.visitor_with(json!({"identity": again})).await;
    assert_eq!(back.contact, customer.contact);
    // And the first token dies with its identity.
    let body = until_refused(&s, &customer.token, Duration::from_secs(10)).await;
    assert_eq!(body["error"]["code"], "token_expired", "{body}");
}

async fn anonymous_tokens_slide_with_use(b: Backend) {
    let s = Server::start(b, |c| c.visitor_token_ttl = Duration::from_secs(2)).await;
    let v = s.visitor("Regular").await;
    // Used every 300 ms for twice its lifetime, it never expires.
    let started = tokio::time::Instant::now();
    let mut tick = tokio::time::interval(Duration::from_millis(300));
    while started.elapsed() < Duration::from_secs(4) {
        tick.tick().await;
        let (st, body) = v.call(Method::GET, "/api/visitor/conversation", None).await;
        assert_eq!(st, 200, "a token in use expired: {body}");
    }
}

// ---- finding 6: limits -------------------------------------------------------------------

fn assert_limited(st: u16, body: &Value, what: &str) {
    assert_eq!(st, 429, "{what}: {body}");
    assert_eq!(body["error"]["code"], "rate_limited", "{what}: {body}");
    assert!(body["error"]["message"].is_string());
}

async fn post_raw(
    s: &Server,
    path: &str,
    token: Option<&str>,
    forwarded: Option<&str>,
    body: Value,
) -> (u16, Option<String>, Value) {
    let mut req = reqwest::Client::new()
        .post(format!("{}{path}", s.base))
        .json(&body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(f) = forwarded {
        req = req.header("x-forwarded-for", f);
    }
    let r = req.send().await.expect("request");
    let st = r.status().as_u16();
    let retry = r
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    (st, retry, r.json().await.unwrap_or(Value::Null))
}

async fn strangers_are_rate_limited_per_visitor_and_address(b: Backend) {
    let s = Server::start(b, |c| {
        let q = &mut c.visitor_quotas;
        q.sessions_per_address = 4;
        q.messages_per_visitor = 3;
        q.messages_per_address = 5;
        q.uploads_per_visitor = 1;
        q.typing_per_visitor = 2;
        q.receipts_per_visitor = 2;
        q.tickets_per_visitor = 2;
    })
    .await;
    let a = s.visitor("Spammy A").await;
    let bee = s.visitor("Spammy B").await;
    // Messages: three for A, then 429 with Retry-After; B still has its own quota...
    for i in 0..3 {
        let (st, _, body) = post_raw(
            &s,
            "/api/visitor/messages",
            Some(&a.token),
            None,
            json!({"client_id": client_id(), "text": format!("spam {i}")}),
        )
        .await;
        assert_eq!(st, 200, "{body}");
    }
    let (st, retry, body) = post_raw(
        &s,
        "/api/visitor/messages",
        Some(&a.token),
        None,
        json!({"client_id": client_id(), "text": "one too many"}),
    )
    .await;
    assert_limited(st, &body, "fourth message");
    let secs: u64 = retry.expect("Retry-After").parse().expect("seconds");
    assert!((1..=60).contains(&secs));
    for i in 0..2 {
        let (st, _, body) = post_raw(
            &s,
            "/api/visitor/messages",
            Some(&bee.token),
            None,
            json!({"client_id": client_id(), "text": format!("b {i}")}),
        )
        .await;
        assert_eq!(st, 200, "{body}");
    }
    // ... until the address's quota (5) is used up for everyone there.
    let (st, _, body) = post_raw(
        &s,
        "/api/visitor/messages",
        Some(&bee.token),
        None,
        json!({"client_id": client_id(), "text": "address full"}),
    )
    .await;
    assert_limited(st, &body, "the address's sixth message");
    // A new session for the spammer does not reset the per-visitor quota: it is a new visitor,
    // and sessions from one address are limited too (two used above, two more, then 429).
    for _ in 0..2 {
        let (st, _, body) = post_raw(&s, "/api/visitor/session", None, None, json!({})).await;
        assert_eq!(st, 200, "{body}");
    }
    let (st, retry, body) = post_raw(&s, "/api/visitor/session", None, None, json!({})).await;
    assert_limited(st, &body, "fifth session");
    assert!(retry.is_some());
    // Typing and uploads.
    for _ in 0..2 {
        let (st, _, body) = post_raw(
            &s,
            "/api/visitor/typing",
            Some(&bee.token),
            None,
            json!({"typing": true}),
        )
        .await;
        assert_eq!(st, 204, "{body}");
    }
    let (st, _, body) = post_raw(
        &s,
        "/api/visitor/typing",
        Some(&bee.token),
        None,
        json!({"typing": true}),
    )
    .await;
    assert_limited(st, &body, "third typing notice");
    let (st, body) = upload(&s, &a.token, "/api/visitor/attachments", tiny_png()).await;
    assert_eq!(st, 200, "{body}");
    let (st, body) = upload(&s, &a.token, "/api/visitor/attachments", tiny_png()).await;
    assert_limited(st, &body, "second upload");
    // Receipts and stream tickets are writes too.
    for (path, body, quota) in [
        (
            "/api/visitor/receipts",
            json!({"up_to_seq": 1, "read": true}),
            2,
        ),
        ("/api/visitor/events/ticket", json!({}), 2),
    ] {
        for _ in 0..quota {
            let (st, _, got) = post_raw(&s, path, Some(&a.token), None, body.clone()).await;
            assert!((200..300).contains(&st), "{path}: {got}");
        }
        let (st, _, got) = post_raw(&s, path, Some(&a.token), None, body.clone()).await;
        assert_limited(st, &got, path);
    }
}

async fn proxies_name_the_address_that_is_limited(b: Backend) {
    let s = Server::start(b, |c| {
        c.trusted_proxies = vec!["127.0.0.1".parse().expect("net")];
        c.visitor_quotas.sessions_per_address = 2;
    })
    .await;
    for _ in 0..2 {
        let (st, _, body) = post_raw(
            &s,
            "/api/visitor/session",
            None,
            Some("203.0.113.7"),
            json!({}),
        )
        .await;
        assert_eq!(st, 200, "{body}");
    }
    let (st, _, body) = post_raw(
        &s,
        "/api/visitor/session",
        None,
        Some("203.0.113.7"),
        json!({}),
    )
    .await;
    assert_limited(st, &body, "third session from one client behind the proxy");
    // Another client behind the same proxy is not held up by the first.
    let (st, _, body) = post_raw(
        &s,
        "/api/visitor/session",
        None,
        Some("198.51.100.9"),
        json!({}),
    )
    .await;
    assert_eq!(st, 200, "{body}");
}

async fn open_status(s: &Server, v: &Visitor) -> (u16, Option<reqwest::Response>) {
    let t: StreamTicket = v.post("/api/visitor/events/ticket", json!({})).await;
    let r = reqwest::Client::new()
        .get(format!("{}/api/visitor/events?ticket={}", s.base, t.ticket))
        .send()
        .await
        .expect("stream");
    let st = r.status().as_u16();
    (st, (st == 200).then_some(r))
}

async fn visitor_streams_are_capped(b: Backend) {
    let s = Server::start(b, |c| {
        c.visitor_quotas.streams_per_visitor = 2;
        c.visitor_quotas.streams_per_address = 3;
        // The wait below takes a ticket per try.
        c.visitor_quotas.tickets_per_visitor = 10_000;
    })
    .await;
    let v = s.visitor("Many Tabs").await;
    let (st1, first) = open_status(&s, &v).await;
    let (st2, _second) = open_status(&s, &v).await;
    assert_eq!((st1, st2), (200, 200));
    let ticket: StreamTicket = v.post("/api/visitor/events/ticket", json!({})).await;
    let refused = reqwest::Client::new()
        .get(format!(
            "{}/api/visitor/events?ticket={}",
            s.base, ticket.ticket
        ))
        .send()
        .await
        .expect("stream");
    assert_eq!(refused.status().as_u16(), 429);
    assert!(refused.headers().contains_key("retry-after"));
    let body: Value = refused.json().await.expect("json");
    assert_eq!(body["error"]["code"], "rate_limited");
    // The address cap: one more visitor's stream fits, the next does not.
    let colleague = s.visitor("Same Office").await;
    let (st, _third) = open_status(&s, &colleague).await;
    assert_eq!(st, 200);
    let (st, _) = open_status(&s, &colleague).await;
    assert_eq!(st, 429, "the address holds three streams already");
    // Closing a stream frees its place (the server notices the closed connection).
    drop(first);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    loop {
        tick.tick().await;
        let (st, again) = open_status(&s, &v).await;
        if st == 200 {
            drop(again);
            break;
        }
        assert_eq!(st, 429);
        assert!(
            tokio::time::Instant::now() < deadline,
            "a closed stream's place was never freed"
        );
    }
}

async fn typing_is_live_only(b: Backend) {
    let s = Server::start(b, |_| {}).await;
    let ann = s.agent("ann").await;
    let mut ann_ev = ann.events().await;
    ann.ready().await;
    let v = s.visitor("Typist").await;
    v.say("hello").await;
    let offer = ann_ev.offer("offer").await;
    ann.accept(offer.interaction.id).await;
    let before: StreamTicket = v.post("/api/visitor/events/ticket", json!({})).await;
    for typing in [true, false, true] {
        v.post::<Value>("/api/visitor/typing", json!({"typing": typing}))
            .await;
    }
    let got = ann_ev
        .until("visitor typing", |e| {
            matches!(e, Event::Typing { typing: true, contact_id, .. } if *contact_id == v.contact)
        })
        .await;
    assert_eq!(got.id, common::LIVE_ONLY, "typing has no place in the log");
    let after: StreamTicket = v.post("/api/visitor/events/ticket", json!({})).await;
    assert_eq!(after.head, before.head, "typing wrote no event row");
    // A reconnect replays messages, never typing.
    let mut replay = ann
        .stream("/api/events/ticket", "/api/events", Some(before.head))
        .await;
    v.say("after typing").await;
    replay
        .until(
            "the message",
            |e| matches!(e, Event::Message { message } if message.text == "after typing"),
        )
        .await;
    assert!(
        !replay.seen.iter().any(|e| matches!(
            e.event,
            Event::Typing {
                party: wire::Party::Contact,
                ..
            }
        )),
        "typing was replayed from the log"
    );
}

async fn unsent_uploads_are_swept(b: Backend) {
    let s = Server::start(b, |c| {
        c.upload_expiry = Duration::from_secs(1);
        c.sweep_interval = Duration::from_millis(200);
    })
    .await;
    let v = s.visitor("Uploader").await;
    let (st, kept) = upload(&s, &v.token, "/api/visitor/attachments", tiny_png()).await;
    assert_eq!(st, 200, "{kept}");
    v.post::<Value>(
        "/api/visitor/messages",
        json!({"client_id": client_id(), "text": "", "attachment_id": kept["id"]}),
    )
    .await;
    let (st, unsent) = upload(&s, &v.token, "/api/visitor/attachments", tiny_png()).await;
    assert_eq!(st, 200, "{unsent}");
    let status =
        |url: String| async move { reqwest::get(url).await.expect("download").status().as_u16() };
    let unsent_url = format!("{}{}", s.base, unsent["url"].as_str().expect("url"));
    let kept_url = format!("{}{}", s.base, kept["url"].as_str().expect("url"));
    assert_eq!(status(unsent_url.clone()).await, 200);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    let mut tick = tokio::time::interval(Duration::from_millis(200));
    loop {
        tick.tick().await;
        if status(unsent_url.clone()).await == 404 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the unsent upload was never swept"
        );
    }
    assert_eq!(status(kept_url).await, 200, "a sent image is kept");
    // Its id can no longer be sent either.
    let (st, body) = v
        .call(
            Method::POST,
            "/api/visitor/messages",
            Some(json!({"client_id": client_id(), "text": "", "attachment_id": unsent["id"]})),
        )
        .await;
    assert!((400..500).contains(&st), "{st} {body}");
}

async fn spam_at_the_head_of_the_queue_cannot_starve_routing(b: Backend) {
    let s = Server::start(b, |c| {
        c.visitor_quotas.sessions_per_address = 100;
        c.decline_cooldown = Duration::from_mins(10);
    })
    .await;
    let ann = s.agent("ann").await;
    let mut ev = ann.events().await;
    // 26 spam chats queue up first, then one real customer.
    let mut spam = Vec::new();
    for i in 0..26 {
        let v = s.visitor(&format!("Spam {i}")).await;
        v.say("buy cheap watches").await;
        spam.push(v.contact);
    }
    let real = s.visitor("Real Customer").await;
    real.say("my order never arrived").await;
    ann.ready().await;
    // Ann rejects every spam chat as it is offered; each stays queued (unroutable for her).
    let mut rejected = 0;
    loop {
        let offer = ev.offer("the next offer").await;
        if offer.interaction.contact_id == real.contact {
            break;
        }
        assert!(spam.contains(&offer.interaction.contact_id));
        let (st, body) = ann
            .call(
                Method::POST,
                &format!("/api/interactions/{}/reject", offer.interaction.id),
                Some(json!({})),
            )
            .await;
        assert_eq!(st, 204, "{body}");
        rejected += 1;
        assert!(rejected <= 26, "a spam chat was offered twice");
    }
    assert_eq!(rejected, 26, "the real chat came after all 26 spam chats");
}

/// Typing is not in the log, so on PostgreSQL it crosses instances by `NOTIFY` alone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typing_reaches_an_agent_on_another_instance() {
    if common::pg_url().is_none() {
        eprintln!("THREADLINE_TEST_PG is not set: not run");
        return;
    }
    let one = Server::start(Backend::Postgres, |_| {}).await;
    let two = Server::start_on(common::TestDb::existing(one.db.url.clone()), |_| {}).await;
    let ann = one.agent("ann").await;
    let mut ann_ev = ann.events().await;
    ann.ready().await;
    let v = one.visitor("Roaming Typist").await;
    v.say("hello").await;
    let offer = ann_ev.offer("offer").await;
    ann.accept(offer.interaction.id).await;
    // The visitor's next request lands on the other instance.
    let (st, body) = two
        .call(
            Method::POST,
            "/api/visitor/typing",
            Some(&v.token),
            Some(json!({"typing": true})),
        )
        .await;
    assert_eq!(st, 204, "{body}");
    let got = ann_ev
        .until("typing from the other instance", |e| {
            matches!(e, Event::Typing { typing: true, contact_id, .. } if *contact_id == v.contact)
        })
        .await;
    assert_eq!(got.id, common::LIVE_ONLY);
    // Exactly once: the sending instance does not also take its own notice back.
    let (st, _) = one
        .call(
            Method::POST,
            "/api/visitor/typing",
            Some(&v.token),
            Some(json!({"typing": false})),
        )
        .await;
    assert_eq!(st, 204);
    ann_ev
        .until("typing stopped", |e| {
            matches!(e, Event::Typing { typing: false, .. })
        })
        .await;
    let more = ann_ev.drain_for(Duration::from_millis(500)).await;
    assert!(
        !more.iter().any(|e| matches!(e.event, Event::Typing { .. })),
        "a typing notice arrived twice: {more:?}"
    );
}
