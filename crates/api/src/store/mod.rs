//! The database. [`Store`] runs every query over one connection pool. Nearly all SQL is
//! shared by both backends (`$N` placeholders work in both); what differs — migrations, row
//! locks, full-text search, ordering the event log across instances — sits behind the
//! [`Dialect`] trait, implemented by [`sqlite::Sqlite`] and [`postgres::Postgres`].
//!
//! # Layout
//! - this file: the [`Dialect`] trait, [`Audience`], [`Store`] (connecting, migrating).
//! - `error`: [`StoreError`], what every store operation fails with (no HTTP statuses here).
//! - `tx`: write transactions ([`Tx`]) that write their events to the log at commit.
//! - `event_log`: reading the event log for the live streams, the events this process
//!   committed handed to its hub without reading them back ([`Committed`]), pruning.
//! - `accounts`: account administration (create, change, deactivate, reset password), the
//!   import of standard responses, reading the audit log; each change audited.
//! - `agents`: agents, sessions, status, presence, stream tickets.
//! - `embed`: a portal's single-use login tokens and their exchange for a session.
//! - `contacts`: contacts, identities, visitor tokens, the Contacts list.
//! - `erasure`: erasing a contact and everything kept of them, at their request; `export`:
//!   reading it all, for their request to see it.
//! - `transitions`: the only writer of an interaction's state (checked against
//!   `wire::lifecycle`), and the capacity rule as SQL.
//! - `interactions`: the interaction commands (accept, reject, end, Mark Done, handle time,
//!   `Chat`, typing) and the reads and locks they start with.
//! - `interaction_steps`: steps shared by commands and sends (activate, requeue, end, take or
//!   reactivate, the record of a message written with no chat open).
//! - `offers`: making offers (routing's queries), expiring them, releasing reservations.
//! - `transfers`: Transfer to a colleague or the queue (and a supervisor's reassign), the
//!   transfer record an offer carries, giving a transfer nobody took back; the colleagues list.
//! - `messages`: writing one message into a conversation (`seq`, summary, event).
//! - `sending`: agent and visitor sends, idempotent by client id; `sends`: their group commit;
//!   `held`: a PostgreSQL send writer's own connection.
//! - `inbound`: messages from a platform's webhook (Messenger): the sender's contact found or
//!   made, then the visitor's send, all of a webhook in one transaction.
//! - `outbox`: an agent's message to Messenger or X: checked and queued with the message,
//!   claimed and recorded by the worker, retried by an agent.
//! - `conversation`: pages of a conversation, and search.
//! - `receipts`: delivered/read receipts, typing, the visitor's unread count.
//! - `rows`: the SELECTs that build the wire views, and their row mappers.
//! - `history`: importing finished interactions.
//! - `reports`: handle-time reports (chats, handle, first response and wait times) in SQL.
//! - `author`: [`AuthorKey`], who wrote a message or uploaded a file, as stored.
//! - `audit`: the audit log, written by [`Tx::audit`] in the changing transaction.
//! - `board`: the supervisor's board snapshot; `supervision`: setting an agent Not Ready,
//!   logging them out; `monitors`: who watches which live chat (ended with the chat session,
//!   in `transitions`, and with the supervisor's session, in `agents::end_streams`).
//! - `attachments`, `catalog` (standard responses, dispositions, reasons).
//! - `sql`: a builder for statements with bound values; `sqlite`, `postgres`: the dialects.

mod accounts;
mod agents;
mod attachments;
mod audit;
mod author;
mod backup;
mod board;
mod catalog;
mod catalog_admin;
mod channel_settings;
mod contacts;
mod conversation;
mod departures;
mod direct;
mod embed;
mod erasure;
mod error;
mod event_log;
mod export;
mod held;
mod history;
mod inbound;
mod interaction_steps;
mod interactions;
mod links;
mod messages;
mod metrics;
mod monitors;
mod offers;
mod outbox;
pub mod postgres;
mod receipts;
mod reports;
mod rows;
pub mod search_index;
mod sending;
mod sends;
mod sql;
pub mod sqlite;
mod supervision;
mod transfers;
mod transitions;
mod tx;

pub use accounts::{AuditQuery, ImportedResponse};
pub use agents::{Redeemed, SessionAgent, TicketScope};
pub use attachments::{NewAttachment, StoredFile};
pub use audit::AuditEntry;
pub use author::AuthorKey;
pub use backup::{check_copy, BackupContents};
pub use catalog_admin::CodeKind;
pub use channel_settings::{ChannelCache, ChannelDefaults};
pub use contacts::{ContactListQuery, VisitorToken};
pub use conversation::ChannelFilter;
pub use embed::{EmbedExchange, EmbedIssueRefusal, EmbedLoginRefusal, NewEmbedToken};
pub use error::StoreError;
pub use event_log::{
    Committed, Internal, LogBounds, LogCursor, LogGap, LogRead, Snapshot, StoredEvent, Taken,
    AGENT_EVENTS_SQL, BOARD_EVENTS_SQL, RESTORE_GAP, SETTLE_POLL, VISITOR_EVENTS_SQL,
};
pub use history::{ImportedInteraction, ImportedMessage};
pub use inbound::{InboundEdit, InboundMessage};
pub use metrics::StoreGauges;
pub use offers::{OfferOutcome, OfferTimes};
pub use outbox::{OutboxJob, SendOutcome};
pub use receipts::{PlatformReceipt, MAX_RECEIPT_IDS};
pub use reports::{report_sql, ReportKey, ReportLine, ReportQuery};
pub use sending::{AgentSend, StoredMessage, VisitorSendOptions};
pub use transfers::TransferBy;
use tx::Conn;
pub use tx::Tx;

use sqlx::any::AnyPoolOptions;
use sqlx::AnyPool;
use std::sync::Arc;
use tokio::sync::Mutex;
use wire::{AgentId, ContactId};

/// The event log's columns a commit writes, in the order `Tx` binds them.
pub const EVENT_COLUMNS: &str = "at, agent_id, to_agents, contact_id, to_visitor, payload";

/// How the statement that appends events to the log takes them (see
/// [`Dialect::append_events_sql`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventsBound {
    /// A `VALUES` row of six parameters an event, at most 64 to a statement: a statement of
    /// its own for each number of rows.
    Values,
    /// One parameter for all of them, a JSON array of six-element arrays in
    /// [`EVENT_COLUMNS`]' order: one statement whatever their number, so a connection
    /// parses and plans it once (PostgreSQL plans each new statement on each connection).
    Json,
}

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
    /// The expression of a row's version (PostgreSQL's `xmin`), by which one statement that
    /// reads and locks can tell whether the row it locked is newer than what it read (it
    /// waited for a holder that has committed since the statement began); `None` where a
    /// lock is never waited for (SQLite's one writer).
    fn row_version(&self) -> Option<&'static str>;
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
    /// How the full-text index catches up with the messages where it is written apart from
    /// them (see `search_index`); `None` where it is written with each message.
    fn search_backlog(&self) -> Option<&'static search_index::Backlog>;
    /// Turns what a person typed into the search parameter (bound, never spliced into SQL).
    /// `None` when nothing searchable is left.
    fn search_param(&self, q: &str) -> Option<String>;
    /// How [`Dialect::append_events_sql`] takes its events.
    fn events_bound(&self) -> EventsBound;
    /// The statement that appends `rows` events (of [`EVENT_COLUMNS`], bound as
    /// [`Dialect::events_bound`] says) to the event log at commit and tells their ids, in
    /// their order, in one round trip; `returning` is what ends a plain `INSERT` on the
    /// transaction's connection to return them ([`Tx::returning_id`]), which a statement that
    /// returns them anyway leaves out. On PostgreSQL it also makes sure the transaction has
    /// its id before the rows draw theirs (see [`event_log::LogCursor`]), and wakes the other
    /// instances (`NOTIFY`, sent at commit).
    fn append_events_sql(&self, rows: usize, returning: &str) -> String;
    /// The SQL expression for the transactions running now, as text, where event ids may
    /// become visible out of order (see [`event_log::LogCursor`]); `None` where they become
    /// visible in the order they were drawn.
    fn log_snapshot(&self) -> Option<&'static str>;
    /// Whether one statement may both change a row and insert with what it returned (a
    /// `WITH … UPDATE … RETURNING` feeding an `INSERT`): saves a round trip where it can.
    fn writable_ctes(&self) -> bool;
    /// What this process's wakes of the other instances carry (see
    /// [`Dialect::append_events_sql`]), so that its own listener ignores them; `None` where
    /// there are no other instances to wake.
    fn wake_tag(&self) -> Option<&str>;
    /// The newest row id `table` has given (its rows may have left since), as column
    /// `given`. `table` is one of the schema's names, never a caller's text.
    fn ids_given_sql(&self, table: &'static str) -> String;
    /// The statements that make `table` give its next row ids after `$1`.
    fn skip_ids_sql(&self, table: &'static str) -> Vec<String>;
    /// Statements run on every new connection.
    fn connection_setup(&self) -> &'static [&'static str];
    /// What begins a send writer's transaction on a pooled connection, when not `BEGIN`.
    fn send_begin(&self) -> Option<&'static str>;
    /// What begins a transaction that holds the backend's write lock from its first
    /// statement, where a transaction that reads first can be refused its first write
    /// because another process committed since its read (SQLite); none where writes lock
    /// rows and wait (PostgreSQL).
    fn begin_locked(&self) -> Option<&'static str>;
    /// The statements that make a transaction's deletes overwrite with zeros every page they
    /// free, not only the space freed in pages written anyway, and that set it back (SQLite's
    /// `secure_delete`, for an erasure); none where the backend has no such setting.
    fn zeroing_deletes(&self) -> Option<(&'static str, &'static str)>;
    /// Whether writes in this process must be serialised (SQLite has one writer).
    fn single_writer(&self) -> bool;
    /// Largest pool.
    fn max_connections(&self) -> u32;
    /// Connections the pool keeps open even when idle.
    fn min_connections(&self) -> u32;
    /// After how long unused the pool pings a connection before handing it out, to find one
    /// the server closed meanwhile (a round trip; the pool already pings each connection it
    /// takes back, so a busy connection is known to be alive). `None`: never.
    fn ping_after_idle(&self) -> Option<std::time::Duration>;
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
    /// The contact whose visitor sees it or whom it is about; where neither is given, the
    /// event's own ([`wire::Event::contact`]). Kept in the log beside the event, so that
    /// erasing a contact finds every event that names them.
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
    /// The events this process commits, handed to its hub at once (see [`Committed`]).
    committed: Arc<Committed>,
    /// Sends waiting to be written together (group commit, see `sends`).
    sends: Arc<sends::SendQueue>,
    /// The send writer's own SQLite connection, in the send writer's handle only (see
    /// `direct`): its transactions run their statements on the writer's thread.
    direct: Option<Arc<Mutex<direct::DirectConn>>>,
    /// A PostgreSQL send writer's own connection, in that writer's handle only (see `held`):
    /// its transactions run on it, not on one taken from the pool for each.
    held: Option<Arc<Mutex<held::HeldConn>>>,
    /// The SQLite file, for the send writer's connection (none on PostgreSQL or in memory).
    sqlite_file: Option<Arc<std::path::PathBuf>>,
    /// SQLite: this process's own connections for lookups by key, run on the calling thread
    /// (see [`Store::point_read`]); none on PostgreSQL.
    readers: Arc<[Arc<Mutex<direct::DirectConn>>]>,
    /// PostgreSQL: this process's own connections for lookups by key, out of the pool (see
    /// [`Store::point_read`]); none on SQLite.
    held_readers: Arc<[Arc<Mutex<held::HeldConn>>]>,
    /// The per-channel settings in memory, so routing does not read the table per offer.
    channels: Arc<std::sync::RwLock<ChannelCache>>,
    /// What begins [`Store::begin`]'s transactions when not `BEGIN`: the dialect's
    /// [`Dialect::begin_locked`] in a process that writes beside the server (see
    /// [`Store::beside_the_server`]).
    begin: Option<&'static str>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.dialect.name())
            .finish_non_exhaustive()
    }
}

/// This process's own connections for lookups by key (see [`Store::point_read`]): on SQLite
/// one per runtime worker on the machines this runs on (a lookup holds its thread); on
/// PostgreSQL a lookup holds one for a round trip, and a thousand a second keep two busy a
/// tenth of the time or so. When all are busy, the pool serves.
const POINT_READERS: usize = 2;

/// The first of `slots` that no one holds, held.
fn first_free<T>(slots: &[Arc<Mutex<T>>]) -> Option<tokio::sync::OwnedMutexGuard<T>> {
    slots.iter().find_map(|s| s.clone().try_lock_owned().ok())
}

/// PostgreSQL's connections for lookups by key (see [`Store::point_read`]), opened now so that
/// the first requests do not wait for them.
async fn held_readers(
    pool: &AnyPool,
    ping_after: Option<std::time::Duration>,
) -> Result<Arc<[Arc<Mutex<held::HeldConn>>]>, sqlx::Error> {
    let mut readers = Vec::with_capacity(POINT_READERS);
    for _ in 0..POINT_READERS {
        let mut reader = held::HeldConn::new(pool.clone(), ping_after);
        reader.open().await?;
        readers.push(Arc::new(Mutex::new(reader)));
    }
    Ok(readers.into())
}

/// The database file an SQLite `url` names (none on PostgreSQL, or for a database in memory,
/// which a second connection would not see).
fn sqlite_file(
    dialect: &dyn Dialect,
    url: &str,
) -> Result<Option<std::path::PathBuf>, crate::ServeError> {
    use std::str::FromStr;
    if dialect.name() != "sqlite" || url.contains(":memory:") || url.contains("mode=memory") {
        return Ok(None);
    }
    let options = sqlx::sqlite::SqliteConnectOptions::from_str(url)?;
    Ok(Some(options.get_filename().to_path_buf()))
}

impl Store {
    /// Connects to `url` (`sqlite:` or `postgres:`) and runs the migrations.
    pub async fn connect(url: &str) -> Result<Store, crate::ServeError> {
        sqlx::any::install_default_drivers();
        let dialect: Arc<dyn Dialect> =
            if url.starts_with("postgres:") || url.starts_with("postgresql:") {
                Arc::new(postgres::Postgres::new())
            } else if url.starts_with("sqlite:") {
                Arc::new(sqlite::Sqlite)
            } else {
                return Err(crate::ServeError::Other(
                    "the database URL must start with sqlite: or postgres:".to_owned(),
                ));
            };
        if dialect.name() == "postgres" {
            postgres::ensure_database(url).await?;
        }
        let setup = dialect.connection_setup();
        let ping_after = dialect.ping_after_idle();
        let pool = AnyPoolOptions::new()
            .max_connections(dialect.max_connections())
            .min_connections(dialect.min_connections())
            .acquire_timeout(std::time::Duration::from_secs(10))
            .test_before_acquire(false)
            .before_acquire(move |conn, meta| {
                Box::pin(async move {
                    if ping_after.is_some_and(|after| meta.idle_for >= after) {
                        sqlx::Connection::ping(conn).await?;
                    }
                    Ok(true)
                })
            })
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
        let sqlite_file = sqlite_file(&*dialect, url)?;
        let readers = match &sqlite_file {
            Some(file) => (0..POINT_READERS)
                .map(|_| direct::DirectConn::open(file, setup).map(|c| Arc::new(Mutex::new(c))))
                .collect::<Result<_, _>>()?,
            None => Arc::default(),
        };
        let held_readers = if dialect.single_writer() {
            Arc::default()
        } else {
            held_readers(&pool, ping_after).await?
        };
        Ok(Store {
            pool,
            write_lock,
            committed: Arc::default(),
            sends: Arc::default(),
            channels: Arc::default(),
            direct: None,
            held: None,
            sqlite_file: sqlite_file.map(Arc::new),
            readers,
            held_readers,
            begin: None,
            dialect,
        })
    }

    /// This handle for a short-lived process that writes beside a running server (the
    /// `admin` commands): each of its transactions takes the write lock when it begins
    /// ([`Dialect::begin_locked`]). On SQLite a transaction begun plainly reads from a
    /// snapshot, and its first write is refused at once, with no busy wait, when the server
    /// committed after that snapshot; begun locked, it waits for the server's commit (the
    /// busy timeout) or makes the server wait for its own. Not for the server: a request
    /// cancelled while sqlx begins such a transaction could leave it open, holding the lock.
    #[must_use]
    pub fn beside_the_server(mut self) -> Store {
        self.begin = self.dialect.begin_locked();
        self
    }

    /// What this process's own wakes carry (see [`Dialect::wake_tag`]).
    pub fn wake_tag(&self) -> Option<String> {
        self.dialect.wake_tag().map(str::to_owned)
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

    /// Where a lookup by key (a session's, a token's: every request's first query) runs: one
    /// of this process's own connections when one is free, otherwise the pool. On SQLite it
    /// runs on the calling thread: a lookup of a cached page costs less than handing the
    /// statement to a pool connection's thread and being woken with its row. On PostgreSQL it
    /// is a connection kept out of the pool, which sqlx would ping at every return (see
    /// [`held::HeldRead`]). Only for reads of a few rows by an index: on SQLite the runtime's
    /// thread is busy while it runs, and on PostgreSQL its rows are read whole.
    pub(crate) fn point_read(&self) -> Conn {
        if let Some(held) = first_free(&self.readers) {
            return Conn::Direct(tx::DirectGuard(held));
        }
        self.log_read()
    }

    /// Where the hub's reads of the log run: on PostgreSQL, one of the connections for
    /// lookups by key when one is free (see [`Store::point_read`]), otherwise, and on SQLite,
    /// the pool (a page of the log is more than a lookup, and on SQLite the runtime's thread
    /// would be busy while it is read).
    pub(crate) fn log_read(&self) -> Conn {
        first_free(&self.held_readers).map_or_else(
            || Conn::Pool(self.pool.clone()),
            |held| Conn::Read(held::HeldRead(held)),
        )
    }

    /// What this process commits to the event log, for its hub (woken by each such commit).
    pub fn committed(&self) -> Arc<Committed> {
        self.committed.clone()
    }

    /// One statement on a pool connection: whether the database answers (the health check).
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// At a graceful stop, after the last request: on SQLite, folds the write-ahead log into
    /// the database file (a `TRUNCATE` checkpoint), so that the stopped server's
    /// `threadline.db` holds everything on its own, as an operator copying it expects; then
    /// closes the pool. A checkpoint that cannot finish is logged, and loses nothing: the log
    /// stays beside the file and is read at the next start.
    pub async fn close_at_stop(&self) {
        if self.sqlite_file.is_some() {
            let done = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                .fetch_one(&self.pool)
                .await
                .and_then(|row| sqlx::Row::try_get::<i64, _>(&row, 0));
            match done {
                Ok(0) => {}
                Ok(_) => tracing::warn!("the write-ahead log could not be folded in at stop"),
                Err(e) => tracing::warn!(error = %e, "the checkpoint at stop failed"),
            }
        }
        self.close().await;
    }

    /// Closes the pool.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Databases for the store's tests.
#[cfg(test)]
pub(crate) mod test_db {
    /// A fresh PostgreSQL database for a test, named as the integration tests name theirs
    /// (so a stale one is dropped by them): its URL and the server's, or `None` when
    /// `THREADLINE_TEST_PG` is not set.
    fn postgres_database(what: &str) -> Option<(String, String, String)> {
        let Ok(base) = std::env::var("THREADLINE_TEST_PG") else {
            eprintln!("THREADLINE_TEST_PG is not set: PostgreSQL variant not run");
            return None;
        };
        let name = format!(
            "threadline_t_{}_{what}_{}",
            std::process::id(),
            rand::random::<u32>()
        );
        let url = match base.rsplit_once('/') {
            Some((prefix, _)) => format!("{prefix}/{name}"),
            None => format!("{base}/{name}"),
        };
        Some((base, url, name))
    }

    /// A fresh SQLite file for a test, `<what>.db` in a directory removed when the returned
    /// guard drops: the guard and the file's URL.
    pub(crate) fn sqlite_database(what: &str) -> (tempfile::TempDir, String) {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = crate::config::Config::sqlite_url(&dir.path().join(format!("{what}.db")));
        (dir, url)
    }

    /// Runs `test` with the URL of a fresh PostgreSQL database (see `postgres_database`) and
    /// drops the database after it; nothing when `THREADLINE_TEST_PG` is not set.
    pub(crate) async fn on_postgres(what: &str, test: impl AsyncFnOnce(&str)) {
        let Some((base, url, name)) = postgres_database(what) else {
            return;
        };
        test(&url).await;
        drop_database(&base, &name).await;
    }

    async fn drop_database(base: &str, name: &str) {
        let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(base)
            .await
            .expect("connect");
        sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .execute(&mut conn)
            .await
            .expect("drop");
    }
}
