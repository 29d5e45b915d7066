//! Public channels over real HTTP, on SQLite and on PostgreSQL, against the stand-in platform
//! (`crates/platform-standin`) on a loopback port: a signed Page feed comment and a Tweet
//! mention come in, are stored once in the contact's public interaction (threaded under what
//! they answer) and are not offered while the channel does not offer public items; forged,
//! unsigned and malformed bodies store nothing; edits and removals change the stored text; an
//! agent's public reply goes out through the outbox as a comment reply or a reply Tweet, a
//! refusal shows Not sent until `Retry`, an overlong Tweet is refused before anything is
//! stored, and the contact's next comment raises "contact responded" for the agent. Where the
//! channel offers public items, the comment is offered, and the agent's message from its chat
//! (naming no item) answers the latest comment publicly.

mod common;

use base64::Engine;
use common::platforms::{
    configure, sends, standin, until_outbound, APP_SECRET, CONSUMER_SECRET, OUR_X_ID, PAGE,
    PAGE_TOKEN, X_TOKEN,
};
use common::{Backend, Caller, Server};
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;
use sqlx::Row;
use std::time::Duration;
use threadline_platform_standin::Failure;
use wire::api::{ConversationPage, SendResponse};
use wire::{Author, Channel, ContactId, Event, MessageId, MessageView, OutboundState};

on_both!(
    a_feed_comment_is_stored_once_threaded_and_not_offered,
    feed_refusals_store_nothing,
    edits_and_removals_change_the_text,
    a_public_reply_goes_out_as_a_comment_reply,
    a_tweet_mention_is_answered_with_a_reply_tweet,
    an_offered_comment_is_answered_from_its_chat,
);

/// The Page's post that customers comment on (never stored: the Page's own).
const PAGE_POST: &str = "6677889900_100001";

/// A server with both webhooks configured and its outbox pointed at `platform`, whose public
/// channels do not offer items as chats.
async fn server(b: Backend, platform: &str) -> Server {
    let s = Server::start(b, |c| configure(c, platform)).await;
    let ada = s.agent("ada").await;
    for channel in ["facebook_post", "tweet"] {
        let (st, v) = ada
            .call(
                reqwest::Method::PUT,
                "/api/admin/channels",
                Some(
                    json!({"channel": channel, "async_chat": true, "offer_public": false,
                    "offer_timeout_secs": 30, "reservation_secs": 300}),
                ),
            )
            .await;
        assert_eq!(st, 200, "{v}");
    }
    s
}

fn hmac(secret: &str, body: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(body);
    mac.finalize().into_bytes().to_vec()
}

/// POSTs a raw body to `path` with `header: signature` (or none); status and JSON body.
async fn post_raw(
    s: &Server,
    path: &str,
    header: &str,
    signature: Option<String>,
    raw: Vec<u8>,
) -> (u16, Value) {
    let mut req = reqwest::Client::new()
        .post(format!("{}{path}", s.base))
        .header("content-type", "application/json")
        .body(raw);
    if let Some(sig) = signature {
        req = req.header(header, sig);
    }
    let resp = req.send().await.expect("webhook");
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// POSTs a Meta body signed with the app secret.
async fn meta_signed(s: &Server, body: &Value) -> (u16, Value) {
    let raw = serde_json::to_vec(body).expect("json");
    let sig = format!("sha256={}", hex::encode(hmac(APP_SECRET, &raw)));
    post_raw(
        s,
        "/api/webhooks/meta",
        "X-Hub-Signature-256",
        Some(sig),
        raw,
    )
    .await
}

/// POSTs an X body signed with the consumer secret.
async fn x_signed(s: &Server, body: &Value) -> (u16, Value) {
    let raw = serde_json::to_vec(body).expect("json");
    let sig = format!(
        "sha256={}",
        base64::engine::general_purpose::STANDARD.encode(hmac(CONSUMER_SECRET, &raw))
    );
    post_raw(
        s,
        "/api/webhooks/x",
        "x-twitter-webhooks-signature",
        Some(sig),
        raw,
    )
    .await
}

/// A Page feed body with `values` as its changes.
fn feed(values: Vec<Value>) -> Value {
    let changes: Vec<Value> = values
        .into_iter()
        .map(|v| json!({"field": "feed", "value": v}))
        .collect();
    json!({"object": "page", "entry": [{"id": PAGE, "time": 1_700_000_000, "changes": changes}]})
}

/// A new comment by `user` on `parent` (of [`PAGE_POST`]), in Meta's documented shape.
fn comment(user: &str, name: &str, comment_id: &str, parent: &str, text: &str) -> Value {
    json!({"item": "comment", "verb": "add", "post_id": PAGE_POST, "comment_id": comment_id,
        "parent_id": parent, "from": {"id": user, "name": name}, "message": text,
        "created_time": 1_700_000_000, "post": {"id": PAGE_POST, "status_type": "added_photos"}})
}

/// The contact with the identity `kind`/`value`.
async fn contact_of(s: &Server, kind: &str, value: &str) -> ContactId {
    let pool = s.db.pool().await;
    let row =
        sqlx::query("SELECT contact_id FROM contact_identities WHERE kind = $1 AND value = $2")
            .bind(kind)
            .bind(value)
            .fetch_one(&pool)
            .await
            .expect("the contact");
    ContactId(row.try_get("contact_id").expect("contact_id"))
}

/// Messages stored in all.
async fn stored(s: &Server) -> i64 {
    let pool = s.db.pool().await;
    sqlx::query("SELECT COUNT(*) AS n FROM messages")
        .fetch_one(&pool)
        .await
        .expect("count")
        .try_get("n")
        .expect("n")
}

/// The contact's conversation, only its public (`true`) or private (`false`) channels.
async fn conversation(agent: &common::Agent, contact: ContactId, public: bool) -> ConversationPage {
    agent
        .get(&format!(
            "/api/contacts/{contact}/conversation?public={public}"
        ))
        .await
}

fn from_contact(page: &ConversationPage) -> Vec<MessageView> {
    page.messages
        .iter()
        .filter(|m| m.author == Author::Contact)
        .cloned()
        .collect()
}

/// An agent's public reply to `item`; status and body.
async fn reply_to(
    agent: &common::Agent,
    contact: ContactId,
    item: MessageId,
    text: &str,
) -> (u16, Value) {
    agent
        .call(
            reqwest::Method::POST,
            &format!("/api/contacts/{contact}/messages"),
            Some(json!({"client_id": common::client_id(), "text": text,
                "source": "communication_tab", "reply_to": item})),
        )
        .await
}

async fn a_feed_comment_is_stored_once_threaded_and_not_offered(b: Backend) {
    let (_standin, platform) = standin().await;
    let s = server(b, &platform).await;
    let ann = s.agent("ann").await;
    let mut events = ann.events().await;
    ann.ready().await;
    let user = "31000000001";
    let first = feed(vec![comment(
        user,
        "Lena Park",
        "100001_200001",
        PAGE_POST,
        "Is this jacket waterproof?",
    )]);
    let (st, v) = meta_signed(&s, &first).await;
    assert_eq!((st, v["messages"].as_i64()), (200, Some(1)), "{v}");
    // The platform retries: nothing new.
    let (st, v) = meta_signed(&s, &first).await;
    assert_eq!((st, v["messages"].as_i64()), (200, Some(1)), "{v}");
    // A reply comment in the same thread, and the Page's own reply (skipped).
    let (st, v) = meta_signed(
        &s,
        &feed(vec![
            comment(
                user,
                "Lena Park",
                "100001_200002",
                "100001_200001",
                "Also in blue?",
            ),
            comment(PAGE, "Northwind", "100001_200003", "100001_200001", "Ours"),
        ]),
    )
    .await;
    assert_eq!((st, v["messages"].as_i64()), (200, Some(1)), "{v}");
    let contact = contact_of(&s, "facebook_user", user).await;
    let public = conversation(&ann, contact, true).await;
    let items = from_contact(&public);
    assert_eq!(items.len(), 2, "{items:?}");
    assert_eq!(items[0].text, "Is this jacket waterproof?");
    assert_eq!(
        items[0].reply_to, None,
        "the Page's post is not stored here"
    );
    assert_eq!(
        items[1].reply_to,
        Some(items[0].id),
        "threaded under its parent"
    );
    let interaction = public
        .interactions
        .iter()
        .find(|i| i.id == items[0].interaction_id)
        .expect("its interaction");
    assert_eq!(interaction.channel, Channel::FacebookPost);
    assert_eq!(interaction.state, wire::InteractionState::Queued);
    assert_eq!(items[1].interaction_id, items[0].interaction_id);
    assert!(from_contact(&conversation(&ann, contact, false).await).is_empty());
    // Nothing is offered while the channel does not offer public items.
    let seen = events.drain_for(Duration::from_secs(2)).await;
    assert!(
        !seen.iter().any(|e| matches!(e.event, Event::Offer { .. })),
        "a comment was offered: {:?}",
        seen.iter().map(|e| e.event.name()).collect::<Vec<_>>()
    );
    s.stop().await;
}

async fn feed_refusals_store_nothing(b: Backend) {
    let (_standin, platform) = standin().await;
    let s = server(b, &platform).await;
    let before = stored(&s).await;
    let body = feed(vec![comment(
        "31000000002",
        "Mo",
        "100001_300001",
        PAGE_POST,
        "hi",
    )]);
    let raw = serde_json::to_vec(&body).expect("json");
    // Forged: signed with another secret.
    let forged = format!("sha256={}", hex::encode(hmac("not-the-secret", &raw)));
    let (st, v) = post_raw(
        &s,
        "/api/webhooks/meta",
        "X-Hub-Signature-256",
        Some(forged),
        raw.clone(),
    )
    .await;
    assert_eq!(st, 403, "{v}");
    assert_eq!(v["error"]["code"], "forbidden");
    // Unsigned.
    let (st, v) = post_raw(&s, "/api/webhooks/meta", "X-Hub-Signature-256", None, raw).await;
    assert_eq!(st, 401, "{v}");
    // Malformed, signed: a comment without its id, beside a good one.
    let mut bad = comment("31000000002", "Mo", "x", PAGE_POST, "hi");
    bad.as_object_mut().expect("object").remove("comment_id");
    let (st, v) = meta_signed(
        &s,
        &feed(vec![
            comment("31000000002", "Mo", "100001_300002", PAGE_POST, "ok"),
            bad,
        ]),
    )
    .await;
    assert_eq!(st, 400, "{v}");
    assert_eq!(v["error"]["code"], "invalid_webhook");
    // An id that is no Facebook id, and a Tweet whose author is no X id.
    let (st, _) = meta_signed(
        &s,
        &feed(vec![comment(
            "31000000002",
            "Mo",
            "1/../2",
            PAGE_POST,
            "hi",
        )]),
    )
    .await;
    assert_eq!(st, 400);
    let (st, v) = x_signed(
        &s,
        &json!({"for_user_id": OUR_X_ID, "tweet_create_events": [{"id_str": "1", "text": "hi",
            "user": {"id_str": "abc", "name": "A"}}]}),
    )
    .await;
    assert_eq!(st, 400, "{v}");
    assert_eq!(
        stored(&s).await,
        before,
        "nothing of a refused body is stored"
    );
    s.stop().await;
}

async fn edits_and_removals_change_the_text(b: Backend) {
    let (_standin, platform) = standin().await;
    let s = server(b, &platform).await;
    let ann = s.agent("ann").await;
    let user = "31000000003";
    let (st, _) = meta_signed(
        &s,
        &feed(vec![
            comment(
                user,
                "Ida Moe",
                "100001_400001",
                PAGE_POST,
                "Wrong size sent",
            ),
            comment(
                user,
                "Ida Moe",
                "100001_400002",
                PAGE_POST,
                "My address is …",
            ),
        ]),
    )
    .await;
    assert_eq!(st, 200);
    let contact = contact_of(&s, "facebook_user", user).await;
    let mut edited = comment(
        user,
        "Ida Moe",
        "100001_400001",
        PAGE_POST,
        "Wrong colour sent",
    );
    edited["verb"] = json!("edited");
    let mut removed = comment(user, "Ida Moe", "100001_400002", PAGE_POST, "");
    removed["verb"] = json!("remove");
    removed.as_object_mut().expect("object").remove("message");
    let (st, v) = meta_signed(&s, &feed(vec![edited, removed])).await;
    assert_eq!((st, v["messages"].as_i64()), (200, Some(2)), "{v}");
    let items = from_contact(&conversation(&ann, contact, true).await);
    assert_eq!(items.len(), 2);
    assert_eq!(items[0].text, "Wrong colour sent");
    assert!(
        !items[1].text.contains("address"),
        "a removed comment's text is not kept: {}",
        items[1].text
    );
    s.stop().await;
}

async fn a_public_reply_goes_out_as_a_comment_reply(b: Backend) {
    let (standin, platform) = standin().await;
    let s = server(b, &platform).await;
    let ann = s.agent("ann").await;
    let mut events = ann.events().await;
    ann.ready().await;
    let user = "31000000004";
    let (st, _) = meta_signed(
        &s,
        &feed(vec![comment(
            user,
            "Tom Reed",
            "100001_500001",
            PAGE_POST,
            "Do you ship to Norway?",
        )]),
    )
    .await;
    assert_eq!(st, 200);
    let contact = contact_of(&s, "facebook_user", user).await;
    let item = from_contact(&conversation(&ann, contact, true).await)[0].clone();
    // Naming an item that does not exist, or this contact's item under another contact: 404,
    // nothing stored, nothing sent.
    let (st, v) = reply_to(&ann, contact, MessageId(i64::MAX), "Hello?").await;
    assert_eq!(st, 404, "{v}");
    let other = s.visitor("Someone Else").await;
    let (st, v) = reply_to(&ann, other.contact, item.id, "Hello?").await;
    assert_eq!(st, 404, "{v}");
    assert_eq!(
        conversation(&ann, contact, true).await.messages.len(),
        1,
        "only the comment"
    );
    assert!(sends(&standin).is_empty());
    // The platform refuses the first attempt: Not sent with its reason, until Retry.
    standin.fail(
        Failure::Rejected {
            message: "(#200) Permissions error".to_owned(),
        },
        1,
    );
    let (st, v) = reply_to(&ann, contact, item.id, "Yes, in 3 days.").await;
    assert_eq!(st, 200, "{v}");
    let sent: SendResponse = serde_json::from_value(v).expect("send response");
    assert_eq!(sent.message.reply_to, Some(item.id));
    assert_eq!(sent.interaction.channel, Channel::FacebookPost);
    assert_eq!(
        sent.interaction.id, item.interaction_id,
        "the comment's own thread"
    );
    let failed = until_outbound(&mut events, sent.message.id, OutboundState::Failed).await;
    assert_eq!(
        failed.outbound.and_then(|o| o.error).as_deref(),
        Some("(#200) Permissions error")
    );
    let _: MessageView = ann
        .post(
            &format!("/api/messages/{}/retry", sent.message.id),
            json!({}),
        )
        .await;
    until_outbound(&mut events, sent.message.id, OutboundState::Sent).await;
    let got = sends(&standin);
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(got[1].path, "/v21.0/100001_500001/comments");
    assert_eq!(
        got[1].authorization.as_deref(),
        Some(format!("Bearer {PAGE_TOKEN}").as_str())
    );
    assert_eq!(got[1].body, json!({"message": "Yes, in 3 days."}));
    assert_eq!(got[1].status, 200);
    // The customer answers our reply: threaded under it, found by the id Facebook gave it.
    // Ann closes the thread first, so the answer raises "contact responded" for her.
    ann.finish(sent.interaction.id).await;
    let (st, _) = meta_signed(
        &s,
        &feed(vec![comment(
            user,
            "Tom Reed",
            "100001_500009",
            "100001_500001_1",
            "Great, thanks!",
        )]),
    )
    .await;
    assert_eq!(st, 200);
    let env = events
        .until(
            "contact responded",
            |e| matches!(e, Event::ContactResponded { contact_id, .. } if *contact_id == contact),
        )
        .await;
    let Event::ContactResponded { message, .. } = env.event else {
        unreachable!("matched")
    };
    assert_eq!(message.text, "Great, thanks!");
    assert_eq!(message.reply_to, Some(sent.message.id));
    s.stop().await;
}

async fn a_tweet_mention_is_answered_with_a_reply_tweet(b: Backend) {
    let (standin, platform) = standin().await;
    let s = server(b, &platform).await;
    let ann = s.agent("ann").await;
    let mut events = ann.events().await;
    let user = "8800000000000077";
    let mention = json!({"for_user_id": OUR_X_ID, "tweet_create_events": [
        {"id_str": "1800000000000000001", "text": "@northwind my order is late",
         "user": {"id_str": user, "name": "Kim Lee", "screen_name": "kimlee"},
         "in_reply_to_status_id_str": null},
        {"id_str": "1800000000000000002", "text": "Our own Tweet",
         "user": {"id_str": OUR_X_ID, "name": "Northwind", "screen_name": "northwind"}},
        {"id_str": "1800000000000000003", "text": "RT @northwind news",
         "user": {"id_str": user, "name": "Kim Lee", "screen_name": "kimlee"},
         "retweeted_status": {"id_str": "1"}}]});
    let (st, v) = x_signed(&s, &mention).await;
    assert_eq!((st, v["messages"].as_i64()), (200, Some(1)), "{v}");
    let (st, v) = x_signed(&s, &mention).await;
    assert_eq!((st, v["messages"].as_i64()), (200, Some(1)), "{v}");
    let contact = contact_of(&s, "twitter_user", user).await;
    let items = from_contact(&conversation(&ann, contact, true).await);
    assert_eq!(items.len(), 1, "{items:?}");
    let item = items[0].clone();
    let before = stored(&s).await;
    // 281 by X's count: 257 letters and a link (23) and a space.
    let long = format!("{} https://example.com/{}", "a".repeat(257), "b".repeat(60));
    assert_eq!(wire::limits::tweet_weight(&long), 281);
    let (st, v) = reply_to(&ann, contact, item.id, &long).await;
    assert_eq!(st, 422, "{v}");
    assert_eq!(v["error"]["code"], "too_long_for_platform");
    assert_eq!(stored(&s).await, before, "nothing stored");
    let (st, v) = reply_to(&ann, contact, item.id, "Sorry! Checking now.").await;
    assert_eq!(st, 200, "{v}");
    let sent: SendResponse = serde_json::from_value(v).expect("send response");
    assert_eq!(sent.interaction.channel, Channel::Tweet);
    until_outbound(&mut events, sent.message.id, OutboundState::Sent).await;
    let got = sends(&standin);
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].path, "/2/tweets");
    assert_eq!(
        got[0].authorization.as_deref(),
        Some(format!("Bearer {X_TOKEN}").as_str())
    );
    assert_eq!(
        got[0].body,
        json!({"text": "Sorry! Checking now.",
            "reply": {"in_reply_to_tweet_id": "1800000000000000001"}})
    );
    // Kim answers the reply Tweet: threaded under it.
    let (st, _) = x_signed(
        &s,
        &json!({"for_user_id": OUR_X_ID, "tweet_create_events": [
            {"id_str": "1800000000000000010", "text": "@northwind thanks",
             "extended_tweet": {"full_text": "@northwind thanks, got it"},
             "user": {"id_str": user, "name": "Kim Lee", "screen_name": "kimlee"},
             "in_reply_to_status_id_str": "1900000000000000001"}]}),
    )
    .await;
    assert_eq!(st, 200);
    let items = from_contact(&conversation(&ann, contact, true).await);
    assert_eq!(items.len(), 2);
    assert_eq!(items[1].text, "@northwind thanks, got it");
    assert_eq!(items[1].reply_to, Some(sent.message.id));
    // A private Direct Message from Kim does not land in the public thread.
    let (st, _) = x_signed(
        &s,
        &json!({"for_user_id": OUR_X_ID, "direct_message_events": [{
            "type": "message_create", "id": "1800000000000000020",
            "message_create": {"sender_id": user, "message_data": {"text": "DM here"}}}]}),
    )
    .await;
    assert_eq!(st, 200);
    let private = from_contact(&conversation(&ann, contact, false).await);
    assert_eq!(private.len(), 1);
    assert_eq!(private[0].text, "DM here");
    s.stop().await;
}

async fn an_offered_comment_is_answered_from_its_chat(b: Backend) {
    let (standin, platform) = standin().await;
    let s = server(b, &platform).await;
    let ada = s.agent("ada").await;
    let (st, v) = ada
        .call(
            reqwest::Method::PUT,
            "/api/admin/channels",
            Some(
                json!({"channel": "facebook_post", "async_chat": true, "offer_public": true,
                "offer_timeout_secs": 30, "reservation_secs": 300}),
            ),
        )
        .await;
    assert_eq!(st, 200, "{v}");
    let ann = s.agent("ann").await;
    let mut events = ann.events().await;
    ann.ready().await;
    let (st, _) = meta_signed(
        &s,
        &feed(vec![comment(
            "31000000006",
            "Ola Berg",
            "100001_600001",
            PAGE_POST,
            "Price for the red one?",
        )]),
    )
    .await;
    assert_eq!(st, 200);
    let chat = ann.take_offer(&mut events, "the offered comment").await;
    assert_eq!(chat.channel, Channel::FacebookPost);
    let sent: SendResponse = ann
        .post(
            &format!("/api/contacts/{}/messages", chat.contact_id),
            json!({"client_id": common::client_id(), "text": "It is 89 EUR."}),
        )
        .await;
    assert_eq!(sent.interaction.id, chat.id, "into the comment's chat");
    assert!(sent.message.reply_to.is_some());
    until_outbound(&mut events, sent.message.id, OutboundState::Sent).await;
    let got = sends(&standin);
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].path, "/v21.0/100001_600001/comments");
    s.stop().await;
}
