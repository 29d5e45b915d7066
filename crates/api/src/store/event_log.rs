//! The event log as the live streams read it: the head, the floor left by pruning, the events
//! after an id (for everyone, or for one agent or visitor), and pruning. Besides the events
//! clients see, the log carries [`Internal`] rows that the instances tell each other (a row for
//! no agent and no visitor, so no replay ever sends one).

use super::{Store, StoreError, TicketScope};
use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;
use sqlx::Row;
use std::sync::Arc;
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
            .fetch_one(&mut *tx.inner)
            .await?
            .try_get("m")?;
        let Some(max) = max else {
            tx.rollback().await?;
            return Ok(0);
        };
        let deleted = sqlx::query("DELETE FROM events WHERE id <= $1")
            .bind(max)
            .execute(&mut *tx.inner)
            .await?
            .rows_affected();
        sqlx::query(
            "INSERT INTO settings (key, value) VALUES ('events_pruned_through', $1) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .bind(max.to_string())
        .execute(&mut *tx.inner)
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

fn stored_event(row: &AnyRow) -> Result<StoredEvent, sqlx::Error> {
    let id: i64 = row.try_get("id")?;
    let at: i64 = row.try_get("at")?;
    let payload: String = row.try_get("payload")?;
    let for_nobody =
        row.try_get::<i64, _>("to_agents")? == 0 && row.try_get::<i64, _>("to_visitor")? == 0;
    if for_nobody {
        if let Ok(internal) = serde_json::from_str::<Internal>(&payload) {
            return Ok(StoredEvent {
                id: EventId(id),
                agent_id: None,
                to_all_agents: false,
                visitor: None,
                data: "".into(),
                name: "",
                internal: Some(Arc::new(internal)),
            });
        }
    }
    let event: Event =
        serde_json::from_str(&payload).map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
    let name = event.name();
    let envelope = wire::EventEnvelope {
        id: EventId(id),
        at,
        event,
    };
    let data = serde_json::to_string(&envelope).map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
    Ok(StoredEvent {
        id: EventId(id),
        agent_id: row.try_get::<Option<i64>, _>("agent_id")?.map(AgentId),
        to_all_agents: row.try_get::<i64, _>("to_agents")? == 1
            && row.try_get::<Option<i64>, _>("agent_id")?.is_none(),
        visitor: if row.try_get::<i64, _>("to_visitor")? == 1 {
            row.try_get::<Option<i64>, _>("contact_id")?.map(ContactId)
        } else {
            None
        },
        data: data.into(),
        name,
        internal: None,
    })
}
