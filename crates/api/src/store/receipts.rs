//! Receipts and typing: delivered/read marks both ways, typing notices, the visitor's unread
//! count and open chat.

use super::interactions::lock_contact;
use super::rows::{interaction, INTERACTION_SELECT};
use super::StoreError;
use super::{Audience, Store, Tx};
use crate::util::now_ms;
use sqlx::Row;
use wire::{AgentId, ContactId, Event, InteractionId, Party};

impl Store {
    /// The visitor received (or read) agent messages up to `up_to_seq`.
    pub async fn visitor_receipt(
        &self,
        contact: ContactId,
        up_to_seq: i64,
        read: bool,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        let up_to_seq = capped(&mut tx, contact, up_to_seq).await?;
        let changed = mark(&mut tx, contact, "agent", up_to_seq, read).await?;
        if changed > 0 {
            let col = if read {
                "visitor_read_seq"
            } else {
                "visitor_delivered_seq"
            };
            sqlx::query(&format!("UPDATE contacts SET {col} = CASE WHEN {col} < $1 THEN $1 ELSE {col} END WHERE id = $2"))
                .bind(up_to_seq)
                .bind(contact.0)
                .execute(&mut *tx.inner)
                .await?;
            let agent = conversation_agent(&mut tx, contact).await?;
            if let Some(agent) = agent {
                tx.emit(
                    Audience::agent(agent),
                    &Event::Receipt {
                        contact_id: contact,
                        author_party: Party::Agent,
                        up_to_seq,
                        read,
                        at: now_ms(),
                    },
                )?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// An agent received (or read) the contact's messages up to `up_to_seq`; clears the
    /// agent's unread mark for the contact when read.
    pub async fn agent_receipt(
        &self,
        agent: AgentId,
        contact: ContactId,
        up_to_seq: i64,
        read: bool,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        lock_contact(&mut tx, contact).await?;
        let up_to_seq = capped(&mut tx, contact, up_to_seq).await?;
        let changed = mark(&mut tx, contact, "contact", up_to_seq, read).await?;
        if read {
            sqlx::query(
                "INSERT INTO agent_contact_reads (agent_id, contact_id, read_seq) VALUES ($1, $2, $3) \
                 ON CONFLICT (agent_id, contact_id) DO UPDATE SET read_seq = CASE WHEN agent_contact_reads.read_seq < excluded.read_seq \
                 THEN excluded.read_seq ELSE agent_contact_reads.read_seq END",
            )
            .bind(agent.0)
            .bind(contact.0)
            .bind(up_to_seq)
            .execute(&mut *tx.inner)
            .await?;
        }
        if changed > 0 {
            tx.emit(
                Audience::visitor(contact),
                &Event::Receipt {
                    contact_id: contact,
                    author_party: Party::Contact,
                    up_to_seq,
                    read,
                    at: now_ms(),
                },
            )?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The agent who should see the visitor typing ([`CONVERSATION_AGENT`], read outside any
    /// transaction: typing is never written).
    pub async fn visitor_typing_agent(
        &self,
        contact: ContactId,
    ) -> Result<Option<AgentId>, StoreError> {
        let agent: Option<i64> = sqlx::query(CONVERSATION_AGENT)
            .bind(contact.0)
            .fetch_one(self.pool())
            .await?
            .try_get("agent")?;
        Ok(agent.map(AgentId))
    }

    /// Agent messages the visitor has not read yet.
    pub async fn visitor_unread(&self, contact: ContactId) -> Result<u32, StoreError> {
        let n: i64 = sqlx::query(
            "SELECT COUNT(*) AS n FROM messages m JOIN interactions i ON i.id = m.interaction_id \
             WHERE m.contact_id = $1 AND m.author_kind = 'agent' AND m.read_at IS NULL AND i.channel = 'web_chat'",
        )
        .bind(contact.0)
        .fetch_one(self.pool())
        .await?
        .try_get("n")?;
        Ok(u32::try_from(n).unwrap_or(u32::MAX))
    }

    /// The visitor's open interaction, if any.
    pub async fn visitor_open_interaction(
        &self,
        contact: ContactId,
    ) -> Result<Option<InteractionId>, StoreError> {
        let sql = format!(
            "{INTERACTION_SELECT} WHERE i.contact_id = $1 AND i.state IN ('queued', 'offered', 'active') \
             AND i.channel NOT IN ('facebook_post', 'tweet') ORDER BY i.id DESC LIMIT 1"
        );
        let row = sqlx::query(&sql)
            .bind(contact.0)
            .fetch_optional(self.pool())
            .await?;
        Ok(row.as_ref().map(interaction).transpose()?.map(|i| i.id))
    }
}

/// `up_to_seq` no further than the conversation's last message: a receipt for messages not
/// written yet would mark them read the moment they arrive, and an agent's read mark would
/// hide every later unread message.
async fn capped(tx: &mut Tx, contact: ContactId, up_to_seq: i64) -> Result<i64, StoreError> {
    let last: Option<i64> = sqlx::query("SELECT last_seq FROM contacts WHERE id = $1")
        .bind(contact.0)
        .fetch_optional(&mut *tx.inner)
        .await?
        .map(|row| row.try_get("last_seq"))
        .transpose()?;
    let last = last.ok_or(StoreError::NotFound("contact"))?;
    Ok(up_to_seq.min(last))
}

async fn mark(
    tx: &mut Tx,
    contact: ContactId,
    author_kind: &str,
    up_to_seq: i64,
    read: bool,
) -> Result<u64, sqlx::Error> {
    let now = now_ms();
    let sql = if read {
        "UPDATE messages SET delivered_at = COALESCE(delivered_at, $1), read_at = $1 \
         WHERE contact_id = $2 AND author_kind = $3 AND seq <= $4 AND read_at IS NULL"
    } else {
        "UPDATE messages SET delivered_at = $1 \
         WHERE contact_id = $2 AND author_kind = $3 AND seq <= $4 AND delivered_at IS NULL"
    };
    Ok(sqlx::query(sql)
        .bind(now)
        .bind(contact.0)
        .bind(author_kind)
        .bind(up_to_seq)
        .execute(&mut *tx.inner)
        .await?
        .rows_affected())
}

/// The agent who should hear about contact `$1`'s conversation: the owner of the open
/// interaction, else the one it is reserved for, else the agent who last wrote.
const CONVERSATION_AGENT: &str = "SELECT COALESCE((SELECT COALESCE(i.agent_id, i.reserved_for) \
     FROM interactions i WHERE i.contact_id = $1 AND i.state IN ('queued', 'offered', 'active') \
     ORDER BY i.id DESC LIMIT 1), \
     (SELECT c.last_writer_agent_id FROM contacts c WHERE c.id = $1)) AS agent";

/// [`CONVERSATION_AGENT`] inside a write transaction.
async fn conversation_agent(
    tx: &mut Tx,
    contact: ContactId,
) -> Result<Option<AgentId>, StoreError> {
    let agent: Option<i64> = sqlx::query(CONVERSATION_AGENT)
        .bind(contact.0)
        .fetch_one(&mut *tx.inner)
        .await?
        .try_get("agent")?;
    Ok(agent.map(AgentId))
}
