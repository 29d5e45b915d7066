//! PostgreSQL: for several API instances on one database. Row locks (`FOR UPDATE`,
//! `SKIP LOCKED`) keep routing correct across instances; an advisory lock makes event ids
//! commit in order so every instance tails the log without gaps; `NOTIFY` wakes the others.

use super::Dialect;

/// The channel other instances `LISTEN` on.
pub const NOTIFY_CHANNEL: &str = "threadline_events";

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
        format!("to_tsvector('simple', m.text) @@ plainto_tsquery('simple', ${n})")
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
        &[]
    }
    fn single_writer(&self) -> bool {
        false
    }
    fn max_connections(&self) -> u32 {
        16
    }
}
