//! The database. [`Store`] runs every query over one connection pool. Nearly all SQL is
//! shared by both backends (`$N` placeholders work in both); what differs — migrations, row
//! locks, full-text search, ordering the event log across instances — sits behind the
//! [`Dialect`] trait, implemented by [`sqlite::Sqlite`] and [`postgres::Postgres`].
//!
//! # Layout
//! - this file: connecting, migrating, write transactions ([`Tx`]) and the event log.
//! - `agents`: agents, sessions, status, presence, stream tickets.
//! - `contacts`: contacts, identities, visitor tokens, the Contacts list.
//! - `interactions`: the interaction life (accept, reject, end, done, reactivate).
//! - `messages`: sending, the conversation, search, receipts.
//! - `attachments`, `catalog` (standard responses, dispositions, reasons), `routing`.

mod agents;
mod attachments;
mod catalog;
mod contacts;
mod error;
mod history;
mod interactions;
mod messages;
pub mod postgres;
mod routing;
mod rows;
mod sends;
mod sql;
pub mod sqlite;
mod transitions;

pub use agents::{SessionAgent, TicketScope};
pub use attachments::{NewAttachment, StoredFile};
pub use contacts::ContactListQuery;
pub use error::StoreError;
pub use history::{ImportedInteraction, ImportedMessage};
pub use interactions::EndedBy;
pub use messages::{ChannelFilter, Sender, StoredMessage, VisitorSendOptions};
pub use routing::{RoutingOutcome, RoutingTimes};

use crate::util::now_ms;
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{Any, AnyPool, Row};
use std::sync::Arc;
use tokio::sync::{Mutex, Notify, OwnedMutexGuard};
use wire::{AgentId, ContactId, Event, EventId};

/// The SQL that differs between SQLite and PostgreSQL.
pub trait Dialect: Send + Sync + 'static {
    /// `sqlite` or `postgres`.
    fn name(&self) -> &'static str;
    /// The migrations for this backend.
    fn migrator(&self) -> sqlx::migrate::Migrator;
    /// Appended to a `SELECT` that must lock the rows it reads until commit.
    fn for_update(&self) -> &'static str;
    /// Appended to a `SELECT` that takes rows no other transaction holds (queue claim).
    fn for_update_skip_locked(&self) -> &'static str;
    /// A condition true when message `m` matches the search in parameter `$n`.
    fn search_condition(&self, n: usize) -> String;
    /// The message search: appends to `b` (which selects from `messages m`, joined to
    /// `interactions i`) the joins and the `WHERE` that keep the messages matching `param`
    /// (from [`Dialect::search_param`]), of `contact` only if given. Returns the column that
    /// orders them newest first, for `ORDER BY … DESC` and paging below an id.
    fn push_message_search(
        &self,
        b: &mut sql::SqlBuilder,
        param: String,
        contact: Option<ContactId>,
    ) -> &'static str;
    /// Turns what a person typed into the search parameter (bound, never spliced into SQL).
    /// `None` when nothing searchable is left.
    fn search_param(&self, q: &str) -> Option<String>;
    /// Statements run in a write transaction just before its events are written (at commit),
    /// so that event ids become visible in order (PostgreSQL: a transaction-scoped advisory
    /// lock).
    fn before_event_sql(&self) -> Option<&'static str>;
    /// A statement that wakes other instances after commit (PostgreSQL `NOTIFY`).
    fn after_event_sql(&self) -> Option<&'static str>;
    /// Statements run on every new connection.
    fn connection_setup(&self) -> &'static [&'static str];
    /// Whether writes in this process must be serialised (SQLite has one writer).
    fn single_writer(&self) -> bool;
    /// Largest pool.
    fn max_connections(&self) -> u32;
    /// How many transactions of batched sends may be written at once (see `sends`).
    fn send_writers(&self) -> usize;
}

/// Who sees an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Audience {
    /// One agent, or (with `all_agents`) every agent; neither: no agent.
    pub agent: Option<AgentId>,
    /// Every agent.
    pub all_agents: bool,
    /// The visitor(s) of this contact.
    pub visitor: Option<ContactId>,
    /// The contact the event is about (kept for visitor scoping and diagnostics).
    pub contact: Option<ContactId>,
}

impl Audience {
    /// One agent only.
    pub fn agent(id: AgentId) -> Self {
        Audience {
            agent: Some(id),
            all_agents: false,
            visitor: None,
            contact: None,
        }
    }
    /// Every agent.
    pub fn all_agents() -> Self {
        Audience {
            agent: None,
            all_agents: true,
            visitor: None,
            contact: None,
        }
    }
    /// The contact's visitor only.
    pub fn visitor(contact: ContactId) -> Self {
        Audience {
            agent: None,
            all_agents: false,
            visitor: Some(contact),
            contact: Some(contact),
        }
    }
    /// An agent (if any) and the contact's visitor.
    pub fn both(agent: Option<AgentId>, contact: ContactId) -> Self {
        Audience {
            agent,
            all_agents: false,
            visitor: Some(contact),
            contact: Some(contact),
        }
    }
}

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

/// The database handle. Cheap to clone.
#[derive(Clone)]
pub struct Store {
    /// The pool every query runs on (one pool per process, never a connection per request).
    pool: AnyPool,
    /// The backend's SQL differences.
    dialect: Arc<dyn Dialect>,
    /// Serialises write transactions where the backend has a single writer (SQLite), so
    /// deferred transactions never fail to upgrade their lock.
    write_lock: Option<Arc<Mutex<()>>>,
    /// Woken after a commit that appended events, so the hub tails the log at once.
    events_written: Arc<Notify>,
    /// Sends waiting to be written together (group commit, see `sends`).
    sends: Arc<sends::SendQueue>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.dialect.name())
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Connects to `url` (`sqlite:` or `postgres:`) and runs the migrations.
    pub async fn connect(url: &str) -> Result<Store, crate::ServeError> {
        sqlx::any::install_default_drivers();
        let dialect: Arc<dyn Dialect> =
            if url.starts_with("postgres:") || url.starts_with("postgresql:") {
                Arc::new(postgres::Postgres)
            } else if url.starts_with("sqlite:") {
                Arc::new(sqlite::Sqlite)
            } else {
                return Err(crate::ServeError::Other(
                    "the database URL must start with sqlite: or postgres:".to_owned(),
                ));
            };
        let setup = dialect.connection_setup();
        let pool = AnyPoolOptions::new()
            .max_connections(dialect.max_connections())
            .min_connections(1)
            .acquire_timeout(std::time::Duration::from_secs(10))
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    for stmt in setup {
                        sqlx::query(stmt).execute(&mut *conn).await?;
                    }
                    Ok(())
                })
            })
            .connect(url)
            .await?;
        dialect.migrator().run(&pool).await?;
        let write_lock = dialect.single_writer().then(|| Arc::new(Mutex::new(())));
        Ok(Store {
            pool,
            dialect,
            write_lock,
            events_written: Arc::new(Notify::new()),
            sends: Arc::default(),
        })
    }

    /// The backend's name.
    pub fn backend(&self) -> &'static str {
        self.dialect.name()
    }

    /// The pool, for reads.
    pub(crate) fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// The dialect.
    pub(crate) fn dialect(&self) -> &dyn Dialect {
        &*self.dialect
    }

    /// Woken after commits that appended events.
    pub fn events_written(&self) -> Arc<Notify> {
        self.events_written.clone()
    }

    /// Closes the pool.
    pub async fn close(&self) {
        self.pool.close().await;
    }

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
