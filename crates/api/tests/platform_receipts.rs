//! Delivery and read receipts from the platforms, over real HTTP on SQLite and PostgreSQL,
//! with the stand-in platform (`crates/platform-standin`) on a loopback port playing both
//! sides: a customer writes through its signed webhook, an agent answers, the stand-in accepts
//! the send, and its signed delivery and read webhooks set the message's `delivered_at` and
//! `read_at` (an event reaching the agent's stream each time). Receipts never move back, are
//! idempotent, ignore unknown ids, and a forged one changes nothing. The stand-in's own
//! customer endpoint (`POST /_standin/customer/{channel}`) and its automatic receipts too.

mod common;

use common::platforms::{self, configure, APP_SECRET, CONSUMER_SECRET, OUR_X_ID, PAGE};
use common::{Backend, Caller, Events, Server};
use serde_json::{json, Value};
use sqlx::Row;
use std::time::Duration;
use threadline_platform_standin::{
    CustomerChannel, CustomerMessage, Standin, Tokens, WebhookError, Webhooks,
};
use wire::api::SendResponse;
use wire::{Channel, ContactId, Event, MessageId, MessageView, OutboundState};

on_both!(
    messenger_delivery_and_read,
    x_read_events,
    automatic_receipts_after_a_send,
    the_customer_endpoint,
);

const DEMO_ORIGIN: &str = "http://127.0.0.1:9";

/// The stand-in on a loopback port, not sending anything yet, and its base URL.
async fn standin() -> (Standin, String) {
    platforms::serve(Standin::new(platforms::tokens()).with_cors_origin(DEMO_ORIGIN)).await
}

/// Where the stand-in's webhooks go (Threadline at `base`), signed with `meta_secret` and
/// `x_secret`; automatic receipts after `receipts_after`.
fn hooks(base: &str, meta_secret: &str, x_secret: &str, receipts_after: Option<u64>) -> Webhooks {
    Webhooks {
        threadline_url: base.to_owned(),
        meta_app_secret: meta_secret.to_owned(),
        x_consumer_secret: x_secret.to_owned(),
        page_id: PAGE.to_owned(),
        x_user_id: OUR_X_ID.to_owned(),
        x_screen_name: "northwind".to_owned(),
        receipts_after: receipts_after.map(Duration::from_millis),
    }
}

/// A server whose outbox talks to the stand-in at `platform`, and the stand-in pointed back
/// at it.
async fn server(b: Backend, standin: &Standin, platform: &str, receipts: Option<u64>) -> Server {
    let platform = platform.to_owned();
    let s = Server::start(b, move |c| configure(c, &platform)).await;
    standin.send_webhooks_to(hooks(&s.base, APP_SECRET, CONSUMER_SECRET, receipts));
    s
}

/// A stand-in that signs with the wrong secrets, aimed at the same server: a forger.
fn forger(s: &Server) -> Standin {
    let forger = Standin::new(Tokens {
        meta_page_token: String::new(),
        x_access_token: String::new(),
    });
    forger.send_webhooks_to(hooks(
        &s.base,
        "not-the-meta-app-secret",
        "not-the-x-consumer-secret",
        None,
    ));
    forger
}

fn says(name: &str, text: &str) -> CustomerMessage {
    CustomerMessage {
        name: name.to_owned(),
        text: text.to_owned(),
    }
}

/// Ann, Ready, with the chat the customer `name` starts on `channel` accepted (the offer names
/// `expect`); returns her, her events, the contact and the customer's platform id.
async fn ann_with_chat(
    s: &Server,
    standin: &Standin,
    channel: CustomerChannel,
    name: &str,
    expect: Channel,
) -> (common::Agent, Events, ContactId, String) {
    let ann = s.agent("ann").await;
    let mut events = ann.events().await;
    ann.ready().await;
    let sent = standin
        .customer_sends(channel, &says(name, "Where is my order?"))
        .await
        .expect("Threadline took the customer's message");
    assert_eq!(sent.status, 200);
    let offer = events.offer("the customer's chat").await;
    assert_eq!(offer.interaction.channel, expect);
    assert_eq!(offer.first_message.as_deref(), Some("Where is my order?"));
    let chat = ann.accept(offer.interaction.id).await;
    (ann, events, chat.contact_id, sent.customer_id)
}

/// Ann's reply, once the stand-in accepted it (state `sent`).
async fn sent_reply(
    ann: &common::Agent,
    events: &mut Events,
    contact: ContactId,
    text: &str,
) -> MessageView {
    let sent: SendResponse = ann
        .post(
            &format!("/api/contacts/{contact}/messages"),
            json!({"client_id": common::client_id(), "text": text}),
        )
        .await;
    let id = sent.message.id;
    let env = events
        .until(&format!("message {id} sent"), |e| {
            matches!(e, Event::Message { message } if message.id == id
                && message.outbound.as_ref().is_some_and(|o| o.state == OutboundState::Sent))
        })
        .await;
    let Event::Message { message } = env.event else {
        unreachable!("matched a message event")
    };
    message
}

/// Waits for the message's event with a delivered mark (and a read one when `read`).
async fn until_marked(events: &mut Events, id: MessageId, read: bool) -> MessageView {
    events
        .message(&format!("message {id} marked (read: {read})"), |m| {
            m.id == id && m.delivered_at.is_some() && (m.read_at.is_some() || !read)
        })
        .await
}

/// The stored marks of a message: `(delivered_at, read_at)`.
async fn marks(s: &Server, id: MessageId) -> (Option<i64>, Option<i64>) {
    let pool = s.db.pool().await;
    let r = sqlx::query("SELECT delivered_at, read_at FROM messages WHERE id = $1")
        .bind(id.0)
        .fetch_one(&pool)
        .await
        .expect("message");
    (
        r.try_get("delivered_at").expect("delivered_at"),
        r.try_get("read_at").expect("read_at"),
    )
}

/// The platform id the outbox stored for a message.
async fn platform_id(s: &Server, id: MessageId) -> String {
    let pool = s.db.pool().await;
    sqlx::query("SELECT platform_id FROM outbox WHERE message_id = $1")
        .bind(id.0)
        .fetch_one(&pool)
        .await
        .expect("outbox row")
        .try_get("platform_id")
        .expect("platform_id")
}

async fn messenger_delivery_and_read(b: Backend) {
    let (standin, platform) = standin().await;
    let s = server(b, &standin, &platform, None).await;
    let (ann, mut events, contact, psid) = ann_with_chat(
        &s,
        &standin,
        CustomerChannel::Messenger,
        "Dana Park",
        Channel::Messenger,
    )
    .await;
    let first = sent_reply(&ann, &mut events, contact, "It left the warehouse.").await;
    let second = sent_reply(&ann, &mut events, contact, "Tracking follows.").await;
    let first_mid = platform_id(&s, first.id).await;
    assert_eq!(first_mid, "m_1");

    // A forged delivery (wrong app secret) is refused and changes nothing.
    let forged = forger(&s)
        .messenger_delivery(&psid, std::slice::from_ref(&first_mid), u64::MAX >> 12)
        .await;
    assert_eq!(forged, Err(WebhookError::Refused(403)));
    assert_eq!(marks(&s, first.id).await, (None, None));

    // An unknown mid, with a watermark before anything was sent, changes nothing.
    assert_eq!(
        standin
            .messenger_delivery(&psid, &["m_999".to_owned()], 1)
            .await,
        Ok(200)
    );
    assert_eq!(marks(&s, first.id).await, (None, None));

    // Delivery naming the first mid: only the first is delivered, live.
    standin
        .messenger_delivery(&psid, std::slice::from_ref(&first_mid), 1)
        .await
        .expect("delivery taken");
    let marked = until_marked(&mut events, first.id, false).await;
    assert!(marked.read_at.is_none());
    let (delivered_first, _) = marks(&s, first.id).await;
    assert_eq!(delivered_first, marked.delivered_at);
    assert_eq!(marks(&s, second.id).await, (None, None));

    // A watermark after both sends: the second is delivered too; the first keeps its time.
    let now = u64::try_from(common::now_ms()).expect("positive");
    standin
        .messenger_delivery(&psid, &[], now)
        .await
        .expect("delivery taken");
    until_marked(&mut events, second.id, false).await;
    assert_eq!(marks(&s, first.id).await.0, delivered_first);

    // Read up to now: both read, live.
    standin
        .messenger_read(&psid, now)
        .await
        .expect("read taken");
    until_marked(&mut events, first.id, true).await;
    let read_second = until_marked(&mut events, second.id, true).await;
    let after = (marks(&s, first.id).await, marks(&s, second.id).await);
    assert_eq!(after.1 .1, read_second.read_at);

    // The same read again, an older delivery, and a forged read: nothing moves.
    standin
        .messenger_read(&psid, now)
        .await
        .expect("read taken");
    standin
        .messenger_delivery(&psid, std::slice::from_ref(&first_mid), 1)
        .await
        .expect("delivery taken");
    assert_eq!(
        forger(&s).messenger_read(&psid, now + 60_000).await,
        Err(WebhookError::Refused(403))
    );
    assert_eq!(
        (marks(&s, first.id).await, marks(&s, second.id).await),
        after
    );

    // A third reply, after the read: unread, and a forged read leaves it so.
    let third = sent_reply(&ann, &mut events, contact, "Anything else?").await;
    let later = u64::try_from(common::now_ms()).expect("positive") + 1000;
    assert_eq!(
        forger(&s).messenger_read(&psid, later).await,
        Err(WebhookError::Refused(403))
    );
    assert_eq!(marks(&s, third.id).await, (None, None));
    // Another customer's read does not touch Dana's messages.
    standin
        .messenger_read("7000000000000099", later)
        .await
        .expect("read taken");
    assert_eq!(marks(&s, third.id).await, (None, None));
    // The conversation shows the marks.
    let page: wire::api::ConversationPage = ann
        .get(&format!("/api/contacts/{contact}/conversation"))
        .await;
    let shown = page
        .messages
        .iter()
        .find(|m| m.id == first.id)
        .expect("in the conversation");
    assert_eq!((shown.delivered_at, shown.read_at), after.0);
    s.stop().await;
}

async fn x_read_events(b: Backend) {
    let (standin, platform) = standin().await;
    let s = server(b, &standin, &platform, None).await;
    let (ann, mut events, contact, user) = ann_with_chat(
        &s,
        &standin,
        CustomerChannel::XDm,
        "Ravi Shah",
        Channel::TwitterDm,
    )
    .await;
    let first = sent_reply(&ann, &mut events, contact, "Refund started.").await;
    let second = sent_reply(&ann, &mut events, contact, "Five working days.").await;
    let (first_id, second_id) = (
        platform_id(&s, first.id).await,
        platform_id(&s, second.id).await,
    );

    // Forged: refused, nothing changes. Unknown event id: nothing changes.
    assert_eq!(
        forger(&s).x_read(&user, &second_id).await,
        Err(WebhookError::Refused(403))
    );
    assert_eq!(standin.x_read(&user, "999999").await, Ok(200));
    assert_eq!(marks(&s, first.id).await, (None, None));

    // Read up to the first: the first only, live.
    standin.x_read(&user, &first_id).await.expect("read taken");
    let marked = until_marked(&mut events, first.id, true).await;
    assert_eq!(marked.delivered_at, marked.read_at);
    assert_eq!(marks(&s, second.id).await, (None, None));

    // Up to the second: both; again and older: nothing moves.
    standin.x_read(&user, &second_id).await.expect("read taken");
    until_marked(&mut events, second.id, true).await;
    let after = (marks(&s, first.id).await, marks(&s, second.id).await);
    standin.x_read(&user, &second_id).await.expect("read taken");
    standin.x_read(&user, &first_id).await.expect("read taken");
    assert_eq!(
        (marks(&s, first.id).await, marks(&s, second.id).await),
        after
    );
    // Our own account's read event (reading the customer's messages) is skipped.
    let body = json!({"for_user_id": OUR_X_ID, "direct_message_mark_read_events": [{
        "created_timestamp": "1", "sender_id": OUR_X_ID, "target": {"recipient_id": user},
        "last_read_event_id": second_id}]});
    assert_eq!(standin.post_x(&body).await, Ok(200));
    // A malformed read event is refused.
    let bad = json!({"for_user_id": OUR_X_ID, "direct_message_mark_read_events": [{
        "sender_id": user}]});
    assert_eq!(standin.post_x(&bad).await, Err(WebhookError::Refused(400)));
    s.stop().await;
}

async fn automatic_receipts_after_a_send(b: Backend) {
    let (standin, platform) = standin().await;
    let s = server(b, &standin, &platform, Some(300)).await;
    let (ann, mut events, contact, _) = ann_with_chat(
        &s,
        &standin,
        CustomerChannel::Messenger,
        "Mia Chen",
        Channel::Messenger,
    )
    .await;
    let reply = sent_reply(&ann, &mut events, contact, "On its way.").await;
    let read = until_marked(&mut events, reply.id, true).await;
    assert!(read.delivered_at <= read.read_at);
    // The same on X, as Ann's second chat.
    let sent = standin
        .customer_sends(CustomerChannel::XDm, &says("Leo Brandt", "Hello?"))
        .await
        .expect("Threadline took it");
    assert_eq!(sent.status, 200);
    let offer = events.offer("the X chat").await;
    assert_eq!(offer.interaction.channel, Channel::TwitterDm);
    let chat = ann.accept(offer.interaction.id).await;
    let reply_x = sent_reply(&ann, &mut events, chat.contact_id, "Hi Leo.").await;
    until_marked(&mut events, reply_x.id, true).await;
    // Every webhook the stand-in sent was taken.
    let sent = standin.sent_webhooks();
    assert!(sent.iter().all(|w| w.status == 200), "{sent:?}");
    assert!(sent
        .iter()
        .any(|w| w.body.to_string().contains("\"delivery\"")));
    s.stop().await;
}

async fn the_customer_endpoint(b: Backend) {
    let (standin, platform) = standin().await;
    let s = server(b, &standin, &platform, None).await;
    let ann = s.agent("ann").await;
    let mut events = ann.events().await;
    ann.ready().await;
    let http = reqwest::Client::new();
    let post = |channel: &str, body: Value| {
        http.post(format!("{platform}/_standin/customer/{channel}"))
            .header("origin", DEMO_ORIGIN)
            .json(&body)
            .send()
    };
    let resp = post(
        "messenger",
        json!({"name": "Ola Nord", "text": "Do you ship to Oslo?"}),
    )
    .await
    .expect("stand-in");
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.headers()
            .get("access-control-allow-origin")
            .and_then(|v| v.to_str().ok()),
        Some(DEMO_ORIGIN)
    );
    let sent: Value = resp.json().await.expect("json");
    assert_eq!(sent["status"], 200);
    let offer = events.offer("the Messenger chat").await;
    assert_eq!(offer.interaction.channel, Channel::Messenger);
    assert_eq!(offer.first_message.as_deref(), Some("Do you ship to Oslo?"));

    // The public ones are signed and taken (what Threadline makes of them is its own matter).
    for channel in ["page_comment", "mention"] {
        let resp = post(channel, json!({"name": "Ola Nord", "text": "Great boots!"}))
            .await
            .expect("stand-in");
        assert_eq!(resp.status(), 200, "{channel}");
    }
    let sent = standin.sent_webhooks();
    let comment = &sent[sent.len() - 2].body;
    assert_eq!(comment["entry"][0]["changes"][0]["field"], "feed");
    assert_eq!(
        comment["entry"][0]["changes"][0]["value"]["item"],
        "comment"
    );
    assert_eq!(comment["entry"][0]["changes"][0]["value"]["verb"], "add");
    assert_eq!(
        comment["entry"][0]["changes"][0]["value"]["from"]["name"],
        "Ola Nord"
    );
    let mention = &sent[sent.len() - 1].body;
    assert_eq!(mention["for_user_id"], OUR_X_ID);
    assert_eq!(
        mention["tweet_create_events"][0]["text"],
        "@northwind Great boots!"
    );
    assert_eq!(
        mention["tweet_create_events"][0]["entities"]["user_mentions"][0]["id_str"],
        OUR_X_ID
    );

    // Bad input: the stand-in's own error shape, nothing sent.
    let before = standin.sent_webhooks().len();
    for (channel, body, status) in [
        ("messenger", json!({"name": "", "text": "Hi"}), 400),
        (
            "messenger",
            json!({"name": "Ola", "text": "a".repeat(2001)}),
            400,
        ),
        ("messenger", json!({"text": "Hi"}), 400),
        ("fax", json!({"name": "Ola", "text": "Hi"}), 404),
    ] {
        let resp = post(channel, body).await.expect("stand-in");
        assert_eq!(resp.status(), status, "{channel}");
        let body: Value = resp.json().await.expect("json");
        assert!(body["error"]["code"].is_string(), "{body}");
    }
    assert_eq!(standin.sent_webhooks().len(), before);
    // The preflight is answered for the demo page's origin only.
    for (origin, allowed) in [(DEMO_ORIGIN, true), ("http://evil.example", false)] {
        let resp = http
            .request(
                reqwest::Method::OPTIONS,
                format!("{platform}/_standin/customer/messenger"),
            )
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "content-type")
            .send()
            .await
            .expect("preflight");
        assert_eq!(
            resp.headers().get("access-control-allow-origin").is_some(),
            allowed,
            "{origin}"
        );
    }
    s.stop().await;
}
