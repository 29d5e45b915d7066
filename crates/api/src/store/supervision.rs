//! What a supervisor does to an agent's work from the board: set them Not Ready, log them
//! out. Each change is audited in its own transaction.

use super::agents::{live_sessions, log_out_everywhere_in, set_status_in};
use super::{AuditEntry, Store, StoreError};
use crate::util::now_ms;
use sqlx::Row;
use wire::accounts::AuditAction;
use wire::{AgentId, AgentView, ChatStatus, ReasonCode};

impl Store {
    /// Sets an active agent Not Ready with `reason`, for `actor`. `None` when there is no such
    /// active account; a conflict when they are not logged in (their status says so until they
    /// log in, and a reason given meanwhile would say they were on a break they never took).
    pub async fn force_not_ready(
        &self,
        actor: AgentId,
        agent: AgentId,
        reason: &ReasonCode,
    ) -> Result<Option<AgentView>, StoreError> {
        let mut tx = self.begin().await?;
        let Some(before) = active_status(&mut tx, agent).await? else {
            tx.rollback().await?;
            return Ok(None);
        };
        if live_sessions(&mut tx, agent, now_ms()).await? == 0 {
            tx.rollback().await?;
            return Err(StoreError::conflict(
                "this agent is logged out: Not Ready is set for agents who are logged in",
            ));
        }
        let status = ChatStatus::NotReady {
            reason: reason.clone(),
        };
        let view = set_status_in(&mut tx, agent, &status).await?;
        tx.audit(AuditEntry {
            actor: Some(actor),
            action: AuditAction::AgentSetNotReady,
            target_id: agent.0.to_string(),
            before: Some(serde_json::json!({ "status": before })),
            after: Some(serde_json::json!({ "status": status })),
        })
        .await?;
        tx.commit().await?;
        Ok(Some(view))
    }

    /// Ends every session of an active agent for `actor`: their desktops' streams close on
    /// every instance, they go Not Ready (logged out) and chats kept for them go back to
    /// routing. `false` when there is no such active account.
    pub async fn log_out_agent(&self, actor: AgentId, agent: AgentId) -> Result<bool, StoreError> {
        let mut tx = self.begin().await?;
        let Some(before) = active_status(&mut tx, agent).await? else {
            tx.rollback().await?;
            return Ok(false);
        };
        let sessions = log_out_everywhere_in(&mut tx, agent).await?;
        let status = ChatStatus::NotReady {
            reason: ReasonCode::logged_out(),
        };
        tx.audit(AuditEntry {
            actor: Some(actor),
            action: AuditAction::AgentLogOut,
            target_id: agent.0.to_string(),
            before: Some(serde_json::json!({ "status": before })),
            after: Some(serde_json::json!({ "status": status, "sessions_ended": sessions })),
        })
        .await?;
        tx.commit().await?;
        Ok(true)
    }
}

/// The status of an active account, locked for the change; `None` if there is none.
async fn active_status(
    tx: &mut super::Tx,
    agent: AgentId,
) -> Result<Option<ChatStatus>, StoreError> {
    let sql = format!(
        "SELECT ready, not_ready_reason FROM agents WHERE id = $1 AND deactivated_at IS NULL{}",
        tx.dialect().for_update()
    );
    let row = sqlx::query(&sql)
        .bind(agent.0)
        .fetch_optional(&mut tx.inner)
        .await?;
    row.map(|r| {
        Ok(if r.try_get::<i64, _>("ready")? == 1 {
            ChatStatus::Ready
        } else {
            ChatStatus::NotReady {
                reason: ReasonCode(r.try_get("not_ready_reason")?),
            }
        })
    })
    .transpose()
}
