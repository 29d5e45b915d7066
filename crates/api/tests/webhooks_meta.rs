//! Facebook Messenger's webhook over real HTTP, on SQLite and on PostgreSQL: the subscription
//! check, signed messages from a new sender becoming a contact and an offer on the Messenger
//! channel, retries storing one message, and every refusal (forged or missing signature, a
//! malformed body, an unconfigured server) storing nothing.

mod common;

use common::{Backend, Caller, Server};
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;
use sqlx::Row;
use threadline_api::config::MetaWebhook;
use wire::api::ConversationPage;
use wire::{Author, Channel, ContactId, ContactView, Identity, MessageView};

on_both!(
    subscription_check,
    a_signed_message_is_offered_on_messenger_and_stored_once,
    refusals_store_nothing,
    echoes_receipts_and_other_pages_are_skipped,
    not_configured_is_404,
    deliveries_at_once_store_one_message,
);

const APP_SECRET: &str = "meta-app-secret-for-the-webhook-tests";
const VERIFY_TOKEN: &str = "verify-me-4711";
const PAGE: &str = "1122334455";

/// A server with the Messenger webhook configured for [`PAGE`].
async fn server(b: Backend) -> Server {
    Server::start(b, |c| {
        c.meta = MetaWebhook {
            app_secret: APP_SECRET.to_owned(),
            verify_token: VERIFY_TOKEN.to_owned(),
            page_id: Some(PAGE.to_owned()),
        };
    })
    .await
}

/// `sha256=<hex HMAC-SHA256(body, secret)>`, as Meta signs.
fn sign(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// POSTs a raw body with a signature header (or none); returns status and JSON body.
async fn post_raw(s: &Server, body: &[u8], signature: Option<&str>) -> (u16, Value) {
    let mut req = reqwest::Client::new()
        .post(format!("{}/api/webhooks/meta", s.base))
        .header("content-type", "application/json")
        .body(body.to_vec());
    if let Some(sig) = signature {
        req = req.header("X-Hub-Signature-256", sig);
    }
    let resp = req.send().await.expect("request");
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// POSTs `body` signed with the app secret.
async fn post_signed(s: &Server, body: &Value) -> (u16, Value) {
    let raw = serde_json::to_vec(body).expect("json");
    let sig = sign(APP_SECRET, &raw);
    post_raw(s, &raw, Some(&sig)).await
}

/// One text message from `psid` to the Page, in Meta's documented shape.
fn text_item(psid: &str, mid: &str, text: &str) -> Value {
    json!({
        "sender": {"id": psid},
        "recipient": {"id": PAGE},
        "timestamp": 1_700_000_000_000_i64,
        "message": {"mid": mid, "text": text}
    })
}

fn page_body(items: Vec<Value>) -> Value {
    json!({
        "object": "page",
        "entry": [{"id": PAGE, "time": 1_700_000_000_000_i64, "messaging": items}]
    })
}

/// The GET of the subscription check; returns status and body text.
async fn verify(s: &Server, query: &str) -> (u16, String, String) {
    let resp = reqwest::get(format!("{}/api/webhooks/meta?{query}", s.base))
        .await
        .expect("request");
    let status = resp.status().as_u16();
    let kind = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (status, kind, resp.text().await.unwrap_or_default())
}

/// The contact's own messages in their conversation, as an agent reads it.
async fn from_contact(agent: &common::Agent, contact: ContactId) -> Vec<MessageView> {
    let page: ConversationPage = agent
        .get(&format!("/api/contacts/{contact}/conversation"))
        .await;
    page.messages
        .into_iter()
        .filter(|m| m.author == Author::Contact)
        .collect()
}

/// Messages stored from contacts whose Messenger id is `psid`.
async fn stored_from(s: &Server, psid: &str) -> i64 {
    let pool = s.db.pool().await;
    sqlx::query(
        "SELECT COUNT(*) AS n FROM messages m JOIN contact_identities ci \
         ON ci.contact_id = m.contact_id WHERE ci.kind = 'messenger_psid' AND ci.value = $1 \
         AND m.author_kind = 'contact'",
    )
    .bind(psid)
    .fetch_one(&pool)
    .await
    .expect("count")
    .try_get("n")
    .expect("n")
}

/// Contacts with the Messenger id `psid`.
async fn contacts_with(s: &Server, psid: &str) -> i64 {
    let pool = s.db.pool().await;
    sqlx::query(
        "SELECT COUNT(*) AS n FROM contact_identities WHERE kind = 'messenger_psid' AND value = $1",
    )
    .bind(psid)
    .fetch_one(&pool)
    .await
    .expect("count")
    .try_get("n")
    .expect("n")
}

async fn subscription_check(b: Backend) {
    let s = server(b).await;
    let ok = format!("hub.mode=subscribe&hub.verify_token={VERIFY_TOKEN}&hub.challenge=1158201444");
    let (status, kind, text) = verify(&s, &ok).await;
    assert_eq!(status, 200, "{text}");
    assert!(kind.starts_with("text/plain"), "{kind}");
    assert_eq!(text, "1158201444");
    for bad in [
        "hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=1",
        &format!("hub.mode=unsubscribe&hub.verify_token={VERIFY_TOKEN}&hub.challenge=1"),
        "hub.mode=subscribe&hub.challenge=1",
        "",
    ] {
        let (status, _, text) = verify(&s, bad).await;
        assert_eq!(status, 403, "{bad}: {text}");
        let body: Value = serde_json::from_str(&text).expect("error json");
        assert_eq!(body["error"]["code"], "forbidden");
        assert!(!text.contains(VERIFY_TOKEN));
    }
    // A challenge that is not short visible ASCII is never echoed back.
    let long = "x".repeat(129);
    for challenge in [long.as_str(), "%3Cscript%3E%20x", ""] {
        let q =
            format!("hub.mode=subscribe&hub.verify_token={VERIFY_TOKEN}&hub.challenge={challenge}");
        let (status, _, text) = verify(&s, &q).await;
        assert_eq!(status, 400, "{challenge}: {text}");
    }
    s.stop().await;
}

async fn a_signed_message_is_offered_on_messenger_and_stored_once(b: Backend) {
    let s = server(b).await;
    let ann = s.agent("ann").await;
    let mut ann_ev = ann.events().await;
    ann.ready().await;
    let psid = "9000000000001234";
    let body = page_body(vec![text_item(
        psid,
        "m_first-mid_001",
        "Hi, my order is late",
    )]);
    let (status, answer) = post_signed(&s, &body).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["messages"], 1);

    // The sender is a new contact with the Messenger identity.
    let offer = ann_ev.offer("the Messenger offer").await;
    assert_eq!(offer.interaction.channel, Channel::Messenger);
    assert_eq!(offer.first_message.as_deref(), Some("Hi, my order is late"));
    assert_eq!(offer.interaction.contact_name, "Messenger user 1234");
    let contact: ContactView = ann
        .get(&format!("/api/contacts/{}", offer.interaction.contact_id))
        .await;
    assert_eq!(
        contact.identities,
        vec![Identity::MessengerPsid(psid.to_owned())]
    );
    let accepted = ann.accept(offer.interaction.id).await;
    assert_eq!(accepted.channel, Channel::Messenger);
    let said = from_contact(&ann, contact.id).await;
    assert_eq!(said.len(), 1, "{said:?}");
    assert_eq!(said[0].text, "Hi, my order is late");
    assert_eq!(said[0].interaction_id, offer.interaction.id);

    // Meta retries the same delivery: one message, one contact.
    let (status, answer) = post_signed(&s, &body).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["messages"], 1);
    assert_eq!(stored_from(&s, psid).await, 1);
    assert_eq!(contacts_with(&s, psid).await, 1);

    // A next message (with an https image) joins the open chat; an http image is dropped.
    let next = page_body(vec![json!({
        "sender": {"id": psid}, "recipient": {"id": PAGE}, "timestamp": 1,
        "message": {"mid": "m_second_002", "text": "Here is the parcel",
            "attachments": [
                {"type": "image", "payload": {"url": "https://cdn.example/p.jpg"}},
                {"type": "image", "payload": {"url": "http://cdn.example/plain.jpg"}}
            ]}
    })]);
    let (status, answer) = post_signed(&s, &next).await;
    assert_eq!(status, 200, "{answer}");
    let said = from_contact(&ann, contact.id).await;
    assert_eq!(said.len(), 2, "{said:?}");
    assert_eq!(
        said[1].text,
        "Here is the parcel\n[image] https://cdn.example/p.jpg"
    );
    assert_eq!(said[1].interaction_id, offer.interaction.id);
    assert_eq!(contacts_with(&s, psid).await, 1);
    s.stop().await;
}

async fn refusals_store_nothing(b: Backend) {
    let s = server(b).await;
    let psid = "9000000000005678";
    let body = page_body(vec![text_item(psid, "m_refused_001", "hello")]);
    let raw = serde_json::to_vec(&body).expect("json");

    // Forged: signed with another secret, or the body changed after signing.
    let forged = sign("not-the-app-secret", &raw);
    let (status, answer) = post_raw(&s, &raw, Some(&forged)).await;
    assert_eq!(status, 403, "{answer}");
    assert_eq!(answer["error"]["code"], "forbidden");
    let mut tampered = raw.clone();
    tampered.extend_from_slice(b" ");
    let (status, _) = post_raw(&s, &tampered, Some(&sign(APP_SECRET, &raw))).await;
    assert_eq!(status, 403);
    let (status, _) = post_raw(&s, &raw, Some("sha256=not-hex")).await;
    assert_eq!(status, 403);
    // The signature is checked before the body is read: a forged one over garbage is 403.
    let (status, _) = post_raw(&s, b"{not json", Some(&forged)).await;
    assert_eq!(status, 403);
    // No signature at all.
    let (status, answer) = post_raw(&s, &raw, None).await;
    assert_eq!(status, 401, "{answer}");
    assert_eq!(answer["error"]["code"], "unauthorized");

    // Malformed, correctly signed: one item lacks its mid, so the valid item beside it is not
    // stored either.
    let malformed = page_body(vec![
        text_item(psid, "m_valid_beside_bad", "I am valid"),
        json!({"sender": {"id": psid}, "recipient": {"id": PAGE}, "message": {"text": "no mid"}}),
    ]);
    let (status, answer) = post_signed(&s, &malformed).await;
    assert_eq!(status, 400, "{answer}");
    assert_eq!(answer["error"]["code"], "invalid_webhook");
    // Without sender.id, without entry, not JSON, a text a visitor could not send.
    for bad in [
        page_body(vec![
            json!({"recipient": {"id": PAGE}, "message": {"mid": "m_x1", "text": "x"}}),
        ]),
        json!({"object": "page"}),
        page_body(vec![text_item(psid, "m_long_text", &"a".repeat(5000))]),
        page_body(vec![text_item(psid, "m_control", "bell\u{7}")]),
    ] {
        let (status, answer) = post_signed(&s, &bad).await;
        assert_eq!(status, 400, "{bad}: {answer}");
        assert_eq!(answer["error"]["code"], "invalid_webhook");
    }
    let garbage = b"{not json";
    let (status, _) = post_raw(&s, garbage, Some(&sign(APP_SECRET, garbage))).await;
    assert_eq!(status, 400);
    // Over the body limit: refused before anything is read into a message.
    let big = vec![b' '; 1024 * 1024 + 1];
    let (status, _) = post_raw(&s, &big, Some(&sign(APP_SECRET, &big))).await;
    assert_eq!(status, 413);

    assert_eq!(stored_from(&s, psid).await, 0);
    assert_eq!(contacts_with(&s, psid).await, 0);
    s.stop().await;
}

async fn echoes_receipts_and_other_pages_are_skipped(b: Backend) {
    let s = server(b).await;
    let psid = "9000000000009999";
    let body = json!({
        "object": "page",
        "entry": [
            {"id": PAGE, "time": 1, "messaging": [
                // The Page's own send, echoed back.
                {"sender": {"id": PAGE}, "recipient": {"id": psid}, "timestamp": 1,
                 "message": {"mid": "m_echo_1", "text": "our reply", "is_echo": true}},
                // Receipts: skipped for now.
                {"sender": {"id": psid}, "recipient": {"id": PAGE}, "timestamp": 2,
                 "delivery": {"mids": ["m_echo_1"], "watermark": 2}},
                {"sender": {"id": psid}, "recipient": {"id": PAGE}, "timestamp": 3,
                 "read": {"watermark": 3}},
                // Nothing to show: neither text nor an image.
                {"sender": {"id": psid}, "recipient": {"id": PAGE}, "timestamp": 4,
                 "message": {"mid": "m_sticker", "attachments": [{"type": "fallback", "payload": {}}]}}
            ]},
            // Another Page of the same app.
            {"id": "5550001", "time": 1, "messaging": [text_item(psid, "m_other_page", "hi")]}
        ]
    });
    let (status, answer) = post_signed(&s, &body).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["messages"], 0);
    // Another object than a Page's: answered, ignored.
    let (status, _) = post_signed(&s, &json!({"object": "instagram", "entry": [{"x": 1}]})).await;
    assert_eq!(status, 200);
    assert_eq!(stored_from(&s, psid).await, 0);
    assert_eq!(contacts_with(&s, psid).await, 0);
    assert_eq!(contacts_with(&s, PAGE).await, 0);
    s.stop().await;
}

async fn not_configured_is_404(b: Backend) {
    let s = Server::start(b, |_| {}).await;
    let body =
        serde_json::to_vec(&page_body(vec![text_item("123", "m_nc_1", "hi")])).expect("json");
    let (status, answer) = post_raw(&s, &body, Some(&sign(APP_SECRET, &body))).await;
    assert_eq!(status, 404, "{answer}");
    assert_eq!(answer["error"]["code"], "not_configured");
    let (status, _, text) = verify(
        &s,
        &format!("hub.mode=subscribe&hub.verify_token={VERIFY_TOKEN}&hub.challenge=1"),
    )
    .await;
    assert_eq!(status, 404, "{text}");
    assert_eq!(contacts_with(&s, "123").await, 0);
    s.stop().await;
}

/// Meta may deliver the same first message of a new sender twice at once: every delivery is
/// answered 200, and there is one contact and one message.
async fn deliveries_at_once_store_one_message(b: Backend) {
    let s = server(b).await;
    let psid = "9000000000004242";
    let body = page_body(vec![text_item(psid, "m_at_once_001", "anyone?")]);
    let answers = futures_util::future::join_all((0..4).map(|_| post_signed(&s, &body))).await;
    for (status, answer) in answers {
        assert_eq!(status, 200, "{answer}");
        assert_eq!(answer["messages"], 1);
    }
    assert_eq!(contacts_with(&s, psid).await, 1);
    assert_eq!(stored_from(&s, psid).await, 1);
    s.stop().await;
}
