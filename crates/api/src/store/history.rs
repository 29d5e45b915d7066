//! Importing finished interactions with their own timestamps: demo data, and conversations
//! that arrive from other systems.

use super::Store;
use super::StoreError;
use sqlx::Row;
use std::collections::HashMap;
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

/// Messages per multi-row `INSERT` (9 bound values each: well under both backends' limits).
const MESSAGES_PER_INSERT: usize = 500;

/// What a batch's messages do to one contact's row, as if written one after another.
struct ContactChange {
    /// Messages the batch adds to the conversation.
    count: i64,
    /// Time of the last one.
    last_at: i64,
    /// The Contacts list line of the last one.
    last_message: String,
    /// The last agent who wrote, if any did.
    last_agent: Option<i64>,
    /// Whether a public / private channel is among them.
    public: bool,
    private: bool,
    /// Channels, in the order they first appear.
    channels: Vec<&'static str>,
    /// The `seq` the next message of this contact gets while inserting.
    next_seq: i64,
}

impl Store {
    /// Imports a finished (Done) interaction; all delivered and read.
    pub async fn import_interaction(
        &self,
        imp: &ImportedInteraction,
    ) -> Result<InteractionId, StoreError> {
        self.import_interactions(std::slice::from_ref(imp))
            .await?
            .first()
            .copied()
            .ok_or_else(|| StoreError::Internal("the import wrote no interaction".to_owned()))
    }

    /// Imports many finished interactions in one transaction, in order (what importing them
    /// one by one would give, faster: one update per contact and multi-row message inserts).
    /// The messages are in the full-text index when it returns (on SQLite, where sends leave
    /// theirs to `search_index`'s task, indexed in the same transaction).
    pub async fn import_interactions(
        &self,
        batch: &[ImportedInteraction],
    ) -> Result<Vec<InteractionId>, StoreError> {
        let mut tx = self.begin().await?;
        let mut ids = Vec::with_capacity(batch.len());
        let mut changes: HashMap<i64, ContactChange> = HashMap::new();
        let mut order: Vec<i64> = Vec::new();
        for imp in batch {
            let start = imp.messages.first().map_or(0, |m| m.at);
            let end = imp.messages.last().map_or(start, |m| m.at);
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
            .fetch_one(&mut tx.inner)
            .await?
            .try_get("id")?;
            ids.push(InteractionId(id));
            let Some(last) = imp.messages.last() else {
                continue;
            };
            let change = changes.entry(imp.contact.0).or_insert_with(|| {
                order.push(imp.contact.0);
                ContactChange {
                    count: 0,
                    last_at: 0,
                    last_message: String::new(),
                    last_agent: None,
                    public: false,
                    private: false,
                    channels: Vec::new(),
                    next_seq: 0,
                }
            });
            change.count += i64::try_from(imp.messages.len()).unwrap_or(i64::MAX);
            change.last_at = last.at;
            // An imported message without text is an image.
            change.last_message = super::messages::summary_line(&last.text, true);
            if let Some(a) = imp.messages.iter().rev().find_map(|m| m.agent) {
                change.last_agent = Some(a.0);
            }
            if imp.channel.is_public() {
                change.public = true;
            } else {
                change.private = true;
            }
            if !change.channels.contains(&imp.channel.as_str()) {
                change.channels.push(imp.channel.as_str());
            }
        }
        for contact in order {
            let Some(change) = changes.get_mut(&contact) else {
                continue;
            };
            let row = sqlx::query(
                "UPDATE contacts SET last_seq = last_seq + $1, last_activity_at = $2, last_message = $3, \
                 has_public = CASE WHEN $4 = 1 THEN 1 ELSE has_public END, has_private = CASE WHEN $5 = 1 THEN 1 ELSE has_private END, \
                 last_agent_id = COALESCE($6, last_agent_id), last_writer_agent_id = COALESCE($6, last_writer_agent_id) \
                 WHERE id = $7 RETURNING last_seq, channels",
            )
            .bind(change.count)
            .bind(change.last_at)
            .bind(&change.last_message)
            .bind(i64::from(change.public))
            .bind(i64::from(change.private))
            .bind(change.last_agent)
            .bind(contact)
            .fetch_one(&mut tx.inner)
            .await?;
            let last_seq: i64 = row.try_get("last_seq")?;
            change.next_seq = last_seq - change.count + 1;
            let channels: String = row.try_get("channels")?;
            let mut merged: Vec<&str> = channels.split(',').filter(|c| !c.is_empty()).collect();
            let before = merged.len();
            for c in &change.channels {
                if !merged.contains(c) {
                    merged.push(c);
                }
            }
            if merged.len() != before {
                sqlx::query("UPDATE contacts SET channels = $1 WHERE id = $2")
                    .bind(merged.join(","))
                    .bind(contact)
                    .execute(&mut tx.inner)
                    .await?;
            }
        }
        let mut rows = Vec::new();
        for (imp, id) in batch.iter().zip(&ids) {
            for m in &imp.messages {
                let change = changes
                    .get_mut(&imp.contact.0)
                    .ok_or(sqlx::Error::RowNotFound)?;
                rows.push((imp.contact, *id, change.next_seq, m));
                change.next_seq += 1;
            }
        }
        for chunk in rows.chunks(MESSAGES_PER_INSERT) {
            // delivered_at and read_at repeat created_at (the 9th value).
            let sql = format!(
                "INSERT INTO messages (contact_id, interaction_id, seq, author_kind, agent_id, author_key, text, attachment_id, created_at, delivered_at, read_at) VALUES {}",
                super::sql::values_rows(chunk.len(), 9, &[1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 9])
            );
            let mut q = sqlx::query(&sql);
            for (contact, interaction, seq, m) in chunk {
                let author = m
                    .agent
                    .map_or(super::AuthorKey::Contact(*contact), super::AuthorKey::Agent);
                let (kind, key) = (author.kind(), author.stored());
                q = q
                    .bind(contact.0)
                    .bind(interaction.0)
                    .bind(*seq)
                    .bind(kind)
                    .bind(m.agent.map(|a| a.0))
                    .bind(key)
                    .bind(m.text.as_str())
                    .bind(m.attachment.map(|a| a.0))
                    .bind(m.at);
            }
            q.execute(&mut tx.inner).await?;
        }
        self.index_all_waiting(&mut tx).await?;
        tx.commit().await?;
        Ok(ids)
    }
}

impl Store {
    /// Marks every conversation read for every agent (after importing history).
    pub async fn mark_history_read(&self) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO agent_contact_reads (agent_id, contact_id, read_seq) \
             SELECT a.id, c.id, c.last_seq FROM agents a CROSS JOIN contacts c WHERE 1 = 1 \
             ON CONFLICT (agent_id, contact_id) DO UPDATE SET read_seq = excluded.read_seq",
        )
        .execute(&mut tx.inner)
        .await?;
        tx.commit().await
    }
}
