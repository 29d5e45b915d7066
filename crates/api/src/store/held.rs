//! A send writer's own connection to PostgreSQL, taken out of the pool and kept (see `sends`).
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

use sqlx::{AnyConnection, AnyPool, Connection, Executor};
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
