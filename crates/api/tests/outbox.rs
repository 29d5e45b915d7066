//! The outbox over real HTTP, on SQLite and on PostgreSQL, against the stand-in platform
//! (`crates/platform-standin`) started in-process on a loopback port: a Messenger contact and
//! an X contact come in through their signed webhooks, an agent answers, and the stand-in
//! receives the right request once; 500s and a 429 are retried, a 400 fails with the
//! platform's reason until `Retry`; Messenger's windows and the text limits are checked before
//! anything is stored; a restarted server sends what the stopped one left, exactly once; and
//! the real binary killed with SIGKILL while it sends loses nothing, sending again at most the
//! one message that was in flight.

mod common;

use base64::Engine;
use common::platforms::{
    configure, sends, standin, until_outbound, APP_SECRET, CONSUMER_SECRET, OUR_X_ID, PAGE,
    PAGE_TOKEN, X_TOKEN,
};
use common::{wait_up, Backend, Caller, Events, Server};
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;
use sqlx::Row;
use std::time::Duration;
use threadline_platform_standin::{Failure, Standin};
use wire::api::SendResponse;
use wire::{ContactId, MessageId, MessageView, OutboundState};

on_both!(
    messenger_reply_is_sent_with_response,
    x_dm_reply_is_sent,
    server_errors_are_retried_and_sent_once,
    rate_limit_waits_for_retry_after,
    refusal_fails_with_the_reason_until_retry,
    messenger_windows_and_text_limits,
    a_restarted_server_sends_what_was_left_once,
    kill_9_mid_send_loses_nothing,
);

/// A server whose outbox talks to the stand-in at `platform`.
async fn server(b: Backend, platform: &str) -> Server {
    Server::start(b, |c| configure(c, platform)).await
}

async fn post_webhook(s: &Server, path: &str, header: &str, signature: String, raw: Vec<u8>) {
    let resp = reqwest::Client::new()
        .post(format!("{}{path}", s.base))
        .header("content-type", "application/json")
        .header(header, signature)
        .body(raw)
        .send()
        .await
        .expect("webhook");
    assert_eq!(resp.status().as_u16(), 200, "{path}");
}

/// A signed Messenger message from `psid`.
async fn messenger_in(s: &Server, psid: &str, mid: &str, text: &str) {
    let body = json!({"object": "page", "entry": [{"id": PAGE, "time": 1_700_000_000_000_i64,
        "messaging": [{"sender": {"id": psid}, "recipient": {"id": PAGE},
            "timestamp": 1_700_000_000_000_i64, "message": {"mid": mid, "text": text}}]}]});
    let raw = serde_json::to_vec(&body).expect("json");
    let mut mac = Hmac::<Sha256>::new_from_slice(APP_SECRET.as_bytes()).expect("key");
    mac.update(&raw);
    let sig = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
    post_webhook(s, "/api/webhooks/meta", "X-Hub-Signature-256", sig, raw).await;
}

/// A signed X Direct Message from `user`.
async fn x_in(s: &Server, user: &str, id: &str, text: &str) {
    let body = json!({"for_user_id": OUR_X_ID, "direct_message_events": [{
        "type": "message_create", "id": id, "created_timestamp": "1700000000000",
        "message_create": {"target": {"recipient_id": OUR_X_ID}, "sender_id": user,
            "message_data": {"text": text}}}],
        "users": {user: {"id": user, "name": "Dana X", "screen_name": "danax"}}});
    let raw = serde_json::to_vec(&body).expect("json");
    let mut mac = Hmac::<Sha256>::new_from_slice(CONSUMER_SECRET.as_bytes()).expect("key");
    mac.update(&raw);
    let sig = format!(
        "sha256={}",
        base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
    );
    post_webhook(
        s,
        "/api/webhooks/x",
        "x-twitter-webhooks-signature",
        sig,
        raw,
    )
    .await;
}

/// Ann, Ready, with the chat that `arrive` starts accepted; returns her, her events and the
/// contact.
async fn ann_with_chat<F: std::future::Future<Output = ()>>(
    s: &Server,
    arrive: F,
) -> (common::Agent, Events, ContactId) {
    let ann = s.agent("ann").await;
    let mut events = ann.events().await;
    ann.ready().await;
    arrive.await;
    let chat = ann.take_offer(&mut events, "the platform's chat").await;
    (ann, events, chat.contact_id)
}

async fn reply(ann: &common::Agent, contact: ContactId, text: &str) -> MessageView {
    let sent: SendResponse = ann
        .post(
            &format!("/api/contacts/{contact}/messages"),
            json!({"client_id": common::client_id(), "text": text}),
        )
        .await;
    sent.message
}

/// Waits for the message's `message` event saying it waits again after a failed attempt.
async fn until_waiting_again(events: &mut Events, id: MessageId) -> MessageView {
    events
        .message(&format!("message {id} waiting again"), |m| {
            m.id == id
                && m.outbound
                    .as_ref()
                    .is_some_and(|o| o.state == OutboundState::Waiting && o.error.is_some())
        })
        .await
}

/// The platform's id and the attempts recorded for the message.
async fn row(s: &Server, id: MessageId) -> (String, Option<String>, i64) {
    let pool = s.db.pool().await;
    let r = sqlx::query("SELECT state, platform_id, attempts FROM outbox WHERE message_id = $1")
        .bind(id.0)
        .fetch_one(&pool)
        .await
        .expect("outbox row");
    (
        r.try_get("state").expect("state"),
        r.try_get("platform_id").expect("platform_id"),
        r.try_get("attempts").expect("attempts"),
    )
}

async fn messenger_reply_is_sent_with_response(b: Backend) {
    let (standin, platform) = standin().await;
    let s = server(b, &platform).await;
    let psid = "7100000000000001";
    let (ann, mut events, contact) =
        ann_with_chat(&s, messenger_in(&s, psid, "m_in_1", "Where is my parcel?")).await;
    let message = reply(&ann, contact, "It ships today.").await;
    assert_eq!(
        message.outbound.as_ref().map(|o| o.state),
        Some(OutboundState::Waiting)
    );
    // The stored message's own event already says it waits, then it goes out.
    until_outbound(&mut events, message.id, OutboundState::Waiting).await;
    until_outbound(&mut events, message.id, OutboundState::Sending).await;
    let sent = until_outbound(&mut events, message.id, OutboundState::Sent).await;
    assert_eq!(sent.outbound.and_then(|o| o.error), None);
    let got = sends(&standin);
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].path, "/v21.0/me/messages");
    assert_eq!(
        got[0].authorization.as_deref(),
        Some(format!("Bearer {PAGE_TOKEN}").as_str())
    );
    assert_eq!(got[0].body["recipient"]["id"], psid);
    assert_eq!(got[0].body["messaging_type"], "RESPONSE");
    assert!(got[0].body.get("tag").is_none());
    assert_eq!(got[0].body["message"]["text"], "It ships today.");
    assert_eq!(got[0].status, 200);
    let (state, platform_id, attempts) = row(&s, message.id).await;
    assert_eq!(state, "sent");
    assert_eq!(platform_id.as_deref(), Some("m_1"));
    assert_eq!(attempts, 1);
    // The conversation shows it sent too.
    let page: wire::api::ConversationPage = ann
        .get(&format!("/api/contacts/{contact}/conversation"))
        .await;
    let shown = page
        .messages
        .iter()
        .find(|m| m.id == message.id)
        .expect("in the conversation");
    assert_eq!(
        shown.outbound.as_ref().map(|o| o.state),
        Some(OutboundState::Sent)
    );
    s.stop().await;
}

async fn x_dm_reply_is_sent(b: Backend) {
    let (standin, platform) = standin().await;
    let s = server(b, &platform).await;
    let user = "8800000000000002";
    let (ann, mut events, contact) =
        ann_with_chat(&s, x_in(&s, user, "1790000000000000001", "Refund please")).await;
    let message = reply(&ann, contact, "Refund on its way.").await;
    until_outbound(&mut events, message.id, OutboundState::Sent).await;
    let got = sends(&standin);
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(
        got[0].path,
        format!("/2/dm_conversations/with/{user}/messages")
    );
    assert_eq!(
        got[0].authorization.as_deref(),
        Some(format!("Bearer {X_TOKEN}").as_str())
    );
    assert_eq!(got[0].body, json!({"text": "Refund on its way."}));
    let (state, platform_id, _) = row(&s, message.id).await;
    assert_eq!(state, "sent");
    assert_eq!(platform_id.as_deref(), Some("1"));
    s.stop().await;
}

async fn server_errors_are_retried_and_sent_once(b: Backend) {
    let (standin, platform) = standin().await;
    let s = server(b, &platform).await;
    let (ann, mut events, contact) =
        ann_with_chat(&s, messenger_in(&s, "7100000000000003", "m_in_3", "Hello?")).await;
    standin.fail(Failure::ServerError, 2);
    let message = reply(&ann, contact, "Hello!").await;
    // Each failure puts it back to waiting with the platform's message.
    let again = until_waiting_again(&mut events, message.id).await;
    assert!(again.outbound.and_then(|o| o.error).is_some());
    until_outbound(&mut events, message.id, OutboundState::Sent).await;
    let got = sends(&standin);
    let statuses: Vec<u16> = got.iter().map(|r| r.status).collect();
    assert_eq!(statuses, vec![500, 500, 200]);
    // Back-off: 1 s after the first failure, 2 s after the second.
    assert!(got[1].received_at_ms - got[0].received_at_ms >= 1000);
    assert!(got[2].received_at_ms - got[1].received_at_ms >= 2000);
    let (state, platform_id, attempts) = row(&s, message.id).await;
    assert_eq!((state.as_str(), attempts), ("sent", 3));
    assert_eq!(platform_id.as_deref(), Some("m_1"));
    s.stop().await;
}

async fn rate_limit_waits_for_retry_after(b: Backend) {
    let (standin, platform) = standin().await;
    let s = server(b, &platform).await;
    let (ann, mut events, contact) = ann_with_chat(
        &s,
        x_in(&s, "8800000000000004", "1790000000000000004", "Hi"),
    )
    .await;
    standin.fail(Failure::RateLimited { retry_after: 1 }, 1);
    let message = reply(&ann, contact, "Hi there").await;
    until_outbound(&mut events, message.id, OutboundState::Sent).await;
    let got = sends(&standin);
    assert_eq!(
        got.iter().map(|r| r.status).collect::<Vec<_>>(),
        vec![429, 201]
    );
    // The second call came no sooner than Retry-After allowed.
    let waited = got[1].received_at_ms - got[0].received_at_ms;
    assert!(waited >= 1000, "retried after {waited} ms");
    let (state, _, attempts) = row(&s, message.id).await;
    assert_eq!((state.as_str(), attempts), ("sent", 2));
    s.stop().await;
}

async fn refusal_fails_with_the_reason_until_retry(b: Backend) {
    let (standin, platform) = standin().await;
    let s = server(b, &platform).await;
    let (ann, mut events, contact) =
        ann_with_chat(&s, messenger_in(&s, "7100000000000005", "m_in_5", "Hey")).await;
    standin.fail(
        Failure::Rejected {
            message: "(#551) This person isn't available right now.".to_owned(),
        },
        1,
    );
    let message = reply(&ann, contact, "Are you there?").await;
    let failed = until_outbound(&mut events, message.id, OutboundState::Failed).await;
    assert_eq!(
        failed.outbound.and_then(|o| o.error).as_deref(),
        Some("(#551) This person isn't available right now.")
    );
    assert_eq!(sends(&standin).len(), 1);
    // A colleague who neither wrote it nor holds the chat may not retry it.
    let ben = s.agent("ben").await;
    let (status, body) = ben
        .call(
            reqwest::Method::POST,
            &format!("/api/messages/{}/retry", message.id),
            None,
        )
        .await;
    assert_eq!(status, 403, "{body}");
    let retried: MessageView = ann
        .post(&format!("/api/messages/{}/retry", message.id), json!({}))
        .await;
    assert!(retried.outbound.is_some());
    until_outbound(&mut events, message.id, OutboundState::Sent).await;
    assert_eq!(
        sends(&standin).iter().map(|r| r.status).collect::<Vec<_>>(),
        vec![400, 200]
    );
    // A sent message is not sent again.
    let (status, body) = ann
        .call(
            reqwest::Method::POST,
            &format!("/api/messages/{}/retry", message.id),
            None,
        )
        .await;
    assert_eq!(status, 409, "{body}");
    s.stop().await;
}

/// Moves the contact's own messages `days` into the past.
async fn age_contact_messages(s: &Server, contact: ContactId, days: i64) {
    let pool = s.db.pool().await;
    sqlx::query(
        "UPDATE messages SET created_at = created_at - $1 WHERE contact_id = $2 \
         AND author_kind = 'contact'",
    )
    .bind(days * 86_400_000)
    .bind(contact.0)
    .execute(&pool)
    .await
    .expect("age");
}

async fn stored_agent_messages(s: &Server, contact: ContactId) -> i64 {
    let pool = s.db.pool().await;
    sqlx::query(
        "SELECT COUNT(*) AS n FROM messages WHERE contact_id = $1 AND author_kind = 'agent'",
    )
    .bind(contact.0)
    .fetch_one(&pool)
    .await
    .expect("count")
    .try_get("n")
    .expect("n")
}

async fn messenger_windows_and_text_limits(b: Backend) {
    let (standin, platform) = standin().await;
    let s = server(b, &platform).await;
    let (ann, mut events, contact) = ann_with_chat(
        &s,
        messenger_in(&s, "7100000000000006", "m_in_6", "Anyone?"),
    )
    .await;
    // Too long for Messenger: refused, nothing stored.
    let (status, body) = ann
        .call(
            reqwest::Method::POST,
            &format!("/api/contacts/{contact}/messages"),
            Some(json!({"client_id": common::client_id(), "text": "a".repeat(2001)})),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["code"], "invalid_input");
    assert_eq!(stored_agent_messages(&s, contact).await, 0);
    // Two days after the contact wrote: the HUMAN_AGENT tag.
    age_contact_messages(&s, contact, 2).await;
    let message = reply(&ann, contact, "Sorry for the wait.").await;
    until_outbound(&mut events, message.id, OutboundState::Sent).await;
    let got = sends(&standin);
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].body["messaging_type"], "MESSAGE_TAG");
    assert_eq!(got[0].body["tag"], "HUMAN_AGENT");
    // Past seven days: refused before anything is stored.
    age_contact_messages(&s, contact, 6).await;
    let (status, body) = ann
        .call(
            reqwest::Method::POST,
            &format!("/api/contacts/{contact}/messages"),
            Some(json!({"client_id": common::client_id(), "text": "Still there?"})),
        )
        .await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"]["code"], "outside_window");
    assert_eq!(stored_agent_messages(&s, contact).await, 1);
    assert_eq!(sends(&standin).len(), 1);
    s.stop().await;
}

/// Waits (up to 15 s) until the stand-in has recorded `n` sends.
async fn until_sends(standin: &Standin, n: usize) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while sends(standin).len() < n {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the stand-in got {:?}",
            sends(standin)
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn a_restarted_server_sends_what_was_left_once(b: Backend) {
    // The first server's platform is a closed port: its attempt fails and the row waits.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        format!("http://{}", l.local_addr().expect("addr"))
    };
    let s = server(b, &closed).await;
    let (ann, mut events, contact) =
        ann_with_chat(&s, messenger_in(&s, "7100000000000007", "m_in_7", "Hello")).await;
    let waiting = reply(&ann, contact, "First answer").await;
    let left = until_waiting_again(&mut events, waiting.id).await;
    assert!(left.outbound.and_then(|o| o.error).is_some());
    let crashed = reply(&ann, contact, "Second answer").await;
    drop(events);
    let db = s.stop().await;
    // The second looks like a server killed mid-send: claimed, its lease long over.
    {
        let pool = db.pool().await;
        sqlx::query(
            "UPDATE outbox SET state = 'sending', lease_until = 1, attempts = 1 \
             WHERE message_id = $1",
        )
        .bind(crashed.id.0)
        .execute(&pool)
        .await
        .expect("lease");
    }
    let (standin, platform) = standin().await;
    let s = Server::start_on(db, |c| configure(c, &platform)).await;
    until_sends(&standin, 2).await;
    let ann = s.agent("ann").await;
    for id in [waiting.id, crashed.id] {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
        loop {
            let (state, _, _) = row(&s, id).await;
            if state == "sent" {
                break;
            }
            assert!(tokio::time::Instant::now() < deadline, "{id} is {state}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    let texts: Vec<Value> = sends(&standin)
        .iter()
        .map(|r| r.body["message"]["text"].clone())
        .collect();
    assert_eq!(texts.len(), 2, "{texts:?}");
    assert!(texts.contains(&json!("First answer")));
    assert!(texts.contains(&json!("Second answer")));
    let page: wire::api::ConversationPage = ann
        .get(&format!("/api/contacts/{contact}/conversation"))
        .await;
    assert!(page
        .messages
        .iter()
        .filter(|m| m.id == waiting.id || m.id == crashed.id)
        .all(|m| m.outbound.as_ref().map(|o| o.state) == Some(OutboundState::Sent)));
    s.stop().await;
}

/// The server binary, running; killed when dropped.
struct ServerProcess(std::process::Child);

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn spawn_binary(url: &str, port: u16, platform: &str) -> ServerProcess {
    ServerProcess(
        std::process::Command::new(env!("CARGO_BIN_EXE_threadline-api"))
            .args([
                "--addr",
                &format!("127.0.0.1:{port}"),
                "--database-url",
                url,
                "--demo",
                "--meta-page-id",
                PAGE,
                "--meta-api-url",
                platform,
            ])
            .env("THREADLINE_META_APP_SECRET", APP_SECRET)
            .env("THREADLINE_META_PAGE_TOKEN", PAGE_TOKEN)
            .env("RUST_LOG", "warn")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start the server binary"),
    )
}

async fn kill_9_mid_send_loses_nothing(b: Backend) {
    const REPLIES: usize = 30;
    let db = common::fresh_db(b).await;
    let (standin, platform) = standin().await;
    let port = common::free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut child = spawn_binary(&db.url, port, &platform);
    wait_up(&base).await;
    // A Messenger contact writes in (through the binary's own webhook).
    let probe = Server::probe(&base);
    messenger_in(&probe, "7100000000000008", "m_in_8", "Hello from Messenger").await;
    let pool = db.pool().await;
    let contact: i64 = sqlx::query(
        "SELECT contact_id FROM contact_identities WHERE kind = 'messenger_psid' AND value = $1",
    )
    .bind("7100000000000008")
    .fetch_one(&pool)
    .await
    .expect("contact")
    .try_get("contact_id")
    .expect("id");
    drop(pool);
    let client = reqwest::Client::new();
    let login: Value = client
        .post(format!("{base}/api/auth/login"))
        .json(&json!({"login": "ann", "password": "ann-pass-1"}))
        .send()
        .await
        .expect("login")
        .json()
        .await
        .expect("login body");
    let token = login["token"].as_str().expect("token").to_owned();
    // Ann answers while the worker sends; the server is killed once some went out.
    let mut acknowledged = Vec::new();
    for i in 0..REPLIES {
        let text = format!("answer {i}");
        let r = client
            .post(format!("{base}/api/contacts/{contact}/messages"))
            .bearer_auth(&token)
            .json(&json!({"client_id": common::client_id(), "text": text,
                "source": "communication_tab"}))
            .send()
            .await
            .expect("send");
        assert!(
            r.status().is_success(),
            "{}",
            r.text().await.unwrap_or_default()
        );
        acknowledged.push(text);
        if sends(&standin).len() >= 10 {
            break;
        }
    }
    child.0.kill().expect("kill -9");
    child.0.wait().expect("reap");
    // A new server on the same database picks up what was left (a row caught mid-send waits
    // for its lease, a minute, so the test shortens it the way time would).
    {
        let pool = db.pool().await;
        sqlx::query("UPDATE outbox SET lease_until = 1 WHERE state = 'sending'")
            .execute(&pool)
            .await
            .expect("lease");
    }
    let _child = spawn_binary(&db.url, port, &platform);
    wait_up(&base).await;
    let deadline = tokio::time::Instant::now() + Duration::from_mins(1);
    loop {
        let pool = db.pool().await;
        let left: i64 = sqlx::query("SELECT COUNT(*) AS n FROM outbox WHERE state <> 'sent'")
            .fetch_one(&pool)
            .await
            .expect("count")
            .try_get("n")
            .expect("n");
        if left == 0 {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "{left} not sent");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let received: Vec<String> = sends(&standin)
        .iter()
        .filter(|r| r.status == 200)
        .map(|r| {
            r.body["message"]["text"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect();
    for text in &acknowledged {
        assert!(received.contains(text), "{text} never reached the platform");
    }
    let unique: std::collections::HashSet<&String> = received.iter().collect();
    assert_eq!(unique.len(), acknowledged.len(), "{received:?}");
    // At-least-once: only the one call in flight at the kill may have gone out twice.
    assert!(received.len() <= acknowledged.len() + 1, "{received:?}");
}
