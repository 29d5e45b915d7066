//! A consistent copy of a SQLite database, taken while servers go on writing to it.

use super::{Store, StoreError};
use std::path::Path;

/// What a copy holds, read from the copy itself.
#[derive(Debug, Clone, Copy)]
pub struct BackupContents {
    /// Accounts (agents, supervisors, administrators), active or not.
    pub accounts: i64,
    /// Contacts.
    pub contacts: i64,
    /// Messages, pictures included (they are rows of the database too).
    pub messages: i64,
}

impl Store {
    /// Writes the whole database into `to`, which must be an empty file: SQLite's `VACUUM
    /// INTO` reads one snapshot (as a reader, so senders are not held) and writes it compacted.
    /// Only for SQLite: PostgreSQL has `pg_dump`.
    pub async fn vacuum_into(&self, to: &str) -> Result<(), StoreError> {
        if self.sqlite_file.is_none() {
            return Err(StoreError::Rejected(
                "only a SQLite database is copied this way".to_owned(),
            ));
        }
        sqlx::query("VACUUM INTO $1")
            .bind(to)
            .execute(self.pool())
            .await?;
        Ok(())
    }
}

/// Checks a copy made by [`Store::vacuum_into`] (SQLite's `quick_check`: every page and
/// index entry readable and in order) and counts what it holds, opened read only.
pub async fn check_copy(file: &Path) -> Result<BackupContents, StoreError> {
    use sqlx::{Connection, Row};
    let options = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(file)
        .read_only(true);
    let mut conn = sqlx::SqliteConnection::connect_with(&options).await?;
    let verdict: String = sqlx::query("PRAGMA quick_check")
        .fetch_one(&mut conn)
        .await?
        .try_get(0)?;
    if verdict != "ok" {
        return Err(StoreError::Rejected(format!(
            "the copy failed SQLite's check: {verdict}"
        )));
    }
    let row = sqlx::query(
        "SELECT (SELECT COUNT(*) FROM agents), (SELECT COUNT(*) FROM contacts), \
         (SELECT COUNT(*) FROM messages)",
    )
    .fetch_one(&mut conn)
    .await?;
    let contents = BackupContents {
        accounts: row.try_get(0)?,
        contacts: row.try_get(1)?,
        messages: row.try_get(2)?,
    };
    conn.close().await?;
    Ok(contents)
}
