//! The event log as the live streams read it: the head, the floor left by pruning, the events
//! after an id (for everyone, or for one agent or visitor), and pruning.

use super::{Store, StoreError, TicketScope};
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
}

impl Store {
    /// The newest event id (0 when the log is empty).
    pub async fn event_head(&self) -> Result<EventId, StoreError> {
        let id: i64 = sqlx::query("SELECT COALESCE(MAX(id), 0) AS head FROM events")
            .fetch_one(&self.pool)
            .await?
            .try_get("head")?;
        Ok(EventId(id))
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

    /// Events after `after` that one agent or one visitor sees, oldest first, at most `limit`.
    pub async fn events_for(
        &self,
        scope: TicketScope,
        after: EventId,
        limit: i64,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        let rows = match scope {
            TicketScope::Agent(agent) => sqlx::query(
                "SELECT id, at, agent_id, to_agents, contact_id, to_visitor, payload FROM events \
                     WHERE id > $1 AND to_agents = 1 AND (agent_id IS NULL OR agent_id = $2) \
                     ORDER BY id LIMIT $3",
            )
            .bind(after.0)
            .bind(agent.0)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?,
            TicketScope::Visitor(contact) => sqlx::query(
                "SELECT id, at, agent_id, to_agents, contact_id, to_visitor, payload FROM events \
                     WHERE id > $1 AND to_visitor = 1 AND contact_id = $2 ORDER BY id LIMIT $3",
            )
            .bind(after.0)
            .bind(contact.0)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?,
        };
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
    })
}
