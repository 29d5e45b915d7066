//! Importing finished interactions with their own timestamps: demo data, and conversations
//! that arrive from other systems.

use super::Store;
use sqlx::Row;
use wire::{AgentId, AttachmentId, Channel, ContactId, DispositionCode, InteractionId};

/// One message of an imported interaction.
#[derive(Debug, Clone)]
pub struct ImportedMessage {
    /// The agent who wrote it, or none for the contact.
    pub agent: Option<AgentId>,
    /// The text.
    pub text: String,
    /// An image already stored.
    pub attachment: Option<AttachmentId>,
    /// When it was written.
    pub at: i64,
}

/// A finished interaction to import.
#[derive(Debug, Clone)]
pub struct ImportedInteraction {
    /// The contact.
    pub contact: ContactId,
    /// Where it happened.
    pub channel: Channel,
    /// Who handled it (none for public items nobody answered).
    pub agent: Option<AgentId>,
    /// Its disposition.
    pub disposition: Option<DispositionCode>,
    /// Its messages, oldest first (at least one).
    pub messages: Vec<ImportedMessage>,
}

impl Store {
    /// Imports a finished (Done) interaction; all delivered and read.
    pub async fn import_interaction(
        &self,
        imp: &ImportedInteraction,
    ) -> Result<InteractionId, sqlx::Error> {
        let start = imp.messages.first().map_or(0, |m| m.at);
        let end = imp.messages.last().map_or(start, |m| m.at);
        let mut tx = self.begin().await?;
        let id: i64 = sqlx::query(
            "INSERT INTO interactions (contact_id, channel, state, agent_id, created_at, accepted_at, ended_at, ended_by, done_at, disposition, handle_time_ms) \
             VALUES ($1, $2, 'done', $3, $4, $4, $5, 'agent', $5, $6, $7) RETURNING id",
        )
        .bind(imp.contact.0)
        .bind(imp.channel.as_str())
        .bind(imp.agent.map(|a| a.0))
        .bind(start)
        .bind(end)
        .bind(imp.disposition.as_ref().map(|d| d.0.clone()))
        .bind(end - start)
        .fetch_one(&mut *tx.inner)
        .await?
        .try_get("id")?;
        for m in &imp.messages {
            let seq: i64 = sqlx::query(
                "UPDATE contacts SET last_seq = last_seq + 1, last_activity_at = $1, last_message = $2, \
                 has_public = CASE WHEN $3 = 1 THEN 1 ELSE has_public END, has_private = CASE WHEN $3 = 0 THEN 1 ELSE has_private END, \
                 last_agent_id = COALESCE($4, last_agent_id), last_writer_agent_id = COALESCE($4, last_writer_agent_id), \
                 channels = CASE WHEN channels = '' THEN $5 WHEN (',' || channels || ',') LIKE ('%,' || $5 || ',%') THEN channels ELSE channels || ',' || $5 END \
                 WHERE id = $6 RETURNING last_seq",
            )
            .bind(m.at)
            .bind(if m.text.is_empty() { "[image]".to_owned() } else { m.text.chars().take(120).collect() })
            .bind(i64::from(imp.channel.is_public()))
            .bind(m.agent.map(|a| a.0))
            .bind(imp.channel.as_str())
            .bind(imp.contact.0)
            .fetch_one(&mut *tx.inner)
            .await?
            .try_get("last_seq")?;
            let (kind, key) = match m.agent {
                Some(a) => ("agent", format!("agent:{}", a.0)),
                None => ("contact", format!("contact:{}", imp.contact.0)),
            };
            sqlx::query(
                "INSERT INTO messages (contact_id, interaction_id, seq, author_kind, agent_id, author_key, text, attachment_id, created_at, delivered_at, read_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $9)",
            )
            .bind(imp.contact.0)
            .bind(id)
            .bind(seq)
            .bind(kind)
            .bind(m.agent.map(|a| a.0))
            .bind(key)
            .bind(&m.text)
            .bind(m.attachment.map(|a| a.0))
            .bind(m.at)
            .execute(&mut *tx.inner)
            .await?;
        }
        tx.commit().await?;
        Ok(InteractionId(id))
    }
}

impl Store {
    /// Marks every conversation read for every agent (after importing history).
    pub async fn mark_history_read(&self) -> Result<(), sqlx::Error> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO agent_contact_reads (agent_id, contact_id, read_seq) \
             SELECT a.id, c.id, c.last_seq FROM agents a CROSS JOIN contacts c WHERE 1 = 1 \
             ON CONFLICT (agent_id, contact_id) DO UPDATE SET read_seq = excluded.read_seq",
        )
        .execute(&mut *tx.inner)
        .await?;
        tx.commit().await
    }
}
