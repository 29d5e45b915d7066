//! What the platforms send to Threadline, imitated: a customer's Messenger message, X Direct
//! Message, Page comment (a `feed` change) or mention Tweet (`tweet_create_events`), and the
//! delivery and read receipts that follow an accepted send, in the platforms' documented
//! shapes, signed as they sign them (Meta: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of
//! the body with the app secret>`; X: `x-twitter-webhooks-signature: sha256=<base64 HMAC-SHA256
//! of the body with the consumer secret>`) and posted to Threadline's webhook URLs.
//!
//! # Layout
//! - [`Webhooks`]: where to send and with which secrets; [`CustomerChannel`],
//!   [`CustomerMessage`], [`CustomerSent`], [`WebhookError`]: a customer's message and its fate.
//! - [`sign_meta`], [`sign_x`]: the signatures.
//! - `impl Standin`: [`Standin::customer_sends`], the receipts, and posting a signed body.
//! - `bodies`: the documented shapes.

use crate::Standin;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sha2::Sha256;
use std::time::Duration;

/// Where the stand-in sends webhooks, and how it signs them. The secrets are the ones
/// Threadline is configured with (`THREADLINE_META_APP_SECRET`, `THREADLINE_X_CONSUMER_SECRET`).
#[derive(Clone, PartialEq, Eq)]
pub struct Webhooks {
    /// Threadline's base URL (`http://127.0.0.1:8080`): Meta's bodies go to
    /// `/api/webhooks/meta`, X's to `/api/webhooks/x`.
    pub threadline_url: String,
    /// The Meta app secret Meta's bodies are signed with.
    pub meta_app_secret: String,
    /// The X consumer secret X's bodies are signed with.
    pub x_consumer_secret: String,
    /// The Facebook Page the customers write to (`--meta-page-id` on Threadline).
    pub page_id: String,
    /// Threadline's own X account (`--x-user-id`): Direct Messages go to it, mentions name it.
    pub x_user_id: String,
    /// That account's handle, as a mention writes it (`@handle`).
    pub x_screen_name: String,
    /// After accepting a send, wait this long and then send its delivery and read receipts
    /// (Messenger's `delivery` and `read`, X's `direct_message_mark_read_events`), as a
    /// customer's phone would; `None` sends none (tests send them by hand).
    pub receipts_after: Option<Duration>,
}

impl std::fmt::Debug for Webhooks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Webhooks")
            .field("threadline_url", &self.threadline_url)
            .field("meta_app_secret", &"<hidden>")
            .field("x_consumer_secret", &"<hidden>")
            .field("page_id", &self.page_id)
            .field("x_user_id", &self.x_user_id)
            .field("x_screen_name", &self.x_screen_name)
            .field("receipts_after", &self.receipts_after)
            .finish()
    }
}

/// Where a customer writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CustomerChannel {
    /// A Messenger message to the Page.
    Messenger,
    /// An X Direct Message to our account.
    XDm,
    /// A comment on the Page's post (a `feed` change).
    PageComment,
    /// A Tweet mentioning our account.
    Mention,
}

impl CustomerChannel {
    /// The word in `/_standin/customer/{channel}`.
    pub fn parse(word: &str) -> Option<CustomerChannel> {
        match word {
            "messenger" => Some(CustomerChannel::Messenger),
            "x_dm" => Some(CustomerChannel::XDm),
            "page_comment" => Some(CustomerChannel::PageComment),
            "mention" => Some(CustomerChannel::Mention),
            _ => None,
        }
    }
}

/// The longest customer name the stand-in takes, in characters.
pub const MAX_NAME_CHARS: usize = 100;
/// The longest customer text the stand-in takes, in characters (Messenger's limit).
pub const MAX_TEXT_CHARS: usize = 2000;

/// What a customer writes, and who they are (the same name is the same customer: their
/// platform ids are derived from it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerMessage {
    /// Their display name, 1 to [`MAX_NAME_CHARS`] characters.
    pub name: String,
    /// What they write, 1 to [`MAX_TEXT_CHARS`] characters.
    pub text: String,
}

/// A customer's message that Threadline answered with 2xx.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerSent {
    /// The customer's id on the platform (page-scoped id, X user id, Facebook user id).
    pub customer_id: String,
    /// The platform's id of what they wrote (a `mid`, a Direct Message event id, a comment
    /// id, a Tweet id).
    pub id: String,
    /// Threadline's answer's status.
    pub status: u16,
}

/// Why a webhook was not delivered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WebhookError {
    /// No [`Webhooks`] configured.
    NotConfigured,
    /// The customer's message is not one a platform would carry (empty, too long).
    Invalid(String),
    /// Threadline could not be reached.
    Unreachable(String),
    /// Threadline answered with this status (not 2xx).
    Refused(u16),
}

impl std::fmt::Display for WebhookError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WebhookError::NotConfigured => {
                write!(
                    f,
                    "the stand-in does not know where Threadline's webhooks are"
                )
            }
            WebhookError::Invalid(why) => write!(f, "{why}"),
            WebhookError::Unreachable(why) => write!(f, "Threadline could not be reached: {why}"),
            WebhookError::Refused(status) => write!(f, "Threadline answered {status}"),
        }
    }
}

impl std::error::Error for WebhookError {}

/// One webhook the stand-in sent, as `GET /_standin/webhooks` lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SentWebhook {
    /// Where it went.
    pub url: String,
    /// What it said.
    pub body: Value,
    /// Threadline's answer's status (0 when Threadline could not be reached).
    pub status: u16,
}

/// Which platform signs a body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Signer {
    Meta,
    X,
}

fn hmac(secret: &str, body: &[u8]) -> Vec<u8> {
    // HMAC takes a key of any length.
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
    mac.update(body);
    mac.finalize().into_bytes().to_vec()
}

/// Meta's `X-Hub-Signature-256` value for `body`: `sha256=` and the hex HMAC-SHA256.
pub fn sign_meta(app_secret: &str, body: &[u8]) -> String {
    format!("sha256={}", hex::encode(hmac(app_secret, body)))
}

/// X's `x-twitter-webhooks-signature` value for `body`: `sha256=` and the base64 HMAC-SHA256.
pub fn sign_x(consumer_secret: &str, body: &[u8]) -> String {
    format!(
        "sha256={}",
        base64::engine::general_purpose::STANDARD.encode(hmac(consumer_secret, body))
    )
}

/// Milliseconds since the Unix epoch.
pub(crate) fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// A stable number for a customer's name (FNV-1a of the trimmed, lower-cased name): the same
/// name is the same customer.
fn name_number(name: &str) -> u64 {
    name.trim()
        .to_lowercase()
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        })
}

/// A customer's id on `channel`: 16 digits, a different first digit per kind of id.
fn customer_id(channel: CustomerChannel, name: &str) -> String {
    let lead = match channel {
        CustomerChannel::Messenger => 7,
        CustomerChannel::XDm | CustomerChannel::Mention => 8,
        CustomerChannel::PageComment => 6,
    };
    format!("{lead}{:015}", name_number(name) % 1_000_000_000_000_000)
}

/// A customer's X handle: the name's letters and digits, lower case, at most 15.
fn handle(name: &str) -> String {
    let h: String = name
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .take(15)
        .collect();
    if h.is_empty() {
        "customer".to_owned()
    } else {
        h
    }
}

fn check(message: &CustomerMessage) -> Result<(), WebhookError> {
    let name = message.name.trim();
    if name.is_empty()
        || name.chars().count() > MAX_NAME_CHARS
        || name.chars().any(char::is_control)
    {
        return Err(WebhookError::Invalid(format!(
            "the name must be 1 to {MAX_NAME_CHARS} characters on one line"
        )));
    }
    let text = message.text.trim();
    if text.is_empty() || message.text.chars().count() > MAX_TEXT_CHARS {
        return Err(WebhookError::Invalid(format!(
            "the text must be 1 to {MAX_TEXT_CHARS} characters"
        )));
    }
    Ok(())
}

impl Standin {
    /// Sends `message` to Threadline as the customer `message.name` on `channel`, signed, in the
    /// platform's shape; answers with the ids once Threadline answered 2xx.
    pub async fn customer_sends(
        &self,
        channel: CustomerChannel,
        message: &CustomerMessage,
    ) -> Result<CustomerSent, WebhookError> {
        check(message)?;
        let hooks = self.webhooks().ok_or(WebhookError::NotConfigured)?;
        let n = self.next_inbound();
        let name = message.name.trim();
        let text = message.text.trim();
        let customer = customer_id(channel, name);
        let (signer, id, body) = match channel {
            CustomerChannel::Messenger => {
                let mid = format!("m_standin_{n}");
                let body = bodies::messenger(&hooks, &customer, &mid, text);
                (Signer::Meta, mid, body)
            }
            CustomerChannel::XDm => {
                let id = format!("19{n:017}");
                let body = bodies::x_dm(&hooks, &customer, name, &handle(name), &id, text);
                (Signer::X, id, body)
            }
            CustomerChannel::PageComment => {
                let post = format!("{}_{}", hooks.page_id, bodies::DEMO_POST);
                let id = format!("{}_{n}", bodies::DEMO_POST);
                let body = bodies::page_comment(&hooks, &customer, name, &post, &id, text);
                (Signer::Meta, id, body)
            }
            CustomerChannel::Mention => {
                let id = format!("18{n:017}");
                let body = bodies::mention(&hooks, &customer, name, &handle(name), &id, text);
                (Signer::X, id, body)
            }
        };
        let status = self.post_signed(signer, &body).await?;
        Ok(CustomerSent {
            customer_id: customer,
            id,
            status,
        })
    }

    /// Sends Messenger's delivery receipt from the customer `psid`: `mids` arrived, and every
    /// message sent before `watermark` (ms).
    pub async fn messenger_delivery(
        &self,
        psid: &str,
        mids: &[String],
        watermark: u64,
    ) -> Result<u16, WebhookError> {
        let hooks = self.webhooks().ok_or(WebhookError::NotConfigured)?;
        let body = bodies::messenger_event(
            &hooks,
            psid,
            json!({"delivery": {"mids": mids, "watermark": watermark}}),
        );
        self.post_signed(Signer::Meta, &body).await
    }

    /// Sends Messenger's read receipt from the customer `psid`: every message sent before
    /// `watermark` (ms) was read.
    pub async fn messenger_read(&self, psid: &str, watermark: u64) -> Result<u16, WebhookError> {
        let hooks = self.webhooks().ok_or(WebhookError::NotConfigured)?;
        let body = bodies::messenger_event(&hooks, psid, json!({"read": {"watermark": watermark}}));
        self.post_signed(Signer::Meta, &body).await
    }

    /// Sends X's read event from the customer `user_id`: they read the conversation up to the
    /// Direct Message `last_read_event_id`.
    pub async fn x_read(
        &self,
        user_id: &str,
        last_read_event_id: &str,
    ) -> Result<u16, WebhookError> {
        let hooks = self.webhooks().ok_or(WebhookError::NotConfigured)?;
        let body = bodies::x_mark_read(&hooks, user_id, last_read_event_id);
        self.post_signed(Signer::X, &body).await
    }

    /// Signs `body` as Meta does and posts it to Threadline's Meta webhook; Threadline's status.
    pub async fn post_meta(&self, body: &Value) -> Result<u16, WebhookError> {
        self.post_signed(Signer::Meta, body).await
    }

    /// Signs `body` as X does and posts it to Threadline's X webhook; Threadline's status.
    pub async fn post_x(&self, body: &Value) -> Result<u16, WebhookError> {
        self.post_signed(Signer::X, body).await
    }

    /// After a send to `customer` was accepted with `id`: its receipts, later, when configured.
    pub(crate) fn receipts_for(&self, signer: Signer, customer: String, id: String) {
        let Some(delay) = self.webhooks().and_then(|h| h.receipts_after) else {
            return;
        };
        let standin = self.clone();
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            // Failures are in the record of sent webhooks; nothing else waits for them.
            match signer {
                Signer::Meta => {
                    let _ = standin
                        .messenger_delivery(&customer, std::slice::from_ref(&id), now_ms())
                        .await;
                    let _ = standin.messenger_read(&customer, now_ms()).await;
                }
                Signer::X => {
                    let _ = standin.x_read(&customer, &id).await;
                }
            }
        });
    }

    /// Signs `body` for `signer`'s platform and posts it; 2xx is `Ok` with the status.
    async fn post_signed(&self, signer: Signer, body: &Value) -> Result<u16, WebhookError> {
        let hooks = self.webhooks().ok_or(WebhookError::NotConfigured)?;
        let raw = serde_json::to_vec(body).map_err(|e| WebhookError::Invalid(e.to_string()))?;
        let base = hooks.threadline_url.trim_end_matches('/');
        let (url, header, signature) = match signer {
            Signer::Meta => (
                format!("{base}/api/webhooks/meta"),
                "X-Hub-Signature-256",
                sign_meta(&hooks.meta_app_secret, &raw),
            ),
            Signer::X => (
                format!("{base}/api/webhooks/x"),
                "x-twitter-webhooks-signature",
                sign_x(&hooks.x_consumer_secret, &raw),
            ),
        };
        let sent = self
            .client()
            .post(&url)
            .header("content-type", "application/json")
            .header(header, signature)
            .body(raw)
            .send()
            .await;
        let status = sent.as_ref().map_or(0, |r| r.status().as_u16());
        self.record_webhook(SentWebhook {
            url,
            body: body.clone(),
            status,
        });
        match sent {
            Err(e) => Err(WebhookError::Unreachable(e.to_string())),
            Ok(r) if r.status().is_success() => Ok(status),
            Ok(_) => Err(WebhookError::Refused(status)),
        }
    }
}

/// The platforms' documented webhook bodies.
mod bodies {
    use super::{now_ms, Webhooks};
    use serde_json::{json, Value};

    /// The Page's post the demo customers comment on (its id after the Page id).
    pub(super) const DEMO_POST: &str = "1000";

    /// Messenger: one messaging event from `psid` to the Page with `event`'s fields
    /// (`message`, `delivery`, `read`).
    pub(super) fn messenger_event(hooks: &Webhooks, psid: &str, event: Value) -> Value {
        let now = now_ms();
        let mut messaging = json!({
            "sender": {"id": psid},
            "recipient": {"id": hooks.page_id},
            "timestamp": now,
        });
        if let (Some(m), Some(e)) = (messaging.as_object_mut(), event.as_object()) {
            m.extend(e.clone());
        }
        json!({"object": "page", "entry": [{"id": hooks.page_id, "time": now,
            "messaging": [messaging]}]})
    }

    /// Messenger: a text message.
    pub(super) fn messenger(hooks: &Webhooks, psid: &str, mid: &str, text: &str) -> Value {
        messenger_event(hooks, psid, json!({"message": {"mid": mid, "text": text}}))
    }

    /// X: a user as the `users` map describes them.
    fn x_user(id: &str, name: &str, screen_name: &str) -> Value {
        json!({"id": id, "created_timestamp": "1500000000000", "name": name,
            "screen_name": screen_name, "protected": false, "verified": false,
            "followers_count": 0, "friends_count": 0, "statuses_count": 0})
    }

    /// X: a Direct Message from `user` to our account.
    pub(super) fn x_dm(
        hooks: &Webhooks,
        user: &str,
        name: &str,
        screen_name: &str,
        id: &str,
        text: &str,
    ) -> Value {
        json!({
            "for_user_id": hooks.x_user_id,
            "direct_message_events": [{
                "type": "message_create",
                "id": id,
                "created_timestamp": now_ms().to_string(),
                "message_create": {
                    "target": {"recipient_id": hooks.x_user_id},
                    "sender_id": user,
                    "message_data": {"text": text, "entities": {"hashtags": [], "symbols": [],
                        "user_mentions": [], "urls": []}}
                }
            }],
            "users": {
                user: x_user(user, name, screen_name),
                hooks.x_user_id.clone(): x_user(&hooks.x_user_id, "Northwind Outfitters",
                    &hooks.x_screen_name),
            }
        })
    }

    /// X: `user` read the conversation up to `last_read_event_id`.
    pub(super) fn x_mark_read(hooks: &Webhooks, user: &str, last_read_event_id: &str) -> Value {
        json!({
            "for_user_id": hooks.x_user_id,
            "direct_message_mark_read_events": [{
                "created_timestamp": now_ms().to_string(),
                "sender_id": user,
                "target": {"recipient_id": hooks.x_user_id},
                "last_read_event_id": last_read_event_id,
            }]
        })
    }

    /// Meta: a `feed` change adding a comment by `from` on the Page's post `post`.
    pub(super) fn page_comment(
        hooks: &Webhooks,
        from: &str,
        name: &str,
        post: &str,
        comment: &str,
        text: &str,
    ) -> Value {
        let now = now_ms() / 1000;
        json!({"object": "page", "entry": [{"id": hooks.page_id, "time": now, "changes": [{
            "field": "feed",
            "value": {
                "from": {"id": from, "name": name},
                "post": {"id": post, "status_type": "mobile_status_update", "is_published": true,
                    "permalink_url": format!("https://www.facebook.com/{post}")},
                "message": text,
                "post_id": post,
                "comment_id": comment,
                "created_time": now,
                "item": "comment",
                "parent_id": post,
                "verb": "add"
            }
        }]}]})
    }

    /// X: a Tweet by `user` mentioning our account (the text starts with the mention unless
    /// it has it).
    pub(super) fn mention(
        hooks: &Webhooks,
        user: &str,
        name: &str,
        screen_name: &str,
        id: &str,
        text: &str,
    ) -> Value {
        let at = format!("@{}", hooks.x_screen_name);
        let text = if text.contains(&at) {
            text.to_owned()
        } else {
            format!("{at} {text}")
        };
        let start = text.find(&at).map_or(0, |b| text[..b].chars().count());
        let now = now_ms();
        json!({
            "for_user_id": hooks.x_user_id,
            "user_has_blocked": false,
            "tweet_create_events": [{
                "created_at": twitter_time(now / 1000),
                "id": id.parse::<u64>().unwrap_or_default(),
                "id_str": id,
                "text": text,
                "source": "<a href=\"https://x.com\" rel=\"nofollow\">X Web App</a>",
                "truncated": false,
                "in_reply_to_status_id": null,
                "in_reply_to_status_id_str": null,
                "in_reply_to_user_id": null,
                "in_reply_to_user_id_str": null,
                "in_reply_to_screen_name": null,
                "user": {"id": user.parse::<u64>().unwrap_or_default(), "id_str": user,
                    "name": name, "screen_name": screen_name},
                "entities": {"hashtags": [], "urls": [], "symbols": [], "user_mentions": [{
                    "screen_name": hooks.x_screen_name,
                    "name": "Northwind Outfitters",
                    "id": hooks.x_user_id.parse::<u64>().unwrap_or_default(),
                    "id_str": hooks.x_user_id,
                    "indices": [start, start + at.chars().count()]
                }]},
                "timestamp_ms": now.to_string()
            }]
        })
    }

    /// A time as X's v1.1 objects write it: `Wed Oct 10 20:19:24 +0000 2018`.
    pub(super) fn twitter_time(unix_secs: u64) -> String {
        const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
        const MONTHS: [&str; 12] = [
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        ];
        let days = unix_secs / 86_400;
        let secs = unix_secs % 86_400;
        // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
        let z = days + 719_468;
        let era = z / 146_097;
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = yoe + era * 400 + u64::from(month <= 2);
        format!(
            "{} {} {:02} {:02}:{:02}:{:02} +0000 {year}",
            DAYS[usize::try_from(days % 7).unwrap_or(0)],
            MONTHS[usize::try_from(month - 1).unwrap_or(0)],
            day,
            secs / 3600,
            secs % 3600 / 60,
            secs % 60
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_are_the_platforms() {
        // HMAC-SHA256 of "hello" with the key "key".
        let hex = "9307b3b915efb5171ff14d8cb55fbcc798c6c0ef1456d66ded1a6aa723a58b7b";
        assert_eq!(sign_meta("key", b"hello"), format!("sha256={hex}"));
        let raw = hex::decode(hex).expect("hex");
        assert_eq!(
            sign_x("key", b"hello"),
            format!(
                "sha256={}",
                base64::engine::general_purpose::STANDARD.encode(raw)
            )
        );
    }

    #[test]
    fn the_same_name_is_the_same_customer() {
        let a = customer_id(CustomerChannel::Messenger, "Dana Park");
        assert_eq!(a, customer_id(CustomerChannel::Messenger, " dana park "));
        assert_eq!(a.len(), 16);
        assert!(a.bytes().all(|b| b.is_ascii_digit()));
        assert_ne!(a, customer_id(CustomerChannel::Messenger, "Dan Park"));
        assert_eq!(handle("Dana Park!"), "danapark");
    }

    #[test]
    fn twitter_times() {
        assert_eq!(
            bodies::twitter_time(1_539_202_764),
            "Wed Oct 10 20:19:24 +0000 2018"
        );
        assert_eq!(bodies::twitter_time(0), "Thu Jan 01 00:00:00 +0000 1970");
    }

    #[test]
    fn customer_messages_are_checked() {
        let ok = CustomerMessage {
            name: "Dana".into(),
            text: "Hi".into(),
        };
        assert!(check(&ok).is_ok());
        for bad in [
            CustomerMessage {
                name: " ".into(),
                text: "Hi".into(),
            },
            CustomerMessage {
                name: "Dana".into(),
                text: "  ".into(),
            },
            CustomerMessage {
                name: "a".repeat(101),
                text: "Hi".into(),
            },
            CustomerMessage {
                name: "Dana".into(),
                text: "a".repeat(2001),
            },
            CustomerMessage {
                name: "Da\nna".into(),
                text: "Hi".into(),
            },
        ] {
            assert!(check(&bad).is_err(), "{bad:?}");
        }
    }
}
