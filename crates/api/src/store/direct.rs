//! SQLite statements run on the thread that asks for them: the send writer's own connection.
//!
//! sqlx keeps each SQLite connection on a thread of its own and hands every statement to it
//! and every row back through channels, so each statement costs two thread wake-ups; a send is
//! a dozen statements, and at a thousand sends a second the server spent about half its CPU in
//! the kernel switching threads (see the README's "where a message's CPU goes"). The send
//! writer (see `sends`) runs on a thread of its own instead and executes its transaction's
//! statements here, directly on a connection it alone uses: one wake-up to take a batch, one
//! to answer each send.
//!
//! [`DirectConn`] is an sqlx [`Executor`] over [`Any`], so the send path's queries
//! (`sqlx::query(..).bind(..).fetch_optional(&mut tx.inner)`) and the row readers are the same
//! code on both connections. Values cross as sqlx's SQLite driver maps them: integers as
//! `BigInt`, reals as `Double`, text, blobs, nulls; arguments by the number in `$N`.

use futures_util::future::{ready, BoxFuture};
use futures_util::stream::{self, BoxStream, StreamExt};
use rusqlite::types::{ToSqlOutput, ValueRef};
use sqlx::any::{Any, AnyArguments, AnyQueryResult, AnyRow, AnyTypeInfo, AnyTypeInfoKind};
#[cfg(doc)]
use sqlx::Executor;
use sqlx::{Either, Execute};
use sqlx_core::any::{AnyColumn, AnyValue, AnyValueKind};
use sqlx_core::ext::ustr::UStr;
use std::borrow::Cow;
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

/// Statements kept prepared (the send path has a few dozen).
const STATEMENT_CACHE: usize = 128;

/// Statement texts whose columns are kept (cleared when full: a text built with a varying
/// number of rows must not grow it without end).
const COLUMN_CACHE: usize = 512;

/// Texts without arguments whose statements are kept (cleared when full, as the columns).
const TEXT_CACHE: usize = 128;

/// A statement's columns as its rows carry them: built once per SQL text, shared by its rows.
#[derive(Clone)]
struct Columns {
    /// Name → position, as [`AnyRow`] looks a column up.
    names: Arc<sqlx_core::HashMap<UStr, usize>>,
    /// The columns (their type is the value's, so it is left unknown here).
    list: Vec<AnyColumn>,
}

/// A connection whose statements run on the calling thread.
pub(crate) struct DirectConn {
    /// The connection; used by one thread at a time (whoever holds the lock around this).
    conn: rusqlite::Connection,
    /// Columns by SQL text, so that a row costs no map building.
    columns: HashMap<String, Columns>,
    /// The statements of each text run without arguments, split at its first run: after
    /// that each runs kept prepared, where the text would be parsed again every time (the
    /// savepoint's `RELEASE …; SAVEPOINT …` runs at every send of a batch).
    texts: HashMap<String, Arc<[String]>>,
}

impl std::fmt::Debug for DirectConn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DirectConn").finish_non_exhaustive()
    }
}

impl DirectConn {
    /// Opens the database file `path` (already migrated) and runs `setup` on it, as the pool
    /// does for each of its connections.
    pub(crate) fn open(path: &Path, setup: &[&str]) -> Result<Self, sqlx::Error> {
        let conn = rusqlite::Connection::open_with_flags(
            path,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(error)?;
        for statement in setup {
            conn.execute_batch(statement).map_err(error)?;
        }
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        Ok(DirectConn {
            conn,
            columns: HashMap::new(),
            texts: HashMap::new(),
        })
    }

    /// Starts a transaction holding the write lock at once (`IMMEDIATE`): another process on
    /// the same file (the admin command) waits for it or makes it wait, never fails it midway.
    pub(crate) fn begin(&mut self) -> Result<(), sqlx::Error> {
        self.run_kept("BEGIN IMMEDIATE")
    }

    /// Commits the open transaction.
    pub(crate) fn commit(&mut self) -> Result<(), sqlx::Error> {
        self.run_kept("COMMIT")
    }

    /// Runs a statement of no arguments and no rows, kept prepared: `BEGIN` and `COMMIT` run
    /// at every send's transaction, and were parsed anew each time.
    fn run_kept(&mut self, sql: &str) -> Result<(), sqlx::Error> {
        let mut stmt = self.conn.prepare_cached(sql).map_err(error)?;
        stmt.raw_execute().map(drop).map_err(error)
    }

    /// Rolls back the open transaction, if one is open.
    pub(crate) fn rollback(&mut self) -> Result<(), sqlx::Error> {
        if self.conn.is_autocommit() {
            return Ok(());
        }
        self.conn.execute_batch("ROLLBACK").map_err(error)
    }

    /// Runs `sql` with `args`: its rows (at most `limit`) and what it changed.
    fn run(
        &mut self,
        sql: &str,
        args: Option<AnyArguments<'_>>,
        limit: Option<usize>,
    ) -> Result<(Vec<AnyRow>, AnyQueryResult), sqlx::Error> {
        // Text without arguments may hold several statements (`RELEASE …; SAVEPOINT …`).
        let Some(args) = args else {
            return self.run_text(sql, limit);
        };
        let args = args.values.0;
        let columns = self.columns_of_text(sql)?;
        let mut stmt = self.conn.prepare_cached(sql).map_err(error)?;
        let mut unnumbered = 0;
        for index in 1..=stmt.parameter_count() {
            // `$N` and `?N` name argument N, as sqlx binds them; a bare `?` takes the next.
            let n = if let Some(name) = stmt.parameter_name(index) {
                name[1..]
                    .parse::<usize>()
                    .ok()
                    .and_then(|n| n.checked_sub(1))
            } else {
                unnumbered += 1;
                Some(unnumbered - 1)
            };
            let value = n.and_then(|n| args.get(n)).ok_or_else(|| {
                sqlx::Error::Protocol(format!("no argument for parameter {index} of {sql}"))
            })?;
            stmt.raw_bind_parameter(index, argument(value)?)
                .map_err(error)?;
        }
        let mut out = Vec::new();
        read_rows(&mut stmt, &columns, limit, &mut out)?;
        drop(stmt);
        Ok((out, self.changed()))
    }

    /// The columns of the one statement `sql`, kept from its first use.
    fn columns_of_text(&mut self, sql: &str) -> Result<Columns, sqlx::Error> {
        if let Some(c) = self.columns.get(sql) {
            return Ok(c.clone());
        }
        let c = self.first_use(sql)?;
        if self.columns.len() >= COLUMN_CACHE {
            self.columns.clear();
        }
        self.columns.insert(sql.to_owned(), c.clone());
        Ok(c)
    }

    /// What the last statement changed, as sqlx's SQLite driver reports it: the rows, and the
    /// connection's last inserted row id (its newest row's id after an `INSERT`).
    fn changed(&self) -> AnyQueryResult {
        AnyQueryResult {
            rows_affected: self.conn.changes(),
            last_insert_id: Some(self.conn.last_insert_rowid()),
        }
    }

    /// A statement's columns, the first time its text is run; text holding more than one
    /// statement is refused (only its first would run with arguments).
    fn first_use(&self, sql: &str) -> Result<Columns, sqlx::Error> {
        let mut batch = rusqlite::Batch::new(&self.conn, sql);
        let first = batch
            .next()
            .map_err(error)?
            .ok_or_else(|| sqlx::Error::Protocol("an empty statement".to_owned()))?;
        let columns = columns_of(&first);
        drop(first);
        if batch.next().map_err(error)?.is_some() {
            return Err(sqlx::Error::Protocol(format!(
                "several statements with arguments in one text: {sql}"
            )));
        }
        Ok(columns)
    }

    /// Runs each statement of `sql` (no arguments) in turn: the rows of all of them.
    ///
    /// The first run goes statement by statement as SQLite parses the text (a statement may
    /// depend on the one before it having run) and keeps each one's text; later runs take
    /// each from the prepared statements.
    fn run_text(
        &mut self,
        sql: &str,
        limit: Option<usize>,
    ) -> Result<(Vec<AnyRow>, AnyQueryResult), sqlx::Error> {
        let mut out = Vec::new();
        if let Some(parts) = self.texts.get(sql).cloned() {
            for part in parts.iter() {
                let columns = self.columns_of_text(part)?;
                let mut stmt = self.conn.prepare_cached(part).map_err(error)?;
                read_rows(&mut stmt, &columns, limit, &mut out)?;
            }
            return Ok((out, self.changed()));
        }
        let mut parts = Vec::new();
        let mut batch = rusqlite::Batch::new(&self.conn, sql);
        while let Some(mut stmt) = batch.next().map_err(error)? {
            let columns = columns_of(&stmt);
            read_rows(&mut stmt, &columns, limit, &mut out)?;
            // Without arguments, the expanded text is the statement's own (with the space
            // before it in the text).
            parts.push(stmt.expanded_sql().map(|t| t.trim().to_owned()));
        }
        // A statement whose text SQLite could not give back is parsed anew each time.
        if let Some(parts) = parts.into_iter().collect::<Option<Vec<String>>>() {
            if self.texts.len() >= TEXT_CACHE {
                self.texts.clear();
            }
            self.texts.insert(sql.to_owned(), parts.into());
        }
        Ok((out, self.changed()))
    }
}

/// An argument as SQLite takes it (as sqlx's SQLite driver maps it).
fn argument<'a>(v: &'a AnyValueKind<'_>) -> Result<ToSqlOutput<'a>, sqlx::Error> {
    let value = match v {
        AnyValueKind::Null(_) => ValueRef::Null,
        AnyValueKind::Bool(b) => ValueRef::Integer(i64::from(*b)),
        AnyValueKind::SmallInt(i) => ValueRef::Integer(i64::from(*i)),
        AnyValueKind::Integer(i) => ValueRef::Integer(i64::from(*i)),
        AnyValueKind::BigInt(i) => ValueRef::Integer(*i),
        AnyValueKind::Real(r) => ValueRef::Real(f64::from(*r)),
        AnyValueKind::Double(d) => ValueRef::Real(*d),
        AnyValueKind::Text(t) => ValueRef::Text(t.as_bytes()),
        AnyValueKind::Blob(b) => ValueRef::Blob(b),
        other => {
            return Err(sqlx::Error::Protocol(format!(
                "an argument of an unsupported kind: {other:?}"
            )))
        }
    };
    Ok(ToSqlOutput::Borrowed(value))
}

/// A column's value as sqlx's SQLite driver hands it to [`Any`] (by the value's own type).
fn value(v: ValueRef<'_>) -> Result<AnyValueKind<'static>, sqlx::Error> {
    Ok(match v {
        ValueRef::Null => AnyValueKind::Null(AnyTypeInfoKind::Null),
        ValueRef::Integer(i) => AnyValueKind::BigInt(i),
        ValueRef::Real(r) => AnyValueKind::Double(r),
        ValueRef::Text(t) => AnyValueKind::Text(Cow::Owned(
            std::str::from_utf8(t)
                .map_err(|e| sqlx::Error::Decode(Box::new(e)))?
                .to_owned(),
        )),
        ValueRef::Blob(b) => AnyValueKind::Blob(Cow::Owned(b.to_vec())),
    })
}

/// An SQLite error as sqlx reports it: the constraint ones keep their kind (a unique
/// violation is a conflict to the API, as from the pool).
fn error(e: rusqlite::Error) -> sqlx::Error {
    match e {
        rusqlite::Error::SqliteFailure(code, message) => sqlx::Error::Database(Box::new(DbError {
            code: code.extended_code,
            message: message.unwrap_or_else(|| code.to_string()),
        })),
        other => sqlx::Error::Protocol(other.to_string()),
    }
}

/// An error SQLite returned.
#[derive(Debug)]
struct DbError {
    /// SQLite's extended result code.
    code: i32,
    /// Its message.
    message: String,
}

impl std::fmt::Display for DbError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "(code: {}) {}", self.code, self.message)
    }
}

impl std::error::Error for DbError {}

impl sqlx::error::DatabaseError for DbError {
    fn message(&self) -> &str {
        &self.message
    }
    fn code(&self) -> Option<Cow<'_, str>> {
        Some(Cow::Owned(self.code.to_string()))
    }
    fn as_error(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
        self
    }
    fn as_error_mut(&mut self) -> &mut (dyn std::error::Error + Send + Sync + 'static) {
        self
    }
    fn into_error(self: Box<Self>) -> Box<dyn std::error::Error + Send + Sync + 'static> {
        self
    }
    fn kind(&self) -> sqlx::error::ErrorKind {
        use rusqlite::ffi;
        match self.code {
            ffi::SQLITE_CONSTRAINT_UNIQUE | ffi::SQLITE_CONSTRAINT_PRIMARYKEY => {
                sqlx::error::ErrorKind::UniqueViolation
            }
            ffi::SQLITE_CONSTRAINT_FOREIGNKEY => sqlx::error::ErrorKind::ForeignKeyViolation,
            ffi::SQLITE_CONSTRAINT_NOTNULL => sqlx::error::ErrorKind::NotNullViolation,
            ffi::SQLITE_CONSTRAINT_CHECK => sqlx::error::ErrorKind::CheckViolation,
            _ => sqlx::error::ErrorKind::Other,
        }
    }
}

/// Runs a query now; what a stream of its results gives.
fn fetch_now<'q, E: Execute<'q, Any>>(
    conn: &mut DirectConn,
    mut query: E,
    limit: Option<usize>,
) -> Result<(Vec<AnyRow>, AnyQueryResult), sqlx::Error> {
    let args = query.take_arguments().map_err(sqlx::Error::Encode)?;
    conn.run(query.sql(), args, limit)
}

/// What [`super::tx::Conn`]'s executor does on this connection: the statement runs at once, on
/// the calling thread, and what it gave is handed over ready.
impl DirectConn {
    /// Every row, then the rows changed (as [`Executor::fetch_many`]).
    pub(crate) fn fetch_many<'q, E: Execute<'q, Any>>(
        &mut self,
        query: E,
    ) -> BoxStream<'static, Result<Either<AnyQueryResult, AnyRow>, sqlx::Error>> {
        let items: Vec<_> = match fetch_now(self, query, None) {
            Ok((rows, changed)) => rows
                .into_iter()
                .map(|r| Ok(Either::Right(r)))
                .chain(std::iter::once(Ok(Either::Left(changed))))
                .collect(),
            Err(e) => vec![Err(e)],
        };
        stream::iter(items).boxed()
    }

    /// The first row, if any (as [`Executor::fetch_optional`]).
    pub(crate) fn fetch_optional<'q, E: Execute<'q, Any>>(
        &mut self,
        query: E,
    ) -> BoxFuture<'static, Result<Option<AnyRow>, sqlx::Error>> {
        let first = fetch_now(self, query, Some(1)).map(|(rows, _)| rows.into_iter().next());
        Box::pin(ready(first))
    }

    /// Statements are not prepared ahead or described here, nor on the other connections
    /// for lookups by key (only sqlx's macros need it).
    pub(crate) fn unsupported<'a, T: Send + 'a>(
        what: &str,
    ) -> BoxFuture<'a, Result<T, sqlx::Error>> {
        Box::pin(ready(Err(sqlx::Error::Protocol(format!(
            "statements are not {what} on this process's own connections"
        )))))
    }
}
/// A prepared statement's columns as its rows carry them.
fn columns_of(stmt: &rusqlite::Statement<'_>) -> Columns {
    let names: Vec<UStr> = stmt.column_names().into_iter().map(UStr::new).collect();
    Columns {
        names: Arc::new(names.iter().cloned().zip(0..).collect()),
        list: names
            .into_iter()
            .enumerate()
            .map(|(ordinal, name)| AnyColumn {
                ordinal,
                name,
                type_info: AnyTypeInfo {
                    kind: AnyTypeInfoKind::Null,
                },
            })
            .collect(),
    }
}

/// Steps a bound statement to its end (or until `out` holds `limit` rows), adding its rows.
fn read_rows(
    stmt: &mut rusqlite::Statement<'_>,
    columns: &Columns,
    limit: Option<usize>,
    out: &mut Vec<AnyRow>,
) -> Result<(), sqlx::Error> {
    let mut rows = stmt.raw_query();
    while let Some(row) = rows.next().map_err(error)? {
        let mut values = Vec::with_capacity(columns.list.len());
        for i in 0..columns.list.len() {
            values.push(AnyValue {
                kind: value(row.get_ref(i).map_err(error)?)?,
            });
        }
        out.push(AnyRow {
            column_names: columns.names.clone(),
            columns: columns.list.clone(),
            values,
        });
        if limit.is_some_and(|l| out.len() >= l) {
            break;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::test_db::sqlite_database;
    use super::super::{tx::Conn, Store};
    use sqlx::Row;

    /// A lookup by key on SQLite runs on one of the process's own connections while one is
    /// free and on the pool when none is, with the same row either way: integers, text and
    /// nulls as the pool's driver gives them.
    #[tokio::test]
    async fn point_reads_use_a_free_direct_connection_and_read_what_the_pool_reads() {
        let (_dir, url) = sqlite_database("reads");
        let store = Store::connect(&url).await.expect("store");
        let contact = store
            .create_contact("Ada", "", None, &[])
            .await
            .expect("contact");
        let sql = "SELECT id, first_name, last_agent_id FROM contacts WHERE id = $1";
        let mut held = Vec::new();
        for _ in 0..super::super::POINT_READERS {
            let conn = store.point_read();
            assert!(matches!(conn, Conn::Direct(_)), "{conn:?}");
            held.push(conn);
        }
        let direct = sqlx::query(sql)
            .bind(contact.0)
            .fetch_optional(&mut held[0])
            .await
            .expect("read")
            .expect("row");
        let mut pooled = store.point_read();
        assert!(matches!(pooled, Conn::Pool(_)), "all held: {pooled:?}");
        let pool = sqlx::query(sql)
            .bind(contact.0)
            .fetch_optional(&mut pooled)
            .await
            .expect("read")
            .expect("row");
        for row in [&direct, &pool] {
            assert_eq!(row.get::<i64, _>("id"), contact.0);
            assert_eq!(row.get::<String, _>("first_name"), "Ada");
            assert_eq!(row.get::<Option<i64>, _>("last_agent_id"), None);
        }
        drop(held);
        assert!(matches!(store.point_read(), Conn::Direct(_)), "free again");
    }

    /// Text of several statements without arguments runs them in turn, a statement seeing
    /// what the one before it did, and runs the same way again from the statements it kept.
    #[test]
    fn text_of_several_statements_runs_again_from_its_kept_statements() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("text.db");
        drop(rusqlite::Connection::open(&path).expect("create"));
        let mut conn = super::DirectConn::open(&path, &[]).expect("open");
        let create = "CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1)";
        conn.run_text(create, None)
            .expect("a statement on the table made before it");
        let text =
            "INSERT INTO t VALUES (2);\n INSERT INTO t VALUES (3); SELECT count(*) AS n FROM t";
        let mut counts = Vec::new();
        for _ in 0..2 {
            let (rows, _) = conn.run_text(text, None).expect("run");
            counts.extend(rows.iter().map(|r| r.get::<i64, _>("n")));
        }
        assert_eq!(counts, [3, 5], "both runs ran all three statements");
        let kept = conn.texts.get(text).expect("kept");
        assert_eq!(kept.len(), 3, "{kept:?}");
        assert_eq!(kept[1], "INSERT INTO t VALUES (3);", "{kept:?}");
    }
}
