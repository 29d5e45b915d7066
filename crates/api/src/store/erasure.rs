//! Erasing a contact at their request (the right to erasure): everything the contact center
//! holds of the person goes, in one transaction, and every client is told.
//!
//! # Layout
//! - [`Store::erase_contact`]: refuses while a chat of theirs is not Done or a message to
//!   them is being handed to a platform; otherwise deletes their messages (and with them the
//!   search index's entries), pictures, chats and what hangs on them (handle time, declines,
//!   monitors, outbox rows), identities, browser sessions, read positions, stream tickets, the
//!   event log's rows about them, the details kept in the audit log's earlier entries about
//!   them, and the contact; audits the erasure with counts only. On SQLite the pages its
//!   deletes free are overwritten with zeros (`Dialect::zeroing_deletes`), so the file keeps
//!   no bytes of the rows either.
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

/// What an erasure deletes or empties, each statement keyed by the contact (`$1`), in order:
/// what refers to their messages and chats from elsewhere goes first (the foreign keys are
/// checked at each statement's end on both databases). Each finds its rows by an index, not by
/// reading its table through (`tests::every_statement_reads_by_an_index`): the references from
/// other contacts' rows (a reply, a chat's continuation) by partial indexes that hold only
/// rows with one, so a send writes nothing more for them.
const STEPS: [&str; 15] = [
    "DELETE FROM outbox WHERE message_id IN (SELECT id FROM messages WHERE contact_id = $1)",
    "UPDATE messages SET reply_to_id = NULL WHERE reply_to_id IS NOT NULL AND contact_id <> $1 \
     AND reply_to_id IN (SELECT id FROM messages WHERE contact_id = $1)",
    "DELETE FROM offer_declines WHERE interaction_id IN (SELECT id FROM interactions WHERE contact_id = $1)",
    "DELETE FROM handle_time_segments WHERE interaction_id IN (SELECT id FROM interactions WHERE contact_id = $1)",
    "DELETE FROM monitors WHERE interaction_id IN (SELECT id FROM interactions WHERE contact_id = $1)",
    "UPDATE interactions SET reactivated_from = NULL WHERE reactivated_from IS NOT NULL AND contact_id <> $1 \
     AND reactivated_from IN (SELECT id FROM interactions WHERE contact_id = $1)",
    "UPDATE interactions SET continued_as = NULL WHERE continued_as IS NOT NULL AND contact_id <> $1 \
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
];

/// The contact's pictures: those of their conversations' messages, and their own uploads not
/// yet sent (`$2`: the contact as an attachment's owner).
const PICTURES: &str =
    "SELECT attachment_id AS id FROM messages WHERE contact_id = $1 AND attachment_id IS NOT NULL \
     UNION SELECT id FROM attachments WHERE owner = $2";

/// The contact's own row, last.
const DELETE_CONTACT: &str = "DELETE FROM contacts WHERE id = $1";

/// Deletes the pictures `ids` (their ids are written into the statement); one another message
/// still shows (none is shared today) stays.
fn delete_pictures(ids: &[i64]) -> String {
    let list = ids
        .iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "DELETE FROM attachments WHERE id IN ({list}) \
         AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.attachment_id = attachments.id)"
    )
}

/// Empties the audit log's entries whose target is `$1` of kind `$2`.
const SCRUB_TARGET: &str = "UPDATE audit_log SET before_json = NULL, after_json = NULL \
     WHERE target_kind = $2 AND target_id = $1";

/// Empties the links' and unlinks' entries (`$2`, `$3`) whose details match the pattern `$1`.
const SCRUB_LINKS: &str = "UPDATE audit_log SET before_json = NULL, after_json = NULL \
     WHERE action IN ($2, $3) \
     AND (before_json LIKE $1 ESCAPE '\\' OR after_json LIKE $1 ESCAPE '\\')";

/// Messages to the contact that the outbox is handing to their platform now.
const SENDING: &str = "SELECT COUNT(*) AS n FROM outbox o JOIN messages m ON m.id = o.message_id \
     WHERE m.contact_id = $1 AND o.state = 'sending'";

/// A chat of contact `c` that is not Done, which holds an erasure back.
macro_rules! unfinished {
    () => {
        "SELECT 1 FROM interactions i WHERE i.contact_id = c.id AND i.state <> 'done'"
    };
}

/// Whether contact `$1` has a chat that is not Done (a count, 0 or 1).
const OPEN: &str = concat!(
    "SELECT COUNT(*) AS n FROM contacts c WHERE c.id = $1 AND EXISTS (",
    unfinished!(),
    ")"
);

/// The contacts past the retention (last active before `$1`), oldest first, at most `$2`.
const RETIRED: &str = concat!(
    "SELECT c.id FROM contacts c WHERE c.last_activity_at < $1 AND NOT EXISTS (",
    unfinished!(),
    ") ORDER BY c.last_activity_at LIMIT $2"
);

/// What an erasure counts and reads of contact `$1` before it deletes.
const COUNT_INTERACTIONS: &str = "SELECT COUNT(*) AS n FROM interactions WHERE contact_id = $1";
const COUNT_MESSAGES: &str = "SELECT COUNT(*) AS n FROM messages WHERE contact_id = $1";
const IDENTITIES: &str = "SELECT value FROM contact_identities WHERE contact_id = $1";

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
        let zeroing = tx.dialect().zeroing_deletes();
        if let Some((on, _)) = zeroing {
            sqlx::query(on).execute(&mut tx.inner).await?;
        }
        let erased = erase_in(&mut tx, actor, contact).await;
        // The pages are zeroed as the statements free them, so the setting can go back before
        // the commit, and also after a failure, since the connection goes back to the pool
        // (the failure is the one told).
        let back = match zeroing {
            Some((_, back)) => sqlx::query(back).execute(&mut tx.inner).await.map(drop),
            None => Ok(()),
        };
        let erased = erased?;
        back?;
        tx.commit().await?;
        Ok(erased)
    }
}

/// [`Store::erase_contact`]'s statements, in its transaction `tx`.
async fn erase_in(
    tx: &mut Tx,
    actor: Option<AgentId>,
    contact: ContactId,
) -> Result<ErasedContact, StoreError> {
    lock_contact(tx, contact).await?;
    refuse_while_in_progress(tx, contact).await?;
    let interactions = count(tx, COUNT_INTERACTIONS, contact).await?;
    let messages = count(tx, COUNT_MESSAGES, contact).await?;
    let owner = super::AuthorKey::Contact(contact).stored();
    let pictures: Vec<i64> = sqlx::query(PICTURES)
        .bind(contact.0)
        .bind(&owner)
        .fetch_all(&mut tx.inner)
        .await?
        .iter()
        .map(|r| r.try_get("id"))
        .collect::<Result<_, _>>()?;

    let identities: Vec<String> = sqlx::query(IDENTITIES)
        .bind(contact.0)
        .fetch_all(&mut tx.inner)
        .await?
        .iter()
        .map(|r| r.try_get("value"))
        .collect::<Result<_, _>>()?;
    scrub_audit(tx, contact, &identities).await?;

    for sql in STEPS {
        sqlx::query(sql)
            .bind(contact.0)
            .execute(&mut tx.inner)
            .await?;
    }
    let mut pictures_erased = 0;
    for ids in pictures.chunks(IDS_A_STATEMENT) {
        pictures_erased += sqlx::query(&delete_pictures(ids))
            .execute(&mut tx.inner)
            .await?
            .rows_affected();
    }
    sqlx::query(DELETE_CONTACT)
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
    Ok(erased)
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
    sqlx::query(SCRUB_TARGET)
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
        sqlx::query(SCRUB_LINKS)
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
        let ids: Vec<i64> = sqlx::query(RETIRED)
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
    let open = count(tx, OPEN, contact).await?;
    if open > 0 {
        return Err(StoreError::Conflict(
            "the contact has a chat or thread that is not Done: end it and Mark Done first"
                .to_owned(),
        ));
    }
    let sending = count(tx, SENDING, contact).await?;
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

#[cfg(test)]
mod tests {
    use super::super::test_db::{on_postgres, sqlite_database};
    use super::*;

    /// An argument of a statement under test.
    enum Arg {
        Int(i64),
        Text(&'static str),
    }

    /// The step that empties a chat's audit entries names the kind those entries are logged
    /// under (a literal in the step, so that every step binds the contact alone).
    #[test]
    fn the_chats_audit_step_names_the_kind_their_entries_have() {
        let kinds: Vec<&str> = AuditAction::ALL
            .iter()
            .filter(|a| a.code().starts_with("interaction."))
            .map(|a| a.target_kind())
            .collect();
        assert!(!kinds.is_empty());
        for kind in kinds {
            let named = format!("target_kind = '{kind}'");
            assert!(STEPS.iter().any(|s| s.contains(&named)), "{named}");
        }
    }

    /// Every statement of an erasure and of a retention pass, with arguments of its kinds.
    fn statements() -> Vec<(String, Vec<Arg>)> {
        let contact = || vec![Arg::Int(1)];
        let mut all: Vec<(String, Vec<Arg>)> =
            STEPS.iter().map(|s| ((*s).to_owned(), contact())).collect();
        for sql in [
            OPEN,
            SENDING,
            COUNT_INTERACTIONS,
            COUNT_MESSAGES,
            IDENTITIES,
            DELETE_CONTACT,
        ] {
            all.push((sql.to_owned(), contact()));
        }
        all.extend([
            (RETIRED.to_owned(), vec![Arg::Int(1), Arg::Int(10)]),
            (PICTURES.to_owned(), vec![Arg::Int(1), Arg::Text("c:1")]),
            (
                SCRUB_TARGET.to_owned(),
                vec![Arg::Text("1"), Arg::Text("contact")],
            ),
            (
                SCRUB_LINKS.to_owned(),
                vec![
                    Arg::Text("%\"id\":1,%"),
                    Arg::Text("contact.link"),
                    Arg::Text("contact.unlink"),
                ],
            ),
            (delete_pictures(&[1, 2, 3]), vec![]),
        ]);
        all
    }

    /// Whether a plan reads a whole table (or a whole index): on SQLite a `SCAN`; on
    /// PostgreSQL a sequential scan, or an index scan whose next line is not its condition
    /// (the index read from end to end, filtered). Stream tickets live for seconds and are
    /// pruned as they expire: that table stays small, so it has no index by contact.
    fn reads_through(plan: &[String], postgres: bool) -> bool {
        let whole = |(i, line): (usize, &String)| {
            let line = line.trim_start();
            let through = if postgres {
                line.contains("Seq Scan on")
                    || (line.contains("Index Scan") || line.contains("Index Only Scan"))
                        && !plan
                            .get(i + 1)
                            .is_some_and(|next| next.contains("Index Cond:"))
            } else {
                line.starts_with("SCAN ") && !line.starts_with("SCAN CONSTANT ROW")
            };
            through && !line.contains("stream_tickets")
        };
        plan.iter().enumerate().any(whole)
    }

    /// The statements whose plans read a table through on the database at `url`, each with
    /// its plan.
    async fn read_through_on(url: &str) -> Vec<String> {
        let postgres = url.starts_with("postgres");
        let store = Store::connect(url).await.expect("store");
        let mut conn = store.pool.acquire().await.expect("connection");
        if postgres {
            // A small table is read through whatever its indexes; this way a plan reads one
            // through only when no index can serve it.
            sqlx::query("SET enable_seqscan = off")
                .execute(&mut *conn)
                .await
                .expect("set");
        }
        let (prefix, column) = if postgres {
            ("EXPLAIN", "QUERY PLAN")
        } else {
            ("EXPLAIN QUERY PLAN", "detail")
        };
        let mut found = Vec::new();
        for (sql, args) in statements() {
            let explain = format!("{prefix} {sql}");
            let mut query = sqlx::query(&explain);
            for arg in &args {
                query = match arg {
                    Arg::Int(i) => query.bind(*i),
                    Arg::Text(t) => query.bind(*t),
                };
            }
            let plan: Vec<String> = query
                .fetch_all(&mut *conn)
                .await
                .expect("explain")
                .iter()
                .map(|r| r.try_get::<String, _>(column).expect("plan line"))
                .collect();
            if reads_through(&plan, postgres) {
                found.push(format!("{url}: {sql}\n  {}", plan.join("\n  ")));
            }
        }
        if postgres {
            // SQLite's plans show its foreign-key checks (a `SCAN` of the table that refers to
            // a deleted row); PostgreSQL runs them in triggers its plans leave out. Each needs
            // an index that starts with the referring column, or each deleted row reads that
            // table through.
            let unindexed: Vec<String> = sqlx::query(
                "SELECT c.conrelid::regclass::text || '.' || a.attname AS fk FROM pg_constraint c \
                 JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1] \
                 WHERE c.contype = 'f' \
                 AND c.confrelid::regclass::text IN ('contacts', 'interactions', 'messages', 'attachments') \
                 AND NOT EXISTS (SELECT 1 FROM pg_index i \
                   WHERE i.indrelid = c.conrelid AND i.indkey[0] = c.conkey[1])",
            )
            .fetch_all(&mut *conn)
            .await
            .expect("foreign keys")
            .iter()
            .map(|r| r.try_get::<String, _>("fk").expect("name"))
            .filter(|fk| !fk.starts_with("stream_tickets."))
            .collect();
            found.extend(
                unindexed
                    .into_iter()
                    .map(|fk| format!("{url}: foreign key {fk} has no index")),
            );
        }
        drop(conn);
        store.close().await;
        found
    }

    /// An erasure, and each retention pass's many, reads only the contact's own rows and those
    /// that point at them, however large the other contacts' history.
    #[tokio::test]
    async fn every_statement_reads_by_an_index() {
        let (_dir, url) = sqlite_database("erasure_plans");
        let mut found = read_through_on(&url).await;
        on_postgres("erasure_plans", async |url| {
            found.extend(read_through_on(url).await);
        })
        .await;
        assert!(
            found.is_empty(),
            "statements that read a table through:\n{}",
            found.join("\n")
        );
    }

    /// An erasure's zeroing of freed pages (SQLite's `secure_delete` on) ends with it, whether
    /// it commits or is refused: after both, every connection of the pool is back to
    /// `secure_delete = FAST` (2), which zeroes only within the pages a write writes anyway.
    #[tokio::test]
    async fn an_erasure_sets_its_zeroing_back_sqlite() {
        let (_dir, url) = sqlite_database("zeroing");
        let store = Store::connect(&url).await.expect("store");
        let refused = store.erase_contact(None, ContactId(404)).await;
        assert!(
            matches!(refused, Err(StoreError::NotFound(_))),
            "{refused:?}"
        );
        let web = [wire::Identity::WebVisitor("va".to_owned())];
        let contact = store
            .create_contact("Ada", "", None, &web)
            .await
            .expect("a contact");
        store.erase_contact(None, contact).await.expect("erased");
        // Every connection the pool may have, so also the erasures' (handed back by a task of
        // the pool's, which this waits for).
        let pool = store.pool();
        let mut held = Vec::new();
        for _ in 0..store.dialect.max_connections() {
            held.push(pool.acquire().await.expect("a connection"));
        }
        for conn in &mut held {
            let (mode,): (i64,) = sqlx::query_as("PRAGMA secure_delete")
                .fetch_one(&mut **conn)
                .await
                .expect("the setting");
            assert_eq!(mode, 2, "a connection left with secure_delete {mode}");
        }
        drop(held);
        store.close().await;
    }
}
