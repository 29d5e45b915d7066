//! SQLite: the embedded default. One writer at a time (serialised in-process), WAL so readers
//! never wait, FTS5 for search (the index hands out matches newest first), `synchronous=FULL`
//! so an acknowledged write survives `kill -9` and power loss.

use super::search_index::Backlog;
use super::sql::{Arg, SqlBuilder};
use super::{Dialect, EventsBound, EVENT_COLUMNS};
use wire::ContactId;

/// The full-text index's catch-up (migration 0022): the messages above the index's mark, oldest
/// first, at most `$1` of them; then the mark moved past the same messages.
const BACKLOG: Backlog = Backlog {
    pending: "SELECT COUNT(*) FROM messages \
              WHERE id > (SELECT indexed_to FROM search_index_state)",
    index: "INSERT INTO messages_fts(rowid, text, contact_id) \
            SELECT id, text, contact_id FROM messages \
            WHERE id > (SELECT indexed_to FROM search_index_state) ORDER BY id LIMIT $1",
    advance: "UPDATE search_index_state SET indexed_to = COALESCE((SELECT MAX(id) FROM \
              (SELECT id FROM messages WHERE id > indexed_to ORDER BY id LIMIT $1)), indexed_to)",
};

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
    fn row_version(&self) -> Option<&'static str> {
        None
    }
    fn search_condition(&self, n: usize) -> String {
        format!("m.id IN (SELECT rowid FROM messages_fts WHERE messages_fts.text MATCH ${n})")
    }
    fn push_message_search(
        &self,
        b: &mut SqlBuilder,
        param: String,
        contact: Option<ContactId>,
    ) -> &'static str {
        // The index drives: FTS5 hands out matches newest (highest rowid) first and the query
        // stops at the page size, where `m.id IN (SELECT rowid … MATCH …)` first collects every
        // match (for a common word, most of the table). Within a contact, the index's
        // `contact_id` column (migration 0002) makes it the intersection of two lists of ids.
        // `+m.contact_id` checks the row's own contact as well (the index matches text), and
        // its `+` keeps the contact's B-tree index out of the planner's choices, so the
        // full-text index stays the outer loop.
        b.push(" JOIN messages_fts ON messages_fts.rowid = m.id WHERE messages_fts.text MATCH ");
        let p = b.arg(Arg::Text(param));
        b.push(&p);
        if let Some(c) = contact {
            let token = b.arg(Arg::Text(format!("\"{}\"", c.0)));
            let id = b.arg(Arg::Int(c.0));
            b.push(&format!(
                " AND messages_fts.contact_id MATCH {token} AND +m.contact_id = {id}"
            ));
        }
        "messages_fts.rowid"
    }
    fn search_backlog(&self) -> Option<&'static Backlog> {
        Some(&BACKLOG)
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
    fn events_bound(&self) -> EventsBound {
        // SQLite prepares a statement in microseconds, in this process; JSON would only add
        // its parsing to every commit.
        EventsBound::Values
    }
    fn append_events_sql(&self, rows: usize, returning: &str) -> String {
        let rows = super::sql::values_rows(rows, 6, &[1, 2, 3, 4, 5, 6]);
        format!("INSERT INTO events ({EVENT_COLUMNS}) VALUES {rows}{returning}")
    }
    fn log_snapshot(&self) -> Option<&'static str> {
        // One writer at a time: ids become visible in the order they were drawn.
        None
    }
    fn ids_given_sql(&self, table: &'static str) -> String {
        // `AUTOINCREMENT` keeps the newest id ever given here.
        format!(
            "SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = '{table}'), 0) AS given"
        )
    }
    fn skip_ids_sql(&self, table: &'static str) -> Vec<String> {
        vec![
            format!("UPDATE sqlite_sequence SET seq = $1 WHERE name = '{table}'"),
            format!(
                "INSERT INTO sqlite_sequence (name, seq) SELECT '{table}', $1 \
                 WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = '{table}')"
            ),
        ]
    }
    fn writable_ctes(&self) -> bool {
        false
    }
    fn wake_tag(&self) -> Option<&str> {
        None
    }
    fn connection_setup(&self) -> &'static [&'static str] {
        &[
            // Pages of 2 KB for a new database; a database that exists keeps the size it was
            // made with (SQLite fixes it when the file's first page is written, which the next
            // line does on a new file). A send changes about fourteen pages, and its commit
            // copies each whole page into the WAL and checksums it: half the page, half the
            // bytes a commit (see the README's "Pages of 2 KB").
            "PRAGMA page_size = 2048",
            "PRAGMA journal_mode = WAL",
            "PRAGMA synchronous = FULL",
            "PRAGMA foreign_keys = ON",
            "PRAGMA busy_timeout = 10000",
            // Statement journals (and sorts) in memory: with the full-text index flushing at
            // each transaction, every send opened and deleted a temporary file otherwise
            // (5.7 % of the server's CPU in the README's profile). The database file and its
            // WAL are untouched: durability is the same.
            "PRAGMA temp_store = MEMORY",
            // What a write frees inside a page it writes anyway (a deleted or rewritten row, a
            // row moved when a page splits) is overwritten with zeros: no more writes, a
            // `memset`. Without it a page kept a row's old bytes in its free space after the
            // row left, so an erased contact's words stayed in the file (see `erasure`).
            "PRAGMA secure_delete = FAST",
        ]
    }
    fn send_begin(&self) -> Option<&'static str> {
        // The send writer's own connection begins with `BEGIN IMMEDIATE` (see `direct`).
        None
    }
    fn begin_locked(&self) -> Option<&'static str> {
        Some("BEGIN IMMEDIATE")
    }
    fn zeroing_deletes(&self) -> Option<(&'static str, &'static str)> {
        Some(("PRAGMA secure_delete = ON", "PRAGMA secure_delete = FAST"))
    }
    fn single_writer(&self) -> bool {
        true
    }
    fn max_connections(&self) -> u32 {
        8
    }
    fn min_connections(&self) -> u32 {
        1
    }
    fn ping_after_idle(&self) -> Option<std::time::Duration> {
        // A file in this process has no server to close a connection; the ping was a round
        // trip to the connection's thread on every use of the pool.
        None
    }
    fn send_writers(&self) -> usize {
        // One: there is one writer anyway, and a batch gathers while the previous one commits.
        1
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_db::sqlite_database;
    use super::super::Store;

    /// A connection of the test's own to the SQLite file of `url`.
    fn open(url: &str) -> rusqlite::Connection {
        let path = super::super::sqlite_file(&super::Sqlite, url).expect("a SQLite URL");
        rusqlite::Connection::open(path.expect("a file")).expect("open")
    }

    /// The page size and journal mode of the SQLite file of `url`.
    fn page_size_and_mode(url: &str) -> (i64, String) {
        let conn = open(url);
        let size = conn.query_row("PRAGMA page_size", [], |r| r.get(0));
        let mode = conn.query_row("PRAGMA journal_mode", [], |r| r.get(0));
        (size.expect("page size"), mode.expect("journal mode"))
    }

    /// A new database is made with pages of 2 KB, in WAL mode; one made with 4 KB pages
    /// before keeps them, and the server opens, migrates and writes it as before.
    #[tokio::test]
    async fn a_new_database_has_pages_of_2_kb_and_an_old_one_keeps_its_own() {
        let (_new_dir, new) = sqlite_database("new");
        Store::connect(&new).await.expect("store").close().await;
        assert_eq!(page_size_and_mode(&new), (2048, "wal".to_owned()));

        let (_old_dir, old) = sqlite_database("old");
        open(&old)
            .execute_batch("PRAGMA page_size = 4096; PRAGMA journal_mode = WAL; CREATE TABLE t (x)")
            .expect("a database made with 4 KB pages");
        let store = Store::connect(&old).await.expect("store");
        let contact = store.create_contact("Ada", "", None, &[]).await;
        store.close().await;
        contact.expect("written");
        assert_eq!(page_size_and_mode(&old), (4096, "wal".to_owned()));
    }
}
