//! Write transactions: [`Tx`] holds the events a change appends and writes them to the log at
//! commit, in the same transaction as the change.

use super::{sql, Audience, Dialect, Store, StoreError};
use crate::util::now_ms;
use sqlx::Any;
use std::sync::Arc;
use tokio::sync::{Notify, OwnedMutexGuard};
use wire::Event;

impl Store {
    /// Starts a write transaction.
    pub async fn begin(&self) -> Result<Tx, StoreError> {
        let guard = match &self.write_lock {
            Some(lock) => Some(lock.clone().lock_owned().await),
            None => None,
        };
        let inner = self.pool.begin().await?;
        Ok(Tx {
            inner,
            _guard: guard,
            events: Vec::new(),
            dialect: self.dialect.clone(),
            events_written: self.events_written.clone(),
        })
    }
}

/// An event appended by [`Tx::emit`], written to the log when the transaction commits.
struct PendingEvent {
    at: i64,
    agent_id: Option<i64>,
    to_agents: i64,
    contact_id: Option<i64>,
    to_visitor: i64,
    payload: String,
}

/// Rows of the event log written by one `INSERT` at commit.
const EVENT_ROWS_PER_INSERT: usize = 64;

/// A write transaction. Append events with [`Tx::emit`]; they are written to the log just
/// before [`Tx::commit`] commits, become visible to the live streams when it succeeds, and
/// vanish with the change if it does not.
///
/// Events are held in memory until commit so that the log is written last: on PostgreSQL the
/// ordering lock is then the last lock a transaction takes and is held only for the few
/// statements before `COMMIT` (never while waiting for a row lock), and many events go into
/// one statement (see [`Store::send_as_contact`] for transactions holding many sends).
pub struct Tx {
    /// The database transaction.
    pub(crate) inner: sqlx::Transaction<'static, Any>,
    /// Held until commit where the backend has a single writer.
    _guard: Option<OwnedMutexGuard<()>>,
    /// Events appended so far, written at commit.
    events: Vec<PendingEvent>,
    /// The backend's SQL differences.
    dialect: Arc<dyn Dialect>,
    /// Woken after commit when events were appended.
    events_written: Arc<Notify>,
}

impl Tx {
    /// Appends an event to the log in this transaction (written at commit).
    pub fn emit(&mut self, audience: Audience, event: &Event) -> Result<(), StoreError> {
        let payload = serde_json::to_string(event).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
        self.events.push(PendingEvent {
            at: now_ms(),
            agent_id: audience.agent.map(|a| a.0),
            to_agents: i64::from(audience.agent.is_some() || audience.all_agents),
            contact_id: audience.contact.or(audience.visitor).map(|c| c.0),
            to_visitor: i64::from(audience.visitor.is_some()),
            payload,
        });
        Ok(())
    }

    /// Appends a row only the servers read (see [`super::Internal`]): for no agent and no
    /// visitor, so it is never sent to a client; every instance's hub acts on it.
    pub(crate) fn emit_internal(&mut self, internal: &super::Internal) -> Result<(), StoreError> {
        let payload =
            serde_json::to_string(internal).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
        self.events.push(PendingEvent {
            at: now_ms(),
            agent_id: None,
            to_agents: 0,
            contact_id: None,
            to_visitor: 0,
            payload,
        });
        Ok(())
    }

    /// Writes the pending events: the ordering lock first (PostgreSQL), then the rows, oldest
    /// first, several to a statement. Whether there were any.
    async fn write_events(&mut self) -> Result<bool, StoreError> {
        if self.events.is_empty() {
            return Ok(false);
        }
        if let Some(sql) = self.dialect.before_event_sql() {
            sqlx::query(sql).execute(&mut *self.inner).await?;
        }
        for chunk in self.events.chunks(EVENT_ROWS_PER_INSERT) {
            let sql = format!(
                "INSERT INTO events (at, agent_id, to_agents, contact_id, to_visitor, payload) VALUES {}",
                sql::values_rows(chunk.len(), 6, &[1, 2, 3, 4, 5, 6])
            );
            let mut q = sqlx::query(&sql);
            for e in chunk {
                q = q
                    .bind(e.at)
                    .bind(e.agent_id)
                    .bind(e.to_agents)
                    .bind(e.contact_id)
                    .bind(e.to_visitor)
                    .bind(e.payload.as_str());
            }
            q.execute(&mut *self.inner).await?;
        }
        if let Some(sql) = self.dialect.after_event_sql() {
            sqlx::query(sql).execute(&mut *self.inner).await?;
        }
        Ok(true)
    }

    /// Writes the pending events and commits; wakes the event hub when events were appended.
    pub async fn commit(mut self) -> Result<(), StoreError> {
        let wrote_events = self.write_events().await?;
        let notify = self.events_written.clone();
        self.inner.commit().await?;
        if wrote_events {
            notify.notify_one();
        }
        Ok(())
    }

    /// Rolls back.
    pub async fn rollback(self) -> Result<(), StoreError> {
        Ok(self.inner.rollback().await?)
    }

    /// Opens a savepoint: what follows can be undone by [`Tx::rollback_to_savepoint`] with
    /// the returned mark, leaving the rest of the transaction as it was.
    pub(crate) async fn savepoint(&mut self) -> Result<usize, StoreError> {
        sqlx::query("SAVEPOINT send")
            .execute(&mut *self.inner)
            .await?;
        Ok(self.events.len())
    }

    /// Keeps what was done since [`Tx::savepoint`].
    pub(crate) async fn release_savepoint(&mut self) -> Result<(), StoreError> {
        sqlx::query("RELEASE SAVEPOINT send")
            .execute(&mut *self.inner)
            .await?;
        Ok(())
    }

    /// Undoes what was done since [`Tx::savepoint`] (which returned `mark`), the events it
    /// appended included, and closes the savepoint.
    pub(crate) async fn rollback_to_savepoint(&mut self, mark: usize) -> Result<(), StoreError> {
        self.events.truncate(mark);
        sqlx::query("ROLLBACK TO SAVEPOINT send")
            .execute(&mut *self.inner)
            .await?;
        sqlx::query("RELEASE SAVEPOINT send")
            .execute(&mut *self.inner)
            .await?;
        Ok(())
    }

    /// The dialect.
    pub(crate) fn dialect(&self) -> &dyn Dialect {
        &*self.dialect
    }
}
