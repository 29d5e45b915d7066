//! The interaction commands: accept, reject, end, Mark Done, handle time, the `Chat` button,
//! typing; and the reads and locks every interaction change starts with. Every change emits its
//! events in the same transaction; the state itself is written by `transitions` only.

use super::agents::emit_status;
use super::interaction_steps::{activate, end_in, requeue, take_or_reactivate};
use super::rows::{interaction, load_interaction, INTERACTION_COLUMNS, INTERACTION_SELECT};
use super::sql::Arg;
use super::transfers::{handed_on_at, pending_transfer, PendingTransfer};
use super::transitions::{holding_capacity_sql, transition};
use super::tx::Conn;
use super::StoreError;
use super::{Audience, Store, Tx};
use crate::util::now_ms;
use sqlx::Row;
use wire::api::{HandleTimeSegment, MyWork};
use wire::event::{OfferView, WithdrawReason};
use wire::lifecycle::Action;
use wire::{
    AgentId, Channel, ContactId, DispositionCode, Event, InteractionId, InteractionState,
    InteractionView, MessageId, Party, Reactivation,
};

/// How far a browser's clock may be from the server's when it reports handle time.
const CLOCK_SLACK_MS: i64 = 60_000;

impl Store {
    /// One interaction.
    pub async fn interaction(
        &self,
        id: InteractionId,
    ) -> Result<Option<InteractionView>, StoreError> {
        Ok(load_interaction(self.pool(), id).await?)
    }

    /// The agent's open interactions and pending offers.
    pub async fn my_work(&self, agent: AgentId) -> Result<MyWork, StoreError> {
        let sql = format!(
            "{INTERACTION_SELECT} WHERE i.agent_id = $1 AND i.state IN ({}) ORDER BY i.id",
            holding_capacity_sql()
        );
        let rows = sqlx::query(&sql)
            .bind(agent.0)
            .fetch_all(self.pool())
            .await?;
        let mut interactions = Vec::new();
        let mut offers = Vec::new();
        for row in &rows {
            let view = interaction(row)?;
            if view.state == InteractionState::Offered {
                let first_message = first_contact_text(self.pool(), view.id).await?;
                let transfer = pending_transfer(self.pool(), view.id).await?;
                offers.push(OfferView {
                    expires_at: view.offer_expires_at.unwrap_or(0),
                    first_message,
                    transfer: transfer.as_ref().map(PendingTransfer::view),
                    interaction: view,
                });
            } else {
                interactions.push(view);
            }
        }
        let monitors = self.monitors_of_agent(agent).await?;
        let agent = self.agent(agent).await?.ok_or(StoreError::NoSuchAgent)?;
        Ok(MyWork {
            interactions,
            offers,
            agent,
            monitors,
        })
    }

    /// Accepts an offer made to this agent.
    pub async fn accept(
        &self,
        agent: AgentId,
        id: InteractionId,
    ) -> Result<InteractionView, StoreError> {
        let mut tx = self.begin().await?;
        let current = lock_interaction(&mut tx, id).await?;
        if current.state != InteractionState::Offered || current.agent_id != Some(agent) {
            return Err(StoreError::conflict("this offer is no longer open"));
        }
        let view = activate(&mut tx, &current, agent, None).await?;
        tx.commit().await?;
        Ok(view)
    }

    /// Rejects an offer; routing offers it to the next agent.
    pub async fn reject(&self, agent: AgentId, id: InteractionId) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        let current = lock_interaction(&mut tx, id).await?;
        if current.state != InteractionState::Offered || current.agent_id != Some(agent) {
            return Err(StoreError::conflict("this offer is no longer open"));
        }
        requeue(&mut tx, &current, agent, WithdrawReason::Rejected).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Ends the chat session from the agent's side.
    pub async fn end_by_agent(
        &self,
        agent: AgentId,
        id: InteractionId,
    ) -> Result<InteractionView, StoreError> {
        let mut tx = self.begin().await?;
        let current = lock_interaction(&mut tx, id).await?;
        if current.agent_id != Some(agent) {
            return Err(StoreError::NotYours(
                "this interaction belongs to another agent".into(),
            ));
        }
        let view = end_in(&mut tx, &current, Party::Agent).await?;
        tx.commit().await?;
        Ok(view)
    }

    /// The visitor closes their chat: ends their open Web Chat interaction, if any.
    pub async fn end_by_contact(
        &self,
        contact: ContactId,
    ) -> Result<Option<InteractionView>, StoreError> {
        let mut tx = self.begin().await?;
        let Some(current) = open_interaction(&mut tx, contact).await? else {
            return Ok(None);
        };
        let view = end_in(&mut tx, &current, Party::Contact).await?;
        tx.commit().await?;
        Ok(Some(view))
    }

    /// Marks an interaction Done, with a disposition code where one is required.
    pub async fn mark_done(
        &self,
        agent: AgentId,
        id: InteractionId,
        disposition: Option<&DispositionCode>,
        required: bool,
    ) -> Result<InteractionView, StoreError> {
        if let Some(code) = disposition {
            if !self.disposition_exists(&code.0).await? {
                return Err(StoreError::Rejected(format!(
                    "unknown disposition code {:?}",
                    code.0
                )));
            }
        } else if required && self.has_dispositions().await? {
            return Err(StoreError::Rejected(
                "choose a disposition code to mark this interaction Done".into(),
            ));
        }
        let mut tx = self.begin().await?;
        let current = lock_interaction(&mut tx, id).await?;
        if current.agent_id != Some(agent) {
            return Err(StoreError::NotYours(
                "this interaction belongs to another agent".into(),
            ));
        }
        let from = if current.state == InteractionState::Active {
            end_in(&mut tx, &current, Party::Agent).await?.state
        } else {
            current.state
        };
        transition(
            &mut tx,
            id,
            from,
            Action::Done,
            &[
                ("done_at", Arg::Int(now_ms())),
                (
                    "disposition",
                    disposition.map_or(Arg::Null, |d| Arg::Text(d.0.clone())),
                ),
            ],
        )
        .await?;
        let view = emit_interaction(&mut tx, id).await?;
        emit_status(&mut tx, agent).await?;
        tx.commit().await?;
        Ok(view)
    }

    /// Adds a stretch of time the interaction view was open to the handle time.
    pub async fn add_handle_time(
        &self,
        agent: AgentId,
        id: InteractionId,
        seg: &HandleTimeSegment,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        let current = lock_interaction(&mut tx, id).await?;
        // The agent who has it, or one who transferred it, for the time until the transfer
        // (their view was open until then: handle time stays with the interaction).
        let handed_on = if current.agent_id == Some(agent) {
            None
        } else {
            Some(handed_on_at(&mut tx, id, agent).await?.ok_or_else(|| {
                StoreError::NotYours("this interaction belongs to another agent".into())
            })?)
        };
        if handed_on.is_some_and(|at| seg.ended_at > at.saturating_add(CLOCK_SLACK_MS)) {
            return Err(StoreError::conflict(
                "the interaction was transferred: your handle time ends there",
            ));
        }
        // Inside the interaction's life (browser clocks may differ by up to a minute): from its
        // creation until it was marked Done. Time after Done is a conflict, which the desktop
        // takes as "already settled" (a Done chat shown from history is not worked on).
        if seg.started_at < current.created_at.saturating_sub(CLOCK_SLACK_MS) {
            return Err(StoreError::Rejected(
                "the handle-time segment starts before the interaction existed".into(),
            ));
        }
        if current
            .done_at
            .is_some_and(|done| seg.ended_at > done.saturating_add(CLOCK_SLACK_MS))
        {
            return Err(StoreError::conflict(
                "the interaction is Done: its handle time is settled",
            ));
        }
        let len = seg
            .ended_at
            .checked_sub(seg.started_at)
            .filter(|len| *len > 0)
            .ok_or_else(|| StoreError::Rejected("the segment must end after it starts".into()))?;
        // The interaction is locked, so no other segment can slip in between this check and
        // the insert: two tabs showing the same chat do not count its time twice.
        let overlapping = sqlx::query(
            "SELECT 1 AS hit FROM handle_time_segments WHERE interaction_id = $1 AND agent_id = $2 \
             AND started_at < $3 AND ended_at > $4 LIMIT 1",
        )
        .bind(id.0)
        .bind(agent.0)
        .bind(seg.ended_at)
        .bind(seg.started_at)
        .fetch_optional(&mut tx.inner)
        .await?;
        if overlapping.is_some() {
            return Err(StoreError::conflict(
                "the handle-time segment overlaps one already recorded",
            ));
        }
        sqlx::query("INSERT INTO handle_time_segments (interaction_id, agent_id, started_at, ended_at) VALUES ($1, $2, $3, $4)")
            .bind(id.0)
            .bind(agent.0)
            .bind(seg.started_at)
            .bind(seg.ended_at)
            .execute(&mut tx.inner)
            .await?;
        sqlx::query("UPDATE interactions SET handle_time_ms = handle_time_ms + $1 WHERE id = $2")
            .bind(len)
            .bind(id.0)
            .execute(&mut tx.inner)
            .await?;
        emit_interaction(&mut tx, id).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The `Chat` button: the contact's open chat for this agent, taking a waiting one, or a
    /// new interaction that reactivates the conversation.
    pub async fn chat_with(
        &self,
        agent: AgentId,
        contact: ContactId,
    ) -> Result<InteractionView, StoreError> {
        let mut tx = self.begin().await?;
        lock_contact(&mut tx, contact).await?;
        let view = take_or_reactivate(&mut tx, agent, contact, Reactivation::ChatButton).await?;
        tx.commit().await?;
        Ok(view)
    }

    /// Whom an agent's typing in interaction `id` is for: its contact, if the agent holds it.
    /// Nothing is written; the caller hands the notice to the live streams only.
    pub async fn agent_typing_to(
        &self,
        agent: AgentId,
        id: InteractionId,
    ) -> Result<ContactId, StoreError> {
        let current = self
            .interaction(id)
            .await?
            .ok_or_else(|| StoreError::not_found("interaction"))?;
        if current.agent_id != Some(agent) {
            return Err(StoreError::NotYours(
                "this interaction belongs to another agent".into(),
            ));
        }
        Ok(current.contact_id)
    }
}

/// The first thing the contact wrote in an interaction (for the offer notification).
pub(super) async fn first_contact_text<'e, E>(
    ex: E,
    id: InteractionId,
) -> Result<Option<String>, sqlx::Error>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let row = sqlx::query(
        "SELECT text FROM messages WHERE interaction_id = $1 AND author_kind = 'contact' ORDER BY seq LIMIT 1",
    )
    .bind(id.0)
    .fetch_optional(ex)
    .await?;
    row.map(|r| r.try_get("text")).transpose()
}

/// Locks the contact's row until commit (PostgreSQL), so sends into one conversation are
/// serialised and `seq` stays gap-free and ordered. Where rows have versions the lock writes
/// one (an update that changes nothing, not `FOR UPDATE`): a send reads what it needs in the
/// statement that takes the lock ([`lock_contact_for_send`]) and knows from the row's version
/// whether a holder of this lock committed after the statement began.
pub(super) async fn lock_contact(tx: &mut Tx, contact: ContactId) -> Result<(), StoreError> {
    let sql = match tx.dialect().row_version() {
        Some(_) => "UPDATE contacts SET last_seq = last_seq WHERE id = $1 RETURNING id",
        None => "SELECT id FROM contacts WHERE id = $1",
    };
    sqlx::query(sql)
        .bind(contact.0)
        .fetch_optional(&mut tx.inner)
        .await?
        .ok_or_else(|| StoreError::not_found("contact"))?;
    Ok(())
}

/// What a send finds once it holds the contact's lock.
pub(super) struct SendLock {
    /// The message an earlier attempt with the same client id stored (a retry).
    pub existing: Option<MessageId>,
    /// The contact's newest interaction that matches the condition asked for.
    pub open: Option<InteractionView>,
}

/// [`lock_contact`] for a send, with what the send reads under the lock in the same statement
/// (one round trip instead of three on PostgreSQL): the message stored earlier with
/// `client_id` by `author`, and, when `open` is given (an [`open_condition`]), the contact's
/// newest interaction matching it. The statement's reads see the database as it was when the
/// statement began; if it had to wait for the lock, a holder may have committed since (a new
/// interaction, the same retry), and the row it locked is then newer than the row it read.
/// It is run again, holding the lock, and sees everything.
pub(super) async fn lock_contact_for_send(
    tx: &mut Tx,
    contact: ContactId,
    author: &str,
    client_id: &str,
    open: Option<&'static str>,
) -> Result<SendLock, StoreError> {
    let (versions, lock) = match tx.dialect().row_version() {
        Some(v) => (
            format!(
                "c.{v} AS locked_version, (SELECT s.{v} FROM contacts s WHERE s.id = $1) AS seen_version"
            ),
            format!("{} OF c", tx.dialect().for_update()),
        ),
        None => (
            "NULL AS locked_version, NULL AS seen_version".to_owned(),
            String::new(),
        ),
    };
    // The interaction is joined by its id, which a scalar subquery finds (the inner `i`
    // is its own): SQLite reads it once, where a joined `LIMIT 1` subquery was copied into
    // a temporary b-tree at every run.
    let (columns, join) = match open {
        Some(condition) => (
            format!("{INTERACTION_COLUMNS}, "),
            format!(
                " LEFT JOIN interactions i ON i.id = (SELECT i.id FROM interactions i \
                 WHERE i.contact_id = $1{condition} ORDER BY i.id DESC LIMIT 1) \
                 LEFT JOIN agents a ON a.id = i.agent_id"
            ),
        ),
        None => (String::new(), String::new()),
    };
    let sql = format!(
        "SELECT {columns}{versions}, \
         (SELECT m.id FROM messages m WHERE m.author_key = $2 AND m.client_id = $3) AS existing_id \
         FROM contacts c{join} WHERE c.id = $1{lock}"
    );
    // The second run holds the lock, so nothing can have committed between its reads and it.
    for _ in 0..2 {
        let row = sqlx::query(&sql)
            .bind(contact.0)
            .bind(author)
            .bind(client_id)
            .fetch_optional(&mut tx.inner)
            .await?
            .ok_or_else(|| StoreError::not_found("contact"))?;
        let locked: Option<String> = row.try_get("locked_version")?;
        let seen: Option<String> = row.try_get("seen_version")?;
        if locked != seen {
            continue;
        }
        let open = match open {
            Some(_) if row.try_get::<Option<i64>, _>("id")?.is_some() => Some(interaction(&row)?),
            _ => None,
        };
        return Ok(SendLock {
            existing: row.try_get::<Option<i64>, _>("existing_id")?.map(MessageId),
            open,
        });
    }
    Err(StoreError::Internal(
        "the contact's row changed while this transaction held its lock".to_owned(),
    ))
}

/// Reads an interaction and locks its row until commit.
pub(super) async fn lock_interaction(
    tx: &mut Tx,
    id: InteractionId,
) -> Result<InteractionView, StoreError> {
    let lock = format!(
        "SELECT id FROM interactions WHERE id = $1{}",
        tx.dialect().for_update()
    );
    sqlx::query(&lock)
        .bind(id.0)
        .fetch_optional(&mut tx.inner)
        .await?
        .ok_or_else(|| StoreError::not_found("interaction"))?;
    load_interaction(&mut tx.inner, id)
        .await?
        .ok_or_else(|| StoreError::not_found("interaction"))
}

/// The contact's open private interaction (queued, offered or active; Web Chat, Messenger, X
/// Direct Messages), newest first. A public item (a comment, a Tweet) waits in an open
/// interaction of its own channel beside it ([`open_public_interaction`]), so a private chat
/// never swallows a public comment and a public thread never takes a private message.
pub(super) async fn open_interaction(
    tx: &mut Tx,
    contact: ContactId,
) -> Result<Option<InteractionView>, StoreError> {
    newest_interaction(tx, contact, OPEN_PRIVATE).await
}

/// The contact's open interaction on the public `channel` (see [`open_interaction`]); a
/// private channel's is [`open_interaction`] itself.
pub(super) async fn open_interaction_on(
    tx: &mut Tx,
    contact: ContactId,
    channel: wire::Channel,
) -> Result<Option<InteractionView>, StoreError> {
    newest_interaction(tx, contact, open_condition(channel)).await
}

/// The condition on `i` that it is open ([`InteractionView::is_open`]: queued, offered or
/// active), for a read that finds the interaction by another index (the contact's, newest
/// first). Written as the two states that are not open: SQLite tests a list of up to two
/// constants value by value, but builds a temporary b-tree for a longer list at every run of
/// the statement (one of the five a visitor's send built, with a page zeroed and freed).
/// A read that seeks by state (an index that starts with it) lists the open states instead.
macro_rules! open_state {
    () => {
        "i.state NOT IN ('ended', 'done')"
    };
}
pub(super) use open_state;

/// The condition on `i` of the interaction a contact's message on `channel` goes into: an
/// open one on the same public channel (a comment, a Tweet), or the open private one.
pub(super) fn open_condition(channel: wire::Channel) -> &'static str {
    match channel {
        wire::Channel::FacebookPost => {
            concat!(" AND ", open_state!(), " AND i.channel = 'facebook_post'")
        }
        wire::Channel::Tweet => concat!(" AND ", open_state!(), " AND i.channel = 'tweet'"),
        _ => OPEN_PRIVATE,
    }
}

/// The condition on `i` of a contact's open private interaction.
pub(super) const OPEN_PRIVATE: &str = concat!(
    " AND ",
    open_state!(),
    " AND i.channel NOT IN ('facebook_post', 'tweet')"
);

/// The contact's newest interaction of any state.
pub(super) async fn latest_interaction(
    tx: &mut Tx,
    contact: ContactId,
) -> Result<Option<InteractionView>, StoreError> {
    newest_interaction(tx, contact, "").await
}

async fn newest_interaction(
    tx: &mut Tx,
    contact: ContactId,
    condition: &'static str,
) -> Result<Option<InteractionView>, StoreError> {
    newest_interaction_on(&mut tx.inner, contact, condition).await
}

/// The contact's open private interaction ([`open_interaction`]), read outside a transaction.
pub(super) async fn open_interaction_outside(
    store: &Store,
    contact: ContactId,
) -> Result<Option<InteractionView>, StoreError> {
    let mut pool = Conn::Pool(store.pool().clone());
    newest_interaction_on(&mut pool, contact, OPEN_PRIVATE).await
}

async fn newest_interaction_on(
    conn: &mut Conn,
    contact: ContactId,
    condition: &'static str,
) -> Result<Option<InteractionView>, StoreError> {
    let sql = format!(
        "{INTERACTION_SELECT} WHERE i.contact_id = $1{condition} ORDER BY i.id DESC LIMIT 1"
    );
    let row = sqlx::query(&sql)
        .bind(contact.0)
        .fetch_optional(conn)
        .await?;
    Ok(row.as_ref().map(interaction).transpose()?)
}

/// Loads an interaction and emits it to its agent.
pub(super) async fn emit_interaction(
    tx: &mut Tx,
    id: InteractionId,
) -> Result<InteractionView, StoreError> {
    let view = load_interaction(&mut tx.inner, id)
        .await?
        .ok_or_else(|| StoreError::not_found("interaction"))?;
    if let Some(agent) = view.agent_id.or(view.reserved_for) {
        tx.emit(
            Audience::agent(agent),
            &Event::Interaction {
                interaction: view.clone(),
            },
        )?;
    }
    // The widget shows the chat's state (waiting, with whom, ended); it gets the interaction
    // without what is internal to the contact center.
    if view.channel == Channel::WebChat {
        let for_visitor = InteractionView {
            handle_time_ms: 0,
            disposition: None,
            reserved_for: None,
            offer_expires_at: None,
            ..view.clone()
        };
        tx.emit(
            Audience::visitor(view.contact_id),
            &Event::Interaction {
                interaction: for_visitor,
            },
        )?;
    }
    Ok(view)
}

#[cfg(test)]
mod tests {
    use sqlx::{AnyConnection, Connection, Row};
    use wire::{Channel, ContactId, InteractionId, InteractionState, InteractionView};

    /// Every state. A new one does not compile here until it is added, and so placed in or
    /// out of `open_state`.
    fn every_state() -> [InteractionState; 5] {
        use InteractionState::{Active, Done, Ended, Offered, Queued};
        [Queued, Offered, Active, Ended, Done].map(|state| match state {
            Queued | Offered | Active | Ended | Done => state,
        })
    }

    async fn open_by_sql(conn: &mut AnyConnection, state: InteractionState) -> bool {
        let sql = concat!(
            "SELECT COUNT(*) AS n FROM (SELECT CAST($1 AS TEXT) AS state) i WHERE ",
            open_state!()
        );
        let row = sqlx::query(sql)
            .bind(state.as_str())
            .fetch_one(conn)
            .await
            .expect("read");
        row.get::<i64, _>("n") == 1
    }

    /// The SQL condition selects exactly the states `InteractionView::is_open` calls open,
    /// on both databases.
    #[tokio::test]
    async fn the_open_condition_is_the_open_states() {
        sqlx::any::install_default_drivers();
        let mut urls = vec!["sqlite::memory:".to_owned()];
        match std::env::var("THREADLINE_TEST_PG") {
            Ok(pg) => urls.push(pg),
            Err(_) => eprintln!("THREADLINE_TEST_PG is not set: PostgreSQL variant not run"),
        }
        for url in urls {
            let mut conn = AnyConnection::connect(&url).await.expect("connect");
            for state in every_state() {
                let view = InteractionView::new(
                    InteractionId(1),
                    (ContactId(1), "Ada"),
                    Channel::WebChat,
                    state,
                    0,
                );
                assert_eq!(
                    open_by_sql(&mut conn, state).await,
                    view.is_open(),
                    "{state:?} on {url}"
                );
            }
        }
    }
}
