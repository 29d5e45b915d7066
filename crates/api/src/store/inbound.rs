//! Messages that arrive from a platform's webhook (Facebook Messenger, X Direct Messages): each sender's contact
//! found by its channel identity or created, and each message written through the same send a
//! visitor's message takes (`sending::contact_send`), all in one transaction, so a webhook is
//! answered only once everything in it is committed, and a failure stores nothing of it.

use super::contacts::create_contact_in;
use super::rows::identity_parts;
use super::sending::{contact_send, StoredMessage, VisitorSendOptions};
use super::{Store, StoreError, Tx};
use sqlx::Row;
use wire::{ClientMessageId, ContactId, Identity};

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
}

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
            stored.push(contact_send(&mut tx, contact, &m.client_id, &m.text, None, opts).await?);
        }
        tx.commit().await?;
        Ok(stored)
    }
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
            .fetch_optional(&mut *tx.inner)
            .await?;
    if let Some(row) = found {
        return Ok(ContactId(row.try_get("contact_id")?));
    }
    create_contact_in(tx, &name.0, &name.1, None, std::slice::from_ref(identity)).await
}
