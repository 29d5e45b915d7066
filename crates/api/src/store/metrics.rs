//! What the metrics read from the database at each scrape: chats by state, agents logged in
//! and Ready, messages waiting for or refused by a platform. Each is one indexed read.

use super::agents::live_session;
use super::{Store, StoreError};
use crate::util::now_ms;
use sqlx::Row;

/// The database's side of the metrics.
#[derive(Debug, Clone, Default)]
pub struct StoreGauges {
    /// Chats not yet Done, by state (`queued`, `offered`, `active`, `ended`); a state with
    /// none is absent.
    pub chats: Vec<(String, i64)>,
    /// Active accounts with a live session.
    pub agents_logged_in: i64,
    /// … of them Ready.
    pub agents_ready: i64,
    /// Replies to Messenger and X not yet accepted by the platform (`waiting`, `sending`) or
    /// refused for good (`failed`), by state.
    pub outbox: Vec<(String, i64)>,
}

impl Store {
    /// Reads the database's gauges.
    pub async fn gauges(&self) -> Result<StoreGauges, StoreError> {
        let by_state = |rows: Vec<sqlx::any::AnyRow>| {
            rows.iter()
                .map(|r| Ok((r.try_get::<String, _>("state")?, r.try_get::<i64, _>("n")?)))
                .collect::<Result<Vec<_>, sqlx::Error>>()
        };
        let chats = sqlx::query(
            "SELECT state, COUNT(*) AS n FROM interactions \
             WHERE state IN ('queued', 'offered', 'active', 'ended') GROUP BY state ORDER BY state",
        )
        .fetch_all(self.pool())
        .await?;
        let agents = sqlx::query(concat!(
            "SELECT COUNT(*) AS logged_in, COUNT(CASE WHEN a.ready = 1 THEN 1 END) AS ready \
             FROM agents a WHERE a.deactivated_at IS NULL AND EXISTS \
             (SELECT 1 FROM agent_sessions s WHERE s.agent_id = a.id AND ",
            live_session!("s", "$1"),
            ")"
        ))
        .bind(now_ms())
        .fetch_one(self.pool())
        .await?;
        let outbox = sqlx::query(
            "SELECT state, COUNT(*) AS n FROM outbox \
             WHERE state IN ('waiting', 'sending', 'failed') GROUP BY state ORDER BY state",
        )
        .fetch_all(self.pool())
        .await?;
        Ok(StoreGauges {
            chats: by_state(chats)?,
            agents_logged_in: agents.try_get("logged_in")?,
            agents_ready: agents.try_get("ready")?,
            outbox: by_state(outbox)?,
        })
    }
}
