//! This process's own connections to PostgreSQL, taken out of the pool and kept: each send
//! writer's (see `sends`), and a few for lookups by key ([`HeldRead`]).
//!
//! Through the pool, each batch of sends acquired a connection and gave it back, and sqlx
//! pings every connection it takes back (a round trip, in a task of its own), so a send cost
//! one round trip and one wake-up more than its statements; and every connection of the pool
//! ended up preparing and planning the send's statements, each the first time it wrote one,
//! which is what the first sends after a start waited for. A writer's own connection pays
//! that once, and its batches run with no acquire and no release.
//!
//! A transaction takes the connection out of its slot and puts it back when it commits or rolls
//! back; one that is dropped half-way (an error between statements) drops the connection with
//! it, which the server answers by rolling the transaction back, and the next batch takes a
//! fresh connection from the pool.

use futures_util::future::{ready, BoxFuture};
use futures_util::stream::{self, BoxStream, StreamExt, TryStreamExt};
use sqlx::any::{AnyQueryResult, AnyRow};
use sqlx::{Any, AnyConnection, AnyPool, Connection, Either, Execute, Executor};
use std::time::{Duration, Instant};
use tokio::sync::OwnedMutexGuard;

/// Where a send writer keeps its connection between transactions.
pub(crate) struct HeldConn {
    /// Where a fresh connection comes from (it is then taken out of the pool: `detach`), so
    /// that it is opened and set up as every other one is.
    pool: AnyPool,
    /// The connection, when one is open and no transaction has it.
    conn: Option<AnyConnection>,
    /// When it was last given to a transaction, to know when to check it first.
    used: Instant,
    /// After how long unused it is pinged before a transaction runs on it (the server may
    /// have closed it meanwhile): the pool's rule ([`super::Dialect::ping_after_idle`]).
    ping_after: Option<Duration>,
}

impl HeldConn {
    /// A slot with no connection yet: the first transaction opens one.
    pub(crate) fn new(pool: AnyPool, ping_after: Option<Duration>) -> Self {
        HeldConn {
            pool,
            conn: None,
            used: Instant::now(),
            ping_after,
        }
    }

    /// Opens the connection ahead of the first transaction, so that the first send does not
    /// wait for it.
    pub(crate) async fn open(&mut self) -> Result<(), sqlx::Error> {
        let (conn, _) = self.take().await?;
        self.conn = Some(conn);
        Ok(())
    }

    /// The connection for a transaction: the one kept (pinged first when it was unused for
    /// long, and replaced when that fails), or a new one; and whether it was kept.
    async fn take(&mut self) -> Result<(AnyConnection, bool), sqlx::Error> {
        let stale = self
            .ping_after
            .is_some_and(|after| self.used.elapsed() >= after);
        let kept = match self.conn.take() {
            Some(mut conn) if stale => conn.ping().await.is_ok().then_some(conn),
            kept => kept,
        };
        self.used = Instant::now();
        match kept {
            Some(conn) => Ok((conn, true)),
            None => Ok((fresh(&self.pool).await?, false)),
        }
    }
}

/// A new connection, opened by `pool` and taken out of it.
async fn fresh(pool: &AnyPool) -> Result<AnyConnection, sqlx::Error> {
    Ok(pool.acquire().await?.detach())
}

/// A transaction on a writer's connection: the connection is out of its slot until the
/// transaction ends.
pub(crate) struct HeldTx {
    /// The slot, locked: the connection goes back into it.
    slot: OwnedMutexGuard<HeldConn>,
    /// The connection, inside the transaction.
    pub(crate) conn: AnyConnection,
}

impl HeldTx {
    /// Takes the slot's connection and begins a transaction on it with `begin` (one text of
    /// one or more statements). When that fails on the connection kept, the server may have
    /// closed it since the last transaction (a restart, an administrator): it is begun once
    /// more on a new one, which is safe because nothing was done yet.
    pub(crate) async fn begin(
        mut slot: OwnedMutexGuard<HeldConn>,
        begin: &str,
    ) -> Result<HeldTx, sqlx::Error> {
        let (mut conn, kept) = slot.take().await?;
        if let Err(e) = conn.execute(begin).await {
            if !kept {
                return Err(e);
            }
            tracing::debug!(error = %e, "a send writer's connection failed; taking a new one");
            let pool = slot.pool.clone();
            conn = fresh(&pool).await?;
            conn.execute(begin).await?;
        }
        Ok(HeldTx { slot, conn })
    }

    /// Commits; the connection goes back to its slot. When the commit fails, the
    /// connection's state is unknown, and it is dropped.
    pub(crate) async fn commit(self) -> Result<(), sqlx::Error> {
        self.end("COMMIT").await
    }

    /// Rolls back; the connection goes back to its slot unless that failed.
    pub(crate) async fn rollback(self) -> Result<(), sqlx::Error> {
        self.end("ROLLBACK").await
    }

    async fn end(self, statement: &str) -> Result<(), sqlx::Error> {
        let HeldTx { mut slot, mut conn } = self;
        conn.execute(statement).await?;
        slot.conn = Some(conn);
        Ok(())
    }
}

/// A lookup by key (a session's, a visitor token's: every request's first statement) on one of
/// this process's own connections, held while it runs (see [`super::Store::point_read`]).
///
/// Through the pool, such a lookup cost two round trips: the statement, and the ping sqlx
/// sends on every connection it takes back (in a task of its own, which wakes the database's
/// process once more). A connection kept here is checked only after it sat unused
/// ([`HeldConn::take`], the pool's rule). After anything but a success it is closed, and the
/// next lookup opens a new one: an error, or a lookup given up half-way (its request gone),
/// may have left it in the middle of an answer.
pub(crate) struct HeldRead(pub(super) OwnedMutexGuard<HeldConn>);

impl HeldRead {
    /// The statement's row, if any.
    pub(crate) fn fetch_optional<'e, 'q: 'e, E: 'q + Execute<'q, Any>>(
        &'e mut self,
        query: E,
    ) -> BoxFuture<'e, Result<Option<AnyRow>, sqlx::Error>> {
        Box::pin(async move {
            let (mut conn, _) = self.0.take().await?;
            let result = conn.fetch_optional(query).await;
            self.keep(conn, &result);
            result
        })
    }

    /// The statement's results, read whole before the first is handed on (lookups by key
    /// return a few rows), so that the connection is back in its slot by then.
    pub(crate) fn fetch_many<'e, 'q: 'e, E: 'q + Execute<'q, Any>>(
        &'e mut self,
        query: E,
    ) -> BoxStream<'e, Result<Either<AnyQueryResult, AnyRow>, sqlx::Error>> {
        let all = async move {
            let (mut conn, _) = self.0.take().await?;
            let result: Result<Vec<_>, sqlx::Error> = conn.fetch_many(query).try_collect().await;
            self.keep(conn, &result);
            result
        };
        Box::pin(stream::once(all).flat_map(|result| match result {
            Ok(all) => stream::iter(all.into_iter().map(Ok)).left_stream(),
            Err(e) => stream::once(ready(Err(e))).right_stream(),
        }))
    }

    /// Puts the connection back after a success; otherwise it is dropped (closed).
    fn keep<T>(&mut self, conn: AnyConnection, result: &Result<T, sqlx::Error>) {
        if result.is_ok() {
            self.0.conn = Some(conn);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_db::on_postgres;
    use super::super::{tx::Conn, Store};
    use sqlx::Row;
    use std::time::Duration;

    /// The backend serving a lookup, and the contact's name it read.
    async fn backend_and_name(conn: &mut Conn, contact: i64) -> Result<(i32, String), sqlx::Error> {
        let row =
            sqlx::query("SELECT pg_backend_pid() AS pid, first_name FROM contacts WHERE id = $1")
                .bind(contact)
                .fetch_optional(conn)
                .await?
                .ok_or(sqlx::Error::RowNotFound)?;
        Ok((row.try_get("pid")?, row.try_get("first_name")?))
    }

    /// Lookups by key on PostgreSQL run on the process's own connections while one is free,
    /// each on the same backend lookup after lookup (not taken from the pool and given back,
    /// which sqlx answers with a ping), and on the pool when all are held; the rows are the
    /// same. A connection whose backend ended, or whose lookup was given up half-way, is
    /// replaced, and the next lookups read the right rows.
    async fn point_reads_keep_their_connections(url: &str) {
        let store = Store::connect(url).await.expect("store");
        let contact = store
            .create_contact("Ada", "", None, &[])
            .await
            .expect("contact")
            .0;
        let mut first = store.point_read();
        assert!(matches!(first, Conn::Read(_)), "{first:?}");
        let (pid, name) = backend_and_name(&mut first, contact).await.expect("read");
        assert_eq!(name, "Ada");
        let (again, _) = backend_and_name(&mut first, contact).await.expect("read");
        assert_eq!(again, pid, "the same connection, kept");
        drop(first);
        let mut held = Vec::new();
        for _ in 0..super::super::POINT_READERS {
            let conn = store.point_read();
            assert!(matches!(conn, Conn::Read(_)), "{conn:?}");
            held.push(conn);
        }
        let mut pooled = store.point_read();
        assert!(matches!(pooled, Conn::Pool(_)), "all held: {pooled:?}");
        let (pool_pid, name) = backend_and_name(&mut pooled, contact).await.expect("read");
        assert_eq!(name, "Ada");
        assert_ne!(pool_pid, pid);
        drop(held);

        // The backend ends (a restart, an administrator): within two lookups, one reads
        // again, on a new backend. (The call waits until the backend has gone.)
        sqlx::query("SELECT pg_terminate_backend($1, 10000)")
            .bind(pid)
            .execute(store.pool())
            .await
            .expect("terminate");
        let mut recovered = None;
        for _ in 0..2 {
            if let Ok(read) = backend_and_name(&mut store.point_read(), contact).await {
                recovered = Some(read);
                break;
            }
        }
        let (new_pid, name) = recovered.expect("a lookup after the backend ended");
        assert_ne!(new_pid, pid);
        assert_eq!(name, "Ada");

        // A lookup given up while the backend is still answering (its request gone): the
        // next lookups get their own answers, not the one left on the wire.
        let mut slow = store.point_read();
        let given_up = tokio::time::timeout(
            Duration::from_millis(50),
            sqlx::query("SELECT pg_sleep(0.3)::text AS first_name").fetch_optional(&mut slow),
        )
        .await;
        assert!(given_up.is_err(), "the slow lookup was given up");
        drop(slow);
        for _ in 0..3 {
            let (_, name) = backend_and_name(&mut store.point_read(), contact)
                .await
                .expect("read after a lookup given up");
            assert_eq!(name, "Ada");
        }
        store.close().await;
    }

    #[tokio::test]
    async fn point_reads_keep_their_connections_postgres() {
        on_postgres("point_reads", point_reads_keep_their_connections).await;
    }
}
