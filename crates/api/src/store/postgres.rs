//! PostgreSQL: for several API instances on one database. Row locks (`FOR UPDATE`,
//! `SKIP LOCKED`) keep routing correct across instances; an advisory lock makes event ids
//! commit in order so every instance tails the log without gaps; `NOTIFY` wakes the others.

use super::sql::{Arg, SqlBuilder};
use super::Dialect;
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
#[derive(Debug, Clone, Copy)]
pub struct Postgres;

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
    fn search_param(&self, q: &str) -> Option<String> {
        let q = q.trim();
        (!q.is_empty()).then(|| q.to_owned())
    }
    fn before_event_sql(&self) -> Option<&'static str> {
        // Held to commit: ids are taken and committed in one order, so a reader that saw id N
        // will never later find a smaller id appear.
        Some("SELECT pg_advisory_xact_lock(7215004)")
    }
    fn after_event_sql(&self) -> Option<&'static str> {
        Some("SELECT pg_notify('threadline_events', '')")
    }
    fn connection_setup(&self) -> &'static [&'static str] {
        // No JIT compilation: a year's report over 100,000 interactions spent 0.4–0.5 s of its
        // 1.4–1.6 s compiling (its correlated subqueries look costly to the planner); without
        // it the statement ran in 0.87–0.94 s. Nothing here runs long enough to repay it.
        &["SET jit = off"]
    }
    fn single_writer(&self) -> bool {
        false
    }
    fn max_connections(&self) -> u32 {
        16
    }
    fn ping_before_use(&self) -> bool {
        // The server may have closed an idle connection (restart, idle timeout).
        true
    }
    fn send_writers(&self) -> usize {
        // Several: most of a send is round trips to the server, which run side by side; only
        // writing the event log and committing take turns (the ordering lock).
        4
    }
}
