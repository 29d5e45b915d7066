//! Linking contacts: the same person reached on two channels becomes one contact (`link`), and
//! an identity linked by mistake becomes a contact of its own again (`unlink`).
//!
//! # Layout
//! - [`Store::link_contact`]: moves a contact's identities, interactions, messages, read
//!   positions and visitor sessions into another, and removes it.
//! - [`Store::unlink_identity`]: moves one identity, with the interactions on its channels,
//!   into a new contact.
//! - `resequence`: the one place a conversation's `seq` is rewritten: every message of the
//!   contact's interactions, in time order, with every read position carried over.
//! - `carried_position`: where a read position lands in the rewritten order (pure, tested).
//! - `refresh_summary`: the Contacts list's columns recomputed from the conversation.
//!
//! Which identities may be linked or unlinked is decided by `wire::contact::{link_refusal,
//! unlink_refusal}`, which the desktop uses too.

use super::contacts::create_contact_in;
use super::interactions::{lock_contact, open_interaction, open_interaction_on};
use super::rows::{identity_parts, load_contact};
use super::{Audience, AuditEntry, Internal, Store, StoreError, Tx};
use sqlx::Row;
use std::collections::HashMap;
use wire::accounts::AuditAction;
use wire::contact::{link_refusal, unlink_refusal};
use wire::{AgentId, Channel, ContactId, ContactView, Event, Identity};

impl Store {
    /// Links `from` into `into`: the same person. Everything of `from` (identities,
    /// interactions, messages, read positions, visitor sessions) becomes `into`'s, the merged
    /// conversation is renumbered in time order, and `from` is removed. Refused (conflict) where
    /// both have an identity of one kind, or both have an open chat or thread on one channel.
    pub async fn link_contact(
        &self,
        actor: AgentId,
        from: ContactId,
        into: ContactId,
    ) -> Result<ContactView, StoreError> {
        let mut tx = self.begin().await?;
        // Both rows locked, in id order, so two links of the same pair cannot deadlock.
        for id in if from.0 < into.0 {
            [from, into]
        } else {
            [into, from]
        } {
            lock_contact(&mut tx, id).await?;
        }
        let from_view = load(&mut tx, from).await?;
        let into_view = load(&mut tx, into).await?;
        if let Some(why) = link_refusal(&from_view, &into_view) {
            return Err(StoreError::Conflict(why));
        }
        refuse_two_open(&mut tx, &from_view, &into_view).await?;
        let reads = Positions::load(&mut tx, &[from, into]).await?;

        sqlx::query(
            "UPDATE contact_identities SET contact_id = $1, linked_first_name = $2, linked_last_name = $3 \
             WHERE contact_id = $4",
        )
        .bind(into.0)
        .bind(&from_view.first_name)
        .bind(&from_view.last_name)
        .bind(from.0)
        .execute(&mut tx.inner)
        .await?;
        for table in ["interactions", "visitor_tokens"] {
            sqlx::query(&format!(
                "UPDATE {table} SET contact_id = $1 WHERE contact_id = $2"
            ))
            .bind(into.0)
            .bind(from.0)
            .execute(&mut tx.inner)
            .await?;
        }
        // What `into` lacks, `from` knew: an email, a phone, the agent who last handled them.
        sqlx::query(
            "UPDATE contacts SET email = COALESCE(contacts.email, f.email), phone = COALESCE(contacts.phone, f.phone), \
             notes = CASE WHEN f.notes = '' THEN contacts.notes WHEN contacts.notes = '' THEN f.notes \
                 ELSE contacts.notes || '\n' || f.notes END, \
             last_agent_id = COALESCE(contacts.last_agent_id, f.last_agent_id), \
             start_page = COALESCE(contacts.start_page, f.start_page), \
             last_activity_at = CASE WHEN f.last_activity_at > contacts.last_activity_at THEN f.last_activity_at ELSE contacts.last_activity_at END, \
             visitor_seen_at = CASE WHEN contacts.visitor_seen_at IS NULL OR f.visitor_seen_at > contacts.visitor_seen_at \
                 THEN f.visitor_seen_at ELSE contacts.visitor_seen_at END \
             FROM contacts f WHERE contacts.id = $1 AND f.id = $2",
        )
        .bind(into.0)
        .bind(from.0)
        .execute(&mut tx.inner)
        .await?;
        resequence(&mut tx, into, &reads).await?;
        for sql in [
            "DELETE FROM agent_contact_reads WHERE contact_id = $1",
            "DELETE FROM stream_tickets WHERE contact_id = $1",
            "DELETE FROM contacts WHERE id = $1",
        ] {
            sqlx::query(sql).bind(from.0).execute(&mut tx.inner).await?;
        }
        refresh_summary(&mut tx, into).await?;
        let after = load(&mut tx, into).await?;
        tx.audit(AuditEntry {
            actor: Some(actor),
            action: AuditAction::ContactLink,
            target_id: into.0.to_string(),
            before: Some(serde_json::json!({ "from": from_view, "into": into_view })),
            after: serde_json::to_value(&after).ok(),
        })
        .await?;
        // Visitors reload their renumbered conversation; those of `from` reconnect as `into`'s.
        tx.emit(Audience::visitor(into), &Event::Resync)?;
        tx.emit(Audience::visitor(from), &Event::Resync)?;
        tx.emit_internal(&Internal::VisitorAway { contact: from })?;
        tx.emit(
            Audience::all_agents(),
            &Event::ContactLinked {
                contact_id: from,
                contact: after.clone(),
            },
        )?;
        tx.commit().await?;
        Ok(after)
    }

    /// Unlinks `identity` from `contact`: a new contact (with the name the identity's contact
    /// had before it was linked, else this contact's) takes the identity and the interactions
    /// on its channels, with their messages; both conversations are renumbered.
    pub async fn unlink_identity(
        &self,
        actor: AgentId,
        contact: ContactId,
        identity: &Identity,
    ) -> Result<(ContactView, ContactView), StoreError> {
        let mut tx = self.begin().await?;
        lock_contact(&mut tx, contact).await?;
        let before = load(&mut tx, contact).await?;
        if let Some(why) = unlink_refusal(&before, identity) {
            return Err(StoreError::Conflict(why));
        }
        let reads = Positions::load(&mut tx, &[contact]).await?;
        let (kind, value) = identity_parts(identity);
        let names = sqlx::query(
            "SELECT linked_first_name, linked_last_name FROM contact_identities WHERE kind = $1 AND value = $2",
        )
        .bind(kind)
        .bind(value)
        .fetch_one(&mut tx.inner)
        .await?;
        let first: Option<String> = names.try_get("linked_first_name")?;
        let last: Option<String> = names.try_get("linked_last_name")?;
        let (first, last) = match (first, last) {
            (Some(f), Some(l)) => (f, l),
            _ => (before.first_name.clone(), before.last_name.clone()),
        };
        let new = create_contact_in(&mut tx, &first, &last, None, &[]).await?;
        sqlx::query(
            "UPDATE contact_identities SET contact_id = $1, linked_first_name = NULL, linked_last_name = NULL \
             WHERE kind = $2 AND value = $3",
        )
        .bind(new.0)
        .bind(kind)
        .bind(value)
        .execute(&mut tx.inner)
        .await?;
        let channels = identity
            .channels()
            .iter()
            .map(|c| format!("'{}'", c.as_str()))
            .collect::<Vec<_>>()
            .join(", ");
        sqlx::query(&format!(
            "UPDATE interactions SET contact_id = $1 WHERE contact_id = $2 AND channel IN ({channels})"
        ))
        .bind(new.0)
        .bind(contact.0)
        .execute(&mut tx.inner)
        .await?;
        let web_chat_moves = identity.channels().contains(&Channel::WebChat);
        if web_chat_moves {
            // The visitor's browser sessions are the Web Chat conversation's: they go with it.
            sqlx::query("UPDATE visitor_tokens SET contact_id = $1 WHERE contact_id = $2")
                .bind(new.0)
                .bind(contact.0)
                .execute(&mut tx.inner)
                .await?;
            sqlx::query(
                "UPDATE contacts SET visitor_seen_at = (SELECT visitor_seen_at FROM contacts WHERE id = $1), \
                 start_page = (SELECT start_page FROM contacts WHERE id = $1) WHERE id = $2",
            )
            .bind(contact.0)
            .bind(new.0)
            .execute(&mut tx.inner)
            .await?;
        }
        // The new conversation first: its messages leave `contact`'s numbering before that is
        // rewritten.
        resequence(&mut tx, new, &reads).await?;
        resequence(&mut tx, contact, &reads).await?;
        refresh_summary(&mut tx, new).await?;
        refresh_summary(&mut tx, contact).await?;
        let kept = load(&mut tx, contact).await?;
        let made = load(&mut tx, new).await?;
        tx.audit(AuditEntry {
            actor: Some(actor),
            action: AuditAction::ContactUnlink,
            target_id: contact.0.to_string(),
            before: serde_json::to_value(&before).ok(),
            after: Some(serde_json::json!({ "contact": kept, "new_contact": made })),
        })
        .await?;
        tx.emit(Audience::visitor(contact), &Event::Resync)?;
        if web_chat_moves {
            tx.emit_internal(&Internal::VisitorAway { contact })?;
        }
        tx.emit(
            Audience::all_agents(),
            &Event::ContactUnlinked {
                contact: kept.clone(),
                new_contact: made.clone(),
            },
        )?;
        tx.commit().await?;
        Ok((kept, made))
    }
}

/// A contact's details, or not found.
async fn load(tx: &mut Tx, id: ContactId) -> Result<ContactView, StoreError> {
    load_contact(&mut tx.inner, id)
        .await?
        .ok_or_else(|| StoreError::not_found("contact"))
}

/// Refuses a link that would leave one contact with two open private chats, or two open
/// threads on one public channel (a contact has at most one of each).
async fn refuse_two_open(
    tx: &mut Tx,
    from: &ContactView,
    into: &ContactView,
) -> Result<(), StoreError> {
    let both = format!(
        "{} and {} each have",
        from.display_name(),
        into.display_name()
    );
    if open_interaction(tx, from.id).await?.is_some()
        && open_interaction(tx, into.id).await?.is_some()
    {
        return Err(StoreError::Conflict(format!(
            "{both} a chat in progress: link them when one of the chats has ended."
        )));
    }
    for channel in [Channel::FacebookPost, Channel::Tweet] {
        if open_interaction_on(tx, from.id, channel).await?.is_some()
            && open_interaction_on(tx, into.id, channel).await?.is_some()
        {
            return Err(StoreError::Conflict(format!(
                "{both} an open {} thread: link them when one has been marked Done.",
                channel.label()
            )));
        }
    }
    Ok(())
}

/// The read positions of the contacts whose conversations are being rewritten, as they were
/// before: each agent's, and the visitor's delivered and read marks.
struct Positions {
    /// (agent, contact) → the agent has read the contact's messages up to this seq.
    agents: HashMap<(i64, i64), i64>,
    /// contact → the visitor received the agents' messages up to this seq.
    delivered: HashMap<i64, i64>,
    /// contact → the visitor read the agents' messages up to this seq.
    read: HashMap<i64, i64>,
}

impl Positions {
    async fn load(tx: &mut Tx, contacts: &[ContactId]) -> Result<Self, StoreError> {
        let list = contacts
            .iter()
            .map(|c| c.0.to_string())
            .collect::<Vec<_>>()
            .join(", ");
        let mut p = Positions {
            agents: HashMap::new(),
            delivered: HashMap::new(),
            read: HashMap::new(),
        };
        for r in sqlx::query(&format!(
            "SELECT agent_id, contact_id, read_seq FROM agent_contact_reads WHERE contact_id IN ({list})"
        ))
        .fetch_all(&mut tx.inner)
        .await?
        {
            p.agents.insert(
                (r.try_get("agent_id")?, r.try_get("contact_id")?),
                r.try_get("read_seq")?,
            );
        }
        for r in sqlx::query(&format!(
            "SELECT id, visitor_delivered_seq, visitor_read_seq FROM contacts WHERE id IN ({list})"
        ))
        .fetch_all(&mut tx.inner)
        .await?
        {
            let id: i64 = r.try_get("id")?;
            p.delivered.insert(id, r.try_get("visitor_delivered_seq")?);
            p.read.insert(id, r.try_get("visitor_read_seq")?);
        }
        Ok(p)
    }
}

/// One message of a rewritten conversation, in its new order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Renumbered {
    /// The contact it belonged to before.
    old_contact: i64,
    /// Its seq there.
    old_seq: i64,
    /// Its seq now.
    new_seq: i64,
    /// Whether the contact wrote it (agents' read positions count these; the visitor's
    /// receipts count the rest).
    by_contact: bool,
}

/// Where a read position lands in a rewritten conversation: after the longest run of messages,
/// from the start, in which every message that counts (`counts`) was read at its old place
/// (`old_seq` at most the position its old contact had). Messages that do not count never
/// stop the run; a position is never placed past a message that was unread.
fn carried_position(
    order: &[Renumbered],
    counts: impl Fn(&Renumbered) -> bool,
    old: impl Fn(i64) -> i64,
) -> i64 {
    let mut position = 0;
    for m in order {
        if counts(m) && m.old_seq > old(m.old_contact) {
            break;
        }
        position = m.new_seq;
    }
    position
}

/// Rewrites `contact`'s conversation: every message of its interactions takes the contact and
/// a new seq, 1.. in time order (creation time, then id), and the read positions in `before`
/// are carried over (see [`carried_position`]).
async fn resequence(tx: &mut Tx, contact: ContactId, before: &Positions) -> Result<(), StoreError> {
    let old: HashMap<i64, (i64, i64, bool)> = sqlx::query(
        "SELECT m.id, m.contact_id, m.seq, m.author_kind FROM messages m \
         JOIN interactions i ON i.id = m.interaction_id WHERE i.contact_id = $1",
    )
    .bind(contact.0)
    .fetch_all(&mut tx.inner)
    .await?
    .iter()
    .map(|r| {
        Ok((
            r.try_get("id")?,
            (
                r.try_get("contact_id")?,
                r.try_get("seq")?,
                r.try_get::<String, _>("author_kind")? == "contact",
            ),
        ))
    })
    .collect::<Result<_, sqlx::Error>>()?;
    // Negative first: no new (contact, seq) pair can meet an old one while the rows change.
    sqlx::query(
        "UPDATE messages SET contact_id = $1, seq = -r.rn FROM \
         (SELECT m.id AS mid, ROW_NUMBER() OVER (ORDER BY m.created_at, m.id) AS rn \
          FROM messages m JOIN interactions i ON i.id = m.interaction_id WHERE i.contact_id = $1) r \
         WHERE messages.id = r.mid",
    )
    .bind(contact.0)
    .execute(&mut tx.inner)
    .await?;
    sqlx::query("UPDATE messages SET seq = -seq WHERE contact_id = $1 AND seq < 0")
        .bind(contact.0)
        .execute(&mut tx.inner)
        .await?;
    let mut order = Vec::with_capacity(old.len());
    for r in sqlx::query("SELECT id, seq FROM messages WHERE contact_id = $1 ORDER BY seq")
        .bind(contact.0)
        .fetch_all(&mut tx.inner)
        .await?
    {
        let id: i64 = r.try_get("id")?;
        if let Some(&(old_contact, old_seq, by_contact)) = old.get(&id) {
            order.push(Renumbered {
                old_contact,
                old_seq,
                new_seq: r.try_get("seq")?,
                by_contact,
            });
        }
    }
    let mut agents: Vec<i64> = before.agents.keys().map(|(a, _)| *a).collect();
    agents.sort_unstable();
    agents.dedup();
    for agent in agents {
        let position = carried_position(
            &order,
            |m| m.by_contact,
            |c| before.agents.get(&(agent, c)).copied().unwrap_or(0),
        );
        sqlx::query(
            "INSERT INTO agent_contact_reads (agent_id, contact_id, read_seq) VALUES ($1, $2, $3) \
             ON CONFLICT (agent_id, contact_id) DO UPDATE SET read_seq = excluded.read_seq",
        )
        .bind(agent)
        .bind(contact.0)
        .bind(position)
        .execute(&mut tx.inner)
        .await?;
    }
    let visitor = |marks: &HashMap<i64, i64>| {
        carried_position(
            &order,
            |m| !m.by_contact,
            |c| marks.get(&c).copied().unwrap_or(0),
        )
    };
    sqlx::query(
        "UPDATE contacts SET visitor_delivered_seq = $1, visitor_read_seq = $2 WHERE id = $3",
    )
    .bind(visitor(&before.delivered))
    .bind(visitor(&before.read))
    .bind(contact.0)
    .execute(&mut tx.inner)
    .await?;
    Ok(())
}

/// Recomputes the Contacts list's columns of `contact` from its conversation: the last seq,
/// the latest message's text, the channels used, public or private, the last agent to write.
async fn refresh_summary(tx: &mut Tx, contact: ContactId) -> Result<(), StoreError> {
    let last = sqlx::query(
        "SELECT text, attachment_id, created_at FROM messages WHERE contact_id = $1 AND system_line IS NULL \
         ORDER BY seq DESC LIMIT 1",
    )
    .bind(contact.0)
    .fetch_optional(&mut tx.inner)
    .await?;
    let (summary, last_at) = match &last {
        Some(r) => {
            let text: String = r.try_get("text")?;
            let image: Option<i64> = r.try_get("attachment_id")?;
            (
                Some(super::messages::summary_line(&text, image.is_some())),
                r.try_get::<i64, _>("created_at")?,
            )
        }
        None => (None, 0),
    };
    let mut channels: Vec<Channel> = Vec::new();
    for r in sqlx::query(
        "SELECT channel, MIN(id) AS first FROM interactions WHERE contact_id = $1 GROUP BY channel ORDER BY first",
    )
    .bind(contact.0)
    .fetch_all(&mut tx.inner)
    .await?
    {
        let name: String = r.try_get("channel")?;
        if let Some(c) = Channel::ALL.into_iter().find(|c| c.as_str() == name) {
            channels.push(c);
        }
    }
    let writer: Option<i64> = sqlx::query(
        "SELECT agent_id FROM messages WHERE contact_id = $1 AND author_kind = 'agent' ORDER BY seq DESC LIMIT 1",
    )
    .bind(contact.0)
    .fetch_optional(&mut tx.inner)
    .await?
    .map(|r| r.try_get("agent_id"))
    .transpose()?
    .flatten();
    sqlx::query(
        "UPDATE contacts SET last_seq = (SELECT COALESCE(MAX(seq), 0) FROM messages WHERE contact_id = $1), \
         last_message = $2, channels = $3, has_public = $4, has_private = $5, last_writer_agent_id = $6, \
         last_activity_at = CASE WHEN $7 > last_activity_at THEN $7 ELSE last_activity_at END WHERE id = $1",
    )
    .bind(contact.0)
    .bind(summary)
    .bind(
        channels
            .iter()
            .map(|c| c.as_str())
            .collect::<Vec<_>>()
            .join(","),
    )
    .bind(i64::from(channels.iter().any(|c| c.is_public())))
    .bind(i64::from(channels.iter().any(|c| !c.is_public())))
    .bind(writer)
    .bind(last_at)
    .execute(&mut tx.inner)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{carried_position, Renumbered};

    fn m(old_contact: i64, old_seq: i64, new_seq: i64, by_contact: bool) -> Renumbered {
        Renumbered {
            old_contact,
            old_seq,
            new_seq,
            by_contact,
        }
    }

    /// Two conversations interleaved by time: A's 1, 2 and B's 1, 2, 3.
    fn merged() -> Vec<Renumbered> {
        vec![
            m(1, 1, 1, true),
            m(2, 1, 2, true),
            m(1, 2, 3, false),
            m(2, 2, 4, true),
            m(2, 3, 5, false),
        ]
    }

    #[test]
    fn a_position_stops_before_the_first_unread_message_that_counts() {
        let order = merged();
        let by_contact = |r: &Renumbered| r.by_contact;
        // Read all of A, nothing of B: B's first message (new 2) is unread.
        assert_eq!(
            carried_position(&order, by_contact, |c| if c == 1 { 2 } else { 0 }),
            1
        );
        // Read all of both.
        assert_eq!(carried_position(&order, by_contact, |_| 9), 5);
        // Read B up to 1 and all of A: B's 2 (new 4) is the first unread.
        assert_eq!(
            carried_position(&order, by_contact, |c| if c == 1 { 2 } else { 1 }),
            3
        );
        // Nothing read.
        assert_eq!(carried_position(&order, by_contact, |_| 0), 0);
    }

    #[test]
    fn messages_that_do_not_count_never_stop_a_position() {
        let order = merged();
        // The visitor's marks count the agents' messages only: A's 2 (new 3) was received,
        // B's 3 (new 5) was not.
        assert_eq!(
            carried_position(&order, |r| !r.by_contact, |c| if c == 1 { 2 } else { 0 }),
            4
        );
    }

    #[test]
    fn an_empty_conversation_has_nothing_read() {
        assert_eq!(carried_position(&[], |_| true, |_| 9), 0);
    }
}
