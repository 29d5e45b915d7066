//! SQLite: the embedded default. One writer at a time (serialised in-process), WAL so readers
//! never wait, FTS5 for search, `synchronous=FULL` so an acknowledged write survives `kill -9`
//! and power loss.

use super::Dialect;

/// The SQLite dialect.
#[derive(Debug, Clone, Copy)]
pub struct Sqlite;

impl Dialect for Sqlite {
    fn name(&self) -> &'static str {
        "sqlite"
    }
    fn migrator(&self) -> sqlx::migrate::Migrator {
        sqlx::migrate!("./migrations/sqlite")
    }
    fn for_update(&self) -> &'static str {
        ""
    }
    fn for_update_skip_locked(&self) -> &'static str {
        ""
    }
    fn search_condition(&self, n: usize) -> String {
        format!("m.id IN (SELECT rowid FROM messages_fts WHERE messages_fts MATCH ${n})")
    }
    fn search_param(&self, q: &str) -> Option<String> {
        // Every word becomes a quoted FTS5 string (quotes doubled), so no FTS5 operator a
        // person types can change the query; the words are ANDed.
        let terms: Vec<String> = q
            .split_whitespace()
            .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()))
            .filter(|w| !w.is_empty())
            .map(|w| format!("\"{}\"", w.replace('"', "\"\"")))
            .collect();
        (!terms.is_empty()).then(|| terms.join(" "))
    }
    fn before_event_sql(&self) -> Option<&'static str> {
        None
    }
    fn after_event_sql(&self) -> Option<&'static str> {
        None
    }
    fn connection_setup(&self) -> &'static [&'static str] {
        &[
            "PRAGMA journal_mode = WAL",
            "PRAGMA synchronous = FULL",
            "PRAGMA foreign_keys = ON",
            "PRAGMA busy_timeout = 10000",
        ]
    }
    fn single_writer(&self) -> bool {
        true
    }
    fn max_connections(&self) -> u32 {
        8
    }
}
