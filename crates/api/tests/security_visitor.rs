//! The visitor side of issue 13 (findings 3 and 5), tried as an attacker would, on SQLite and
//! PostgreSQL:
//! - finding 3: visitor tokens expire (anonymous: sliding; identified: with the signed
//!   identity), expired ones get 401 `token_expired`, an identified customer's token is never
//!   resumed without the site's identity;
//! - finding 5: every visitor response and every visitor stream event has only the fields of
//!   `wire::visitor` (raw JSON compared with the allowed field sets).
//!
//! Finding 6 (limits for strangers) is in `security_visitor_limits.rs`.

mod common;

use common::{client_id, tiny_png, unix_now, upload, Backend, Caller, Server, Visitor};
use eventsource_stream::Eventsource;
use futures_util::StreamExt;
use reqwest::Method;
use serde_json::{json, Value};
use std::time::Duration;
use threadline_api::auth::sign_identity;
use threadline_api::config::DEMO_IDENTITY_SECRET;
use wire::api::StreamTicket;

on_both!(
    visitor_responses_and_events_carry_only_visitor_fields,
    tokens_expire_and_identified_ones_need_the_site,
    anonymous_tokens_slide_with_use,
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
