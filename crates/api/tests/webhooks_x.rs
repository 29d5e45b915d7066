//! X's Account Activity webhook (Direct Messages) over real HTTP, on SQLite and on PostgreSQL:
//! the CRC check, a signed Direct Message from a new sender becoming a named contact and an
//! offer on the Twitter Direct Message channel, retries storing one message, our own sends
//! skipped, and every refusal (forged or missing signature, a malformed body, an unconfigured
//! server) storing nothing.

mod common;

use base64::Engine;
use common::{Backend, Caller, Server};
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;
use sqlx::Row;
use threadline_api::config::XWebhook;
use wire::api::ConversationPage;
use wire::{Author, Channel, ContactView, Identity};

on_both!(
    crc_check,
    a_signed_dm_is_offered_on_twitter_dm_and_stored_once,
    refusals_store_nothing,
    our_own_sends_and_other_events_are_skipped,
    not_configured_is_404,
);

const CONSUMER_SECRET: &str = "x-consumer-secret-for-the-webhook-tests";
const OUR_ID: &str = "4400000001";

async fn server(b: Backend) -> Server {
    Server::start(b, |c| {
        c.x = XWebhook {
            consumer_secret: CONSUMER_SECRET.to_owned(),
            user_id: Some(OUR_ID.to_owned()),
        };
    })
    .await
}

/// `sha256=<base64 HMAC-SHA256(data, secret)>`, as X signs.
fn sign(secret: &str, data: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(data);
    format!(
        "sha256={}",
        base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
    )
}

async fn post_raw(s: &Server, body: &[u8], signature: Option<&str>) -> (u16, Value) {
    let mut req = reqwest::Client::new()
        .post(format!("{}/api/webhooks/x", s.base))
        .header("content-type", "application/json")
        .body(body.to_vec());
    if let Some(sig) = signature {
        req = req.header("x-twitter-webhooks-signature", sig);
    }
    let resp = req.send().await.expect("request");
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

async fn post_signed(s: &Server, body: &Value) -> (u16, Value) {
    let raw = serde_json::to_vec(body).expect("json");
    let sig = sign(CONSUMER_SECRET, &raw);
    post_raw(s, &raw, Some(&sig)).await
}

/// One Direct Message event from `sender` to our account, in X's documented shape.
fn dm(id: &str, sender: &str, text: &str) -> Value {
    json!({
        "type": "message_create",
        "id": id,
        "created_timestamp": "1700000000000",
        "message_create": {
            "target": {"recipient_id": OUR_ID},
            "sender_id": sender,
            "message_data": {"text": text, "entities": {"hashtags": [], "urls": []}}
        }
    })
}

fn dm_body(events: Vec<Value>, users: Value) -> Value {
    json!({"for_user_id": OUR_ID, "direct_message_events": events, "users": users})
}

/// Messages stored from contacts whose X user id is `user`.
async fn stored_from(s: &Server, user: &str) -> i64 {
    let pool = s.db.pool().await;
    sqlx::query(
        "SELECT COUNT(*) AS n FROM messages m JOIN contact_identities ci \
         ON ci.contact_id = m.contact_id WHERE ci.kind = 'twitter_user' AND ci.value = $1 \
         AND m.author_kind = 'contact'",
    )
    .bind(user)
    .fetch_one(&pool)
    .await
    .expect("count")
    .try_get("n")
    .expect("n")
}

async fn contacts_with(s: &Server, user: &str) -> i64 {
    let pool = s.db.pool().await;
    sqlx::query(
        "SELECT COUNT(*) AS n FROM contact_identities WHERE kind = 'twitter_user' AND value = $1",
    )
    .bind(user)
    .fetch_one(&pool)
    .await
    .expect("count")
    .try_get("n")
    .expect("n")
}

async fn crc_check(b: Backend) {
    let s = server(b).await;
    let (status, body) = s
        .call(
            reqwest::Method::GET,
            "/api/webhooks/x?crc_token=abc123XYZ",
            None,
            None,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["response_token"], sign(CONSUMER_SECRET, b"abc123XYZ"));
    let long = format!("/api/webhooks/x?crc_token={}", "x".repeat(257));
    // The CRC answer is an HMAC with the body-signing secret: a body (JSON) is never signed
    // for a caller, or the answer would be a valid signature for a forged delivery.
    let forged = json!({"for_user_id": OUR_ID, "direct_message_events": [
        dm("1700000000000000099", "7700000099", "forged")]});
    let forged_raw = serde_json::to_string(&forged).expect("json");
    let as_token: String = form_urlencoded::byte_serialize(forged_raw.as_bytes()).collect();
    let oracle = format!("/api/webhooks/x?crc_token={as_token}");
    for bad in [
        "/api/webhooks/x",
        "/api/webhooks/x?crc_token=",
        long.as_str(),
        oracle.as_str(),
    ] {
        let (status, body) = s.call(reqwest::Method::GET, bad, None, None).await;
        assert_eq!(status, 400, "{bad}: {body}");
    }
    s.stop().await;
}

async fn a_signed_dm_is_offered_on_twitter_dm_and_stored_once(b: Backend) {
    let s = server(b).await;
    let ann = s.agent("ann").await;
    let mut ann_ev = ann.events().await;
    ann.ready().await;
    let sender = "7700000042";
    let body = dm_body(
        vec![dm(
            "1700000000000000001",
            sender,
            "Is my refund on its way?",
        )],
        json!({
            sender: {"id": sender, "name": "Riley Quinn", "screen_name": "rileyq"},
            OUR_ID: {"id": OUR_ID, "name": "Acme Support", "screen_name": "acme"}
        }),
    );
    let (status, answer) = post_signed(&s, &body).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["messages"], 1);

    let offer = ann_ev.offer("the X DM offer").await;
    assert_eq!(offer.interaction.channel, Channel::TwitterDm);
    assert_eq!(
        offer.first_message.as_deref(),
        Some("Is my refund on its way?")
    );
    assert_eq!(offer.interaction.contact_name, "Riley Quinn");
    let contact: ContactView = ann
        .get(&format!("/api/contacts/{}", offer.interaction.contact_id))
        .await;
    assert_eq!(
        contact.identities,
        vec![Identity::TwitterUser(sender.to_owned())]
    );
    ann.accept(offer.interaction.id).await;
    let page: ConversationPage = ann
        .get(&format!("/api/contacts/{}/conversation", contact.id))
        .await;
    let said: Vec<_> = page
        .messages
        .iter()
        .filter(|m| m.author == Author::Contact)
        .collect();
    assert_eq!(said.len(), 1, "{said:?}");
    assert_eq!(said[0].text, "Is my refund on its way?");
    assert_eq!(said[0].interaction_id, offer.interaction.id);

    // X retries the delivery: one message, one contact.
    let (status, _) = post_signed(&s, &body).await;
    assert_eq!(status, 200);
    assert_eq!(stored_from(&s, sender).await, 1);
    assert_eq!(contacts_with(&s, sender).await, 1);
    s.stop().await;
}

async fn refusals_store_nothing(b: Backend) {
    let s = server(b).await;
    let sender = "7700000043";
    let body = dm_body(vec![dm("1700000000000000002", sender, "hello")], json!({}));
    let raw = serde_json::to_vec(&body).expect("json");

    let forged = sign("not-the-consumer-secret", &raw);
    let (status, answer) = post_raw(&s, &raw, Some(&forged)).await;
    assert_eq!(status, 403, "{answer}");
    assert_eq!(answer["error"]["code"], "forbidden");
    let (status, _) = post_raw(&s, b"{not json", Some(&forged)).await;
    assert_eq!(
        status, 403,
        "the signature is checked before the body is read"
    );
    let (status, _) = post_raw(&s, &raw, Some("sha256=%%%")).await;
    assert_eq!(status, 403);
    let (status, answer) = post_raw(&s, &raw, None).await;
    assert_eq!(status, 401, "{answer}");
    assert_eq!(answer["error"]["code"], "unauthorized");

    // A valid event beside one without its sender: nothing of the body is stored.
    let mut broken = dm("1700000000000000004", sender, "no sender");
    broken["message_create"]
        .as_object_mut()
        .expect("object")
        .remove("sender_id");
    for bad in [
        dm_body(
            vec![dm("1700000000000000003", sender, "I am valid"), broken],
            json!({}),
        ),
        dm_body(
            vec![json!({"type": "message_create", "message_create": {
            "sender_id": sender, "message_data": {"text": "no id"}}})],
            json!({}),
        ),
        dm_body(
            vec![dm("1700000000000000005", sender, &"a".repeat(5000))],
            json!({}),
        ),
    ] {
        let (status, answer) = post_signed(&s, &bad).await;
        assert_eq!(status, 400, "{bad}: {answer}");
        assert_eq!(answer["error"]["code"], "invalid_webhook");
    }
    assert_eq!(stored_from(&s, sender).await, 0);
    assert_eq!(contacts_with(&s, sender).await, 0);
    s.stop().await;
}

async fn our_own_sends_and_other_events_are_skipped(b: Backend) {
    let s = server(b).await;
    let them = "7700000044";
    // Our own reply, echoed; a read event (of a message we never sent: nothing to mark); a
    // body of our own Tweets only.
    let body = json!({
        "for_user_id": OUR_ID,
        "direct_message_events": [dm("1700000000000000006", OUR_ID, "our reply")],
        "direct_message_mark_read_events": [{"created_timestamp": "1", "sender_id": them,
            "last_read_event_id": "1700000000000000006"}],
        "users": {}
    });
    let (status, answer) = post_signed(&s, &body).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["messages"], 0);
    let tweets = json!({"for_user_id": OUR_ID, "tweet_create_events": [{"id_str": "1",
        "text": "news from us", "user": {"id_str": OUR_ID, "name": "Us"}}]});
    let (status, answer) = post_signed(&s, &tweets).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["messages"], 0);
    // A body for another account of the same app.
    let other = json!({
        "for_user_id": "4400000999",
        "direct_message_events": [dm("1700000000000000007", them, "hi")]
    });
    let (status, answer) = post_signed(&s, &other).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["messages"], 0);
    assert_eq!(contacts_with(&s, OUR_ID).await, 0);
    assert_eq!(contacts_with(&s, them).await, 0);
    s.stop().await;
}

async fn not_configured_is_404(b: Backend) {
    let s = Server::start(b, |_| {}).await;
    let raw = serde_json::to_vec(&dm_body(
        vec![dm("1700000000000000008", "7700000045", "hi")],
        json!({}),
    ))
    .expect("json");
    let (status, answer) = post_raw(&s, &raw, Some(&sign(CONSUMER_SECRET, &raw))).await;
    assert_eq!(status, 404, "{answer}");
    assert_eq!(answer["error"]["code"], "not_configured");
    let (status, _) = s
        .call(
            reqwest::Method::GET,
            "/api/webhooks/x?crc_token=abc",
            None,
            None,
        )
        .await;
    assert_eq!(status, 404);
    assert_eq!(contacts_with(&s, "7700000045").await, 0);
    s.stop().await;
}
