//! Receipts and typing: delivered/read marks both ways (from the Web Chat widget, from agents,
//! and from the platforms' delivery and read webhooks), typing notices, the visitor's unread
//! count and open chat. [`mark_sql`] is the one rule for setting a mark.

use super::interactions::{lock_contact, open_interaction_outside, open_state};
use super::StoreError;
use super::{Audience, Store, Tx};
use crate::util::now_ms;
use sqlx::Row;
use wire::{AgentId, Channel, ContactId, Event, InteractionId, MessageId, Party};

/// A delivery or read receipt from a platform (Messenger's `delivery` and `read`, X's
/// `direct_message_mark_read_events`), for the agents' messages sent to one customer there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlatformReceipt {
    /// Messenger or X Direct Messages: the outbox rows it is about were sent there.
    pub channel: Channel,
    /// The customer's id on the platform (the page-scoped id, the X user id): the outbox
    /// rows' `recipient`.
    pub customer: String,
    /// Read (and so delivered), or delivered only.
    pub read: bool,
    /// The platform ids of messages it names (Messenger's `mids`, X's `last_read_event_id`);
    /// ids we never sent are ignored.
    pub platform_ids: Vec<String>,
    /// Every message we sent to the customer at or before this time (ms) is meant too
    /// (Messenger's `watermark`); none when the platform gives no time.
    pub watermark: Option<i64>,
    /// Every message sent at or before the one with this platform id is meant too (X's
    /// `last_read_event_id`); an id we never sent means nothing.
    pub up_to_platform_id: Option<String>,
}

/// The most platform ids one receipt may name (a webhook body is refused beyond it).
pub const MAX_RECEIPT_IDS: usize = 100;

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
                .execute(&mut tx.inner)
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
            .execute(&mut tx.inner)
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

    /// A platform's delivery or read receipt: sets `delivered_at` (and `read_at`) on the
    /// agents' messages it covers (see [`PlatformReceipt`]) that were sent through the outbox,
    /// by the same rule as the widget's receipts, and sends each changed message to whoever
    /// sees it. Returns how many changed: a repeated receipt, an older one or one naming only
    /// unknown ids changes nothing.
    pub async fn platform_receipt(&self, receipt: &PlatformReceipt) -> Result<usize, StoreError> {
        let ids = &receipt.platform_ids[..receipt.platform_ids.len().min(MAX_RECEIPT_IDS)];
        let mut tx = self.begin().await?;
        let mut watermark = receipt.watermark;
        if let Some(last) = &receipt.up_to_platform_id {
            // "Up to this message": up to the time we recorded it sent.
            let at: Option<i64> = sqlx::query(
                "SELECT sent_at FROM outbox WHERE channel = $1 AND recipient = $2 \
                 AND platform_id = $3 AND state = 'sent'",
            )
            .bind(receipt.channel.as_str())
            .bind(&receipt.customer)
            .bind(last)
            .fetch_optional(&mut tx.inner)
            .await?
            .map(|r| r.try_get("sent_at"))
            .transpose()?
            .flatten();
            watermark = watermark.max(at);
        }
        if watermark.is_none() && ids.is_empty() {
            return Ok(0);
        }
        // $1 is the time (mark_sql's); $2 to $4 the scope; the named ids follow.
        let named = (0..ids.len())
            .map(|i| format!("${}", i + 5))
            .collect::<Vec<_>>()
            .join(", ");
        let by_id = if ids.is_empty() {
            String::new()
        } else {
            format!(" OR o.platform_id IN ({named})")
        };
        let scope = format!(
            "id IN (SELECT o.message_id FROM outbox o WHERE o.channel = $2 AND o.recipient = $3 \
             AND o.state = 'sent' AND (o.sent_at <= $4{by_id}))"
        );
        let sql = format!("{} RETURNING id", mark_sql(receipt.read, &scope));
        let mut q = sqlx::query(&sql)
            .bind(now_ms())
            .bind(receipt.channel.as_str())
            .bind(&receipt.customer)
            // No time: only the named ids (no message is sent before the epoch).
            .bind(watermark.unwrap_or(-1));
        for id in ids {
            q = q.bind(id);
        }
        let mut changed: Vec<i64> = q
            .fetch_all(&mut tx.inner)
            .await?
            .iter()
            .map(|r| r.try_get("id"))
            .collect::<Result<_, _>>()?;
        // RETURNING's order is the database's: the agents see the marks in the order the
        // messages were written.
        changed.sort_unstable();
        for id in &changed {
            super::outbox::emit_update(&mut tx, MessageId(*id)).await?;
        }
        tx.commit().await?;
        Ok(changed.len())
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
        Ok(open_interaction_outside(self, contact).await?.map(|i| i.id))
    }
}

/// `up_to_seq` no further than the conversation's last message: a receipt for messages not
/// written yet would mark them read the moment they arrive, and an agent's read mark would
/// hide every later unread message.
async fn capped(tx: &mut Tx, contact: ContactId, up_to_seq: i64) -> Result<i64, StoreError> {
    let last: Option<i64> = sqlx::query("SELECT last_seq FROM contacts WHERE id = $1")
        .bind(contact.0)
        .fetch_optional(&mut tx.inner)
        .await?
        .map(|row| row.try_get("last_seq"))
        .transpose()?;
    let last = last.ok_or(StoreError::NotFound("contact"))?;
    Ok(up_to_seq.min(last))
}

/// The one rule for a receipt: the `UPDATE` that marks the messages `scope` selects delivered
/// (or read, and delivered if it was not) at `$1`. A mark once set is never changed, so
/// receipts never move backwards and a receipt that arrives twice changes nothing.
fn mark_sql(read: bool, scope: &str) -> String {
    if read {
        format!(
            "UPDATE messages SET delivered_at = COALESCE(delivered_at, $1), read_at = $1 \
             WHERE read_at IS NULL AND {scope}"
        )
    } else {
        format!("UPDATE messages SET delivered_at = $1 WHERE delivered_at IS NULL AND {scope}")
    }
}

/// Marks the conversation's messages by `author_kind` up to `up_to_seq` (the Web Chat
/// receipts, which count by seq).
async fn mark(
    tx: &mut Tx,
    contact: ContactId,
    author_kind: &str,
    up_to_seq: i64,
    read: bool,
) -> Result<u64, sqlx::Error> {
    let now = now_ms();
    let sql = mark_sql(read, "contact_id = $2 AND author_kind = $3 AND seq <= $4");
    Ok(sqlx::query(&sql)
        .bind(now)
        .bind(contact.0)
        .bind(author_kind)
        .bind(up_to_seq)
        .execute(&mut tx.inner)
        .await?
        .rows_affected())
}

/// The agent who should hear about contact `$1`'s conversation: the owner of the open
/// interaction, else the one it is reserved for, else the agent who last wrote.
const CONVERSATION_AGENT: &str = concat!(
    "SELECT COALESCE((SELECT COALESCE(i.agent_id, i.reserved_for) \
     FROM interactions i WHERE i.contact_id = $1 AND ",
    open_state!(),
    " ORDER BY i.id DESC LIMIT 1), \
     (SELECT c.last_writer_agent_id FROM contacts c WHERE c.id = $1)) AS agent"
);

/// [`CONVERSATION_AGENT`] inside a write transaction.
async fn conversation_agent(
    tx: &mut Tx,
    contact: ContactId,
) -> Result<Option<AgentId>, StoreError> {
    let agent: Option<i64> = sqlx::query(CONVERSATION_AGENT)
        .bind(contact.0)
        .fetch_one(&mut tx.inner)
        .await?
        .try_get("agent")?;
    Ok(agent.map(AgentId))
}
