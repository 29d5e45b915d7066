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

use super::{Store, StoreError, TicketScope};
use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;
use sqlx::Row;
use std::collections::BTreeMap;
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
/// the ids, events dropped over [`MAX_KEPT`]), when another instance wakes it, and on its
/// poll; so the order and the completeness of every stream stay those of the log.
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
    /// The rendered events by id, until the hub takes them.
    events: Mutex<BTreeMap<EventId, Arc<StoredEvent>>>,
}

/// What [`Committed::take_after`] hands the hub.
#[derive(Debug, Default)]
pub struct Taken {
    /// Events that continue from the cursor without a gap, oldest first.
    pub events: Vec<Arc<StoredEvent>>,
    /// Whether the log must be read too (see [`Committed`]).
    pub read_log: bool,
}

impl Committed {
    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<EventId, Arc<StoredEvent>>> {
        self.events
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Records events just committed (rendered, with the ids the log gave them; none when
    /// their ids are not known) and wakes the hub.
    pub(super) fn add(&self, events: Option<Vec<StoredEvent>>) {
        match events {
            Some(events) if self.tailed.load(Ordering::Acquire) => {
                let mut kept = self.lock();
                for e in events {
                    kept.insert(e.id, Arc::new(e));
                }
                while kept.len() > MAX_KEPT {
                    kept.pop_first();
                }
            }
            Some(_) => {}
            None => self.read_log.store(true, Ordering::Release),
        }
        self.wake.notify_one();
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
        while let Some((&id, _)) = kept.first_key_value() {
            if id <= next {
                kept.pop_first();
            } else if id.0 == next.0 + 1 {
                if let Some((_, e)) = kept.pop_first() {
                    events.push(e);
                }
                next = id;
            } else {
                // A gap: the ids between are in the log only.
                read_log = true;
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

/// An agent's events after `$1` (`$2` the agent, `$3` the limit): two range reads of the index
/// `events_agent` (theirs, and those for every agent), merged by id.
pub const AGENT_EVENTS_SQL: &str =
    "SELECT id, at, agent_id, to_agents, contact_id, to_visitor, payload \
     FROM events WHERE agent_id = $2 AND id > $1 AND to_agents = 1 \
     UNION ALL SELECT id, at, agent_id, to_agents, contact_id, to_visitor, payload \
     FROM events WHERE agent_id IS NULL AND id > $1 AND to_agents = 1 \
     ORDER BY id LIMIT $3";

/// Every event for agents or visitors after `$1` (`$2` the limit): the supervisor's board
/// stream (a chat waiting in the queue is told only to its visitor, yet it changes the board).
pub const BOARD_EVENTS_SQL: &str =
    "SELECT id, at, agent_id, to_agents, contact_id, to_visitor, payload \
     FROM events WHERE id > $1 AND (to_agents = 1 OR to_visitor = 1) ORDER BY id LIMIT $2";

/// A visitor's events after `$1` (`$2` the contact, `$3` the limit): a range read of the index
/// `events_contact`.
pub const VISITOR_EVENTS_SQL: &str =
    "SELECT id, at, agent_id, to_agents, contact_id, to_visitor, payload \
     FROM events WHERE contact_id = $2 AND id > $1 AND to_visitor = 1 ORDER BY id LIMIT $3";

impl Store {
    /// The newest event id the log has given (0 when it never held one).
    pub async fn event_head(&self) -> Result<EventId, StoreError> {
        let id: i64 = sqlx::query("SELECT COALESCE(MAX(id), 0) AS head FROM events")
            .fetch_one(&self.pool)
            .await?
            .try_get("head")?;
        // A fully pruned log has no rows but has given ids up to its floor.
        Ok(EventId(id).max(self.event_floor().await?))
    }

    /// The oldest id a replay can start after: a `Last-Event-ID` below this missed events the
    /// log no longer has.
    pub async fn event_floor(&self) -> Result<EventId, StoreError> {
        let row = sqlx::query("SELECT value FROM settings WHERE key = 'events_pruned_through'")
            .fetch_optional(&self.pool)
            .await?;
        let floor = match row {
            Some(r) => r.try_get::<String, _>("value")?.parse().unwrap_or(0),
            None => 0,
        };
        Ok(EventId(floor))
    }

    /// Events after `after`, oldest first, at most `limit`.
    pub async fn events_after(
        &self,
        after: EventId,
        limit: i64,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, at, agent_id, to_agents, contact_id, to_visitor, payload FROM events \
             WHERE id > $1 ORDER BY id LIMIT $2",
        )
        .bind(after.0)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(stored_event).collect::<Result<_, _>>()?)
    }

    /// Events after `after` that one agent, one visitor or a board sees, oldest first, at most
    /// `limit`.
    pub async fn events_for(
        &self,
        scope: TicketScope,
        after: EventId,
        limit: i64,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        let query = match scope {
            TicketScope::Agent(agent) => sqlx::query(AGENT_EVENTS_SQL).bind(after.0).bind(agent.0),
            TicketScope::Visitor(contact) => sqlx::query(VISITOR_EVENTS_SQL)
                .bind(after.0)
                .bind(contact.0),
            TicketScope::Board(_) => sqlx::query(BOARD_EVENTS_SQL).bind(after.0),
        };
        let rows = query.bind(limit).fetch_all(&self.pool).await?;
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
    use super::{envelope_json, Committed, StoredEvent};
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
        let committed = Committed::default();
        // Nothing is kept before a hub tails.
        committed.add(Some(vec![row(1)]));
        assert!(committed.take_after(EventId(0)).events.is_empty());
        committed.start_tailing();
        committed.add(Some(vec![row(3), row(4)]));
        committed.add(Some(vec![row(5)]));
        // Ids at or below the cursor are dropped; 3, 4 and 5 follow 2.
        let taken = committed.take_after(EventId(2));
        assert_eq!(ids(&taken), [3, 4, 5]);
        assert!(!taken.read_log);
        // A gap (6 is in the log only) sends the hub to the log, and 7 waits.
        committed.add(Some(vec![row(7)]));
        let taken = committed.take_after(EventId(5));
        assert!(taken.events.is_empty());
        assert!(taken.read_log);
        assert_eq!(ids(&committed.take_after(EventId(6))), [7]);
        // Events whose ids are not known send the hub to the log.
        committed.add(None);
        assert!(committed.take_after(EventId(7)).read_log);
        committed.wake_to_read();
        assert!(committed.take_after(EventId(7)).read_log);
        assert!(!committed.take_after(EventId(7)).read_log);
    }
}
