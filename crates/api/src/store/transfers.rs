//! Transfer: handing a chat to a named colleague or back to the queue, with a note to the next
//! agent — by the agent who has it, or by a supervisor on any live chat (their reassign; one
//! function serves both). The chat becomes an offer to the colleague (or waits in the queue)
//! with a transfer record; the offer is then answered like any other (accept, reject, timeout
//! in `interactions`, `offers`, `interaction_steps`), which ends the record through the steps
//! here: [`accepted`] tells the sender, [`give_back`] returns a rejected or expired transfer
//! to the agent who made it. Also the colleagues the Transfer dialog lists.
//!
//! # Decisions
//! - Only a chat in progress (Active) is transferred by its agent: an ended chat is Marked
//!   Done, or reactivated by whoever writes next. A supervisor may reassign any live chat
//!   (waiting, offered, in progress).
//! - A colleague gets the offer only when they are connected, Ready and under capacity;
//!   otherwise the transfer is refused with a 409 that says why, and the sender keeps the chat
//!   (or picks `Queue`).
//! - Reject or timeout gives an agent's transfer back to that agent, Active as before (even if
//!   routing filled their freed slot meanwhile: it is their conversation). A queue transfer, or
//!   a supervisor's reassign of someone else's chat, goes to the queue, where the note stays
//!   with it for the next agent routing offers it to.

use super::agents::emit_status;
use super::interactions::{emit_interaction, first_contact_text, lock_interaction};
use super::messages::{insert_message_in, NewMessage};
use super::sql::Arg;
use super::transitions::{holding_capacity_sql, transition};
use super::{Audience, AuditEntry, AuthorKey, OfferTimes, Store, StoreError, Tx};
use crate::util::now_ms;
use serde_json::json;
use sqlx::Row;
use wire::accounts::AuditAction;
use wire::api::{Colleague, TransferTarget};
use wire::event::{OfferView, WithdrawReason};
use wire::lifecycle::Action;
use wire::{
    AgentId, ChatStatus, Event, InteractionId, InteractionState, InteractionView, ReasonCode,
    SystemLine, TransferOutcome, TransferView,
};

/// Who asks for a transfer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransferBy {
    /// The caller (the audit row's actor, the offer's "from").
    pub agent: AgentId,
    /// Whether their role may reassign chats they do not hold (supervisor, administrator).
    pub may_reassign: bool,
}

/// A transfer waiting for its next agent, as stored on the interaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct PendingTransfer {
    /// Who handed the chat on.
    pub(super) from: AgentId,
    /// Their display name (for the offer and the sender's notice).
    pub(super) from_name: String,
    /// The note to the next agent.
    pub(super) note: Option<String>,
    /// Whom a rejected or expired offer goes back to; `None`: the queue.
    pub(super) return_to: Option<AgentId>,
}

impl PendingTransfer {
    /// What the receiving agent's offer shows.
    pub(super) fn view(&self) -> TransferView {
        TransferView {
            from_id: self.from,
            from_name: self.from_name.clone(),
            note: self.note.clone(),
        }
    }
}

/// The transfer record of interaction `id`, if it is waiting for its next agent.
pub(super) async fn pending_transfer<'e, E>(
    ex: E,
    id: InteractionId,
) -> Result<Option<PendingTransfer>, sqlx::Error>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let row = sqlx::query(
        "SELECT i.transfer_from, i.transfer_note, i.transfer_return_to, a.display_name \
         FROM interactions i JOIN agents a ON a.id = i.transfer_from WHERE i.id = $1",
    )
    .bind(id.0)
    .fetch_optional(ex)
    .await?;
    row.map(|r| {
        Ok(PendingTransfer {
            from: AgentId(r.try_get("transfer_from")?),
            from_name: r.try_get("display_name")?,
            note: r.try_get("transfer_note")?,
            return_to: r
                .try_get::<Option<i64>, _>("transfer_return_to")?
                .map(AgentId),
        })
    })
    .transpose()
}

/// The columns that clear a transfer record, for the transition that ends it.
pub(super) const CLEAR_TRANSFER: [(&str, Arg); 3] = [
    ("transfer_from", Arg::Null),
    ("transfer_note", Arg::Null),
    ("transfer_return_to", Arg::Null),
];

/// An agent took a transferred chat: the one who transferred it hears so.
pub(super) async fn accepted(
    tx: &mut Tx,
    id: InteractionId,
    by: AgentId,
) -> Result<(), StoreError> {
    let Some(pending) = pending_transfer(&mut tx.inner, id).await? else {
        return Ok(());
    };
    if pending.from != by {
        let to_name = display_name(tx, by).await?;
        tx.emit(
            Audience::agent(pending.from),
            &Event::TransferEnded {
                interaction_id: id,
                outcome: TransferOutcome::Accepted,
                to_name,
            },
        )?;
    }
    Ok(())
}

/// If `current` is an agent's transfer offer that `agent` rejected or let expire, gives it back
/// to the agent who transferred it (Active, as before) and says `true`; `false` when it is not
/// one (the caller requeues it as any offer).
pub(super) async fn give_back(
    tx: &mut Tx,
    current: &InteractionView,
    agent: AgentId,
    reason: WithdrawReason,
) -> Result<bool, StoreError> {
    let Some(pending) = pending_transfer(&mut tx.inner, current.id).await? else {
        return Ok(false);
    };
    let Some(sender) = pending.return_to else {
        return Ok(false);
    };
    let mut sets = vec![
        ("agent_id", Arg::Int(sender.0)),
        ("offer_expires_at", Arg::Null),
    ];
    sets.extend(CLEAR_TRANSFER);
    transition(tx, current.id, current.state, Action::Return, &sets).await?;
    tx.emit(
        Audience::agent(agent),
        &Event::OfferWithdrawn {
            interaction_id: current.id,
            reason,
        },
    )?;
    emit_status(tx, agent).await?;
    let to_name = display_name(tx, agent).await?;
    emit_interaction(tx, current.id).await?;
    tx.emit(
        Audience::agent(sender),
        &Event::TransferEnded {
            interaction_id: current.id,
            outcome: if reason == WithdrawReason::TimedOut {
                TransferOutcome::TimedOut
            } else {
                TransferOutcome::Rejected
            },
            to_name,
        },
    )?;
    emit_status(tx, sender).await?;
    Ok(true)
}

async fn display_name(tx: &mut Tx, agent: AgentId) -> Result<String, StoreError> {
    Ok(sqlx::query("SELECT display_name FROM agents WHERE id = $1")
        .bind(agent.0)
        .fetch_optional(&mut tx.inner)
        .await?
        .map(|r| r.try_get::<String, _>("display_name"))
        .transpose()?
        .unwrap_or_default())
}

/// When `agent` last handed interaction `id` on (transferred it, or had it reassigned), if
/// ever: their handle time until then still counts.
pub(super) async fn handed_on_at(
    tx: &mut Tx,
    id: InteractionId,
    agent: AgentId,
) -> Result<Option<i64>, StoreError> {
    let row = sqlx::query(
        "SELECT MAX(at) AS at FROM offer_declines WHERE interaction_id = $1 AND agent_id = $2 AND reason = 'transferred'",
    )
    .bind(id.0)
    .bind(agent.0)
    .fetch_one(&mut tx.inner)
    .await?;
    Ok(row.try_get::<Option<i64>, _>("at")?)
}

/// A colleague a transfer goes to, as checked under lock.
struct Receiver {
    name: String,
}

impl Store {
    /// Transfers interaction `id` to a colleague or the queue with a note (see the module's
    /// decisions); returns the interaction as it is now.
    ///
    /// # Errors
    /// `NotYours` for someone else's chat (without the reassign right), `Conflict` when it is
    /// not in progress or the colleague cannot take it, `Rejected` for an unknown, deactivated
    /// or own target.
    pub async fn transfer(
        &self,
        by: TransferBy,
        id: InteractionId,
        to: TransferTarget,
        note: Option<&str>,
        times: OfferTimes,
    ) -> Result<InteractionView, StoreError> {
        let mut tx = self.begin().await?;
        let current = lock_interaction(&mut tx, id).await?;
        let holds = current.state == InteractionState::Active && current.agent_id == Some(by.agent);
        check_may_transfer(&current, by, holds)?;
        let receiver = match to {
            TransferTarget::Agent(target) => {
                Some(self.receiver(&mut tx, &current, by, target, times).await?)
            }
            TransferTarget::Queue => None,
        };
        let before = json!({
            "state": current.state.as_str(),
            "agent_id": current.agent_id.map(|a| a.0),
        });
        let now = now_ms();
        let expires = now + self.offer_timeout_ms(current.channel, times.offer_timeout_ms);
        let note = note.map(str::trim).filter(|n| !n.is_empty());
        let record = [
            ("transfer_from", Arg::Int(by.agent.0)),
            (
                "transfer_note",
                note.map_or(Arg::Null, |n| Arg::Text(n.to_owned())),
            ),
        ];
        let mut sets = vec![("reserved_for", Arg::Null), ("reserved_until", Arg::Null)];
        sets.extend(record);
        let action = match to {
            TransferTarget::Agent(target) => {
                sets.push(("agent_id", Arg::Int(target.0)));
                sets.push(("offer_expires_at", Arg::Int(expires)));
                let back = holds.then_some(by.agent);
                sets.push((
                    "transfer_return_to",
                    back.map_or(Arg::Null, |a| Arg::Int(a.0)),
                ));
                Action::Transfer
            }
            TransferTarget::Queue => {
                sets.push(("agent_id", Arg::Null));
                sets.push(("offer_expires_at", Arg::Null));
                sets.push(("transfer_return_to", Arg::Null));
                Action::TransferToQueue
            }
        };
        // Refused before anything is emitted (the transition checks again).
        wire::lifecycle::next(current.state, action)?;
        if let (InteractionState::Offered, Some(offered)) = (current.state, current.agent_id) {
            tx.emit(
                Audience::agent(offered),
                &Event::OfferWithdrawn {
                    interaction_id: id,
                    reason: WithdrawReason::Reassigned,
                },
            )?;
        }
        transition(&mut tx, id, current.state, action, &sets).await?;
        self.after_handing_on(&mut tx, &current, now).await?;
        let by_name = display_name(&mut tx, by.agent).await?;
        let to_words = receiver.as_ref().map_or("the queue", |r| r.name.as_str());
        let view = super::rows::load_interaction(&mut tx.inner, id)
            .await?
            .ok_or_else(|| StoreError::not_found("interaction"))?;
        let line = NewMessage {
            text: format!("{by_name} transferred the chat to {to_words}"),
            agent: Some(by.agent),
            author: AuthorKey::System,
            ..NewMessage::system(current.contact_id, id, SystemLine::Transferred, None)
        };
        insert_message_in(&mut tx, line, &view).await?;
        let view = emit_interaction(&mut tx, id).await?;
        if let Some(previous) = current.agent_id.filter(|p| Some(*p) != view.agent_id) {
            // The previous holder's desktop drops the chat (it is no longer theirs).
            tx.emit(
                Audience::agent(previous),
                &Event::Interaction {
                    interaction: view.clone(),
                },
            )?;
            emit_status(&mut tx, previous).await?;
            if previous != by.agent && current.state == InteractionState::Active {
                // A supervisor's reassign: the agent who had it is told by whom, and where to.
                tx.emit(
                    Audience::agent(previous),
                    &Event::Reassigned {
                        interaction_id: id,
                        by_name: by_name.clone(),
                        to_name: to_words.to_owned(),
                    },
                )?;
            }
        }
        if let TransferTarget::Agent(target) = to {
            let first_message = first_contact_text(&mut tx.inner, id).await?;
            tx.emit(
                Audience::agent(target),
                &Event::Offer {
                    offer: OfferView {
                        interaction: view.clone(),
                        first_message,
                        expires_at: expires,
                        transfer: Some(TransferView {
                            from_id: by.agent,
                            from_name: by_name,
                            note: note.map(str::to_owned),
                        }),
                    },
                },
            )?;
            emit_status(&mut tx, target).await?;
        }
        tx.audit(AuditEntry {
            actor: Some(by.agent),
            action: AuditAction::InteractionTransfer,
            target_id: id.0.to_string(),
            before: Some(before),
            after: Some(json!({
                "state": view.state.as_str(),
                "agent_id": view.agent_id.map(|a| a.0),
                "to": match to {
                    TransferTarget::Agent(a) => json!({ "agent": a.0 }),
                    TransferTarget::Queue => json!("queue"),
                },
                "note": note,
            })),
        })
        .await?;
        tx.commit().await?;
        Ok(view)
    }

    /// Keeps the chat's place in the queue (it may never have waited: reactivated by an
    /// agent), and keeps routing from handing it straight back to the agent who had it.
    async fn after_handing_on(
        &self,
        tx: &mut Tx,
        current: &InteractionView,
        now: i64,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE interactions SET queued_at = COALESCE(queued_at, $1) WHERE id = $2")
            .bind(now)
            .bind(current.id.0)
            .execute(&mut tx.inner)
            .await?;
        if let Some(previous) = current.agent_id {
            sqlx::query(
                "INSERT INTO offer_declines (interaction_id, agent_id, reason, at) VALUES ($1, $2, 'transferred', $3)",
            )
            .bind(current.id.0)
            .bind(previous.0)
            .bind(now)
            .execute(&mut tx.inner)
            .await?;
        }
        Ok(())
    }

    /// Checks, with the colleague's row locked, that they can take the transfer now.
    async fn receiver(
        &self,
        tx: &mut Tx,
        current: &InteractionView,
        by: TransferBy,
        target: AgentId,
        times: OfferTimes,
    ) -> Result<Receiver, StoreError> {
        if target == by.agent {
            return Err(StoreError::Rejected(
                "a chat cannot be transferred to yourself".into(),
            ));
        }
        let lock = format!(
            "SELECT display_name, ready, capacity, last_seen_at FROM agents \
             WHERE id = $1 AND deactivated_at IS NULL{}",
            self.dialect().for_update()
        );
        let row = sqlx::query(&lock)
            .bind(target.0)
            .fetch_optional(&mut tx.inner)
            .await?
            .ok_or_else(|| StoreError::Rejected("there is no such active agent".into()))?;
        let name: String = row.try_get("display_name")?;
        if current.agent_id == Some(target) {
            return Err(StoreError::Rejected(format!(
                "the chat is already with {name}"
            )));
        }
        let seen: Option<i64> = row.try_get("last_seen_at")?;
        if seen.is_none_or(|s| s <= now_ms() - times.presence_ms) {
            return Err(StoreError::conflict(format!(
                "{name} is not connected, so the transfer cannot be offered to them"
            )));
        }
        if row.try_get::<i64, _>("ready")? != 1 {
            return Err(StoreError::conflict(format!(
                "{name} is Not Ready, so the transfer cannot be offered to them"
            )));
        }
        let capacity: i64 = row.try_get("capacity")?;
        let load = load_of(tx, target).await?;
        if load >= capacity {
            return Err(StoreError::conflict(format!(
                "{name} has no free slot ({load} of {capacity} chats), so the transfer cannot be offered to them"
            )));
        }
        Ok(Receiver { name })
    }

    /// The colleagues the Transfer dialog lists: every active account but the caller, with
    /// status, load and whether their desktop is connected, by name.
    pub async fn colleagues(
        &self,
        me: AgentId,
        presence_ms: i64,
    ) -> Result<Vec<Colleague>, StoreError> {
        let sql = format!(
            "SELECT a.id, a.display_name, a.capacity, a.ready, a.not_ready_reason, a.last_seen_at, \
             (SELECT COUNT(*) FROM interactions i WHERE i.agent_id = a.id AND i.state IN ({})) AS open_count \
             FROM agents a WHERE a.deactivated_at IS NULL AND a.id <> $1 ORDER BY a.display_name, a.id",
            holding_capacity_sql()
        );
        let rows = sqlx::query(&sql).bind(me.0).fetch_all(self.pool()).await?;
        let since = now_ms() - presence_ms;
        rows.iter()
            .map(|r| {
                let ready: i64 = r.try_get("ready")?;
                Ok(Colleague {
                    id: AgentId(r.try_get("id")?),
                    display_name: r.try_get("display_name")?,
                    status: if ready == 1 {
                        ChatStatus::Ready
                    } else {
                        ChatStatus::NotReady {
                            reason: ReasonCode(
                                r.try_get::<Option<String>, _>("not_ready_reason")?
                                    .unwrap_or_default(),
                            ),
                        }
                    },
                    open_interactions: u32::try_from(r.try_get::<i64, _>("open_count")?)
                        .unwrap_or(0),
                    capacity: u32::try_from(r.try_get::<i64, _>("capacity")?).unwrap_or(0),
                    connected: r
                        .try_get::<Option<i64>, _>("last_seen_at")?
                        .is_some_and(|s| s > since),
                })
            })
            .collect()
    }
}

/// Who may transfer: the agent whose chat is in progress, or a supervisor on any live chat.
fn check_may_transfer(
    current: &InteractionView,
    by: TransferBy,
    holds: bool,
) -> Result<(), StoreError> {
    if holds || (by.may_reassign && current.is_open()) {
        return Ok(());
    }
    if current.agent_id == Some(by.agent) || by.may_reassign {
        return Err(StoreError::conflict(format!(
            "only a chat in progress can be transferred; this one is {}",
            current.state.label()
        )));
    }
    Err(StoreError::NotYours(
        "this interaction belongs to another agent".into(),
    ))
}

/// Chats holding a slot of `agent`'s capacity, counted in its own statement (see routing's
/// `offer_to_best` for why not inside the locking one).
async fn load_of(tx: &mut Tx, agent: AgentId) -> Result<i64, StoreError> {
    Ok(sqlx::query(&format!(
        "SELECT COUNT(*) AS load FROM interactions x WHERE x.agent_id = $1 AND x.state IN ({})",
        holding_capacity_sql()
    ))
    .bind(agent.0)
    .fetch_one(&mut tx.inner)
    .await?
    .try_get("load")?)
}
