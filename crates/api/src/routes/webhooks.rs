//! `/api/webhooks/*`: what the messaging platforms call. Anyone can reach these routes, so the
//! platform's own check comes first: the body's signature (HMAC-SHA256 with the app secret,
//! compared in constant time) is checked before anything of the body is parsed, and a body is
//! parsed and checked whole before anything of it is stored. Without the platform's secret in
//! the configuration the routes answer 404 `not_configured`.
//!
//! # Layout
//! - [`meta_verify`], [`meta_receive`]: Facebook Messenger (`GET` subscription check, `POST`
//!   messages).
//! - `meta`: the documented shape of Messenger's webhook body and its reading into
//!   [`InboundMessage`]s.
//! - [`signed_body`], [`same_secret`]: reading a body within its limit and checking its
//!   signature.

use crate::error::{ApiError, QueryParams};
use crate::state::AppState;
use crate::store::{InboundMessage, VisitorSendOptions};
use crate::util::ms;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::Json;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use wire::{Channel, ClientMessageId, Identity};

/// The largest webhook body read; a larger one is refused (413) before its signature is
/// checked.
pub const MAX_WEBHOOK_BODY: usize = 1024 * 1024;

/// The header Meta signs a body in.
const META_SIGNATURE: &str = "x-hub-signature-256";

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(meta_verify, meta_receive))
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
/// on the Messenger channel and are routed like Web Chat; echoes of the Page's own sends,
/// delivery and read receipts, and entries of other Pages are skipped. The same message id
/// delivered again stores nothing new. Answered once every message is committed.
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
    let body = signed_body(&headers, body, &meta.app_secret, "Meta").await?;
    let Some(messages) = meta::read(
        &body,
        meta.page_id.as_deref(),
        state.config.max_message_chars,
    )?
    else {
        return Ok(Json(WebhookReceipt { messages: 0 }));
    };
    if messages.is_empty() {
        return Ok(Json(WebhookReceipt { messages: 0 }));
    }
    let opts = VisitorSendOptions {
        channel: Channel::Messenger,
        reservation_ms: state
            .store
            .reservation_ms(Channel::Messenger, ms(state.config.reservation_timeout)),
    };
    let stored = state.store.receive_inbound(&messages, opts).await?;
    if stored.iter().any(|s| s.queued) {
        state.routing.poke();
    }
    Ok(Json(WebhookReceipt {
        messages: stored.len(),
    }))
}

fn not_configured(platform: &str) -> ApiError {
    ApiError::NotConfigured(format!(
        "the {platform} webhook is not configured on this server"
    ))
}

/// Reads a body of at most [`MAX_WEBHOOK_BODY`] and checks its `sha256=<hex>` signature in
/// `X-Hub-Signature-256` against `secret`, before anything reads the body. No signature is 401,
/// a wrong one 403; both are logged.
async fn signed_body(
    headers: &HeaderMap,
    body: Body,
    secret: &str,
    platform: &str,
) -> Result<Bytes, ApiError> {
    let Some(given) = headers.get(META_SIGNATURE) else {
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
        .and_then(|h| hex::decode(h).ok());
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes())
        .map_err(|e| ApiError::Internal(format!("hmac: {e}")))?;
    mac.update(&body);
    let valid = signature.is_some_and(|sig| mac.verify_slice(&sig).is_ok());
    if !valid {
        tracing::warn!(platform, "webhook with a wrong signature refused");
        return Err(ApiError::Forbidden(
            "the webhook's signature does not match".into(),
        ));
    }
    Ok(body)
}

/// Whether `given` is `expected`, in time that does not depend on where they differ.
fn same_secret(given: &str, expected: &str) -> bool {
    let a = Sha256::digest(given.as_bytes());
    let b = Sha256::digest(expected.as_bytes());
    a.iter()
        .zip(b.iter())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y))
        == 0
}

/// Messenger's webhook body, in the shape Meta documents (fields not read here are ignored).
mod meta {
    use super::{ClientMessageId, Identity, InboundMessage};
    use crate::error::ApiError;
    use serde::Deserialize;

    /// The body's envelope: which kind of object the entries are about.
    #[derive(Deserialize)]
    struct Envelope {
        object: String,
        entry: Option<Vec<serde_json::Value>>,
    }

    /// One entry: a Page's events.
    #[derive(Deserialize)]
    struct Entry {
        id: String,
        #[serde(default)]
        messaging: Vec<Messaging>,
    }

    /// One messaging event: a message, or a receipt or postback (skipped for now).
    #[derive(Deserialize)]
    struct Messaging {
        sender: Party,
        message: Option<Message>,
    }

    #[derive(Deserialize)]
    struct Party {
        id: String,
    }

    #[derive(Deserialize)]
    struct Message {
        mid: String,
        text: Option<String>,
        #[serde(default)]
        attachments: Vec<Attachment>,
        #[serde(default)]
        is_echo: bool,
    }

    #[derive(Deserialize)]
    struct Attachment {
        #[serde(rename = "type")]
        kind: String,
        payload: Option<Payload>,
    }

    #[derive(Deserialize)]
    struct Payload {
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
    ) -> Result<Option<Vec<InboundMessage>>, ApiError> {
        let envelope: Envelope = serde_json::from_slice(body).map_err(invalid)?;
        if envelope.object != "page" {
            return Ok(None);
        }
        let entries = envelope
            .entry
            .ok_or_else(|| invalid("missing field `entry`"))?;
        let mut out = Vec::new();
        for value in entries {
            let entry: Entry = serde_json::from_value(value).map_err(invalid)?;
            if !valid_id(&entry.id) {
                return Err(invalid("an entry's id is not a Page id"));
            }
            let other_page = page_id.is_some_and(|p| p != entry.id);
            for item in entry.messaging {
                if let Some(m) = message(item, &entry.id, max_chars)? {
                    if !other_page {
                        out.push(m);
                    }
                }
            }
        }
        Ok(Some(out))
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
        }))
    }
}
