//! Monitor: which supervisor watches which live chat. A monitor belongs to the supervisor's
//! session and to the interaction: it ends when they stop, when that session ends (logout,
//! revocation; an expired session's monitors are simply no longer listed), and when the chat
//! session ends. Each start and end tells the agent holding the chat (the `monitoring` event,
//! never to the visitor) and is audited, in the transaction that makes it.

use super::agents::live_session;
use super::interactions::lock_interaction;
use super::{Audience, AuditEntry, Store, StoreError, Tx};
use crate::util::now_ms;
use serde_json::json;
use sqlx::any::AnyRow;
use sqlx::Row;
use wire::accounts::AuditAction;
use wire::monitor::{Monitor, MonitorView};
use wire::{AgentId, Event, InteractionId};

/// A monitor row with the watcher's name; `$1` is now (only live sessions count).
const LIVE_MONITORS: &str = concat!(
    "SELECT m.interaction_id, m.supervisor_id, m.started_at, a.display_name \
     FROM monitors m JOIN agents a ON a.id = m.supervisor_id \
     JOIN agent_sessions s ON s.token_hash = m.session_hash AND ",
    live_session!("s", "$1")
);

fn monitor(row: &AnyRow) -> Result<Monitor, sqlx::Error> {
    Ok(Monitor {
        interaction_id: InteractionId(row.try_get("interaction_id")?),
        by_id: AgentId(row.try_get("supervisor_id")?),
        by_name: row.try_get("display_name")?,
        since: row.try_get("started_at")?,
    })
}

impl Store {
    /// What a supervisor's monitor view reads: the interaction, the newest page of its
    /// contact's conversation (the desktop's read), and who watches it. `None`: no such
    /// interaction.
    pub async fn monitor_view(&self, id: InteractionId) -> Result<Option<MonitorView>, StoreError> {
        let Some(interaction) = self.interaction(id).await? else {
            return Ok(None);
        };
        let page = self
            .conversation(interaction.contact_id, None, 100, super::ChannelFilter::All)
            .await?;
        let monitors = live_monitors_on(self.pool(), id).await?;
        Ok(Some(MonitorView {
            interaction,
            page,
            monitors,
        }))
    }

    /// Who watches the open interactions `agent` holds (their desktop's start-up read).
    pub async fn monitors_of_agent(&self, agent: AgentId) -> Result<Vec<Monitor>, StoreError> {
        let sql = format!(
            "{LIVE_MONITORS} JOIN interactions i ON i.id = m.interaction_id \
             WHERE i.agent_id = $2 AND i.state IN ('queued', 'offered', 'active') \
             ORDER BY m.started_at"
        );
        Ok(sqlx::query(&sql)
            .bind(now_ms())
            .bind(agent.0)
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(monitor)
            .collect::<Result<_, _>>()?)
    }

    /// `by` (in session `session`) starts watching interaction `id`, which must be live; the
    /// agent holding it hears so. Starting again from another session moves the monitor there
    /// without telling the agent twice.
    ///
    /// # Errors
    /// `NotFound` for no such interaction, `Conflict` when its chat session is over.
    pub async fn start_monitor(
        &self,
        by: AgentId,
        session: &str,
        id: InteractionId,
    ) -> Result<Monitor, StoreError> {
        let mut tx = self.begin().await?;
        let current = lock_interaction(&mut tx, id).await?;
        if !current.is_open() {
            return Err(StoreError::conflict(format!(
                "only a live chat can be monitored; this one is {}",
                current.state.label()
            )));
        }
        let moved = sqlx::query(
            "UPDATE monitors SET session_hash = $1 WHERE interaction_id = $2 AND supervisor_id = $3",
        )
        .bind(session)
        .bind(id.0)
        .bind(by.0)
        .execute(&mut tx.inner)
        .await?
        .rows_affected();
        let now = now_ms();
        if moved == 0 {
            sqlx::query(
                "INSERT INTO monitors (interaction_id, supervisor_id, session_hash, started_at) \
                 VALUES ($1, $2, $3, $4)",
            )
            .bind(id.0)
            .bind(by.0)
            .bind(session)
            .bind(now)
            .execute(&mut tx.inner)
            .await?;
        }
        let row = sqlx::query(
            "SELECT m.interaction_id, m.supervisor_id, m.started_at, a.display_name \
             FROM monitors m JOIN agents a ON a.id = m.supervisor_id \
             WHERE m.interaction_id = $1 AND m.supervisor_id = $2",
        )
        .bind(id.0)
        .bind(by.0)
        .fetch_one(&mut tx.inner)
        .await?;
        let started = monitor(&row)?;
        if moved == 0 {
            if let Some(holder) = current.agent_id {
                tx.emit(
                    Audience::agent(holder),
                    &Event::Monitoring {
                        monitor: started.clone(),
                        on: true,
                    },
                )?;
            }
            tx.audit(AuditEntry {
                actor: Some(by),
                action: AuditAction::MonitorStart,
                target_id: id.0.to_string(),
                before: None,
                after: Some(json!({
                    "monitored_by": by.0,
                    "agent_id": current.agent_id.map(|a| a.0),
                })),
            })
            .await?;
        }
        tx.commit().await?;
        Ok(started)
    }

    /// `by` stops watching interaction `id` (nothing to do when they were not watching it).
    /// `false` when there is no such interaction.
    pub async fn stop_monitor(&self, by: AgentId, id: InteractionId) -> Result<bool, StoreError> {
        let mut tx = self.begin().await?;
        if sqlx::query("SELECT id FROM interactions WHERE id = $1")
            .bind(id.0)
            .fetch_optional(&mut tx.inner)
            .await?
            .is_none()
        {
            tx.rollback().await?;
            return Ok(false);
        }
        end_where(&mut tx, id.0, Some(by.0), Some(by), "stopped").await?;
        tx.commit().await?;
        Ok(true)
    }
}

/// Ends every monitor of interaction `id` (its chat session is over), in the transaction that
/// ends it.
pub(super) async fn end_for_interaction(tx: &mut Tx, id: InteractionId) -> Result<(), StoreError> {
    end_where(tx, id.0, None, None, "chat ended").await?;
    Ok(())
}

/// Tells the agent who now holds interaction `id` (it became Active: accepted, given back,
/// reactivated) who watches it, in the transaction that hands it to them.
pub(super) async fn announce_to_holder(tx: &mut Tx, id: InteractionId) -> Result<(), StoreError> {
    let watching = live_monitors_on(&mut tx.inner, id).await?;
    if watching.is_empty() {
        return Ok(());
    }
    let holder = sqlx::query("SELECT agent_id FROM interactions WHERE id = $1")
        .bind(id.0)
        .fetch_one(&mut tx.inner)
        .await?
        .try_get::<Option<i64>, _>("agent_id")?;
    let Some(holder) = holder else {
        return Ok(());
    };
    for monitor in watching {
        tx.emit(
            Audience::agent(AgentId(holder)),
            &Event::Monitoring { monitor, on: true },
        )?;
    }
    Ok(())
}

/// The live monitors of interaction `id`, the oldest first (what the monitor view lists and
/// what a new holder is told).
async fn live_monitors_on<'e, E>(db: E, id: InteractionId) -> Result<Vec<Monitor>, StoreError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let sql = format!("{LIVE_MONITORS} WHERE m.interaction_id = $2 ORDER BY m.started_at");
    Ok(sqlx::query(&sql)
        .bind(now_ms())
        .bind(id.0)
        .fetch_all(db)
        .await?
        .iter()
        .map(monitor)
        .collect::<Result<_, _>>()?)
}

impl Store {
    /// Ends the monitors whose supervisor's session ran out by itself (no logout to end them):
    /// the agents watched are told, and each end is audited, as at a logout. The sweep calls
    /// this; until then the reads leave such monitors out already. How many ended.
    ///
    /// # Errors
    /// The database failed.
    pub async fn end_monitors_of_expired_sessions(&self) -> Result<usize, StoreError> {
        let mut tx = self.begin().await?;
        let sessions: Vec<String> = sqlx::query(
            "SELECT DISTINCT m.session_hash FROM monitors m \
             LEFT JOIN agent_sessions s ON s.token_hash = m.session_hash \
             WHERE s.token_hash IS NULL OR s.revoked_at IS NOT NULL OR s.expires_at <= $1",
        )
        .bind(now_ms())
        .fetch_all(&mut tx.inner)
        .await?
        .iter()
        .map(|r| r.try_get::<String, _>("session_hash"))
        .collect::<Result<_, _>>()?;
        if sessions.is_empty() {
            return Ok(0);
        }
        end_for_sessions(&mut tx, &sessions).await?;
        tx.commit().await?;
        Ok(sessions.len())
    }
}

/// Ends the monitors of sessions that end (logout, revocation), in the transaction that ends
/// them.
pub(super) async fn end_for_sessions(tx: &mut Tx, sessions: &[String]) -> Result<(), StoreError> {
    for session in sessions {
        let rows = sqlx::query(
            "SELECT interaction_id, supervisor_id FROM monitors WHERE session_hash = $1",
        )
        .bind(session)
        .fetch_all(&mut tx.inner)
        .await?;
        for row in rows {
            let interaction: i64 = row.try_get("interaction_id")?;
            let supervisor: i64 = row.try_get("supervisor_id")?;
            let actor = Some(AgentId(supervisor));
            end_where(tx, interaction, Some(supervisor), actor, "session ended").await?;
        }
    }
    Ok(())
}

/// Deletes the monitors of `interaction` (only `supervisor`'s when given), tells each holder,
/// audits each end. How many ended.
async fn end_where(
    tx: &mut Tx,
    interaction: i64,
    supervisor: Option<i64>,
    actor: Option<AgentId>,
    why: &str,
) -> Result<usize, StoreError> {
    let (only, delete_only) = if supervisor.is_some() {
        (" AND m.supervisor_id = $2", " AND supervisor_id = $2")
    } else {
        ("", "")
    };
    let sql = format!(
        "SELECT m.interaction_id, m.supervisor_id, m.started_at, a.display_name, i.agent_id \
         FROM monitors m JOIN agents a ON a.id = m.supervisor_id \
         JOIN interactions i ON i.id = m.interaction_id WHERE m.interaction_id = $1{only}"
    );
    let mut q = sqlx::query(&sql).bind(interaction);
    if let Some(s) = supervisor {
        q = q.bind(s);
    }
    let rows = q.fetch_all(&mut tx.inner).await?;
    if rows.is_empty() {
        return Ok(0);
    }
    let del = format!("DELETE FROM monitors WHERE interaction_id = $1{delete_only}");
    let mut q = sqlx::query(&del).bind(interaction);
    if let Some(s) = supervisor {
        q = q.bind(s);
    }
    q.execute(&mut tx.inner).await?;
    for row in &rows {
        let ended = monitor(row)?;
        let holder: Option<i64> = row.try_get("agent_id")?;
        if let Some(holder) = holder {
            tx.emit(
                Audience::agent(AgentId(holder)),
                &Event::Monitoring {
                    monitor: ended.clone(),
                    on: false,
                },
            )?;
        }
        tx.audit(AuditEntry {
            actor,
            action: AuditAction::MonitorEnd,
            target_id: ended.interaction_id.0.to_string(),
            before: Some(json!({ "monitored_by": ended.by_id.0 })),
            after: Some(json!({ "why": why })),
        })
        .await?;
    }
    Ok(rows.len())
}
