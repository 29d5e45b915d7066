//! The outbox: an agent's message to a Messenger or X Direct Message contact gets a row here
//! in the transaction that stores it; the worker (`crate::outbox`) claims due rows, calls the
//! platform and records the outcome. See the README's outbox notes for the states.
//!
//! # Layout
//! - [`plan`]: before a message is stored, whether it goes out, to whom and how (text limits,
//!   Messenger's 24-hour and 7-day windows); [`enqueue`]: its row, after it is stored.
//! - [`OutboxJob`], [`SendOutcome`]: what the worker claims and what it reports back.
//! - `impl Store`: recovering expired leases, claiming, recording, the agent's `Retry`.

use super::messages::emit_message;
use super::rows::{identity_parts, load_interaction, load_message};
use super::{Store, StoreError, Tx};
use crate::util::now_ms;
use sqlx::Row;
use wire::platforms::{self, ReplyWindow};
use wire::{
    AgentId, AttachmentId, Author, Channel, ContactId, Identity, MessageId, MessageView,
    OutboundState,
};

/// How a message will go out, decided before it is stored.
#[derive(Debug, Clone)]
pub(super) struct OutboundPlan {
    /// Messenger, X Direct Messages, or a public reply's channel (Facebook post, Tweet).
    channel: Channel,
    /// The page-scoped id or the X user id it goes to; for a public reply, the platform id
    /// of the comment, post or Tweet it answers.
    recipient: String,
    /// Messenger's `messaging_type` (`RESPONSE` or `MESSAGE_TAG`); none on X.
    messaging_type: Option<&'static str>,
    /// Messenger's `tag` with `MESSAGE_TAG`.
    tag: Option<&'static str>,
}

/// Whether an agent's message on `channel` to `contact` goes out through a platform, and how;
/// refuses (before anything is stored) what the platform would refuse for certain. A public
/// reply (`answered`: the contact's comment, post or Tweet) goes to that item.
pub(super) async fn plan(
    tx: &mut Tx,
    contact: ContactId,
    channel: Channel,
    text: &str,
    attachment: Option<AttachmentId>,
    answered: Option<&MessageView>,
) -> Result<Option<OutboundPlan>, StoreError> {
    if channel.is_public() {
        return public_plan(channel, text, attachment, answered).map(Some);
    }
    let (name, identity) = match channel {
        Channel::Messenger => ("Messenger", Identity::MessengerPsid(String::new())),
        Channel::TwitterDm => ("an X Direct Message", Identity::TwitterUser(String::new())),
        _ => return Ok(None),
    };
    let limit = platforms::max_chars(channel).unwrap_or(usize::MAX);
    if attachment.is_some() {
        return Err(StoreError::Rejected(format!(
            "images cannot be sent as {name} yet; send the text only"
        )));
    }
    let chars = text.chars().count();
    if chars > limit {
        return Err(StoreError::TooLong(platforms::too_long_text(
            channel, limit, chars,
        )));
    }
    let (kind, _) = identity_parts(&identity);
    let recipient: Option<String> = sqlx::query(
        "SELECT value FROM contact_identities WHERE contact_id = $1 AND kind = $2 \
         ORDER BY value LIMIT 1",
    )
    .bind(contact.0)
    .bind(kind)
    .fetch_optional(&mut tx.inner)
    .await?
    .map(|r| r.try_get("value"))
    .transpose()?;
    let Some(recipient) = recipient else {
        return Err(StoreError::conflict(format!(
            "the contact has no {name} identity to send to"
        )));
    };
    if channel == Channel::TwitterDm {
        return Ok(Some(OutboundPlan {
            channel,
            recipient,
            messaging_type: None,
            tag: None,
        }));
    }
    let last: Option<i64> = sqlx::query(
        "SELECT MAX(m.created_at) AS at FROM messages m JOIN interactions i \
         ON i.id = m.interaction_id WHERE m.contact_id = $1 AND m.author_kind = 'contact' \
         AND i.channel = $2",
    )
    .bind(contact.0)
    .bind(Channel::Messenger.as_str())
    .fetch_one(&mut tx.inner)
    .await?
    .try_get("at")?;
    let (messaging_type, tag) = match platforms::messenger_window(last, now_ms()) {
        ReplyWindow::Standard { .. } => ("RESPONSE", None),
        ReplyWindow::HumanAgent { .. } => ("MESSAGE_TAG", Some("HUMAN_AGENT")),
        ReplyWindow::Closed => {
            return Err(StoreError::OutsideWindow(platforms::closed_text(
                "the contact",
            )))
        }
    };
    Ok(Some(OutboundPlan {
        channel,
        recipient,
        messaging_type: Some(messaging_type),
        tag,
    }))
}

/// How a public reply goes out: to the answered item's platform id (a comment reply on
/// Facebook, a reply Tweet on X), within the platform's length.
fn public_plan(
    channel: Channel,
    text: &str,
    attachment: Option<AttachmentId>,
    answered: Option<&MessageView>,
) -> Result<OutboundPlan, StoreError> {
    if attachment.is_some() {
        return Err(StoreError::Rejected(
            "images cannot be sent in a public reply yet; send the text only".to_owned(),
        ));
    }
    let Some(answered) = answered else {
        return Err(StoreError::Rejected(
            "a public reply names the comment, post or Tweet it answers".to_owned(),
        ));
    };
    // Items written here without a platform (imported history) have no platform id.
    let Some(recipient) = answered.client_id.as_ref().map(|c| c.0.clone()) else {
        return Err(StoreError::Rejected(
            "this item did not come from the platform, so no reply can be posted under it"
                .to_owned(),
        ));
    };
    if channel == Channel::Tweet {
        let weight = wire::limits::tweet_weight(text);
        let limit = wire::limits::TWEET_MAX_WEIGHT;
        if weight > limit {
            return Err(StoreError::TooLongForPlatform(format!(
                "a Tweet takes at most {limit} characters (a link counts 23, CJK and emoji 2); \
                 this reply counts {weight}"
            )));
        }
    } else {
        let chars = text.chars().count();
        let limit = platforms::FACEBOOK_COMMENT_MAX_CHARS;
        if chars > limit {
            return Err(StoreError::TooLongForPlatform(platforms::too_long_text(
                channel, limit, chars,
            )));
        }
    }
    Ok(OutboundPlan {
        channel,
        recipient,
        messaging_type: None,
        tag: None,
    })
}

/// Writes the outbox row of the stored message `message` (same transaction).
pub(super) async fn enqueue(
    tx: &mut Tx,
    message: MessageId,
    plan: &OutboundPlan,
) -> Result<(), StoreError> {
    let now = now_ms();
    sqlx::query(
        "INSERT INTO outbox (message_id, channel, recipient, messaging_type, tag, state, \
         attempts, next_attempt_at, created_at) VALUES ($1, $2, $3, $4, $5, 'waiting', 0, $6, $6)",
    )
    .bind(message.0)
    .bind(plan.channel.as_str())
    .bind(&plan.recipient)
    .bind(plan.messaging_type)
    .bind(plan.tag)
    .bind(now)
    .execute(&mut tx.inner)
    .await?;
    tx.emit_internal(&super::Internal::OutboxWaiting)
}

/// A claimed row: everything the worker needs to make the platform call.
#[derive(Debug, Clone)]
pub struct OutboxJob {
    /// The message.
    pub message_id: MessageId,
    /// Messenger or X Direct Messages.
    pub channel: Channel,
    /// Whom it goes to on the platform.
    pub recipient: String,
    /// Messenger's `messaging_type`.
    pub messaging_type: Option<String>,
    /// Messenger's `tag`.
    pub tag: Option<String>,
    /// The text.
    pub text: String,
    /// Attempts so far, this one included.
    pub attempts: i64,
}

/// What the worker learned from one attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendOutcome {
    /// The platform accepted it, with its id (if its answer named one).
    Sent(Option<String>),
    /// A transient failure: try again at `at` (ms).
    Later {
        /// When.
        at: i64,
        /// What went wrong, for the agent.
        error: String,
    },
    /// Refused for good (the platform's reason), or out of attempts.
    Failed(String),
}

/// Sends the message's new form (its outbound status or a receipt changed it) to whoever sees
/// it.
pub(super) async fn emit_update(
    tx: &mut Tx,
    message: MessageId,
) -> Result<MessageView, StoreError> {
    let view = load_message(&mut tx.inner, message)
        .await?
        .ok_or_else(|| StoreError::not_found("message"))?;
    let interaction = load_interaction(&mut tx.inner, view.interaction_id)
        .await?
        .ok_or_else(|| StoreError::not_found("interaction"))?;
    let author = match view.author {
        Author::Agent { id, .. } => Some(id),
        _ => None,
    };
    emit_message(tx, &view, &interaction, author.or(interaction.agent_id))?;
    Ok(view)
}

impl Store {
    /// Puts rows whose worker lease ran out (a server stopped mid-send) back to waiting.
    pub async fn outbox_recover(&self) -> Result<u64, StoreError> {
        let mut tx = self.begin().await?;
        let ids: Vec<i64> = sqlx::query(
            "UPDATE outbox SET state = 'waiting', lease_until = NULL \
             WHERE state = 'sending' AND lease_until < $1 RETURNING message_id",
        )
        .bind(now_ms())
        .fetch_all(&mut tx.inner)
        .await?
        .iter()
        .map(|r| r.try_get("message_id"))
        .collect::<Result<_, _>>()?;
        for id in &ids {
            emit_update(&mut tx, MessageId(*id)).await?;
        }
        tx.commit().await?;
        Ok(ids.len() as u64)
    }

    /// Claims the next due row for `lease_ms` (state `sending`, one more attempt), if any.
    pub async fn outbox_claim(&self, lease_ms: i64) -> Result<Option<OutboxJob>, StoreError> {
        let now = now_ms();
        let mut tx = self.begin().await?;
        let row = sqlx::query(
            "UPDATE outbox SET state = 'sending', lease_until = $1, attempts = attempts + 1 \
             WHERE message_id = (SELECT message_id FROM outbox WHERE state = 'waiting' \
             AND next_attempt_at <= $2 ORDER BY next_attempt_at, message_id LIMIT 1) \
             AND state = 'waiting' \
             RETURNING message_id, channel, recipient, messaging_type, tag, attempts",
        )
        .bind(now + lease_ms)
        .bind(now)
        .fetch_optional(&mut tx.inner)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let message_id = MessageId(row.try_get("message_id")?);
        let channel: String = row.try_get("channel")?;
        let text: String = sqlx::query("SELECT text FROM messages WHERE id = $1")
            .bind(message_id.0)
            .fetch_one(&mut tx.inner)
            .await?
            .try_get("text")?;
        let job = OutboxJob {
            message_id,
            channel: Channel::parse(&channel)
                .ok_or_else(|| StoreError::Internal(format!("outbox channel {channel}")))?,
            recipient: row.try_get("recipient")?,
            messaging_type: row.try_get("messaging_type")?,
            tag: row.try_get("tag")?,
            text,
            attempts: row.try_get("attempts")?,
        };
        emit_update(&mut tx, message_id).await?;
        tx.commit().await?;
        Ok(Some(job))
    }

    /// Records an attempt's outcome on a row this worker holds (state `sending`).
    pub async fn outbox_record(
        &self,
        message: MessageId,
        outcome: &SendOutcome,
    ) -> Result<(), StoreError> {
        let now = now_ms();
        let mut tx = self.begin().await?;
        let done =
            match outcome {
                SendOutcome::Sent(platform_id) => {
                    sqlx::query(
                        "UPDATE outbox SET state = 'sent', platform_id = $1, sent_at = $2, \
                     lease_until = NULL, last_error = NULL \
                     WHERE message_id = $3 AND state = 'sending'",
                    )
                    .bind(platform_id.clone())
                    .bind(now)
                    .bind(message.0)
                    .execute(&mut tx.inner)
                    .await?
                }
                SendOutcome::Later { at, error } => sqlx::query(
                    "UPDATE outbox SET state = 'waiting', next_attempt_at = $1, last_error = $2, \
                     lease_until = NULL WHERE message_id = $3 AND state = 'sending'",
                )
                .bind(*at)
                .bind(error.clone())
                .bind(message.0)
                .execute(&mut tx.inner)
                .await?,
                SendOutcome::Failed(error) => {
                    sqlx::query(
                        "UPDATE outbox SET state = 'failed', last_error = $1, lease_until = NULL \
                     WHERE message_id = $2 AND state = 'sending'",
                    )
                    .bind(error.clone())
                    .bind(message.0)
                    .execute(&mut tx.inner)
                    .await?
                }
            };
        let changed = done.rows_affected();
        if changed > 0 {
            emit_update(&mut tx, message).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// When the next waiting row is due (ms), if any.
    pub async fn outbox_next_due(&self) -> Result<Option<i64>, StoreError> {
        Ok(
            sqlx::query("SELECT MIN(next_attempt_at) AS at FROM outbox WHERE state = 'waiting'")
                .fetch_one(self.pool())
                .await?
                .try_get("at")?,
        )
    }

    /// The agent's `Retry` on a failed outbound message: it waits to be sent again, now.
    /// Allowed to the agent who wrote it and to the agent whose chat the contact is in.
    pub async fn retry_outbound(
        &self,
        agent: AgentId,
        message: MessageId,
    ) -> Result<MessageView, StoreError> {
        let mut tx = self.begin().await?;
        let view = load_message(&mut tx.inner, message)
            .await?
            .ok_or_else(|| StoreError::not_found("message"))?;
        let Some(status) = &view.outbound else {
            return Err(StoreError::conflict(
                "only a message sent through Messenger or X can be retried",
            ));
        };
        let author = match view.author {
            Author::Agent { id, .. } => Some(id),
            _ => None,
        };
        let holder: Option<i64> = sqlx::query(
            "SELECT agent_id FROM interactions WHERE contact_id = $1 AND state = 'active' \
             ORDER BY id DESC LIMIT 1",
        )
        .bind(view.contact_id.0)
        .fetch_optional(&mut tx.inner)
        .await?
        .map(|r| r.try_get("agent_id"))
        .transpose()?
        .flatten();
        if author != Some(agent) && holder != Some(agent.0) {
            return Err(StoreError::NotYours(
                "only the agent who wrote it or the agent in the chat may retry it".to_owned(),
            ));
        }
        if status.state != OutboundState::Failed {
            return Err(StoreError::conflict("only a failed message can be retried"));
        }
        sqlx::query(
            "UPDATE outbox SET state = 'waiting', attempts = 0, next_attempt_at = $1, \
             last_error = NULL WHERE message_id = $2 AND state = 'failed'",
        )
        .bind(now_ms())
        .bind(message.0)
        .execute(&mut tx.inner)
        .await?;
        let view = emit_update(&mut tx, message).await?;
        tx.emit_internal(&super::Internal::OutboxWaiting)?;
        tx.commit().await?;
        Ok(view)
    }
}
