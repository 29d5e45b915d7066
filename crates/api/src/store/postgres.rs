//! PostgreSQL: for several API instances on one database. Row locks (`FOR UPDATE`,
//! `SKIP LOCKED`) keep routing correct across instances; event ids commit in any order and
//! every instance's reader waits at a gap until it is settled (`LogCursor`); `NOTIFY` wakes
//! the others.

use super::sql::{Arg, SqlBuilder};
use super::{Dialect, EventsBound, EVENT_COLUMNS};
use wire::ContactId;

/// The channel other instances `LISTEN` on.
pub const NOTIFY_CHANNEL: &str = "threadline_events";

/// The channel that carries live-only events (typing) to the other instances' hubs.
pub const LIVE_CHANNEL: &str = "threadline_live";

/// Makes the database `url` names when the server does not have it yet (a fresh machine) and
/// the role may create databases; otherwise says exactly what to run.
///
/// # Errors
/// The server is unreachable, or the database is missing and could not be made.
pub async fn ensure_database(url: &str) -> Result<(), crate::ServeError> {
    use sqlx::migrate::MigrateDatabase;
    use std::str::FromStr;
    // When the check itself fails (a role that may not read the server's catalogue, say), the
    // connection that follows reports the real problem.
    if sqlx::Postgres::database_exists(url).await.unwrap_or(true) {
        return Ok(());
    }
    match sqlx::Postgres::create_database(url).await {
        Ok(()) => {
            tracing::info!("created the PostgreSQL database the database URL names");
            Ok(())
        }
        Err(e) => {
            let options = sqlx::postgres::PgConnectOptions::from_str(url)?;
            let name = options.get_database().unwrap_or("threadline").to_owned();
            Err(crate::ServeError::Other(format!(
                "the PostgreSQL database \"{name}\" does not exist and this role may not create \
                 it ({e}). Create it as a user who may, then start again:\n  createdb -h {host} -p {port} -U postgres -O {user} {name}\n\
                 or in psql: CREATE DATABASE \"{name}\" OWNER \"{user}\";",
                host = options.get_host(),
                port = options.get_port(),
                user = options.get_username(),
            )))
        }
    }
}

/// The PostgreSQL dialect.
#[derive(Debug, Clone)]
pub struct Postgres {
    /// What this process's `NOTIFY` after a commit carries, so that its own listener can tell
    /// its own wakes from the other instances': its hub already has those events from
    /// `Committed`, and reading the log again for each of its own commits cost a query a
    /// commit.
    wake_tag: String,
}

impl Postgres {
    /// The dialect for one process, with a wake tag of its own.
    pub fn new() -> Self {
        Postgres {
            wake_tag: format!("{:016x}", rand::random::<u64>()),
        }
    }
}

impl Default for Postgres {
    fn default() -> Self {
        Self::new()
    }
}

impl Dialect for Postgres {
    fn name(&self) -> &'static str {
        "postgres"
    }
    fn migrator(&self) -> sqlx::migrate::Migrator {
        sqlx::migrate!("./migrations/postgres")
    }
    fn for_update(&self) -> &'static str {
        " FOR UPDATE"
    }
    fn for_update_skip_locked(&self) -> &'static str {
        " FOR UPDATE SKIP LOCKED"
    }
    fn row_version(&self) -> Option<&'static str> {
        Some("xmin::text")
    }
    fn search_condition(&self, n: usize) -> String {
        // `text_search` is `to_tsvector('simple', text)`, stored (migration 0002): when the
        // planner reads messages newest first and stops at the page size, each row is
        // checked without parsing its text again.
        format!("m.text_search @@ plainto_tsquery('simple', ${n})")
    }
    fn push_message_search(
        &self,
        b: &mut SqlBuilder,
        param: String,
        contact: Option<ContactId>,
    ) -> &'static str {
        let n = b.next_index();
        b.arg(Arg::Text(param));
        b.push(" WHERE ");
        b.push(&self.search_condition(n));
        if let Some(c) = contact {
            let p = b.arg(Arg::Int(c.0));
            b.push(&format!(" AND m.contact_id = {p}"));
        }
        "m.id"
    }
    fn search_backlog(&self) -> Option<&'static super::search_index::Backlog> {
        // The GIN index over the stored `text_search` column is written with each row.
        None
    }
    fn search_param(&self, q: &str) -> Option<String> {
        let q = q.trim();
        (!q.is_empty()).then(|| q.to_owned())
    }
    fn events_bound(&self) -> EventsBound {
        EventsBound::Json
    }
    fn append_events_sql(&self, _rows: usize, _returning: &str) -> String {
        // The transaction takes its id before the rows draw theirs (the rows are joined to
        // its one-row result): a reader that misses an id below one it sees then knows the
        // transaction that drew it had its id before the read (see `LogCursor`). Nothing is
        // locked: transactions commit side by side, and readers wait at a gap instead.
        // `NOTIFY` is delivered at commit, so where it stands in the statement does not matter.
        // The rows are inserted, and so draw their ids, in the array's order.
        format!(
            "WITH ordering AS MATERIALIZED (SELECT pg_current_xact_id()), \
             added AS (INSERT INTO events ({EVENT_COLUMNS}) \
             SELECT (e.r->>0)::bigint, (e.r->>1)::bigint, (e.r->>2)::bigint, \
             (e.r->>3)::bigint, (e.r->>4)::bigint, e.r->>5 \
             FROM ordering CROSS JOIN jsonb_array_elements($1::jsonb) WITH ORDINALITY AS e(r, n) \
             ORDER BY e.n \
             RETURNING id) \
             SELECT added.id FROM added CROSS JOIN (SELECT pg_notify('{NOTIFY_CHANNEL}', '{tag}')) AS wake",
            tag = self.wake_tag
        )
    }
    fn log_snapshot(&self) -> Option<&'static str> {
        Some("pg_current_snapshot()::text")
    }
    fn ids_given_sql(&self, table: &'static str) -> String {
        // NULL until the sequence has given an id.
        format!(
            "SELECT COALESCE(pg_sequence_last_value(pg_get_serial_sequence('{table}', 'id')\
             ::regclass), 0) AS given"
        )
    }
    fn skip_ids_sql(&self, table: &'static str) -> Vec<String> {
        vec![format!(
            "SELECT setval(pg_get_serial_sequence('{table}', 'id'), $1)"
        )]
    }
    fn writable_ctes(&self) -> bool {
        true
    }
    fn wake_tag(&self) -> Option<&str> {
        Some(&self.wake_tag)
    }
    fn connection_setup(&self) -> &'static [&'static str] {
        // No JIT compilation: a year's report over 100,000 interactions spent 0.4–0.5 s of its
        // 1.4–1.6 s compiling (its correlated subqueries look costly to the planner); without
        // it the statement ran in 0.87–0.94 s. Nothing here runs long enough to repay it.
        &["SET jit = off"]
    }
    fn send_begin(&self) -> Option<&'static str> {
        // Generic plans for the send's statements, in the same round trip as `BEGIN`: left to
        // itself the server planned the statement that locks the contact again at every bind
        // (its plan for one contact looks cheaper than the plan for any), and the runs at
        // 1,000 messages a second had about half the p99 with generic plans.
        Some("BEGIN; SET LOCAL plan_cache_mode = force_generic_plan")
    }
    fn begin_locked(&self) -> Option<&'static str> {
        None
    }
    fn zeroing_deletes(&self) -> Option<(&'static str, &'static str)> {
        None
    }
    fn single_writer(&self) -> bool {
        false
    }
    fn max_connections(&self) -> u32 {
        // The send writers' own connections (`send_writers`, see `held`) are outside the
        // pool: a process holds at most 16, as when the writers took theirs from it.
        12
    }
    fn min_connections(&self) -> u32 {
        // Each connection is a server process, started in milliseconds: opened one by one
        // as a burst of sends arrives, they held the first sends up (p95 over 80 ms in the
        // first second of a run at 1,000 messages a second, against 9 ms after).
        8
    }
    fn ping_after_idle(&self) -> Option<std::time::Duration> {
        // The server may have closed an idle connection (restart, idle timeout).
        Some(std::time::Duration::from_secs(10))
    }
    fn send_writers(&self) -> usize {
        // Several: most of a send is round trips to the server, which run side by side. Each
        // holds a connection of its own (see `held`).
        4
    }
}
