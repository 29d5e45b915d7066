//! Departures: on a Web Chat channel without asynchronous chat, a chat lasts only while its
//! visitor is there. A visitor whose widget has had no event stream open (on any instance,
//! `contacts.visitor_seen_at`) for the presence timeout has left:
//! - a chat in progress ends as if they had ended it (`The contact left`), and its agent marks
//!   it Done as usual;
//! - a waiting chat (queued, or offered to an agent, whose offer is withdrawn) leaves the queue
//!   unanswered ([`Action::Abandon`]): nobody could reach them any more.
//!
//! A chat gets the same time from its start, so a visitor who writes before their stream
//! opens is not taken for gone. Every instance's routing pass runs this; the row locks and the
//! lifecycle's state guard end a chat once.

use super::interaction_steps::end_in;
use super::interactions::{emit_interaction, lock_interaction};
use super::messages::{insert_message_in, NewMessage};
use super::sql::Arg;
use super::transitions::transition;
use super::{Audience, Store, StoreError, Tx};
use crate::util::now_ms;
use sqlx::Row;
use wire::event::WithdrawReason;
use wire::lifecycle::Action;
use wire::{Event, InteractionId, InteractionState, InteractionView, Party, SystemLine};

/// Chats ended in one transaction, at most (the next pass takes the rest).
const PER_PASS: i64 = 50;

impl Store {
    /// Ends the chats whose visitor left a channel without asynchronous chat (see the module
    /// comment); `presence_ms` is the presence timeout. Returns how many.
    ///
    /// # Errors
    /// The database failed.
    pub async fn end_departed(&self, presence_ms: i64) -> Result<u32, StoreError> {
        let Some(channels) = self.departure_channels_sql() else {
            return Ok(0);
        };
        let sql = format!(
            "SELECT i.id FROM interactions i JOIN contacts c ON c.id = i.contact_id \
             WHERE i.state IN ('queued', 'offered', 'active') AND i.channel IN ({channels}) \
             AND i.created_at < $1 AND COALESCE(c.visitor_seen_at, 0) < $1 \
             ORDER BY i.id LIMIT {PER_PASS}{}",
            self.dialect()
                .for_update_skip_locked()
                .replace("FOR UPDATE", "FOR UPDATE OF i")
        );
        let mut tx = self.begin().await?;
        let gone = sqlx::query(&sql)
            .bind(now_ms() - presence_ms)
            .fetch_all(&mut tx.inner)
            .await?
            .iter()
            .map(|r| r.try_get::<i64, _>("id").map(InteractionId))
            .collect::<Result<Vec<_>, _>>()?;
        let mut n = 0;
        for id in gone {
            let current = lock_interaction(&mut tx, id).await?;
            match current.state {
                InteractionState::Active => {
                    end_in(&mut tx, &current, Party::Contact).await?;
                }
                InteractionState::Queued | InteractionState::Offered => {
                    abandon(&mut tx, &current).await?;
                }
                InteractionState::Ended | InteractionState::Done => continue,
            }
            n += 1;
        }
        tx.commit().await?;
        Ok(n)
    }
}

/// Closes a waiting chat whose contact left: its offer, if any, is withdrawn from the agent
/// (whose capacity frees), and it is ended and Done by nobody, with `The contact left` in the
/// transcript.
async fn abandon(tx: &mut Tx, current: &InteractionView) -> Result<(), StoreError> {
    let offered_to = current
        .agent_id
        .filter(|_| current.state == InteractionState::Offered);
    let now = now_ms();
    let mut sets = vec![
        ("agent_id", Arg::Null),
        ("offer_expires_at", Arg::Null),
        ("reserved_for", Arg::Null),
        ("reserved_until", Arg::Null),
        ("ended_at", Arg::Int(now)),
        ("ended_by", Arg::Text("contact".to_owned())),
        ("done_at", Arg::Int(now)),
    ];
    sets.extend(super::transfers::CLEAR_TRANSFER);
    transition(tx, current.id, current.state, Action::Abandon, &sets).await?;
    let closed = emit_interaction(tx, current.id).await?;
    insert_message_in(
        tx,
        NewMessage::system(current.contact_id, current.id, SystemLine::Left, None),
        &closed,
    )
    .await?;
    if let Some(agent) = offered_to {
        tx.emit(
            Audience::agent(agent),
            &Event::OfferWithdrawn {
                interaction_id: current.id,
                reason: WithdrawReason::ContactLeft,
            },
        )?;
        super::agents::emit_status(tx, agent).await?;
    }
    Ok(())
}
