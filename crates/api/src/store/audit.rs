//! The audit log: every administrative change, recorded by the transaction that makes it.

use super::{StoreError, Tx};
use crate::util::now_ms;
use wire::accounts::AuditAction;
use wire::AgentId;

/// One change, as [`Tx::audit`] records it.
#[derive(Debug, Clone)]
pub struct AuditEntry {
    /// Who made it; `None` for the command line.
    pub actor: Option<AgentId>,
    /// What was done (its code and the kind of thing it changes are written).
    pub action: AuditAction,
    /// Which one (its id as text).
    pub target_id: String,
    /// The thing before the change (none for a creation).
    pub before: Option<serde_json::Value>,
    /// The thing after the change (none for a deletion).
    pub after: Option<serde_json::Value>,
}

impl Tx {
    /// Records a change in the audit log, committed (or rolled back) with the change itself.
    ///
    /// # Errors
    /// The database failed.
    pub async fn audit(&mut self, entry: AuditEntry) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO audit_log (at, actor_id, action, target_kind, target_id, before_json, after_json) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(now_ms())
        .bind(entry.actor.map(|a| a.0))
        .bind(entry.action.code())
        .bind(entry.action.target_kind())
        .bind(entry.target_id)
        .bind(entry.before.map(|v| v.to_string()))
        .bind(entry.after.map(|v| v.to_string()))
        .execute(&mut self.inner)
        .await?;
        Ok(())
    }
}
