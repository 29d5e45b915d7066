//! The event log as the live streams read it: the head, the floor left by pruning, the events
//! after an id (for everyone, or for one agent or visitor), and pruning. Besides the events
//! clients see, the log carries [`Internal`] rows that the instances tell each other (a row for
//! no agent and no visitor, so no replay ever sends one).
//!
//! # Layout
//! - [`StoredEvent`]: a row ready to send, rendered once for every subscriber; [`Internal`].
//! - [`Committed`]: what this process just committed, handed to its hub without reading it back.
//! - the `Store` reads (head, floor, events after an id), pruning, live-only notices.
//! - `stored_event`: a row of the log as a [`StoredEvent`]; `envelope_json`: the one
//!   rendering of an event with its id and time.

use super::{Store, StoreError, TicketScope, Tx};
use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;
use sqlx::Row;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::Notify;
use wire::{AgentId, ContactId, Event, EventId};

/// A row of the event log, ready to send.
#[derive(Debug, Clone)]
pub struct StoredEvent {
    /// Its id.
    pub id: EventId,
    /// Target agent (none: see `to_agents`).
    pub agent_id: Option<AgentId>,
    /// Whether every agent sees it (when `agent_id` is none).
    pub to_all_agents: bool,
    /// The contact whose visitor sees it, if any.
    pub visitor: Option<ContactId>,
    /// The `EventEnvelope` as JSON, rendered once for every subscriber.
    pub data: Arc<str>,
    /// The SSE event name.
    pub name: &'static str,
    /// Set for a row only the servers read (then `data` and `name` are empty).
    pub internal: Option<Arc<Internal>>,
}

/// What one instance tells every instance (itself included) through the log, in the same
/// transaction as the change: written for no agent and no visitor, so never sent to a client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "internal", rename_all = "snake_case")]
pub enum Internal {
    /// These agent sessions ended (logout, password change): their live streams close.
    SessionsEnded {
        /// The sessions, by the stored form of their tokens.
        sessions: Vec<String>,
    },
    /// A page of this visitor said it is going away: their streams close. A closed page's
    /// stream may otherwise look open for a long time (the browser can keep reading the
    /// connection after the page is gone); the visitor's pages still open reconnect at once,
    /// and so show they are there.
    VisitorAway {
        /// The visitor's contact.
        contact: ContactId,
    },
    /// A message is waiting in the outbox (new, or put back by `Retry`): every instance's
    /// outbox worker looks at once instead of at its next poll.
    OutboxWaiting,
}

/// Most rendered events [`Committed`] keeps for a hub that has not taken them: beyond this the
/// oldest are dropped, and the hub reads them from the log instead.
const MAX_KEPT: usize = 4096;

/// Events this process committed, rendered as [`StoredEvent`]s by id, for its hub to take
/// instead of reading them back from the log (a query, a JSON parse and a render per event),
/// and the wake that tells the hub. The hub still reads the log whenever what is here does not
/// continue exactly from its cursor (another instance's or another process's rows, a gap in
/// the ids that no commit of this process is about to fill, events dropped over
/// [`MAX_KEPT`]), when another instance wakes it, and on its poll; so the order and the
/// completeness of every stream stay those of the log.
#[derive(Debug, Default)]
pub struct Committed {
    /// Woken after a commit that appended events (and by whatever else wants the hub to look).
    wake: Notify,
    /// Set when the hub must read the log at its next look: events were committed that are
    /// not kept here, or another instance wrote some.
    read_log: AtomicBool,
    /// Set once a hub takes events from here; until then nothing is kept (a `Store` without a
    /// hub, such as the command line's, would only fill memory).
    tailed: AtomicBool,
    /// What is kept for the hub.
    kept: Mutex<Kept>,
}

/// The hub's wake that a commit owes (see `Tx::commit_owing_wake`): it wakes the hub when
/// dropped. The send writer hands it to a requester with the answer, so that the hub is woken
/// from the requester's runtime thread, where waking a task is cheap, not from the writer's
/// thread, where it would take a second sleeping runtime thread out of its sleep for each
/// message. Dropped anywhere else (a requester that has gone, an answer never taken), it wakes
/// the hub from there: every commit's events reach the hub.
#[must_use = "dropping it wakes the hub"]
#[derive(Debug)]
pub(crate) struct HubWake(Arc<Committed>);

impl Drop for HubWake {
    fn drop(&mut self) {
        self.0.wake.notify_one();
    }
}

/// What [`Committed`] keeps under its lock.
#[derive(Debug, Default)]
struct Kept {
    /// The rendered events by id, until the hub takes them.
    events: BTreeMap<EventId, Arc<StoredEvent>>,
    /// Ids this process's transactions were given and are committing now: on PostgreSQL ids
    /// become visible in the order their transactions commit, so a gap at one of these is
    /// filled by that commit (or given up by its failure), and the hub waits for it here
    /// instead of reading the log.
    committing: BTreeSet<EventId>,
}

impl Kept {
    /// The commit given `ids` is over (done or failed): nothing waits for them here.
    fn finished(&mut self, ids: &[i64]) {
        for id in ids {
            self.committing.remove(&EventId(*id));
        }
    }
}

/// What [`Committed::take_after`] hands the hub.
#[derive(Debug, Default)]
pub struct Taken {
    /// Events that continue from the cursor without a gap, oldest first.
    pub events: Vec<Arc<StoredEvent>>,
    /// Whether the log must be read too (see [`Committed`]).
    pub read_log: bool,
}

/// How often a reader waiting for transactions to end looks again (see [`LogCursor`]).
pub const SETTLE_POLL: std::time::Duration = std::time::Duration::from_millis(5);

/// A read of the log (see [`Store::events_after`]).
#[derive(Debug)]
pub struct LogRead {
    /// The events read, oldest first.
    pub events: Vec<StoredEvent>,
    /// The transactions running when they were read, where ids may become visible out of
    /// order (PostgreSQL); none where they become visible in order (SQLite), or when nothing
    /// was read.
    pub snapshot: Option<Snapshot>,
    /// Whether the read stopped at its limit (more may follow at once).
    pub full: bool,
}

/// The transactions a PostgreSQL snapshot saw running (`pg_current_snapshot()`, written as
/// `xmin:xmax:xip,…`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    /// One past the newest transaction that had *ended* (`xmax`): not the next id to be given.
    /// A transaction given its id after that one ended is running but not listed.
    xmax: u64,
    /// The ids below `xmax` of the transactions running then (`xip`).
    running: Vec<u64>,
}

impl Snapshot {
    /// Reads the text form.
    ///
    /// # Errors
    /// The text is not a snapshot.
    pub fn parse(text: &str) -> Result<Snapshot, StoreError> {
        let bad = || StoreError::Internal(format!("not a snapshot: {text:?}"));
        let mut parts = text.split(':');
        let (Some(_xmin), Some(xmax), Some(xip), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(bad());
        };
        let running = xip
            .split(',')
            .filter(|x| !x.is_empty())
            .map(|x| x.parse().map_err(|_| bad()))
            .collect::<Result<_, _>>()?;
        Ok(Snapshot {
            xmax: xmax.parse().map_err(|_| bad())?,
            running,
        })
    }

    /// Whether every transaction that may have been running at this snapshot had ended by
    /// `later`, given `bound`: a transaction id given after this snapshot was taken (every
    /// transaction running then had a smaller one). Those were the ones listed here and any
    /// from this snapshot's `xmax` up to `bound`; at `later` a transaction below its `xmax` is
    /// running only if listed, and one at or above it may be.
    pub fn ended_by(&self, bound: u64, later: &Snapshot) -> bool {
        later.xmax >= bound
            && !later
                .running
                .iter()
                .any(|x| *x < bound && (*x >= self.xmax || self.running.contains(x)))
    }
}

/// A read that stopped at a gap (see [`LogCursor`]).
#[derive(Debug)]
struct Gap {
    /// The read's snapshot.
    then: Snapshot,
    /// A transaction id given after the read (see [`Snapshot::ended_by`]); none until the
    /// hub has taken one.
    bound: Option<u64>,
    /// The newest id the read saw.
    seen: EventId,
}

/// Where a hub is in the log, and which of the events it reads it may hand on.
///
/// On PostgreSQL event ids are drawn from a sequence when a transaction writes them and
/// become visible when it commits, and transactions commit in any order: a reader may see id
/// 12 while 11 is still being committed (or will never be: its transaction rolled back). The
/// hub hands events on in id order and never goes back, so it stops at such a gap. The
/// transaction that drew the missing id drew it before 12 was drawn, and so before the read
/// that saw 12, and it had its transaction id before it drew (see
/// [`super::Dialect::append_events_sql`]): so it had its id before the read, and is either
/// running at the read's snapshot or ended. A snapshot lists only the running transactions
/// below its `xmax`, which is one past the newest that had *ended*, so the hub then takes a
/// transaction id of its own (`bound`, given after the read): every transaction that could
/// hold the missing id has a smaller one. Once all of those that may have been running have
/// ended (a later snapshot says so), every id up to 12 is settled, and the next read has all
/// that will ever be there. SQLite has one writer at a time: every id it reads is settled.
#[derive(Debug)]
pub struct LogCursor {
    /// The newest id handed on; every id at or below it is settled.
    pub at: EventId,
    /// Every id at or below this is settled: the log has it, or never will.
    settled: EventId,
    /// The read that stopped at a gap, while the cursor waits for it.
    waiting: Option<Gap>,
}

impl LogCursor {
    /// At `at`, every id at or below it settled.
    pub fn new(at: EventId) -> Self {
        LogCursor {
            at,
            settled: at,
            waiting: None,
        }
    }

    /// Whether a gap waits for transactions to end (the hub looks again soon).
    pub fn waiting(&self) -> bool {
        self.waiting.as_ref().is_some_and(|g| g.seen > self.at)
    }

    /// Whether the waiting gap needs a transaction id given after its read (see
    /// [`LogCursor::bound`]).
    pub fn needs_bound(&self) -> bool {
        self.waiting() && self.waiting.as_ref().is_some_and(|g| g.bound.is_none())
    }

    /// Records `bound`, a transaction id given after the waiting gap's read.
    pub fn bound(&mut self, bound: u64) {
        if let Some(g) = &mut self.waiting {
            g.bound.get_or_insert(bound);
        }
    }

    /// The events of `read` (events after [`LogCursor::at`]) that may be handed on now, in
    /// order; the cursor moves past them.
    pub fn take(&mut self, read: LogRead) -> Vec<StoredEvent> {
        let newest = read.events.last().map(|e| e.id);
        match (&read.snapshot, newest) {
            (_, None) => {
                if !read.full {
                    self.at = self.at.max(self.settled);
                }
                return Vec::new();
            }
            (None, Some(newest)) => self.settled = self.settled.max(newest),
            (Some(now), Some(_)) => {
                if let Some(Gap {
                    then,
                    bound: Some(bound),
                    seen,
                }) = &self.waiting
                {
                    if then.ended_by(*bound, now) {
                        self.settled = self.settled.max(*seen);
                        self.waiting = None;
                    }
                }
            }
        }
        let mut taken = Vec::new();
        let mut stopped = false;
        for e in read.events {
            if e.id <= self.at {
                continue;
            }
            if e.id.0 == self.at.0 + 1 || e.id <= self.settled {
                self.at = e.id;
                taken.push(e);
            } else {
                stopped = true;
                break;
            }
        }
        if stopped {
            if !self.waiting() {
                self.waiting = read.snapshot.zip(newest).map(|(then, seen)| Gap {
                    then,
                    bound: None,
                    seen,
                });
            }
        } else if !read.full {
            // The ids missing up to `settled` will never be there.
            self.at = self.at.max(self.settled);
        }
        taken
    }
}

impl Committed {
    fn lock(&self) -> std::sync::MutexGuard<'_, Kept> {
        self.kept
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Marks ids a transaction of this process was just given and is about to commit (see
    /// [`Kept::committing`]); [`Committed::add`] or [`Committed::abandon`] clears them.
    pub(super) fn committing(&self, ids: &[i64]) {
        if self.tailed.load(Ordering::Acquire) && !ids.is_empty() {
            self.lock()
                .committing
                .extend(ids.iter().copied().map(EventId));
        }
    }

    /// Records events just committed with `ids` (rendered; none when they cannot be matched
    /// to their ids); the [`HubWake`] answered wakes the hub when dropped.
    pub(super) fn add(self: &Arc<Self>, ids: &[i64], events: Option<Vec<StoredEvent>>) -> HubWake {
        if events.is_none() {
            self.read_log.store(true, Ordering::Release);
        }
        if self.tailed.load(Ordering::Acquire) {
            let mut kept = self.lock();
            kept.finished(ids);
            for e in events.into_iter().flatten() {
                kept.events.insert(e.id, Arc::new(e));
            }
            while kept.events.len() > MAX_KEPT {
                kept.events.pop_first();
            }
        }
        HubWake(self.clone())
    }

    /// A commit given `ids` failed, or its outcome is unknown: the hub stops waiting for them
    /// and reads the log, which says whether they are there.
    pub(super) fn abandon(&self, ids: &[i64]) {
        if self.tailed.load(Ordering::Acquire) {
            self.lock().finished(ids);
        }
        self.wake_to_read();
    }

    /// Wakes the hub to read the log (another instance wrote to it).
    pub fn wake_to_read(&self) {
        self.read_log.store(true, Ordering::Release);
        self.wake.notify_one();
    }

    /// Waits for a wake.
    pub async fn notified(&self) {
        self.wake.notified().await;
    }

    /// The hub starts taking events from here (from its cursor at the log's head).
    pub fn start_tailing(&self) {
        self.tailed.store(true, Ordering::Release);
    }

    /// The kept events that follow `cursor` without a gap, taken; what is kept at or below it
    /// is dropped (the hub has it from the log).
    pub fn take_after(&self, cursor: EventId) -> Taken {
        let mut read_log = self.read_log.swap(false, Ordering::AcqRel);
        let mut kept = self.lock();
        let mut events = Vec::new();
        let mut next = cursor;
        while let Some((&id, _)) = kept.events.first_key_value() {
            if id <= next {
                kept.events.pop_first();
            } else if id.0 == next.0 + 1 {
                if let Some((_, e)) = kept.events.pop_first() {
                    events.push(e);
                }
                next = id;
            } else {
                // A gap: a commit of this process fills it, or the ids between are in the
                // log only (or nowhere: the log says which).
                read_log |= !kept.committing.contains(&EventId(next.0 + 1));
                break;
            }
        }
        Taken { events, read_log }
    }
}

/// An event as its stream sends it: `EventEnvelope { id, at, event }` as JSON, with `event`
/// already JSON (`serde_json` of the [`Event`]). Byte for byte what `serde_json` makes of the
/// envelope (a test holds it to that).
pub(super) fn envelope_json(id: EventId, at: i64, event_json: &str) -> String {
    format!("{{\"id\":{},\"at\":{at},\"event\":{event_json}}}", id.0)
}

/// An agent's events after `$1` up to `$4` (`$2` the agent, `$3` the limit): two range reads
/// of the index `events_agent` (theirs, and those for every agent), merged by id. The upper
/// bound is written `+id` so that no planner reads the log by its primary key between the
/// two bounds instead (SQLite did, for the rows for every agent): the range up to the hub's
/// place is the replay's whole length, not a narrow one.
pub const AGENT_EVENTS_SQL: &str =
    "SELECT id, at, agent_id, to_agents, contact_id, to_visitor, payload \
     FROM events WHERE agent_id = $2 AND id > $1 AND +id <= $4 AND to_agents = 1 \
     UNION ALL SELECT id, at, agent_id, to_agents, contact_id, to_visitor, payload \
     FROM events WHERE agent_id IS NULL AND id > $1 AND +id <= $4 AND to_agents = 1 \
     ORDER BY id LIMIT $3";

/// Every event for agents or visitors after `$1` up to `$3` (`$2` the limit): the
/// supervisor's board stream (a chat waiting in the queue is told only to its visitor, yet it
/// changes the board).
pub const BOARD_EVENTS_SQL: &str =
    "SELECT id, at, agent_id, to_agents, contact_id, to_visitor, payload \
     FROM events WHERE id > $1 AND +id <= $3 AND (to_agents = 1 OR to_visitor = 1) \
     ORDER BY id LIMIT $2";

/// A visitor's events after `$1` up to `$4` (`$2` the contact, `$3` the limit): a range read
/// of the index `events_contact`.
pub const VISITOR_EVENTS_SQL: &str =
    "SELECT id, at, agent_id, to_agents, contact_id, to_visitor, payload \
     FROM events WHERE contact_id = $2 AND id > $1 AND +id <= $4 AND to_visitor = 1 \
     ORDER BY id LIMIT $3";

/// How many ids a restore leaves out of the event log (2^40: at a thousand events a second,
/// the log it was copied from would need 35 years to give them all), so that no id the other
/// log gave after the copy can mean an event of the restored one.
pub const RESTORE_GAP: i64 = 1 << 40;

/// The tables besides the event log whose row ids a restore moves on by [`RESTORE_GAP`]: ids
/// that leave the server (in events, URLs, the portal's messages, exports, the audit log), so
/// that one a client or a portal kept from the database a copy was taken of never names
/// another row of the restored one (a message sent after the copy, say, and lost with it).
const RESTORED_ROW_IDS: [&str; 9] = [
    "agents",
    "contacts",
    "interactions",
    "attachments",
    "messages",
    "response_categories",
    "standard_responses",
    "handle_time_segments",
    "audit_log",
];

/// Where a replay stands against the log (see [`Store::log_bounds`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogBounds {
    /// The oldest id a replay can start after: one below it missed events the log no longer
    /// has (pruned).
    pub floor: EventId,
    /// The newest id the log has given (0 when it never held one): one above it was given by
    /// another database.
    pub head: EventId,
    /// Whether the id asked about is in a restore's gap: one the log this database was copied
    /// from gave after the copy (see [`Store::mark_restored`]).
    pub never_given: bool,
}

/// Ids this log never gave (see [`Store::mark_restored`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogGap {
    /// The newest id the log had given when it was copied.
    pub after: EventId,
    /// The last id left out: the log gives its next ids after it.
    pub up_to: EventId,
}

impl Store {
    /// Marks this database as a copy that is (or will be) restored: the event log gives its
    /// next ids after a gap of [`RESTORE_GAP`], and the gap is recorded, so that a client
    /// coming back with an id the log it was copied from gave after the copy reloads what it
    /// shows (`resync`, [`LogBounds::never_given`]) instead of replaying this log's different
    /// events under the same ids. The tables of [`RESTORED_ROW_IDS`] go on after the same gap
    /// above the ids each has given. `admin backup` marks its copies; `admin mark-restored` marks
    /// a database restored otherwise (`pg_restore`, a copy restored a second time).
    pub async fn mark_restored(&self) -> Result<LogGap, StoreError> {
        let mut tx = self.begin().await?;
        let given = self.ids_given(&mut tx, "events").await?;
        let gaps: i64 = sqlx::query("SELECT COALESCE(MAX(up_to), 0) AS gaps FROM event_log_gaps")
            .fetch_one(&mut tx.inner)
            .await?
            .try_get("gaps")?;
        // The head counts a pruned log's floor; the sequence, ids whose rows left since.
        let after = given.max(gaps).max(self.event_head().await?.0);
        let up_to = after.saturating_add(RESTORE_GAP);
        sqlx::query("INSERT INTO event_log_gaps (after_id, up_to, at) VALUES ($1, $2, $3)")
            .bind(after)
            .bind(up_to)
            .bind(crate::util::now_ms())
            .execute(&mut tx.inner)
            .await?;
        self.skip_ids(&mut tx, "events", up_to).await?;
        for table in RESTORED_ROW_IDS {
            let given = self.ids_given(&mut tx, table).await?;
            self.skip_ids(&mut tx, table, given.saturating_add(RESTORE_GAP))
                .await?;
        }
        tx.commit().await?;
        Ok(LogGap {
            after: EventId(after),
            up_to: EventId(up_to),
        })
    }

    /// The newest row id `table` has given.
    async fn ids_given(&self, tx: &mut Tx, table: &'static str) -> Result<i64, StoreError> {
        Ok(sqlx::query(&self.dialect.ids_given_sql(table))
            .fetch_one(&mut tx.inner)
            .await?
            .try_get("given")?)
    }

    /// Makes `table` give its next row ids after `last`.
    async fn skip_ids(
        &self,
        tx: &mut Tx,
        table: &'static str,
        last: i64,
    ) -> Result<(), StoreError> {
        for statement in self.dialect.skip_ids_sql(table) {
            sqlx::query(&statement)
                .bind(last)
                .execute(&mut tx.inner)
                .await?;
        }
        Ok(())
    }

    /// Where a replay from `after` stands, read in one statement (a consistent snapshot of
    /// the three): the floor, the head, and whether `after` is in a restore's gap.
    pub async fn log_bounds(&self, after: EventId) -> Result<LogBounds, StoreError> {
        let row = sqlx::query(
            "SELECT (SELECT value FROM settings WHERE key = 'events_pruned_through') AS floor, \
             COALESCE((SELECT MAX(id) FROM events), 0) AS head, \
             (SELECT COUNT(*) FROM event_log_gaps WHERE after_id < $1 AND up_to >= $1) AS gaps",
        )
        .bind(after.0)
        .fetch_one(&self.pool)
        .await?;
        let floor = row
            .try_get::<Option<String>, _>("floor")?
            .and_then(|v| v.parse().ok())
            .map_or(EventId(0), EventId);
        // A fully pruned log has no rows but has given ids up to its floor.
        let head = EventId(row.try_get("head")?).max(floor);
        Ok(LogBounds {
            floor,
            head,
            never_given: row.try_get::<i64, _>("gaps")? > 0,
        })
    }

    /// The newest event id the log has given (0 when it never held one).
    pub async fn event_head(&self) -> Result<EventId, StoreError> {
        Ok(self.log_bounds(EventId(0)).await?.head)
    }

    /// The oldest id a replay can start after: a `Last-Event-ID` below this missed events the
    /// log no longer has.
    pub async fn event_floor(&self) -> Result<EventId, StoreError> {
        Ok(self.log_bounds(EventId(0)).await?.floor)
    }

    /// Events after `after`, oldest first, at most `limit`, with what the hub needs to know
    /// which of them it may hand on (see [`LogCursor`]).
    pub async fn events_after(&self, after: EventId, limit: i64) -> Result<LogRead, StoreError> {
        let snapshot = self.dialect.log_snapshot();
        let sql = format!(
            "SELECT id, at, agent_id, to_agents, contact_id, to_visitor, payload{} FROM events \
             WHERE id > $1 ORDER BY id LIMIT $2",
            snapshot.map_or(String::new(), |s| format!(", {s} AS snapshot"))
        );
        let rows = sqlx::query(&sql)
            .bind(after.0)
            .bind(limit)
            .fetch_all(&mut self.log_read())
            .await?;
        let snapshot = match (snapshot, rows.first()) {
            (Some(_), Some(row)) => Some(Snapshot::parse(&row.try_get::<String, _>("snapshot")?)?),
            _ => None,
        };
        Ok(LogRead {
            full: i64::try_from(rows.len()).unwrap_or(i64::MAX) >= limit,
            events: rows.iter().map(stored_event).collect::<Result<_, _>>()?,
            snapshot,
        })
    }

    /// The log's head once every id at or below it is settled: committed, or never to be
    /// (see [`LogCursor`]). Where ids become visible in order (SQLite), the head itself.
    pub async fn settled_head(&self) -> Result<EventId, StoreError> {
        let Some(snapshot) = self.dialect.log_snapshot() else {
            return self.event_head().await;
        };
        // Read with the head, in one statement: whatever could still commit an id at or below
        // the head was running when that statement's snapshot was taken.
        let row = sqlx::query(&format!(
            "SELECT COALESCE(MAX(id), 0) AS head, {snapshot} AS snapshot FROM events"
        ))
        .fetch_one(&self.pool)
        .await?;
        let head = EventId(row.try_get("head")?);
        let seen = Snapshot::parse(&row.try_get::<String, _>("snapshot")?)?;
        let bound = self.transaction_bound().await?;
        let now = format!("SELECT {snapshot} AS snapshot");
        loop {
            let row = sqlx::query(&now).fetch_one(&self.pool).await?;
            if seen.ended_by(
                bound,
                &Snapshot::parse(&row.try_get::<String, _>("snapshot")?)?,
            ) {
                break;
            }
            tokio::time::sleep(SETTLE_POLL).await;
        }
        // A fully pruned log has no rows but has given ids up to its floor.
        Ok(head.max(self.event_floor().await?))
    }

    /// A transaction id given now, in a transaction of its own (see [`Snapshot::ended_by`]):
    /// every transaction that had its id before this call has a smaller one.
    pub async fn transaction_bound(&self) -> Result<u64, StoreError> {
        let row = sqlx::query("SELECT pg_current_xact_id()::text AS id")
            .fetch_one(&mut self.log_read())
            .await?;
        row.try_get::<String, _>("id")?
            .parse()
            .map_err(|_| StoreError::Internal("a transaction id that is not a number".to_owned()))
    }

    /// Events after `after` and up to `upto` (the hub's settled place, see [`LogCursor`]) that
    /// one agent, one visitor or a board sees, oldest first, at most `limit`.
    pub async fn events_for(
        &self,
        scope: TicketScope,
        after: EventId,
        upto: EventId,
        limit: i64,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        let query = match scope {
            TicketScope::Agent(agent) => sqlx::query(AGENT_EVENTS_SQL).bind(after.0).bind(agent.0),
            TicketScope::Visitor(contact) => sqlx::query(VISITOR_EVENTS_SQL)
                .bind(after.0)
                .bind(contact.0),
            TicketScope::Board(_) => sqlx::query(BOARD_EVENTS_SQL).bind(after.0),
        };
        let rows = query.bind(limit).bind(upto.0).fetch_all(&self.pool).await?;
        Ok(rows.iter().map(stored_event).collect::<Result<_, _>>()?)
    }

    /// Deletes events older than `before` (ms) and records how far the log was pruned.
    pub async fn prune_events(&self, before: i64) -> Result<u64, StoreError> {
        let mut tx = self.begin().await?;
        let max: Option<i64> = sqlx::query("SELECT MAX(id) AS m FROM events WHERE at < $1")
            .bind(before)
            .fetch_one(&mut tx.inner)
            .await?
            .try_get("m")?;
        let Some(max) = max else {
            tx.rollback().await?;
            return Ok(0);
        };
        let deleted = sqlx::query("DELETE FROM events WHERE id <= $1")
            .bind(max)
            .execute(&mut tx.inner)
            .await?
            .rows_affected();
        sqlx::query(
            "INSERT INTO settings (key, value) VALUES ('events_pruned_through', $1) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .bind(max.to_string())
        .execute(&mut tx.inner)
        .await?;
        tx.commit().await?;
        Ok(deleted)
    }

    /// Hands a live-only event (see `Hub::send_live`) to the other instances: `NOTIFY` on
    /// PostgreSQL (nothing is written); nothing to do on SQLite, which has one instance.
    pub async fn notify_live(&self, notice: &str) -> Result<(), StoreError> {
        if self.backend() == "postgres" {
            sqlx::query("SELECT pg_notify($1, $2)")
                .bind(super::postgres::LIVE_CHANNEL)
                .bind(notice)
                .execute(self.pool())
                .await?;
        }
        Ok(())
    }
}

/// Who an event log row is for, as its columns say: the one mapping from those columns to a
/// [`StoredEvent`]'s audience, for a row read back from the log and for one handed to the hub
/// straight after commit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Routing {
    /// The agent it is for, if one.
    pub agent_id: Option<i64>,
    /// 1 when agents see it (`agent_id`'s, or every agent's when that is none).
    pub to_agents: i64,
    /// The contact it concerns (its visitor's stream reads by it).
    pub contact_id: Option<i64>,
    /// 1 when the contact's visitor sees it.
    pub to_visitor: i64,
}

impl Routing {
    /// A row for no client: the servers' own (see [`Internal`]).
    pub const NOBODY: Routing = Routing {
        agent_id: None,
        to_agents: 0,
        contact_id: None,
        to_visitor: 0,
    };

    /// The routing columns of a log row.
    fn of_row(row: &AnyRow) -> Result<Routing, sqlx::Error> {
        Ok(Routing {
            agent_id: row.try_get("agent_id")?,
            to_agents: row.try_get("to_agents")?,
            contact_id: row.try_get("contact_id")?,
            to_visitor: row.try_get("to_visitor")?,
        })
    }

    /// The event as streams take it: `data` is the envelope (empty for an internal row).
    pub fn stored(
        self,
        id: EventId,
        data: Arc<str>,
        name: &'static str,
        internal: Option<Arc<Internal>>,
    ) -> StoredEvent {
        StoredEvent {
            id,
            agent_id: self.agent_id.map(AgentId),
            to_all_agents: self.to_agents == 1 && self.agent_id.is_none(),
            visitor: if self.to_visitor == 1 {
                self.contact_id.map(ContactId)
            } else {
                None
            },
            data,
            name,
            internal,
        }
    }
}

fn stored_event(row: &AnyRow) -> Result<StoredEvent, sqlx::Error> {
    let id = EventId(row.try_get("id")?);
    let at: i64 = row.try_get("at")?;
    let payload: String = row.try_get("payload")?;
    let routing = Routing::of_row(row)?;
    if routing.to_agents == 0 && routing.to_visitor == 0 {
        if let Ok(internal) = serde_json::from_str::<Internal>(&payload) {
            return Ok(Routing::NOBODY.stored(id, "".into(), "", Some(Arc::new(internal))));
        }
    }
    // Parsed and written again, so that a row from an older version is sent as this one
    // writes events.
    let event: Event =
        serde_json::from_str(&payload).map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
    let event_json = serde_json::to_string(&event).map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
    let data = envelope_json(id, at, &event_json);
    Ok(routing.stored(id, data.into(), event.name(), None))
}

#[cfg(test)]
mod tests {
    use super::{envelope_json, Committed, LogCursor, LogRead, Snapshot, StoredEvent};
    use std::sync::Arc;
    use wire::{ContactId, Event, EventEnvelope, EventId, Party};

    #[test]
    fn envelope_json_is_what_serde_json_writes() {
        let event = Event::Typing {
            contact_id: ContactId(7),
            party: Party::Contact,
            typing: true,
        };
        let envelope = EventEnvelope {
            id: EventId(42),
            at: 1_700_000_000_123,
            event: event.clone(),
        };
        let event_json = serde_json::to_string(&event).expect("event");
        assert_eq!(
            envelope_json(EventId(42), 1_700_000_000_123, &event_json),
            serde_json::to_string(&envelope).expect("envelope")
        );
    }

    fn row(id: i64) -> StoredEvent {
        StoredEvent {
            id: EventId(id),
            agent_id: None,
            to_all_agents: true,
            visitor: None,
            data: Arc::from(""),
            name: "typing",
            internal: None,
        }
    }

    fn ids(taken: &super::Taken) -> Vec<i64> {
        taken.events.iter().map(|e| e.id.0).collect()
    }

    #[test]
    fn committed_hands_out_only_what_continues_from_the_cursor() {
        let committed = Arc::new(Committed::default());
        // Nothing is kept before a hub tails.
        drop(committed.add(&[1], Some(vec![row(1)])));
        assert!(committed.take_after(EventId(0)).events.is_empty());
        committed.start_tailing();
        drop(committed.add(&[3, 4], Some(vec![row(3), row(4)])));
        drop(committed.add(&[5], Some(vec![row(5)])));
        // Ids at or below the cursor are dropped; 3, 4 and 5 follow 2.
        let taken = committed.take_after(EventId(2));
        assert_eq!(ids(&taken), [3, 4, 5]);
        assert!(!taken.read_log);
        // A gap (6 is in the log only) sends the hub to the log, and 7 waits.
        drop(committed.add(&[7], Some(vec![row(7)])));
        let taken = committed.take_after(EventId(5));
        assert!(taken.events.is_empty());
        assert!(taken.read_log);
        assert_eq!(ids(&committed.take_after(EventId(6))), [7]);
        // Events whose ids are not known send the hub to the log.
        drop(committed.add(&[8], None));
        assert!(committed.take_after(EventId(7)).read_log);
        committed.wake_to_read();
        assert!(committed.take_after(EventId(7)).read_log);
        assert!(!committed.take_after(EventId(7)).read_log);
    }

    #[test]
    fn a_gap_this_process_is_committing_is_waited_for_not_read() {
        let committed = Arc::new(Committed::default());
        committed.start_tailing();
        // 11 is being committed here while 12 has committed: the hub waits for 11.
        committed.committing(&[11]);
        committed.committing(&[12]);
        drop(committed.add(&[12], Some(vec![row(12)])));
        let taken = committed.take_after(EventId(10));
        assert!(taken.events.is_empty());
        assert!(!taken.read_log);
        drop(committed.add(&[11], Some(vec![row(11)])));
        assert_eq!(ids(&committed.take_after(EventId(10))), [11, 12]);
        // A commit that failed: the hub reads the log to learn whether 13 is there.
        committed.committing(&[13]);
        drop(committed.add(&[14], Some(vec![row(14)])));
        assert!(!committed.take_after(EventId(12)).read_log);
        committed.abandon(&[13]);
        let taken = committed.take_after(EventId(12));
        assert!(taken.events.is_empty());
        assert!(taken.read_log);
        // And again at each look while the gap is there: nothing here will fill it.
        assert!(committed.take_after(EventId(12)).read_log);
    }

    /// A commit's events reach the hub when its wake is dropped, not before: the send writer
    /// hands the wake to the requester, whose thread wakes the hub.
    #[tokio::test]
    async fn the_hub_is_woken_when_the_commits_wake_is_dropped() {
        let committed = Arc::new(Committed::default());
        committed.start_tailing();
        let wake = committed.add(&[1], Some(vec![row(1)]));
        let woken = || tokio::time::timeout(std::time::Duration::ZERO, committed.notified());
        assert!(woken().await.is_err(), "woken before the wake was dropped");
        drop(wake);
        assert!(woken().await.is_ok(), "not woken when the wake was dropped");
        assert_eq!(ids(&committed.take_after(EventId(0))), [1]);
    }

    fn read(ids: &[i64], snapshot: Option<&str>, full: bool) -> LogRead {
        LogRead {
            events: ids.iter().map(|i| row(*i)).collect(),
            snapshot: snapshot.map(|s| Snapshot::parse(s).expect("snapshot")),
            full,
        }
    }

    fn taken(cursor: &mut LogCursor, r: LogRead) -> Vec<i64> {
        cursor.take(r).iter().map(|e| e.id.0).collect()
    }

    #[test]
    fn snapshots_read_as_postgresql_writes_them() {
        assert!(Snapshot::parse("10:20:")
            .expect("none running")
            .running
            .is_empty());
        let s = Snapshot::parse("10:20:10,14,17").expect("three running");
        assert_eq!(s.running, [10, 14, 17]);
        assert_eq!(s.xmax, 20);
        assert!(Snapshot::parse("10:20").is_err());
        assert!(Snapshot::parse("10:20:1x").is_err());
        assert!(Snapshot::parse("10:2x:1").is_err());
        assert!(Snapshot::parse("10:20:1:2").is_err());
        // 25 was given after the snapshot: everything running then had a smaller id.
        let later = |t: &str| Snapshot::parse(t).expect("later");
        assert!(s.ended_by(25, &later("18:26:18,25")));
        assert!(!s.ended_by(25, &later("14:26:14")));
        // 21 was not listed (above xmax 20: given after the newest that had ended) and may
        // have been running: it still is.
        assert!(!s.ended_by(25, &later("18:26:21")));
        // A later snapshot whose xmax is not past the bound cannot say that 20 to 24 ended.
        assert!(!s.ended_by(25, &later("18:24:")));
    }

    #[test]
    fn the_cursor_stops_at_a_gap_until_what_was_running_has_ended() {
        // SQLite: every id read is settled, gaps and all.
        let mut cursor = LogCursor::new(EventId(0));
        assert_eq!(taken(&mut cursor, read(&[1, 3, 4], None, false)), [1, 3, 4]);
        assert!(!cursor.waiting());

        // PostgreSQL: 12 is seen while 11 is not; transaction 900 was running.
        let mut cursor = LogCursor::new(EventId(10));
        let seen = read(&[12, 13], Some("900:905:900,903"), false);
        assert!(taken(&mut cursor, seen).is_empty());
        assert!(cursor.waiting());
        assert!(cursor.needs_bound());
        cursor.bound(906);
        assert!(!cursor.needs_bound());
        assert_eq!(cursor.at, EventId(10));
        // 903 has ended, 900 still runs: 12 still waits, and nothing newer passes it.
        let again = read(&[12, 13, 14], Some("900:910:900"), false);
        assert!(taken(&mut cursor, again).is_empty());
        // 11 committed meanwhile: it and what follows go, in order.
        let filled = read(&[11, 12, 13, 14], Some("900:910:900"), false);
        assert_eq!(taken(&mut cursor, filled), [11, 12, 13, 14]);
        assert!(!cursor.waiting());

        // 16 seen, 15 missing; nothing listed running, but 950 (given after the newest that
        // had ended) may hold 15: without a bound nothing settles.
        let seen = read(&[16, 17], Some("950:950:"), false);
        assert!(taken(&mut cursor, seen).is_empty());
        let early = read(&[16, 17], Some("950:951:950"), false);
        assert!(taken(&mut cursor, early).is_empty());
        cursor.bound(952);
        let still = read(&[16, 17], Some("950:953:950"), false);
        assert!(taken(&mut cursor, still).is_empty());
        // Once 950 has ended without 15, 16 and 17 go.
        let settled = read(&[16, 17, 19], Some("961:970:"), false);
        assert_eq!(taken(&mut cursor, settled), [16, 17]);
        // 18 is missing above what was settled: a new wait, with the newer snapshot.
        assert!(cursor.waiting());
        assert!(cursor.needs_bound());
        cursor.bound(971);
        let settled = read(&[19], Some("971:980:"), false);
        assert_eq!(taken(&mut cursor, settled), [19]);
        assert_eq!(cursor.at, EventId(19));
    }

    #[test]
    fn a_gap_left_by_a_rollback_is_passed_once_settled() {
        let mut cursor = LogCursor::new(EventId(0));
        assert!(taken(&mut cursor, read(&[2], Some("5:9:5"), false)).is_empty());
        cursor.bound(9);
        // Transaction 5 ended without 1 (rolled back): 2 goes.
        assert_eq!(taken(&mut cursor, read(&[2], Some("9:9:"), false)), [2]);
        assert_eq!(cursor.at, EventId(2));
        // A full read (more may follow at once) that settles 3 and 4 as never coming.
        let mut cursor = LogCursor::new(EventId(2));
        assert!(taken(&mut cursor, read(&[5], Some("7:9:7"), true)).is_empty());
        cursor.bound(9);
        assert_eq!(taken(&mut cursor, read(&[5], Some("9:9:"), true)), [5]);
        assert_eq!(cursor.at, EventId(5));
    }
}
