//! Write transactions: [`Tx`] holds the events a change appends and writes them to the log at
//! commit, in the same transaction as the change.

use super::direct::DirectConn;
use super::event_log::{envelope_json, Committed, HubWake, Routing};
use super::held::{HeldRead, HeldTx};
use super::{Audience, Dialect, EventsBound, Internal, Store, StoreError, StoredEvent};
use crate::util::now_ms;
use futures_util::future::BoxFuture;
use futures_util::stream::BoxStream;
use sqlx::any::{AnyQueryResult, AnyRow, AnyTypeInfo};
use sqlx::AnyPool;
use sqlx::{Any, Either, Execute, Executor, Row};
use std::sync::Arc;
use tokio::sync::OwnedMutexGuard;
use wire::{Event, EventId};

impl Store {
    /// Starts a write transaction.
    pub async fn begin(&self) -> Result<Tx, StoreError> {
        self.begin_with(self.begin).await
    }

    /// A transaction for the send writers (see `sends`), begun with
    /// [`Dialect::send_begin`] where the dialect has one.
    pub(super) async fn begin_send(&self) -> Result<Tx, StoreError> {
        self.begin_with(self.dialect.send_begin()).await
    }

    async fn begin_with(&self, statement: Option<&'static str>) -> Result<Tx, StoreError> {
        let guard = match &self.write_lock {
            Some(lock) => Some(lock.clone().lock_owned().await),
            None => None,
        };
        let inner = match (&self.direct, &self.held) {
            (Some(conn), _) => {
                let mut conn = conn.clone().lock_owned().await;
                conn.begin()?;
                Conn::Direct(DirectGuard(conn))
            }
            (None, Some(held)) => {
                let slot = held.clone().lock_owned().await;
                Conn::Held(HeldTx::begin(slot, statement.unwrap_or("BEGIN")).await?)
            }
            (None, None) => Conn::Tx(match statement {
                Some(begin) => self.pool.begin_with(begin).await?,
                None => self.pool.begin().await?,
            }),
        };
        Ok(Tx {
            inner,
            _guard: guard,
            events: Vec::new(),
            dialect: self.dialect.clone(),
            committed: self.committed.clone(),
            savepoint: Savepoint::None,
        })
    }
}

/// Where a query runs: `&mut conn` is its executor.
pub(crate) enum Conn {
    /// A transaction on a connection of the pool.
    Tx(sqlx::Transaction<'static, Any>),
    /// The pool, outside a transaction: each statement on whichever connection is free.
    Pool(AnyPool),
    /// One of this process's own SQLite connections, its statements run on the calling thread
    /// (see `direct`); a transaction still open on it is rolled back when this is dropped.
    Direct(DirectGuard),
    /// A transaction on a send writer's own connection (PostgreSQL, see `held`).
    Held(HeldTx),
    /// One of this process's own PostgreSQL connections for lookups by key, outside a
    /// transaction (see [`HeldRead`]).
    Read(HeldRead),
}

/// One of this process's own SQLite connections, held.
pub(crate) struct DirectGuard(pub(super) OwnedMutexGuard<DirectConn>);

impl Drop for DirectGuard {
    fn drop(&mut self) {
        if let Err(e) = self.0.rollback() {
            tracing::warn!(error = %e, "rolling back a transaction on a direct connection failed");
        }
    }
}

impl Conn {
    /// What ends an `INSERT` whose ids are wanted ([`inserted_ids`]): nothing on this process's
    /// own SQLite connections, which tell the last inserted row id (SQLite buffers a
    /// `RETURNING`'s rows in a temporary b-tree at every run: a page cache and a zeroed page,
    /// about 12,000 instructions); `RETURNING` on the others (sqlx does not pass SQLite's row
    /// id on through [`Any`]).
    pub(super) fn returning_id(&self) -> &'static str {
        match self {
            Conn::Direct(_) => "",
            Conn::Tx(_) | Conn::Pool(_) | Conn::Held(_) | Conn::Read(_) => " RETURNING id",
        }
    }
}

impl std::fmt::Debug for Conn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Conn::Tx(_) => "Conn::Tx",
            Conn::Pool(_) => "Conn::Pool",
            Conn::Direct(_) => "Conn::Direct",
            Conn::Held(_) => "Conn::Held",
            Conn::Read(_) => "Conn::Read",
        })
    }
}

impl<'c> Executor<'c> for &'c mut Conn {
    type Database = Any;

    fn fetch_many<'e, 'q: 'e, E>(
        self,
        query: E,
    ) -> BoxStream<'e, Result<Either<AnyQueryResult, AnyRow>, sqlx::Error>>
    where
        'c: 'e,
        E: 'q + Execute<'q, Any>,
    {
        match self {
            Conn::Tx(t) => (&mut **t).fetch_many(query),
            Conn::Pool(p) => (&*p).fetch_many(query),
            Conn::Direct(d) => d.0.fetch_many(query),
            Conn::Held(h) => (&mut h.conn).fetch_many(query),
            Conn::Read(r) => r.fetch_many(query),
        }
    }

    fn fetch_optional<'e, 'q: 'e, E>(
        self,
        query: E,
    ) -> BoxFuture<'e, Result<Option<AnyRow>, sqlx::Error>>
    where
        'c: 'e,
        E: 'q + Execute<'q, Any>,
    {
        match self {
            Conn::Tx(t) => (&mut **t).fetch_optional(query),
            Conn::Pool(p) => (&*p).fetch_optional(query),
            Conn::Direct(d) => d.0.fetch_optional(query),
            Conn::Held(h) => (&mut h.conn).fetch_optional(query),
            Conn::Read(r) => r.fetch_optional(query),
        }
    }

    fn prepare_with<'e, 'q: 'e>(
        self,
        sql: &'q str,
        parameters: &'e [AnyTypeInfo],
    ) -> BoxFuture<'e, Result<sqlx::any::AnyStatement<'q>, sqlx::Error>>
    where
        'c: 'e,
    {
        match self {
            Conn::Tx(t) => (&mut **t).prepare_with(sql, parameters),
            Conn::Pool(p) => (&*p).prepare_with(sql, parameters),
            Conn::Direct(_) | Conn::Read(_) => DirectConn::unsupported("prepared ahead"),
            Conn::Held(h) => (&mut h.conn).prepare_with(sql, parameters),
        }
    }

    fn describe<'e, 'q: 'e>(
        self,
        sql: &'q str,
    ) -> BoxFuture<'e, Result<sqlx::Describe<Any>, sqlx::Error>>
    where
        'c: 'e,
    {
        match self {
            Conn::Tx(t) => (&mut **t).describe(sql),
            Conn::Pool(p) => (&*p).describe(sql),
            Conn::Direct(_) | Conn::Read(_) => DirectConn::unsupported("described"),
            Conn::Held(h) => (&mut h.conn).describe(sql),
        }
    }
}

/// What committing or rolling back a [`Tx`] on [`Conn::Pool`] is: [`Store::begin`] never makes
/// one, and writes that went to the pool one statement at a time cannot be undone or
/// committed together, so it is an error rather than nothing.
fn not_a_transaction() -> StoreError {
    StoreError::Internal("a transaction on the pool outside a transaction".to_owned())
}

/// An event appended by [`Tx::emit`], written to the log when the transaction commits.
struct PendingEvent {
    /// When it was appended (ms).
    at: i64,
    /// Who it is for, as the log's columns say.
    routing: Routing,
    /// The event as JSON, as stored.
    payload: String,
    /// The SSE event name (empty for an internal row).
    name: &'static str,
    /// The internal row, for the hub that takes it after commit without reading it back.
    internal: Option<Arc<Internal>>,
}

impl PendingEvent {
    /// Its row of the log: [`super::EVENT_COLUMNS`]' values, in that order, as either
    /// [`EventsBound`] binds them.
    fn row(&self) -> (i64, Option<i64>, i64, Option<i64>, i64, &str) {
        let r = &self.routing;
        (
            self.at,
            r.agent_id,
            r.to_agents,
            r.contact_id,
            r.to_visitor,
            &self.payload,
        )
    }

    /// The event as the hub hands it to streams once the log gave it `id`: what
    /// `event_log::stored_event` makes of the row, without reading it back.
    fn rendered(&self, id: EventId) -> StoredEvent {
        let data = if self.internal.is_some() {
            "".into()
        } else {
            envelope_json(id, self.at, &self.payload).into()
        };
        self.routing
            .stored(id, data, self.name, self.internal.clone())
    }
}

/// Rows of the event log written by one `INSERT` at commit.
const EVENT_ROWS_PER_INSERT: usize = 64;

/// A write transaction. Append events with [`Tx::emit`]; they are written to the log just
/// before [`Tx::commit`] commits, become visible to the live streams when it succeeds, and
/// vanish with the change if it does not.
///
/// Events are held in memory until commit so that the log is written last: on PostgreSQL an id
/// is then drawn just before `COMMIT`, and the readers that wait at its gap (see
/// `event_log::LogCursor`) wait only for that; and many events go into one statement (see
/// [`Store::send_as_contact`] for transactions holding many sends).
pub struct Tx {
    /// The database transaction.
    pub(crate) inner: Conn,
    /// Held until commit where the backend has a single writer.
    _guard: Option<OwnedMutexGuard<()>>,
    /// Events appended so far, written at commit.
    events: Vec<PendingEvent>,
    /// The backend's SQL differences.
    dialect: Arc<dyn Dialect>,
    /// Where the committed events go for this process's hub (and its wake).
    committed: Arc<Committed>,
    /// The state of the transaction's one savepoint, so that opening the next costs at
    /// most one round trip (see [`Tx::savepoint`]).
    savepoint: Savepoint,
}

/// The state of a [`Tx`]'s savepoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Savepoint {
    /// None opened.
    None,
    /// Open, holding what was done since (kept unless rolled back to): released when the
    /// next is opened, or committed with the rest.
    Open,
    /// Open and empty (rolled back to): the next one can start from it as it is.
    Empty,
}

impl Tx {
    /// Appends an event to the log in this transaction (written at commit).
    pub fn emit(&mut self, audience: Audience, event: &Event) -> Result<(), StoreError> {
        let payload = serde_json::to_string(event).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
        self.events.push(PendingEvent {
            at: now_ms(),
            routing: Routing {
                agent_id: audience.agent.map(|a| a.0),
                to_agents: i64::from(audience.agent.is_some() || audience.all_agents),
                contact_id: audience
                    .contact
                    .or(audience.visitor)
                    .or_else(|| event.contact())
                    .map(|c| c.0),
                to_visitor: i64::from(audience.visitor.is_some()),
            },
            payload,
            name: event.name(),
            internal: None,
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
            routing: Routing::NOBODY,
            payload,
            name: "",
            internal: Some(Arc::new(internal.clone())),
        });
        Ok(())
    }

    /// Writes the pending events, oldest first, several to a statement (see
    /// [`Dialect::append_events_sql`]). The ids the log gave them, in the same order.
    async fn write_events(&mut self) -> Result<Vec<i64>, StoreError> {
        let mut ids = Vec::with_capacity(self.events.len());
        if self.events.is_empty() {
            return Ok(ids);
        }
        let returning = self.inner.returning_id();
        match self.dialect.events_bound() {
            EventsBound::Json => {
                let sql = self.dialect.append_events_sql(self.events.len(), returning);
                let rows: Vec<_> = self.events.iter().map(PendingEvent::row).collect();
                let rows =
                    serde_json::to_string(&rows).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
                let q = sqlx::query(&sql).bind(rows);
                ids.extend(inserted_ids(&mut self.inner, q, self.events.len()).await?);
            }
            EventsBound::Values => {
                for chunk in self.events.chunks(EVENT_ROWS_PER_INSERT) {
                    let sql = self.dialect.append_events_sql(chunk.len(), returning);
                    let mut q = sqlx::query(&sql);
                    for e in chunk {
                        let (at, agent, to_agents, contact, to_visitor, payload) = e.row();
                        q = q
                            .bind(at)
                            .bind(agent)
                            .bind(to_agents)
                            .bind(contact)
                            .bind(to_visitor)
                            .bind(payload);
                    }
                    ids.extend(inserted_ids(&mut self.inner, q, chunk.len()).await?);
                }
            }
        }
        Ok(ids)
    }

    /// What ends an `INSERT` run by [`Tx::inserted_ids`] on this transaction's connection.
    pub(super) fn returning_id(&self) -> &'static str {
        self.inner.returning_id()
    }

    /// Whether a row a statement changed is better read back by a second statement than
    /// returned by `RETURNING`: on this process's own SQLite connections (see
    /// [`Conn::returning_id`]), where a statement is a call on this thread, not a round trip,
    /// and a `RETURNING` a temporary b-tree.
    pub(super) fn reads_back(&self) -> bool {
        self.inner.returning_id().is_empty()
    }

    /// Runs `insert`, which adds `rows` rows to a table keyed by an integer `id` and ends in
    /// [`Tx::returning_id`]: the ids its rows were given, in the order of its `VALUES` (see
    /// [`inserted_ids`]).
    pub(super) async fn inserted_ids<'q, E: 'q + Execute<'q, Any>>(
        &mut self,
        insert: E,
        rows: usize,
    ) -> Result<Vec<i64>, StoreError> {
        inserted_ids(&mut self.inner, insert, rows).await
    }

    /// Writes the pending events and commits; then hands the events, rendered, to this
    /// process's hub and wakes it (see [`Committed`]).
    pub async fn commit(self) -> Result<(), StoreError> {
        // Dropped here: the hub is woken now.
        drop(self.commit_owing_wake().await?);
        Ok(())
    }

    /// [`Tx::commit`], leaving the hub's wake to the [`HubWake`] answered (none when the
    /// transaction appended no event): the send writer's, which hands it to a requester.
    pub(super) async fn commit_owing_wake(mut self) -> Result<Option<HubWake>, StoreError> {
        let ids = self.write_events().await?;
        self.committed.committing(&ids);
        let done = match self.inner {
            Conn::Tx(t) => t.commit().await.map_err(StoreError::from),
            Conn::Direct(mut d) => d.0.commit().map_err(StoreError::from),
            Conn::Held(h) => h.commit().await.map_err(StoreError::from),
            Conn::Pool(_) | Conn::Read(_) => Err(not_a_transaction()),
        };
        if let Err(e) = done {
            self.committed.abandon(&ids);
            return Err(e);
        }
        if !self.events.is_empty() {
            // Each statement's ids are in the order of its rows (see `write_events`), so ids
            // that rise, one per event, match the events; on PostgreSQL ids of other
            // transactions may fall between them (they draw side by side). Otherwise the hub
            // reads them from the log.
            let matched = ids.len() == self.events.len() && ids.windows(2).all(|w| w[1] > w[0]);
            let rendered = matched.then(|| {
                self.events
                    .iter()
                    .zip(&ids)
                    .map(|(e, id)| e.rendered(EventId(*id)))
                    .collect()
            });
            return Ok(Some(self.committed.add(&ids, rendered)));
        }
        Ok(None)
    }

    /// Writes the pending events to the log now, as a commit would, and forgets them: a send
    /// writer's warm-up (see `sends`), which runs every statement of a send, the log's
    /// included, and then rolls back. Their ids are never handed to the hub, so a transaction
    /// that calls this must not commit.
    pub(super) async fn write_events_to_roll_back(&mut self) -> Result<(), StoreError> {
        self.write_events().await?;
        self.events.clear();
        Ok(())
    }

    /// Rolls back.
    pub async fn rollback(self) -> Result<(), StoreError> {
        match self.inner {
            Conn::Tx(t) => t.rollback().await?,
            Conn::Direct(mut d) => d.0.rollback()?,
            Conn::Held(h) => h.rollback().await?,
            Conn::Pool(_) | Conn::Read(_) => return Err(not_a_transaction()),
        }
        Ok(())
    }

    /// Opens a savepoint: what follows can be undone by [`Tx::rollback_to_savepoint`] with
    /// the returned mark, leaving the rest of the transaction as it was; otherwise it stays.
    ///
    /// There is one savepoint, reused: after one that stayed, releasing it and opening the next
    /// go in one round trip; after a rollback to it, it is still open and empty, so nothing
    /// is sent; at commit it is committed with the rest.
    pub(crate) async fn savepoint(&mut self) -> Result<usize, StoreError> {
        let sql = match self.savepoint {
            Savepoint::None => Some("SAVEPOINT send"),
            Savepoint::Open => Some("RELEASE SAVEPOINT send; SAVEPOINT send"),
            Savepoint::Empty => None,
        };
        if let Some(sql) = sql {
            // Text without arguments: PostgreSQL's simple protocol takes both at once; SQLite's
            // writer keeps each statement prepared after the first run (see `store::direct`).
            sqlx::Executor::execute(&mut self.inner, sql).await?;
        }
        self.savepoint = Savepoint::Open;
        Ok(self.events.len())
    }

    /// Undoes what was done since [`Tx::savepoint`] (which returned `mark`), the events it
    /// appended included.
    pub(crate) async fn rollback_to_savepoint(&mut self, mark: usize) -> Result<(), StoreError> {
        self.events.truncate(mark);
        sqlx::query("ROLLBACK TO SAVEPOINT send")
            .execute(&mut self.inner)
            .await?;
        self.savepoint = Savepoint::Empty;
        Ok(())
    }

    /// The dialect.
    pub(crate) fn dialect(&self) -> &dyn Dialect {
        &*self.dialect
    }
}

/// Runs `insert` on `conn`, which adds `rows` rows to a table keyed by an integer `id` and ends
/// in [`Conn::returning_id`] (or returns the `id` column another way): the ids its rows were
/// given, in the order of its `VALUES`. One statement's rows take rising ids in that order
/// (the order of the rows `RETURNING` lists is not promised, so they are sorted). By row id
/// (see [`Conn::returning_id`]): the last row's id is the connection's last inserted row id
/// (an insert by a trigger does not change it once the trigger ends), and the rows before it
/// took the ids just below, since a new row's id is one above the table's largest (with
/// `AUTOINCREMENT`, the largest ever) and the transaction holds SQLite's one write lock.
async fn inserted_ids<'q, E: 'q + Execute<'q, Any>>(
    conn: &mut Conn,
    insert: E,
    rows: usize,
) -> Result<Vec<i64>, StoreError> {
    if conn.returning_id().is_empty() {
        let done = conn.execute(insert).await?;
        let count = i64::try_from(rows).unwrap_or(0);
        return match done.last_insert_id() {
            Some(last) if done.rows_affected() == rows as u64 && count > 0 => {
                Ok((last - count + 1..=last).collect())
            }
            _ => Err(StoreError::Internal(format!(
                "an insert of {rows} rows changed {} with last row id {:?}",
                done.rows_affected(),
                done.last_insert_id()
            ))),
        };
    }
    let mut given = conn
        .fetch_all(insert)
        .await?
        .iter()
        .map(|r| r.try_get::<i64, _>("id"))
        .collect::<Result<Vec<_>, _>>()?;
    given.sort_unstable();
    Ok(given)
}

#[cfg(test)]
mod tests {
    use super::super::test_db::{on_postgres, sqlite_database};
    use super::super::{Audience, Store};
    use super::EVENT_ROWS_PER_INSERT;
    use wire::{AgentId, ContactId, Event, InteractionId, Party};

    /// The ids a commit hands this process's hub are the ids the log gave its rows, and their
    /// text the log's to the byte, through one row, a statement of many rows and a second
    /// statement (on SQLite; PostgreSQL takes any number in one), on a transaction of the pool
    /// and on the send writer's own connection (which on SQLite tells them by the last
    /// inserted row id, not by `RETURNING`): each handed event is the log's row with that id.
    async fn a_commits_events_carry_the_ids_the_log_gave(url: &str) {
        let store = Store::connect(url).await.expect("store");
        let writer = match store.sqlite_file {
            Some(_) => store.direct_writer().expect("the send writer's connection"),
            None => store.held_writer(),
        };
        let committed = store.committed();
        committed.start_tailing();
        let head = store.event_head().await.expect("head");
        let sizes = [1, EVENT_ROWS_PER_INSERT + 3];
        let mut contact = 0;
        for handle in [&store, &writer] {
            for rows in sizes {
                let mut tx = handle.begin().await.expect("begin");
                for _ in 0..rows {
                    contact += 1;
                    let typing = Event::Typing {
                        contact_id: ContactId(contact),
                        party: Party::Contact,
                        typing: true,
                    };
                    tx.emit(Audience::agent(AgentId(1)), &typing).expect("emit");
                }
                // Text that JSON escapes, kept to the byte on both ways of binding events.
                let reassigned = Event::Reassigned {
                    interaction_id: InteractionId(contact),
                    by_name: "Zoë \"Q\" \\ O'Brien\n\t\u{1F600} \\u0000 $1 ->>0".to_owned(),
                    to_name: "the queue".to_owned(),
                };
                tx.emit(Audience::agent(AgentId(1)), &reassigned)
                    .expect("emit");
                tx.commit().await.expect("commit");
            }
        }
        let handed = committed.take_after(head);
        assert!(!handed.read_log, "the hub was sent to the log on {url}");
        let log = store.events_after(head, 1000).await.expect("log");
        let handed: Vec<_> = handed
            .events
            .iter()
            .map(|e| (e.id, e.data.to_string()))
            .collect();
        let logged: Vec<_> = log
            .events
            .iter()
            .map(|e| (e.id, e.data.to_string()))
            .collect();
        let per_handle = sizes.iter().sum::<usize>() + sizes.len();
        assert_eq!(handed.len(), 2 * per_handle, "on {url}");
        assert_eq!(handed, logged, "on {url}");
        store.close().await;
    }

    #[tokio::test]
    async fn a_commits_events_carry_the_ids_the_log_gave_sqlite() {
        let (_dir, url) = sqlite_database("ids");
        a_commits_events_carry_the_ids_the_log_gave(&url).await;
    }

    #[tokio::test]
    async fn a_commits_events_carry_the_ids_the_log_gave_postgres() {
        on_postgres("ids", a_commits_events_carry_the_ids_the_log_gave).await;
    }

    /// A handle for a process beside the server (the `admin` commands) holds SQLite's write
    /// lock from its transaction's start: a transaction that reads, then writes, cannot have
    /// its write refused by a commit of the server between the two (SQLite refuses such a
    /// write at once, with no busy wait). Here the server's connection, not waiting, is
    /// refused while the transaction is open, and the transaction's write after its read goes
    /// through; begun plainly, the server's write went through and the transaction's was
    /// refused ("database is locked").
    #[tokio::test]
    async fn a_transaction_beside_the_server_holds_the_write_lock_from_its_start() {
        let (dir, url) = sqlite_database("beside");
        let admin = Store::connect(&url)
            .await
            .expect("store")
            .beside_the_server();
        let server = rusqlite::Connection::open(dir.path().join("beside.db")).expect("open");
        server
            .busy_timeout(std::time::Duration::ZERO)
            .expect("no busy wait");
        let server_writes = |text: &str| {
            server.execute("INSERT INTO response_categories (name) VALUES (?1)", [text])
        };
        let mut tx = admin.begin().await.expect("begin");
        let (read,): (i64,) = sqlx::query_as("SELECT count(*) FROM response_categories")
            .fetch_one(&mut tx.inner)
            .await
            .expect("read");
        let refused = server_writes("while the admin's transaction is open");
        assert!(
            matches!(
                refused,
                Err(rusqlite::Error::SqliteFailure(ref e, _))
                    if e.code == rusqlite::ErrorCode::DatabaseBusy
            ),
            "the server wrote inside the admin's transaction: {refused:?}"
        );
        sqlx::query("INSERT INTO response_categories (name) VALUES ($1)")
            .bind(format!("after a read of {read}"))
            .execute(&mut tx.inner)
            .await
            .expect("the admin's write after its read");
        tx.commit().await.expect("commit");
        server_writes("after the admin's commit").expect("the server writes after it");
        let names: i64 = server
            .query_row("SELECT count(*) FROM response_categories", [], |r| r.get(0))
            .expect("count");
        assert_eq!(names, read + 2);
        admin.close().await;
    }
}
