//! The steps inside a transaction that commands and sends share: activate (accept or claim),
//! requeue, end, take or reactivate, the record of a message written with no chat open. Each
//! state change goes through `transitions::transition`.

use super::agents::emit_status;
use super::interactions::{emit_interaction, latest_interaction, open_interaction};
use super::messages::{insert_message_in, NewMessage};
use super::sql::Arg;
use super::transfers;
use super::transitions::transition;
use super::StoreError;
use super::{Audience, Tx};
use crate::util::now_ms;
use sqlx::Row;
use wire::event::WithdrawReason;
use wire::lifecycle::Action;
use wire::{
    AgentId, Channel, ContactId, Event, InteractionId, InteractionState, InteractionView, Party,
    Reactivation, SystemLine,
};

/// Makes a waiting or offered interaction this agent's active chat; `reactivated` records why
/// when it continues an older conversation.
pub(super) async fn activate(
    tx: &mut Tx,
    current: &InteractionView,
    agent: AgentId,
    claim: Option<Reactivation>,
) -> Result<InteractionView, StoreError> {
    let action = if claim.is_some() {
        Action::Claim
    } else {
        Action::Accept
    };
    // Refused before anything is written or emitted (the transition below checks again).
    wire::lifecycle::next(current.state, action)?;
    if current.state == InteractionState::Offered && current.agent_id != Some(agent) {
        if let Some(other) = current.agent_id {
            tx.emit(
                Audience::agent(other),
                &Event::OfferWithdrawn {
                    interaction_id: current.id,
                    reason: WithdrawReason::Accepted,
                },
            )?;
            emit_status(tx, other).await?;
        }
    }
    transfers::accepted(tx, current.id, agent).await?;
    let mut sets = vec![
        ("agent_id", Arg::Int(agent.0)),
        ("accepted_at", Arg::Int(now_ms())),
        ("offer_expires_at", Arg::Null),
        ("reserved_for", Arg::Null),
        ("reserved_until", Arg::Null),
    ];
    sets.extend(transfers::CLEAR_TRANSFER);
    transition(tx, current.id, current.state, action, &sets).await?;
    sqlx::query("UPDATE contacts SET last_agent_id = $1 WHERE id = $2")
        .bind(agent.0)
        .bind(current.contact_id.0)
        .execute(&mut tx.inner)
        .await?;
    insert_message_in(
        tx,
        NewMessage::system(
            current.contact_id,
            current.id,
            SystemLine::Joined,
            Some(agent),
        ),
        current,
    )
    .await?;
    let view = emit_interaction(tx, current.id).await?;
    emit_status(tx, agent).await?;
    Ok(view)
}

/// Puts an offered interaction back in the queue and records the decline; an agent's
/// transfer goes back to that agent instead (`transfers::give_back`).
pub(super) async fn requeue(
    tx: &mut Tx,
    current: &InteractionView,
    agent: AgentId,
    reason: WithdrawReason,
) -> Result<(), StoreError> {
    if transfers::give_back(tx, current, agent, reason).await? {
        return record_decline(tx, current.id, agent, reason).await;
    }
    let action = if reason == WithdrawReason::TimedOut {
        Action::Timeout
    } else {
        Action::Reject
    };
    transition(
        tx,
        current.id,
        current.state,
        action,
        &[("agent_id", Arg::Null), ("offer_expires_at", Arg::Null)],
    )
    .await?;
    record_decline(tx, current.id, agent, reason).await?;
    tx.emit(
        Audience::agent(agent),
        &Event::OfferWithdrawn {
            interaction_id: current.id,
            reason,
        },
    )?;
    emit_status(tx, agent).await?;
    Ok(())
}

/// Records that `agent` declined (rejected or let expire) the offer of interaction `id`, so
/// routing does not offer it to them again at once.
async fn record_decline(
    tx: &mut Tx,
    id: InteractionId,
    agent: AgentId,
    reason: WithdrawReason,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO offer_declines (interaction_id, agent_id, reason, at) VALUES ($1, $2, $3, $4)",
    )
    .bind(id.0)
    .bind(agent.0)
    .bind(if reason == WithdrawReason::TimedOut {
        "timed_out"
    } else {
        "rejected"
    })
    .bind(now_ms())
    .execute(&mut tx.inner)
    .await?;
    Ok(())
}

/// Puts everything an agent holds back in the queue when they leave for good (their account is
/// deactivated): an offer as if they rejected it ([`requeue`]), a chat in progress or ended but
/// not Done by [`Action::Requeue`], keeping its place in the queue.
pub(super) async fn requeue_agent_work(tx: &mut Tx, agent: AgentId) -> Result<(), StoreError> {
    let held = sqlx::query(
        "SELECT id FROM interactions WHERE agent_id = $1 AND state IN ('offered', 'active', 'ended') ORDER BY id",
    )
    .bind(agent.0)
    .fetch_all(&mut tx.inner)
    .await?
    .iter()
    .map(|r| r.try_get::<i64, _>("id").map(InteractionId))
    .collect::<Result<Vec<_>, _>>()?;
    for id in held {
        let current = super::interactions::lock_interaction(tx, id).await?;
        if current.agent_id != Some(agent) {
            continue;
        }
        match current.state {
            InteractionState::Offered => {
                requeue(tx, &current, agent, WithdrawReason::Rejected).await?;
            }
            InteractionState::Active | InteractionState::Ended => {
                transition(
                    tx,
                    id,
                    current.state,
                    Action::Requeue,
                    &[
                        ("agent_id", Arg::Null),
                        ("ended_at", Arg::Null),
                        ("ended_by", Arg::Null),
                        ("queued_at", Arg::Int(current.created_at)),
                    ],
                )
                .await?;
            }
            _ => continue,
        }
        super::interactions::emit_interaction(tx, id).await?;
    }
    Ok(())
}

/// Ends a chat session (either side) and writes the system line.
pub(super) async fn end_in(
    tx: &mut Tx,
    current: &InteractionView,
    by: Party,
) -> Result<InteractionView, StoreError> {
    let ended_by = match by {
        Party::Agent => "agent",
        Party::Contact => "contact",
    };
    transition(
        tx,
        current.id,
        current.state,
        Action::End(by),
        &[
            ("ended_at", Arg::Int(now_ms())),
            ("ended_by", Arg::Text(ended_by.to_owned())),
        ],
    )
    .await?;
    let line = match by {
        Party::Agent => NewMessage::system(
            current.contact_id,
            current.id,
            SystemLine::Ended,
            current.agent_id,
        ),
        Party::Contact => {
            NewMessage::system(current.contact_id, current.id, SystemLine::Left, None)
        }
    };
    insert_message_in(tx, line, current).await?;
    emit_interaction(tx, current.id).await
}

/// Who may take a waiting chat (by sending to the contact, the `Chat` button or Write a
/// Message): anyone while it is queued for routing; while it is offered to an agent, or
/// reserved for the agent the contact answered, only that agent. Everyone else gets a 409
/// `held_by_colleague`: an offer still running or a reservation is that colleague's to answer.
pub(super) fn held_by_colleague(open: &InteractionView, agent: AgentId) -> Result<(), StoreError> {
    let holder = match open.state {
        InteractionState::Offered => open.agent_id,
        InteractionState::Queued => open.reserved_for,
        _ => None,
    };
    match holder {
        Some(holder) if holder != agent => Err(StoreError::HeldByColleague(format!(
            "this chat is {} another agent; only they can take it now",
            if open.state == InteractionState::Offered {
                "offered to"
            } else {
                "reserved for"
            }
        ))),
        _ => Ok(()),
    }
}

/// The interaction an agent's send or `Chat` goes into: the open one (taking it if it waits),
/// or a new one that reactivates the conversation. An ended interaction of this agent that the
/// new one continues is closed (Done) and linked to it, so it does not count twice.
pub(super) async fn take_or_reactivate(
    tx: &mut Tx,
    agent: AgentId,
    contact: ContactId,
    why: Reactivation,
) -> Result<InteractionView, StoreError> {
    let open = open_interaction(tx, contact).await?;
    take_or_reactivate_from(tx, agent, contact, why, open).await
}

/// [`take_or_reactivate`] where the contact's open private interaction, `open`, was read
/// under the contact's lock already (a send reads it with the lock, see
/// `interactions::lock_contact_for_send`).
pub(super) async fn take_or_reactivate_from(
    tx: &mut Tx,
    agent: AgentId,
    contact: ContactId,
    why: Reactivation,
    open: Option<InteractionView>,
) -> Result<InteractionView, StoreError> {
    if let Some(open) = open {
        return match open.state {
            InteractionState::Active if open.agent_id == Some(agent) => Ok(open),
            InteractionState::Active => Err(StoreError::conflict(format!(
                "{} is chatting with this contact",
                open.agent_name.as_deref().unwrap_or("another agent")
            ))),
            _ => {
                held_by_colleague(&open, agent)?;
                activate(tx, &open, agent, Some(why)).await
            }
        };
    }
    let latest = latest_interaction(tx, contact).await?;
    let id = insert_agent_interaction(
        tx,
        agent,
        contact,
        latest.as_ref(),
        InteractionState::Active,
        why,
        Channel::of_reply(latest.as_ref().map(|l| l.channel)),
    )
    .await?;
    let now = now_ms();
    if let Some(old) = latest
        .as_ref()
        .filter(|l| l.state == InteractionState::Ended && l.agent_id == Some(agent))
    {
        transition(
            tx,
            old.id,
            old.state,
            Action::Done,
            &[("done_at", Arg::Int(now)), ("continued_as", Arg::Int(id.0))],
        )
        .await?;
        emit_interaction(tx, old.id).await?;
    }
    sqlx::query("UPDATE contacts SET last_agent_id = $1 WHERE id = $2")
        .bind(agent.0)
        .bind(contact.0)
        .execute(&mut tx.inner)
        .await?;
    let view = emit_interaction(tx, id).await?;
    insert_message_in(
        tx,
        NewMessage::system(contact, id, SystemLine::Reactivated, Some(agent)),
        &view,
    )
    .await?;
    emit_status(tx, agent).await?;
    Ok(view)
}

/// A record of an asynchronous message written when no chat is open: a closed interaction
/// that says who wrote and why, on `channel` (a public reply's), or by default on the channel
/// a reply to the contact's latest interaction goes on ([`Channel::of_reply`]).
pub(super) async fn write_a_message_record(
    tx: &mut Tx,
    agent: AgentId,
    contact: ContactId,
    channel: Option<Channel>,
) -> Result<InteractionView, StoreError> {
    let latest = latest_interaction(tx, contact).await?;
    let channel = channel.unwrap_or_else(|| Channel::of_reply(latest.as_ref().map(|l| l.channel)));
    let id = insert_agent_interaction(
        tx,
        agent,
        contact,
        latest.as_ref(),
        InteractionState::Done,
        Reactivation::WriteAMessage,
        channel,
    )
    .await?;
    emit_interaction(tx, id).await
}

/// The interaction an agent's public reply (to a comment, post or Tweet on the public
/// `channel`) goes into: the contact's open one on that channel — the agent's own chat, or a
/// waiting one the agent takes, as `Write a Message` takes a waiting private chat — or else a
/// record (Done) on that channel, so the contact's next comment is a new item that raises
/// "contact responded" for this agent like a Web Chat reply.
pub(super) async fn public_reply_target(
    tx: &mut Tx,
    agent: AgentId,
    contact: ContactId,
    channel: Channel,
) -> Result<InteractionView, StoreError> {
    match super::interactions::open_interaction_on(tx, contact, channel).await? {
        Some(open) if open.state == InteractionState::Active && open.agent_id == Some(agent) => {
            Ok(open)
        }
        Some(open) if open.state == InteractionState::Active => Err(StoreError::conflict(format!(
            "{} is answering this contact's {}s",
            open.agent_name.as_deref().unwrap_or("another agent"),
            channel.label()
        ))),
        Some(open) => {
            held_by_colleague(&open, agent)?;
            activate(tx, &open, agent, Some(Reactivation::WriteAMessage)).await
        }
        None => write_a_message_record(tx, agent, contact, Some(channel)).await,
    }
}

/// Inserts an interaction an agent starts with a contact (`active`, or `done` for a record of
/// an asynchronous message), on `channel` (the conversation's latest private interaction's for
/// a private message, see [`Channel::of_reply`]; the item's for a public reply), linked to
/// `latest`. Refused (`async_chat_off`) where that channel's chat is not
/// asynchronous: there a chat is reopened only by the contact.
async fn insert_agent_interaction(
    tx: &mut Tx,
    agent: AgentId,
    contact: ContactId,
    latest: Option<&InteractionView>,
    state: InteractionState,
    why: Reactivation,
    channel: Channel,
) -> Result<InteractionId, StoreError> {
    if !super::channel_settings::async_chat_on(tx, channel).await? {
        let name = super::messages::contact_name(&mut tx.inner, contact).await?;
        return Err(StoreError::AsyncChatOff(wire::channels::async_off_text(
            channel, &name,
        )));
    }
    let done = state == InteractionState::Done;
    let id: i64 = sqlx::query(
        "INSERT INTO interactions (contact_id, channel, state, agent_id, created_at, accepted_at, done_at, reactivated_from, reactivated_by) \
         VALUES ($1, $2, $3, $4, $5, $5, CASE WHEN $6 = 1 THEN $5 ELSE NULL END, $7, $8) RETURNING id",
    )
    .bind(contact.0)
    .bind(channel.as_str())
    .bind(state.as_str())
    .bind(agent.0)
    .bind(now_ms())
    .bind(i64::from(done))
    .bind(latest.map(|l| l.id.0))
    .bind(why.as_str())
    .fetch_one(&mut tx.inner)
    .await?
    .try_get("id")?;
    Ok(InteractionId(id))
}
