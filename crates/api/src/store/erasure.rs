//! Erasing a contact at their request (the right to erasure): everything the contact center
//! holds of the person goes, in one transaction, and every client is told.
//!
//! # Layout
//! - [`Store::erase_contact`]: refuses while a chat of theirs is not Done or a message to
//!   them is being handed to a platform; otherwise deletes their messages (and with them the
//!   search index's entries), pictures, chats and what hangs on them (handle time, declines,
//!   monitors, outbox rows), identities, browser sessions, read positions, stream tickets, the
//!   event log's rows about them, the details kept in the audit log's earlier entries about
//!   them, and the contact; audits the erasure with counts only.
//! - [`Store::erase_inactive_contacts`]: the same for contacts past the retention an operator
//!   set (`--contact-retention-days`), run with the event log's pruning.
//!
//! Their chats leave the reports with them: a report is computed from the chats themselves,
//! and a chat kept for counting would keep its times, its channel and its agent tied to a
//! person who asked to be forgotten.

use super::interactions::lock_contact;
use super::{Audience, AuditEntry, Internal, Store, StoreError, Tx};
use sqlx::Row;
use wire::accounts::AuditAction;
use wire::api::ErasedContact;
use wire::{AgentId, ContactId, Event};

/// Attachments deleted by one statement (their ids are written into it).
const IDS_A_STATEMENT: usize = 500;

/// Most contacts past the retention erased by one pass (the next pass goes on).
const RETIRED_A_PASS: i64 = 1000;

/// A chat of contact `c` that is not Done, which holds an erasure back.
const UNFINISHED: &str =
    "SELECT 1 FROM interactions i WHERE i.contact_id = c.id AND i.state <> 'done'";

impl Store {
    /// Erases `contact` (see the module's documentation); `actor` is the administrator, or
    /// `None` from the command line. Refused (conflict) while one of the contact's chats or
    /// threads is not Done, or while the outbox is handing one of their messages to a
    /// platform; not found for an unknown contact.
    pub async fn erase_contact(
        &self,
        actor: Option<AgentId>,
        contact: ContactId,
    ) -> Result<ErasedContact, StoreError> {
        let mut tx = self.begin().await?;
        lock_contact(&mut tx, contact).await?;
        refuse_while_in_progress(&mut tx, contact).await?;
        let interactions = count(
            &mut tx,
            "SELECT COUNT(*) AS n FROM interactions WHERE contact_id = $1",
            contact,
        )
        .await?;
        let messages = count(
            &mut tx,
            "SELECT COUNT(*) AS n FROM messages WHERE contact_id = $1",
            contact,
        )
        .await?;
        let owner = super::AuthorKey::Contact(contact).stored();
        let pictures: Vec<i64> = sqlx::query(
            "SELECT attachment_id AS id FROM messages WHERE contact_id = $1 AND attachment_id IS NOT NULL \
             UNION SELECT id FROM attachments WHERE owner = $2",
        )
        .bind(contact.0)
        .bind(&owner)
        .fetch_all(&mut tx.inner)
        .await?
        .iter()
        .map(|r| r.try_get("id"))
        .collect::<Result<_, _>>()?;

        let identities: Vec<String> =
            sqlx::query("SELECT value FROM contact_identities WHERE contact_id = $1")
                .bind(contact.0)
                .fetch_all(&mut tx.inner)
                .await?
                .iter()
                .map(|r| r.try_get("value"))
                .collect::<Result<_, _>>()?;
        scrub_audit(&mut tx, contact, &identities).await?;

        // What refers to their messages and chats from elsewhere goes first (the foreign keys
        // are checked at each statement's end on both databases).
        for sql in [
            "DELETE FROM outbox WHERE message_id IN (SELECT id FROM messages WHERE contact_id = $1)",
            "UPDATE messages SET reply_to_id = NULL WHERE contact_id <> $1 \
             AND reply_to_id IN (SELECT id FROM messages WHERE contact_id = $1)",
            "DELETE FROM offer_declines WHERE interaction_id IN (SELECT id FROM interactions WHERE contact_id = $1)",
            "DELETE FROM handle_time_segments WHERE interaction_id IN (SELECT id FROM interactions WHERE contact_id = $1)",
            "DELETE FROM monitors WHERE interaction_id IN (SELECT id FROM interactions WHERE contact_id = $1)",
            "UPDATE interactions SET reactivated_from = NULL WHERE contact_id <> $1 \
             AND reactivated_from IN (SELECT id FROM interactions WHERE contact_id = $1)",
            "UPDATE interactions SET continued_as = NULL WHERE contact_id <> $1 \
             AND continued_as IN (SELECT id FROM interactions WHERE contact_id = $1)",
            // A transfer's note or a chat's details in the audit log's earlier entries.
            "UPDATE audit_log SET before_json = NULL, after_json = NULL WHERE target_kind = 'interaction' \
             AND target_id IN (SELECT CAST(id AS TEXT) FROM interactions WHERE contact_id = $1)",
            "DELETE FROM messages WHERE contact_id = $1",
            "DELETE FROM interactions WHERE contact_id = $1",
            "DELETE FROM agent_contact_reads WHERE contact_id = $1",
            "DELETE FROM stream_tickets WHERE contact_id = $1",
            "DELETE FROM visitor_tokens WHERE contact_id = $1",
            "DELETE FROM contact_identities WHERE contact_id = $1",
            "DELETE FROM events WHERE contact_id = $1",
        ] {
            sqlx::query(sql)
                .bind(contact.0)
                .execute(&mut tx.inner)
                .await?;
        }
        let mut pictures_erased = 0;
        for ids in pictures.chunks(IDS_A_STATEMENT) {
            let list = ids
                .iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(", ");
            // A picture another message still shows (none is shared today) stays.
            pictures_erased += sqlx::query(&format!(
                "DELETE FROM attachments WHERE id IN ({list}) \
                 AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.attachment_id = attachments.id)"
            ))
            .execute(&mut tx.inner)
            .await?
            .rows_affected();
        }
        sqlx::query("DELETE FROM contacts WHERE id = $1")
            .bind(contact.0)
            .execute(&mut tx.inner)
            .await?;

        let erased = ErasedContact {
            contact_id: contact,
            interactions,
            messages,
            pictures: pictures_erased,
        };
        tx.audit(AuditEntry {
            actor,
            action: AuditAction::ContactErase,
            target_id: contact.0.to_string(),
            before: serde_json::to_value(erased).ok(),
            after: None,
        })
        .await?;
        // Their widget reloads, finds its session gone and starts afresh; their open streams
        // close; every desktop drops them.
        tx.emit(Audience::visitor(contact), &Event::Resync)?;
        tx.emit_internal(&Internal::VisitorAway { contact })?;
        tx.emit(
            Audience::all_agents(),
            &Event::ContactErased {
                contact_id: contact,
            },
        )?;
        tx.commit().await?;
        Ok(erased)
    }
}

/// Empties the details of the audit log's earlier entries about the contact (which keep only
/// who did what, when): those whose target they are, and the links and unlinks of other
/// contacts that recorded them (a contact's view, by its id, or one of their identities: a
/// contact linked away and later unlinked again had another id then).
async fn scrub_audit(
    tx: &mut Tx,
    contact: ContactId,
    identities: &[String],
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE audit_log SET before_json = NULL, after_json = NULL \
         WHERE target_kind = $2 AND target_id = $1",
    )
    .bind(contact.0.to_string())
    .bind(AuditAction::ContactErase.target_kind())
    .execute(&mut tx.inner)
    .await?;
    let mut patterns = vec![
        format!("%\"id\":{},%", contact.0),
        format!("%\"id\":{}}}%", contact.0),
    ];
    for value in identities {
        // The value as the JSON holds it, quoted, with LIKE's own characters taken literally.
        let quoted = serde_json::Value::from(value.as_str()).to_string();
        let literal = quoted
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        patterns.push(format!("%{literal}%"));
    }
    for pattern in patterns {
        sqlx::query(
            "UPDATE audit_log SET before_json = NULL, after_json = NULL \
             WHERE action IN ($2, $3) \
             AND (before_json LIKE $1 ESCAPE '\\' OR after_json LIKE $1 ESCAPE '\\')",
        )
        .bind(pattern)
        .bind(AuditAction::ContactLink.code())
        .bind(AuditAction::ContactUnlink.code())
        .execute(&mut tx.inner)
        .await?;
    }
    Ok(())
}

impl Store {
    /// Erases, as [`Store::erase_contact`] does (audited with no actor), contacts whose last
    /// message or chat is older than `before` (ms) and whose chats are all Done, oldest first,
    /// at most [`RETIRED_A_PASS`]; one still refused (a message being sent) waits for the next
    /// pass, one another instance erased first is skipped. How many were erased.
    pub async fn erase_inactive_contacts(&self, before: i64) -> Result<u64, StoreError> {
        let ids: Vec<i64> = sqlx::query(&format!(
            "SELECT c.id FROM contacts c WHERE c.last_activity_at < $1 AND NOT EXISTS ({UNFINISHED}) \
             ORDER BY c.last_activity_at LIMIT $2"
        ))
        .bind(before)
        .bind(RETIRED_A_PASS)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| r.try_get("id"))
        .collect::<Result<_, _>>()?;
        let mut erased = 0;
        for id in ids {
            match self.erase_contact(None, ContactId(id)).await {
                Ok(_) => erased += 1,
                Err(StoreError::NotFound(_) | StoreError::Conflict(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(erased)
    }
}

/// Refuses while a chat or thread of the contact is not Done (an agent holds it, or it waits
/// in the queue) or while the outbox is handing one of their messages to a platform.
async fn refuse_while_in_progress(tx: &mut Tx, contact: ContactId) -> Result<(), StoreError> {
    let open = count(
        tx,
        &format!("SELECT COUNT(*) AS n FROM contacts c WHERE c.id = $1 AND EXISTS ({UNFINISHED})"),
        contact,
    )
    .await?;
    if open > 0 {
        return Err(StoreError::Conflict(
            "the contact has a chat or thread that is not Done: end it and Mark Done first"
                .to_owned(),
        ));
    }
    let sending = count(
        tx,
        "SELECT COUNT(*) AS n FROM outbox o JOIN messages m ON m.id = o.message_id \
         WHERE m.contact_id = $1 AND o.state = 'sending'",
        contact,
    )
    .await?;
    if sending > 0 {
        return Err(StoreError::Conflict(
            "a message to the contact is being sent to their platform: try again in a minute"
                .to_owned(),
        ));
    }
    Ok(())
}

/// The `n` of a one-row count by contact.
async fn count(tx: &mut Tx, sql: &str, contact: ContactId) -> Result<u64, StoreError> {
    let n: i64 = sqlx::query(sql)
        .bind(contact.0)
        .fetch_one(&mut tx.inner)
        .await?
        .try_get("n")?;
    Ok(u64::try_from(n).unwrap_or(0))
}
