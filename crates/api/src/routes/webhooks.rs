//! `/api/webhooks/*`: what the messaging platforms call. Anyone can reach these routes, so the
//! platform's own check comes first: the body's signature (HMAC-SHA256 with the app secret,
//! compared in constant time) is checked before anything of the body is parsed, and a body is
//! parsed and checked whole before anything of it is stored. Without the platform's secret in
//! the configuration the routes answer 404 `not_configured`.
//!
//! # Layout
//! - [`meta_verify`], [`meta_receive`]: Facebook Messenger (`GET` subscription check, `POST`
//!   messages).
//! - [`x_crc`], [`x_receive`]: X's Account Activity (`GET` CRC check, `POST` Direct Messages).
//! - `meta`, `x`: the documented shapes of the platforms' webhook bodies and their reading into
//!   [`InboundMessage`]s.
//! - [`signed_body`], [`same_secret`](crate::util::same_secret): reading a body within its limit and checking its
//!   signature.
//! - `receipts`: Messenger's delivery and read receipts and X's read events, applied after the
//!   messages of the same body ([`apply_receipts`]).

mod receipts;

use crate::error::{ApiError, QueryParams};
use crate::state::AppState;
use crate::store::{InboundMessage, VisitorSendOptions};
use crate::util::{ms, same_secret};
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use wire::{Channel, ClientMessageId, Identity};

/// The largest webhook body read; a larger one is refused (413) before its signature is
/// checked.
pub const MAX_WEBHOOK_BODY: usize = 1024 * 1024;

/// How Meta signs a body: `X-Hub-Signature-256: sha256=<hex>`.
const META_SIGNATURE: Signature = Signature {
    platform: "Meta",
    header: "x-hub-signature-256",
    base64: false,
};

/// How X signs a body: `x-twitter-webhooks-signature: sha256=<base64>`.
const X_SIGNATURE: Signature = Signature {
    platform: "X",
    header: "x-twitter-webhooks-signature",
    base64: true,
};

/// Where a platform puts a body's HMAC-SHA256 (`sha256=` and the digest), and how it writes it.
struct Signature {
    /// Named in the log.
    platform: &'static str,
    /// The header, lower case.
    header: &'static str,
    /// Base64 rather than hex.
    base64: bool,
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(meta_verify, meta_receive))
        .routes(routes!(x_crc, x_receive))
}

/// What a webhook is answered with once its messages are committed.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct WebhookReceipt {
    /// How many messages of the body were taken (stored now, or found stored by an earlier
    /// delivery of the same body); skipped items (echoes, receipts, other Pages) do not count.
    pub messages: usize,
}

/// The subscription check's query (`hub.*`), as Meta sends it.
#[derive(Debug, Clone, Deserialize, utoipa::IntoParams)]
pub struct MetaVerifyQuery {
    /// `subscribe`.
    #[serde(rename = "hub.mode")]
    #[param(rename = "hub.mode")]
    pub mode: Option<String>,
    /// The verify token typed into the app's webhook settings.
    #[serde(rename = "hub.verify_token")]
    #[param(rename = "hub.verify_token")]
    pub verify_token: Option<String>,
    /// What to answer with: at most 128 visible ASCII characters.
    #[serde(rename = "hub.challenge")]
    #[param(rename = "hub.challenge")]
    pub challenge: Option<String>,
}

/// Meta's subscription check: with `hub.mode=subscribe` and the configured verify token, the
/// challenge is answered as plain text; anything else is refused (403).
#[utoipa::path(get, path = "/api/webhooks/meta", tag = "webhooks", params(MetaVerifyQuery),
    responses((status = 200, body = String, content_type = "text/plain"),
        (status = 400, body = wire::ErrorBody), (status = 403, body = wire::ErrorBody),
        (status = 404, body = wire::ErrorBody)))]
async fn meta_verify(
    State(state): State<AppState>,
    QueryParams(q): QueryParams<MetaVerifyQuery>,
) -> Result<Response, ApiError> {
    let meta = &state.config.meta;
    if !meta.configured() {
        return Err(not_configured("Messenger"));
    }
    let token_ok = !meta.verify_token.is_empty()
        && q.verify_token
            .as_deref()
            .is_some_and(|t| same_secret(t, &meta.verify_token));
    if q.mode.as_deref() != Some("subscribe") || !token_ok {
        tracing::warn!("Meta webhook: a subscription check with a wrong mode or verify token");
        return Err(ApiError::Forbidden(
            "the verify token or the mode is wrong".into(),
        ));
    }
    let challenge = q.challenge.unwrap_or_default();
    if challenge.is_empty()
        || challenge.len() > 128
        || !challenge.bytes().all(|b| b.is_ascii_graphic())
    {
        return Err(ApiError::invalid(
            "hub.challenge must be 1 to 128 visible ASCII characters",
        ));
    }
    Ok((
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        challenge,
    )
        .into_response())
}

/// Messenger's messages (`X-Hub-Signature-256` over the raw body with the app secret). Text and
/// image attachments (kept as their `https` address for now) go into the sender's conversation
/// on the Messenger channel and are routed like Web Chat; echoes of the Page's own sends and
/// entries of other Pages are skipped. Delivery and read receipts (`delivery.mids`,
/// `delivery.watermark`, `read.watermark`) mark the agents' messages sent to that customer
/// delivered or read (never back; unknown ids ignored). The same message id delivered again
/// stores nothing new. Answered once every message and receipt is committed.
#[utoipa::path(post, path = "/api/webhooks/meta", tag = "webhooks",
    request_body(content = String, content_type = "application/json",
        description = "Meta's webhook body (`object: \"page\"`, `entry[].messaging[]`)."),
    responses((status = 200, body = WebhookReceipt), (status = 400, body = wire::ErrorBody),
        (status = 401, body = wire::ErrorBody), (status = 403, body = wire::ErrorBody),
        (status = 404, body = wire::ErrorBody), (status = 413, body = wire::ErrorBody)))]
async fn meta_receive(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<WebhookReceipt>, ApiError> {
    let meta = &state.config.meta;
    if !meta.configured() {
        return Err(not_configured("Messenger"));
    }
    let body = signed_body(&headers, body, &meta.app_secret, &META_SIGNATURE).await?;
    let Some(read) = meta::read(
        &body,
        meta.page_id.as_deref(),
        state.config.max_message_chars,
    )?
    else {
        return Ok(Json(WebhookReceipt { messages: 0 }));
    };
    let receipts = receipts::meta(&body, meta.page_id.as_deref())?;
    let private = store(&state, &read.messages, Channel::Messenger).await?;
    let public = store(&state, &read.feed, Channel::FacebookPost).await?;
    let edited = if read.edits.is_empty() {
        0
    } else {
        state.store.edit_inbound(&read.edits).await?
    };
    apply_receipts(&state, &receipts).await?;
    Ok(Json(WebhookReceipt {
        messages: private.messages + public.messages + edited,
    }))
}

/// Applies a body's delivery and read receipts (after its messages are committed): each sets
/// the marks on the agents' messages it covers and sends the changed messages to the agents.
async fn apply_receipts(
    state: &AppState,
    receipts: &[crate::store::PlatformReceipt],
) -> Result<(), ApiError> {
    for receipt in receipts {
        state.store.platform_receipt(receipt).await?;
    }
    Ok(())
}

/// Writes a webhook's messages on `channel` (one transaction) and wakes routing for new chats.
async fn store(
    state: &AppState,
    messages: &[InboundMessage],
    channel: Channel,
) -> Result<WebhookReceipt, ApiError> {
    if messages.is_empty() {
        return Ok(WebhookReceipt { messages: 0 });
    }
    let opts = VisitorSendOptions {
        channel,
        reservation_ms: state
            .store
            .reservation_ms(channel, ms(state.config.reservation_timeout)),
    };
    let stored = state.store.receive_inbound(messages, opts).await?;
    if stored.iter().any(|s| s.queued) {
        state.routing.poke();
    }
    Ok(WebhookReceipt {
        messages: stored.len(),
    })
}

/// The CRC check's query.
#[derive(Debug, Clone, Deserialize, utoipa::IntoParams)]
pub struct XCrcQuery {
    /// The token to sign: 1 to 256 letters, digits or `-_=+/.` (never something that could
    /// be a body).
    pub crc_token: Option<String>,
}

/// The CRC check's answer.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct XCrcResponse {
    /// `sha256=` and the base64 HMAC-SHA256 of the token with the consumer secret.
    pub response_token: String,
}

/// X's challenge-response check (when the webhook is registered, and hourly after): the token
/// signed with the consumer secret.
#[utoipa::path(get, path = "/api/webhooks/x", tag = "webhooks", params(XCrcQuery),
    responses((status = 200, body = XCrcResponse), (status = 400, body = wire::ErrorBody),
        (status = 404, body = wire::ErrorBody)))]
async fn x_crc(
    State(state): State<AppState>,
    QueryParams(q): QueryParams<XCrcQuery>,
) -> Result<Json<XCrcResponse>, ApiError> {
    let x = &state.config.x;
    if !x.configured() {
        return Err(not_configured("X"));
    }
    let token = q.crc_token.unwrap_or_default();
    // The answer is an HMAC with the same secret that signs bodies: signing anything that
    // could be a body (JSON starts with `{`) would let anyone forge a delivery. X's tokens
    // are letters, digits and base64's marks.
    if token.is_empty()
        || token.len() > 256
        || !token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_=+/.".contains(&b))
    {
        return Err(ApiError::invalid(
            "crc_token must be 1 to 256 letters, digits or '-_=+/.'",
        ));
    }
    Ok(Json(XCrcResponse {
        response_token: format!(
            "sha256={}",
            base64::engine::general_purpose::STANDARD
                .encode(hmac_sha256(&x.consumer_secret, token.as_bytes())?)
        ),
    }))
}

/// X's Account Activity events (`x-twitter-webhooks-signature` over the raw body with the
/// consumer secret). Direct Messages (`direct_message_events`, type `message_create`) go into
/// the sender's conversation on the Twitter Direct Message channel, named from `users`, and are
/// routed like Web Chat; our own account's sends and other events are skipped. Read events
/// (`direct_message_mark_read_events`) mark the agents' messages to that customer up to
/// `last_read_event_id` read. The same event id delivered again stores nothing new. Answered
/// once every message and receipt is committed.
#[utoipa::path(post, path = "/api/webhooks/x", tag = "webhooks",
    request_body(content = String, content_type = "application/json",
        description = "X's Account Activity body (`for_user_id`, `direct_message_events[]`, `users`)."),
    responses((status = 200, body = WebhookReceipt), (status = 400, body = wire::ErrorBody),
        (status = 401, body = wire::ErrorBody), (status = 403, body = wire::ErrorBody),
        (status = 404, body = wire::ErrorBody), (status = 413, body = wire::ErrorBody)))]
async fn x_receive(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<WebhookReceipt>, ApiError> {
    let x = &state.config.x;
    if !x.configured() {
        return Err(not_configured("X"));
    }
    let body = signed_body(&headers, body, &x.consumer_secret, &X_SIGNATURE).await?;
    let read = x::read(&body, x.user_id.as_deref(), state.config.max_message_chars)?;
    let receipts = receipts::x(&body, x.user_id.as_deref())?;
    let private = store(&state, &read.messages, Channel::TwitterDm).await?;
    let public = store(&state, &read.tweets, Channel::Tweet).await?;
    apply_receipts(&state, &receipts).await?;
    Ok(Json(WebhookReceipt {
        messages: private.messages + public.messages,
    }))
}

/// A platform user's display name as a new contact's first and last name, or `fallback` and
/// the id's last four characters when the name is missing, too long or has characters no
/// name field takes.
fn contact_name(name: Option<&str>, fallback: &str, id: &str) -> (String, String) {
    name.map(str::trim)
        .filter(|n| {
            n.chars().count() <= 100
                && wire::checks::characters(n, wire::checks::Lines::One).is_ok()
                && !n.is_empty()
        })
        .map_or_else(
            || {
                let last4: String = id
                    .chars()
                    .rev()
                    .take(4)
                    .collect::<Vec<_>>()
                    .into_iter()
                    .rev()
                    .collect();
                (fallback.to_owned(), last4)
            },
            |n| {
                let (first, last) = n.split_once(' ').unwrap_or((n, ""));
                (first.to_owned(), last.trim().to_owned())
            },
        )
}

/// HMAC-SHA256 of `data` with `secret`.
fn hmac_sha256(secret: &str, data: &[u8]) -> Result<Vec<u8>, ApiError> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes())
        .map_err(|e| ApiError::Internal(format!("hmac: {e}")))?;
    mac.update(data);
    Ok(mac.finalize().into_bytes().to_vec())
}

fn not_configured(platform: &str) -> ApiError {
    ApiError::NotConfigured(format!(
        "the {platform} webhook is not configured on this server"
    ))
}

/// Reads a body of at most [`MAX_WEBHOOK_BODY`] and checks its `sha256=` signature in the
/// platform's header against `secret`, before anything reads the body. No signature is 401, a
/// wrong one 403; both are logged.
async fn signed_body(
    headers: &HeaderMap,
    body: Body,
    secret: &str,
    how: &Signature,
) -> Result<Bytes, ApiError> {
    let platform = how.platform;
    let Some(given) = headers.get(how.header) else {
        tracing::warn!(platform, "webhook without a signature refused");
        return Err(ApiError::Unauthorized);
    };
    let body = axum::body::to_bytes(body, MAX_WEBHOOK_BODY)
        .await
        .map_err(|_| {
            ApiError::TooLarge(format!(
                "a webhook body may have at most {MAX_WEBHOOK_BODY} bytes"
            ))
        })?;
    let signature = given
        .to_str()
        .ok()
        .and_then(|v| v.trim().strip_prefix("sha256="))
        .and_then(|d| {
            if how.base64 {
                base64::engine::general_purpose::STANDARD.decode(d).ok()
            } else {
                hex::decode(d).ok()
            }
        });
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes())
        .map_err(|e| ApiError::Internal(format!("hmac: {e}")))?;
    mac.update(&body);
    // `verify_slice` compares in constant time.
    let valid = signature.is_some_and(|sig| mac.verify_slice(&sig).is_ok());
    if !valid {
        tracing::warn!(platform, "webhook with a wrong signature refused");
        return Err(ApiError::Forbidden(
            "the webhook's signature does not match".into(),
        ));
    }
    Ok(body)
}

/// Meta's webhook body for a Page (Messenger's `messaging[]` and the Page feed's `changes[]`),
/// in the shape Meta documents (fields not read here are ignored).
mod meta {
    use super::{ClientMessageId, Identity, InboundMessage};
    use crate::error::ApiError;
    use crate::store::InboundEdit;
    use serde::Deserialize;

    /// A body's items, checked, by where they go.
    #[derive(Default)]
    pub(super) struct Read {
        /// Messenger messages (channel Messenger).
        pub(super) messages: Vec<InboundMessage>,
        /// New comments and visitors' posts on the Page (channel Facebook post).
        pub(super) feed: Vec<InboundMessage>,
        /// Edited and removed comments and posts.
        pub(super) edits: Vec<InboundEdit>,
    }

    /// The body's envelope: which kind of object the entries are about.
    #[derive(Deserialize)]
    struct Envelope {
        /// `page` for Messenger; any other object is answered and skipped.
        object: String,
        /// Read only for a Page's object (another object's entries have other shapes);
        /// required there.
        entry: Option<Vec<serde_json::Value>>,
    }

    /// One entry: a Page's events.
    #[derive(Deserialize)]
    struct Entry {
        /// The Page's id: entries for a Page other than `--meta-page-id` are skipped.
        id: String,
        /// The Page's messaging events (a feed change has none).
        #[serde(default)]
        messaging: Vec<Messaging>,
        /// The Page's changes (`feed`: posts and comments; other fields are skipped).
        #[serde(default)]
        changes: Vec<Change>,
    }

    /// One change of a Page.
    #[derive(Deserialize)]
    struct Change {
        /// `feed` is read; other subscribed fields are skipped.
        field: String,
        /// What changed; its shape depends on `field` (required).
        value: serde_json::Value,
    }

    /// A `feed` change, as Meta documents it.
    #[derive(Deserialize)]
    struct Feed {
        /// `comment` and `post` (also `status`, a post's older name) are read; reactions,
        /// photos, shares and the rest are skipped.
        item: String,
        /// `add`, `edited` (also `edit`) and `remove` are read; `hide` and others are skipped.
        verb: String,
        /// The post the item is or belongs to.
        post_id: Option<String>,
        /// The comment's id (a comment's client id, so a retry stores nothing new).
        comment_id: Option<String>,
        /// What a comment answers: its post, or the comment it replies to.
        parent_id: Option<String>,
        /// Its author (Meta leaves it out where the app may not see who wrote it: skipped).
        from: Option<From>,
        /// The text.
        message: Option<String>,
    }

    /// A feed item's author.
    #[derive(Deserialize)]
    struct From {
        /// The Facebook user's (or the Page's own) id.
        id: String,
        /// Their name: a new contact's first and last name.
        name: Option<String>,
    }

    /// A Facebook object id (a post `<page>_<post>`, a comment `<post>_<comment>`): 1 to 128
    /// ASCII letters, digits and `_`.
    fn valid_object_id(id: &str) -> bool {
        (1..=128).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
    }

    /// One messaging event: a message, or a receipt or postback (skipped for now).
    #[derive(Deserialize)]
    struct Messaging {
        /// Who sent it: the person's Page-scoped id (the Page itself for an echo).
        sender: Party,
        /// The message; none for a delivery or read receipt or a postback.
        message: Option<Message>,
    }

    /// A sender or recipient.
    #[derive(Deserialize)]
    struct Party {
        /// The platform's id of the party.
        id: String,
    }

    /// A message as Messenger describes it.
    #[derive(Deserialize)]
    struct Message {
        /// The message id: the stored message's client id, so a retry stores nothing new.
        mid: String,
        /// The text, if the message has one.
        text: Option<String>,
        /// Images (kept as their address), stickers, files and others (skipped).
        #[serde(default)]
        attachments: Vec<Attachment>,
        /// Set on the Page's own sends echoed back: skipped.
        #[serde(default)]
        is_echo: bool,
    }

    /// One attachment of a message.
    #[derive(Deserialize)]
    struct Attachment {
        /// `image`, `video`, `file`, `fallback`, …: only images are kept.
        #[serde(rename = "type")]
        kind: String,
        /// Where the attachment is.
        payload: Option<Payload>,
    }

    /// An attachment's content.
    #[derive(Deserialize)]
    struct Payload {
        /// Its address on Meta's servers (kept only when `https`).
        url: Option<String>,
    }

    fn invalid(why: impl std::fmt::Display) -> ApiError {
        ApiError::InvalidWebhook(format!("the webhook body is not valid: {why}"))
    }

    /// A platform id (a Page-scoped id, a Page id): 1 to 64 ASCII letters and digits.
    fn valid_id(id: &str) -> bool {
        (1..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric())
    }

    /// Reads a whole body into the messages to store, checking everything first: `None` for an
    /// object other than a Page's (ignored), a 400 `invalid_webhook` for a missing required
    /// field or a text that a visitor could not send either.
    pub(super) fn read(
        body: &[u8],
        page_id: Option<&str>,
        max_chars: usize,
    ) -> Result<Option<Read>, ApiError> {
        let envelope: Envelope = serde_json::from_slice(body).map_err(invalid)?;
        if envelope.object != "page" {
            return Ok(None);
        }
        let entries = envelope
            .entry
            .ok_or_else(|| invalid("missing field `entry`"))?;
        let mut out = Read::default();
        for value in entries {
            let entry: Entry = serde_json::from_value(value).map_err(invalid)?;
            if !valid_id(&entry.id) {
                return Err(invalid("an entry's id is not a Page id"));
            }
            let other_page = page_id.is_some_and(|p| p != entry.id);
            for item in entry.messaging {
                if let Some(m) = message(item, &entry.id, max_chars)? {
                    if !other_page {
                        out.messages.push(m);
                    }
                }
            }
            for change in entry.changes {
                if change.field != "feed" {
                    continue;
                }
                let feed: Feed = serde_json::from_value(change.value).map_err(invalid)?;
                let item = feed_item(feed, &entry.id, max_chars)?;
                if other_page {
                    continue;
                }
                match item {
                    Some(FeedItem::New(m)) => out.feed.push(m),
                    Some(FeedItem::Edit(e)) => out.edits.push(e),
                    None => {}
                }
            }
        }
        Ok(Some(out))
    }

    /// What a feed change does here.
    enum FeedItem {
        /// A new comment or visitor's post.
        New(InboundMessage),
        /// An edit or removal.
        Edit(InboundEdit),
    }

    /// One feed change as a new item or an edit, or `None` when it is skipped (another kind
    /// of item or verb, the Page's own, no author, no text); a 400 for a missing or malformed
    /// id or a text a visitor could not send either.
    fn feed_item(feed: Feed, page: &str, max_chars: usize) -> Result<Option<FeedItem>, ApiError> {
        let comment = match feed.item.as_str() {
            "comment" => true,
            "post" | "status" => false,
            _ => return Ok(None),
        };
        let post_id = feed
            .post_id
            .ok_or_else(|| invalid("missing field `post_id`"))?;
        if !valid_object_id(&post_id) {
            return Err(invalid("post_id is not a Facebook id"));
        }
        let id = if comment {
            let id = feed
                .comment_id
                .ok_or_else(|| invalid("missing field `comment_id`"))?;
            if !valid_object_id(&id) {
                return Err(invalid("comment_id is not a Facebook id"));
            }
            id
        } else {
            post_id.clone()
        };
        if let Some(parent) = &feed.parent_id {
            if !valid_object_id(parent) {
                return Err(invalid("parent_id is not a Facebook id"));
            }
        }
        let Some(from) = feed.from else {
            return Ok(None);
        };
        if !valid_object_id(&from.id) {
            return Err(invalid("from.id is not a Facebook id"));
        }
        if from.id == page {
            return Ok(None);
        }
        let text = feed.message.filter(|t| !t.trim().is_empty());
        if let Some(t) = &text {
            wire::checks::message_text(t, max_chars, false)
                .map_err(|e| invalid(e.describe("a comment")))?;
        }
        let identity = Identity::FacebookUser(from.id.clone());
        let client_id = ClientMessageId(id);
        match feed.verb.as_str() {
            "add" => {
                let Some(text) = text else { return Ok(None) };
                let mut replies_to: Vec<String> = feed.parent_id.into_iter().collect();
                if comment && !replies_to.contains(&post_id) {
                    replies_to.push(post_id);
                }
                Ok(Some(FeedItem::New(InboundMessage {
                    name: super::contact_name(from.name.as_deref(), "Facebook user", &from.id),
                    identity,
                    client_id,
                    text,
                    replies_to,
                })))
            }
            "edited" | "edit" => Ok(text.map(|t| {
                FeedItem::Edit(InboundEdit {
                    identity,
                    client_id,
                    text: Some(t),
                })
            })),
            "remove" => Ok(Some(FeedItem::Edit(InboundEdit {
                identity,
                client_id,
                text: None,
            }))),
            _ => Ok(None),
        }
    }

    /// One messaging item as a message to store, or `None` when it is skipped (an echo, a
    /// receipt, nothing to show).
    fn message(
        item: Messaging,
        page: &str,
        max_chars: usize,
    ) -> Result<Option<InboundMessage>, ApiError> {
        let psid = item.sender.id;
        if !valid_id(&psid) {
            return Err(invalid("sender.id is not a Page-scoped id"));
        }
        let Some(message) = item.message else {
            return Ok(None);
        };
        if message.mid.is_empty()
            || message.mid.len() > 256
            || !message.mid.bytes().all(|b| b.is_ascii_graphic())
        {
            return Err(invalid(
                "message.mid must be 1 to 256 visible ASCII characters",
            ));
        }
        if message.is_echo || psid == page {
            return Ok(None);
        }
        let mut parts: Vec<String> = message
            .text
            .filter(|t| !t.trim().is_empty())
            .into_iter()
            .collect();
        // Images are kept as their address until they are copied in; only https ones.
        parts.extend(
            message
                .attachments
                .into_iter()
                .filter(|a| a.kind == "image")
                .filter_map(|a| a.payload?.url)
                .filter(|u| u.starts_with("https://"))
                .map(|u| format!("[image] {u}")),
        );
        if parts.is_empty() {
            return Ok(None);
        }
        let text = parts.join("\n");
        wire::checks::message_text(&text, max_chars, false)
            .map_err(|e| invalid(e.describe("a message")))?;
        let last4 = &psid[psid.len().saturating_sub(4)..];
        Ok(Some(InboundMessage {
            name: ("Messenger user".to_owned(), last4.to_owned()),
            identity: Identity::MessengerPsid(psid),
            client_id: ClientMessageId(message.mid),
            text,
            replies_to: Vec::new(),
        }))
    }
}

/// X's Account Activity body, in the shape X documents (fields not read here are ignored).
mod x {
    use super::{ClientMessageId, Identity, InboundMessage};
    use crate::error::ApiError;
    use serde::Deserialize;
    use std::collections::HashMap;

    /// A body's items, checked, by where they go.
    pub(super) struct Read {
        /// Direct Messages (channel Twitter Direct Message).
        pub(super) messages: Vec<InboundMessage>,
        /// Mentions of the account and replies to its Tweets (channel Tweet).
        pub(super) tweets: Vec<InboundMessage>,
    }

    /// The body: for which account, and its events (Direct Messages and Tweets are read here).
    #[derive(Deserialize)]
    struct Body {
        /// The account the events are for: another than `--x-user-id` is skipped.
        for_user_id: Option<String>,
        /// Direct Message events; a body of other events has none.
        direct_message_events: Option<Vec<DmEvent>>,
        /// Tweets that mention the account or reply to its Tweets (and its own, skipped).
        tweet_create_events: Option<Vec<Tweet>>,
        /// The users the events name, by id: a new contact's name.
        #[serde(default)]
        users: HashMap<String, User>,
    }

    /// One Direct Message event.
    #[derive(Deserialize)]
    struct DmEvent {
        /// `message_create` is read; other types are skipped.
        #[serde(rename = "type")]
        kind: String,
        /// The event id: the stored message's client id, so a retry stores nothing new.
        id: String,
        /// The message; required for a `message_create`.
        message_create: Option<MessageCreate>,
    }

    /// A Direct Message's content and sender.
    #[derive(Deserialize)]
    struct MessageCreate {
        /// Who sent it (our own account for our replies, skipped).
        sender_id: String,
        /// What it says.
        message_data: MessageData,
    }

    /// What a Direct Message says.
    #[derive(Deserialize)]
    struct MessageData {
        /// The text; an empty one (a media-only message) is skipped for now.
        text: String,
    }

    /// A Tweet, in the v1.1 shape Account Activity sends.
    #[derive(Deserialize)]
    struct Tweet {
        /// The Tweet's id: its client id, so a retry stores nothing new.
        id_str: String,
        /// The text (up to 140 characters on a long Tweet: then `extended_tweet` has it all).
        text: Option<String>,
        /// A long Tweet's whole text.
        extended_tweet: Option<ExtendedTweet>,
        /// Who wrote it (our own account's Tweets are skipped).
        user: TweetUser,
        /// The Tweet it replies to, if any: threads it.
        in_reply_to_status_id_str: Option<String>,
        /// Set on a retweet: skipped (nothing new was said).
        retweeted_status: Option<serde_json::Value>,
    }

    /// A long Tweet's content.
    #[derive(Deserialize)]
    struct ExtendedTweet {
        /// The whole text.
        full_text: String,
    }

    /// A Tweet's author.
    #[derive(Deserialize)]
    struct TweetUser {
        /// Their X user id.
        id_str: String,
        /// Their display name: a new contact's name.
        name: Option<String>,
    }

    /// A user the events name.
    #[derive(Deserialize)]
    struct User {
        /// The display name: a new contact's first and last name.
        name: Option<String>,
    }

    fn invalid(why: impl std::fmt::Display) -> ApiError {
        ApiError::InvalidWebhook(format!("the webhook body is not valid: {why}"))
    }

    /// An X id: 1 to 32 ASCII digits.
    fn valid_id(id: &str) -> bool {
        (1..=32).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_digit())
    }

    /// Reads a whole body into the messages to store, checking everything first: a 400
    /// `invalid_webhook` for a missing required field or a text a visitor could not send either.
    /// A body for another account, or without Direct Messages, has none.
    pub(super) fn read(
        body: &[u8],
        our_id: Option<&str>,
        max_chars: usize,
    ) -> Result<Read, ApiError> {
        let body: Body = serde_json::from_slice(body).map_err(invalid)?;
        let mut tweets = Vec::new();
        for tweet in body.tweet_create_events.unwrap_or_default() {
            if let Some(m) = tweet_item(tweet, our_id, max_chars)? {
                tweets.push(m);
            }
        }
        let mut out = Vec::new();
        for event in body.direct_message_events.unwrap_or_default() {
            if event.kind != "message_create" {
                continue;
            }
            let create = event
                .message_create
                .ok_or_else(|| invalid("missing field `message_create`"))?;
            if !valid_id(&event.id) {
                return Err(invalid("a Direct Message's id is not an X id"));
            }
            let sender = create.sender_id;
            if !valid_id(&sender) {
                return Err(invalid("message_create.sender_id is not an X id"));
            }
            let text = create.message_data.text;
            if text.trim().is_empty() {
                continue;
            }
            wire::checks::message_text(&text, max_chars, false)
                .map_err(|e| invalid(e.describe("a Direct Message")))?;
            if our_id == Some(sender.as_str()) {
                continue;
            }
            let name = super::contact_name(
                body.users.get(&sender).and_then(|u| u.name.as_deref()),
                "X user",
                &sender,
            );
            out.push(InboundMessage {
                identity: Identity::TwitterUser(sender),
                name,
                client_id: ClientMessageId(event.id),
                text,
                replies_to: Vec::new(),
            });
        }
        let other_account = match (our_id, body.for_user_id.as_deref()) {
            (Some(ours), Some(theirs)) => ours != theirs,
            _ => false,
        };
        if other_account {
            out.clear();
            tweets.clear();
        }
        Ok(Read {
            messages: out,
            tweets,
        })
    }

    /// One Tweet as a message to store, or `None` when it is skipped (our own, a retweet, no
    /// text); a 400 for a malformed id or a text a visitor could not send either.
    fn tweet_item(
        tweet: Tweet,
        our_id: Option<&str>,
        max_chars: usize,
    ) -> Result<Option<InboundMessage>, ApiError> {
        if !valid_id(&tweet.id_str) {
            return Err(invalid("a Tweet's id_str is not an X id"));
        }
        let author = tweet.user.id_str;
        if !valid_id(&author) {
            return Err(invalid("a Tweet's user.id_str is not an X id"));
        }
        let parent = tweet.in_reply_to_status_id_str.filter(|p| !p.is_empty());
        if parent.as_deref().is_some_and(|p| !valid_id(p)) {
            return Err(invalid("in_reply_to_status_id_str is not an X id"));
        }
        let text = tweet
            .extended_tweet
            .map(|e| e.full_text)
            .or(tweet.text)
            .ok_or_else(|| invalid("a Tweet without `text`"))?;
        if our_id == Some(author.as_str())
            || tweet.retweeted_status.is_some()
            || text.trim().is_empty()
        {
            return Ok(None);
        }
        wire::checks::message_text(&text, max_chars, false)
            .map_err(|e| invalid(e.describe("a Tweet")))?;
        Ok(Some(InboundMessage {
            name: super::contact_name(tweet.user.name.as_deref(), "X user", &author),
            identity: Identity::TwitterUser(author),
            client_id: ClientMessageId(tweet.id_str),
            text,
            replies_to: parent.into_iter().collect(),
        }))
    }
}
