//! The supervisor's board, read in two statements: the active accounts, and every live
//! interaction (queued, offered, active, ended but not Done) with its contact's name.

use super::agents::live_session;
use super::rows::{decode_err, stored_role};
use super::{Store, StoreError};
use crate::util::now_ms;
use sqlx::any::AnyRow;
use sqlx::Row;
use std::collections::HashMap;
use wire::board::{Board, BoardAgent, BoardChat, BoardTotals, WaitingChat};
use wire::{
    contact::display_name, AgentId, Channel, ChatStatus, ContactId, InteractionId,
    InteractionState, ReasonCode,
};

impl Store {
    /// The board as it is now. `presence_ms`: how recently a desktop must have been connected
    /// for its agent to count as connected (the rule routing uses).
    pub async fn board(&self, presence_ms: i64) -> Result<Board, StoreError> {
        let at = now_ms();
        let agent_rows = sqlx::query(
            concat!(
                "SELECT id, display_name, role, ready, not_ready_reason, status_since, capacity, last_seen_at, \
                 (SELECT COUNT(*) FROM agent_sessions s WHERE s.agent_id = agents.id AND ",
                live_session!("s", "$1"),
                ") AS sessions FROM agents WHERE deactivated_at IS NULL ORDER BY display_name, id"
            ),
        )
        .bind(at)
        .fetch_all(self.pool())
        .await?;
        let mut agents = Vec::with_capacity(agent_rows.len());
        for row in &agent_rows {
            agents.push(board_agent(row, at - presence_ms)?);
        }
        let names: HashMap<AgentId, String> = agents
            .iter()
            .map(|a| (a.id, a.display_name.clone()))
            .collect();
        let rows = sqlx::query(
            "SELECT i.id, i.contact_id, i.channel, i.state, i.agent_id, i.created_at, i.queued_at, \
             i.reserved_for, c.first_name, c.last_name \
             FROM interactions i JOIN contacts c ON c.id = i.contact_id \
             WHERE i.state IN ('queued', 'offered', 'active', 'ended') \
             ORDER BY COALESCE(i.queued_at, i.created_at), i.id",
        )
        .fetch_all(self.pool())
        .await?;
        let mut queue = Vec::new();
        let mut totals = BoardTotals::default();
        let mut held: HashMap<AgentId, Vec<BoardChat>> = HashMap::new();
        for row in &rows {
            let live = live_row(row)?;
            match live.state {
                InteractionState::Queued | InteractionState::Offered => {
                    totals.waiting += 1;
                    if live.reserved_for.is_some() && live.state == InteractionState::Queued {
                        totals.contact_responded += 1;
                    }
                }
                InteractionState::Active => totals.active += 1,
                InteractionState::Ended => totals.ended_not_done += 1,
                InteractionState::Done => {}
            }
            if let Some(agent) = live.agent.filter(|_| live.state.holds_capacity()) {
                held.entry(agent).or_default().push(BoardChat {
                    id: live.id,
                    contact: live.contact,
                    contact_name: live.contact_name.clone(),
                    channel: live.channel,
                    state: live.state,
                    since: live.created_at,
                });
            }
            if matches!(
                live.state,
                InteractionState::Queued | InteractionState::Offered
            ) {
                let name_of = |a: Option<AgentId>| a.and_then(|a| names.get(&a).cloned());
                queue.push(WaitingChat {
                    id: live.id,
                    contact: live.contact,
                    contact_name: live.contact_name,
                    channel: live.channel,
                    state: live.state,
                    waiting_since: live.queued_at.unwrap_or(live.created_at),
                    offered_to: name_of(
                        live.agent
                            .filter(|_| live.state == InteractionState::Offered),
                    ),
                    reserved_for: name_of(live.reserved_for),
                });
            }
        }
        for agent in &mut agents {
            agent.chats = held.remove(&agent.id).unwrap_or_default();
        }
        Ok(Board {
            at,
            queue,
            agents,
            totals,
        })
    }
}

/// One row of the live interactions.
struct LiveRow {
    id: InteractionId,
    contact: ContactId,
    contact_name: String,
    channel: Channel,
    state: InteractionState,
    agent: Option<AgentId>,
    created_at: i64,
    queued_at: Option<i64>,
    reserved_for: Option<AgentId>,
}

fn live_row(row: &AnyRow) -> Result<LiveRow, sqlx::Error> {
    let contact = ContactId(row.try_get("contact_id")?);
    let channel: String = row.try_get("channel")?;
    let state: String = row.try_get("state")?;
    Ok(LiveRow {
        id: InteractionId(row.try_get("id")?),
        contact,
        contact_name: display_name(
            contact,
            &row.try_get::<String, _>("first_name")?,
            &row.try_get::<String, _>("last_name")?,
        ),
        channel: Channel::parse(&channel).ok_or_else(|| decode_err("channel"))?,
        state: InteractionState::parse(&state).ok_or_else(|| decode_err("state"))?,
        agent: row.try_get::<Option<i64>, _>("agent_id")?.map(AgentId),
        created_at: row.try_get("created_at")?,
        queued_at: row.try_get("queued_at")?,
        reserved_for: row.try_get::<Option<i64>, _>("reserved_for")?.map(AgentId),
    })
}

fn board_agent(row: &AnyRow, seen_after: i64) -> Result<BoardAgent, sqlx::Error> {
    let ready: i64 = row.try_get("ready")?;
    Ok(BoardAgent {
        id: AgentId(row.try_get("id")?),
        display_name: row.try_get("display_name")?,
        role: stored_role(&row.try_get::<String, _>("role")?)?,
        status: if ready == 1 {
            ChatStatus::Ready
        } else {
            ChatStatus::NotReady {
                reason: ReasonCode(row.try_get("not_ready_reason")?),
            }
        },
        status_since: row.try_get("status_since")?,
        connected: row
            .try_get::<Option<i64>, _>("last_seen_at")?
            .is_some_and(|t| t > seen_after),
        signed_in: row.try_get::<i64, _>("sessions")? > 0,
        capacity: u32::try_from(row.try_get::<i64, _>("capacity")?).unwrap_or(0),
        chats: Vec::new(),
    })
}
