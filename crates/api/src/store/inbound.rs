//! Messages that arrive from a platform's webhook (Facebook Messenger, X Direct Messages,
//! Facebook Page comments and posts, Tweets): each sender's contact found by its channel
//! identity or created, and each message written through the same send a visitor's message
//! takes (`sending::contact_send`), all in one transaction, so a webhook is answered only once
//! everything in it is committed, and a failure stores nothing of it. A public item knows the
//! stored item it answers (found by its platform id); a platform's edit or removal of an item
//! changes the stored text ([`InboundEdit`]).

use super::contacts::create_contact_in;
use super::interactions::lock_contact;
use super::messages::emit_message;
use super::rows::{identity_parts, load_interaction, load_message};
use super::sending::{contact_send, StoredMessage, VisitorSendOptions};
use super::{AuthorKey, Store, StoreError, Tx};
use sqlx::Row;
use wire::{Channel, ClientMessageId, ContactId, Identity, MessageId};

/// One message from a platform, checked by the caller.
#[derive(Debug, Clone)]
pub struct InboundMessage {
    /// Who sent it on the platform (a Messenger page-scoped id): finds or makes the contact.
    pub identity: Identity,
    /// The name a new contact gets (first name, last name) until the platform's profile is
    /// fetched.
    pub name: (String, String),
    /// The platform's message id: a retried webhook finds the message stored the first time.
    pub client_id: ClientMessageId,
    /// The text as the agent sees it.
    pub text: String,
    /// A public item's parents on the platform, nearest first (a reply comment's parent
    /// comment then its post; a Tweet's `in_reply_to`): the first one stored here becomes the
    /// message's `reply_to`. Empty on private channels.
    pub replies_to: Vec<String>,
}

/// A platform's change to a public item it sent before (Facebook's `edited` and `remove`).
#[derive(Debug, Clone)]
pub struct InboundEdit {
    /// Who wrote the item (an unknown author has nothing stored to change).
    pub identity: Identity,
    /// The item's platform id (its stored message's client id).
    pub client_id: ClientMessageId,
    /// The new text; `None` when the author removed the item (its text is replaced by a note,
    /// so what they took down is not kept).
    pub text: Option<String>,
}

/// What a removed item's text becomes.
pub const REMOVED_TEXT: &str = "(removed by its author on the platform)";

impl Store {
    /// Writes a webhook's messages, in order, in one transaction on `opts.channel`; answers
    /// once they are committed. A message already stored (the same platform id from the same
    /// sender) is found, not written again.
    pub async fn receive_inbound(
        &self,
        messages: &[InboundMessage],
        opts: VisitorSendOptions,
    ) -> Result<Vec<StoredMessage>, StoreError> {
        match self.try_receive(messages, opts).await {
            // The same new sender's first message delivered twice at once (PostgreSQL): one
            // transaction made the contact; the other, run again, finds it and the message.
            Err(StoreError::Database(sqlx::Error::Database(db))) if db.is_unique_violation() => {
                self.try_receive(messages, opts).await
            }
            other => other,
        }
    }

    async fn try_receive(
        &self,
        messages: &[InboundMessage],
        opts: VisitorSendOptions,
    ) -> Result<Vec<StoredMessage>, StoreError> {
        let mut tx = self.begin().await?;
        let mut stored = Vec::with_capacity(messages.len());
        // An error drops `tx` uncommitted: nothing of the webhook stays.
        for m in messages {
            let contact = contact_for_identity_in(&mut tx, &m.identity, &m.name).await?;
            let reply_to = platform_item(&mut tx, opts.channel, &m.replies_to).await?;
            stored.push(
                contact_send(
                    &mut tx,
                    contact,
                    &m.client_id,
                    &m.text,
                    None,
                    opts,
                    reply_to,
                )
                .await?,
            );
        }
        tx.commit().await?;
        Ok(stored)
    }

    /// Applies a webhook's edits and removals (one transaction): each item found by its
    /// author and platform id gets the new text, and everyone who sees it the changed message.
    /// An item never stored here is skipped. Answers how many were changed.
    pub async fn edit_inbound(&self, edits: &[InboundEdit]) -> Result<usize, StoreError> {
        let mut tx = self.begin().await?;
        let mut changed = 0;
        for e in edits {
            let (kind, value) = identity_parts(&e.identity);
            let Some(row) = sqlx::query(
                "SELECT contact_id FROM contact_identities WHERE kind = $1 AND value = $2",
            )
            .bind(kind)
            .bind(value)
            .fetch_optional(&mut tx.inner)
            .await?
            else {
                continue;
            };
            let contact = ContactId(row.try_get("contact_id")?);
            lock_contact(&mut tx, contact).await?;
            let text = e.text.as_deref().unwrap_or(REMOVED_TEXT);
            let Some(row) = sqlx::query(
                "UPDATE messages SET text = $1 WHERE author_key = $2 AND client_id = $3 \
                 RETURNING id",
            )
            .bind(text)
            .bind(AuthorKey::Contact(contact).stored())
            .bind(&e.client_id.0)
            .fetch_optional(&mut tx.inner)
            .await?
            else {
                continue;
            };
            let view = load_message(&mut tx.inner, MessageId(row.try_get("id")?))
                .await?
                .ok_or_else(|| StoreError::not_found("message"))?;
            let interaction = load_interaction(&mut tx.inner, view.interaction_id)
                .await?
                .ok_or_else(|| StoreError::not_found("interaction"))?;
            emit_message(&mut tx, &view, &interaction, interaction.agent_id)?;
            changed += 1;
        }
        tx.commit().await?;
        Ok(changed)
    }
}

/// The stored message on `channel` that is the first of `ids` (platform ids) found: a
/// contact's item by its client id, an agent's public reply by the id the platform gave it.
async fn platform_item(
    tx: &mut Tx,
    channel: Channel,
    ids: &[String],
) -> Result<Option<MessageId>, StoreError> {
    for id in ids {
        let row = sqlx::query(
            "SELECT m.id AS id FROM messages m JOIN interactions i ON i.id = m.interaction_id \
             WHERE m.client_id = $1 AND m.author_kind = 'contact' AND i.channel = $2 \
             UNION ALL SELECT o.message_id AS id FROM outbox o \
             WHERE o.platform_id = $1 AND o.channel = $2 LIMIT 1",
        )
        .bind(id)
        .bind(channel.as_str())
        .fetch_optional(&mut tx.inner)
        .await?;
        if let Some(row) = row {
            return Ok(Some(MessageId(row.try_get("id")?)));
        }
    }
    Ok(None)
}

/// The contact with `identity`, created with `name` when there is none, in `tx`.
async fn contact_for_identity_in(
    tx: &mut Tx,
    identity: &Identity,
    name: &(String, String),
) -> Result<ContactId, StoreError> {
    let (kind, value) = identity_parts(identity);
    let found =
        sqlx::query("SELECT contact_id FROM contact_identities WHERE kind = $1 AND value = $2")
            .bind(kind)
            .bind(value)
            .fetch_optional(&mut tx.inner)
            .await?;
    if let Some(row) = found {
        return Ok(ContactId(row.try_get("contact_id")?));
    }
    create_contact_in(tx, &name.0, &name.1, None, std::slice::from_ref(identity)).await
}
