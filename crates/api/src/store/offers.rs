//! Offer queries (routing): offer the oldest waiting chat to one Ready agent under capacity (the
//! contact's last agent first, then the longest idle), expire offers, release reservations.
//! Row locks make two API instances on one PostgreSQL agree; SQLite has one writer anyway.

use super::agents::emit_status;
use super::interaction_steps::requeue;
use super::interactions::{emit_interaction, first_contact_text, lock_interaction};
use super::sql::Arg;
use super::transfers::{pending_transfer, PendingTransfer};
use super::transitions::{holding_capacity_sql, transition};
use super::StoreError;
use super::{Audience, Store};
use crate::util::now_ms;
use sqlx::Row;
use wire::event::{OfferView, WithdrawReason};
use wire::lifecycle::Action;
use wire::{AgentId, Channel, Event, InteractionId, InteractionState};

/// The times routing works with, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OfferTimes {
    /// How long an offer stays open.
    pub offer_timeout_ms: i64,
    /// How recently an agent's event stream must have been seen for them to get offers.
    pub presence_ms: i64,
    /// How long an agent who declined a chat is not offered it again.
    pub decline_cooldown_ms: i64,
}

/// What one routing pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OfferOutcome {
    /// Offers made.
    pub offered: u32,
    /// Offers that timed out and went back to the queue.
    pub expired: u32,
    /// Reservations that lapsed and went to routing.
    pub released: u32,
    /// Chats ended because their visitor left a channel without asynchronous chat.
    pub departed: u32,
}

impl Store {
    /// Returns offers whose time ran out to the queue (the agent is skipped next time).
    pub async fn expire_offers(&self) -> Result<u32, StoreError> {
        let sql = format!(
            "SELECT id FROM interactions WHERE state = 'offered' AND offer_expires_at <= $1 ORDER BY id LIMIT 50{}",
            self.dialect().for_update_skip_locked()
        );
        let mut tx = self.begin().await?;
        let rows = sqlx::query(&sql)
            .bind(now_ms())
            .fetch_all(&mut tx.inner)
            .await?;
        let mut n = 0;
        for row in rows {
            let id = InteractionId(row.try_get("id")?);
            let current = lock_interaction(&mut tx, id).await?;
            if let (InteractionState::Offered, Some(agent)) = (current.state, current.agent_id) {
                requeue(&mut tx, &current, agent, WithdrawReason::TimedOut).await?;
                emit_interaction(&mut tx, id).await?;
                n += 1;
            }
        }
        tx.commit().await?;
        Ok(n)
    }

    /// Gives chats whose reservation lapsed to routing.
    pub async fn release_lapsed_reservations(&self) -> Result<u32, StoreError> {
        let mut tx = self.begin().await?;
        let n = sqlx::query(
            "UPDATE interactions SET reserved_for = NULL, reserved_until = NULL \
             WHERE state = 'queued' AND reserved_for IS NOT NULL AND reserved_until <= $1",
        )
        .bind(now_ms())
        .execute(&mut tx.inner)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(u32::try_from(n).unwrap_or(u32::MAX))
    }

    /// Offers the oldest waiting chat that someone can take to the best agent for it. `false`
    /// when there was nothing to offer or nobody to offer it to (a later pass tries again). A
    /// chat an agent declined is not offered to them again for `decline_cooldown_ms`, and does
    /// not hold up the chats behind it: the claim looks only at chats some present, Ready agent
    /// under capacity has not declined lately, so any number of chats nobody can take (a
    /// spammer's, say) at the head of the queue cannot starve the ones behind them.
    pub async fn route_one(&self, times: OfferTimes) -> Result<bool, StoreError> {
        let mut tx = self.begin().await?;
        let holding = holding_capacity_sql();
        let claim = format!(
            "SELECT i.id, i.contact_id, i.channel, c.last_agent_id FROM interactions i JOIN contacts c ON c.id = i.contact_id \
             WHERE i.state = 'queued' AND i.reserved_for IS NULL{} \
             AND EXISTS (SELECT 1 FROM agents a WHERE a.ready = 1 AND a.deactivated_at IS NULL AND a.last_seen_at > $1 \
             AND (SELECT COUNT(*) FROM interactions x WHERE x.agent_id = a.id AND x.state IN ({holding})) < a.capacity \
             AND NOT EXISTS (SELECT 1 FROM offer_declines d WHERE d.interaction_id = i.id AND d.agent_id = a.id AND d.at > $2)) \
             ORDER BY i.queued_at, i.id LIMIT 20{}",
            self.offered_channels_sql(),
            self.dialect().for_update_skip_locked().replace("FOR UPDATE", "FOR UPDATE OF i")
        );
        let now = now_ms();
        let waiting = sqlx::query(&claim)
            .bind(now - times.presence_ms)
            .bind(now - times.decline_cooldown_ms)
            .fetch_all(&mut tx.inner)
            .await?;
        for row in &waiting {
            let id = InteractionId(row.try_get("id")?);
            let last_agent = row.try_get::<Option<i64>, _>("last_agent_id")?.map(AgentId);
            let channel: String = row.try_get("channel")?;
            let mut times = times;
            if let Some(channel) = Channel::parse(&channel) {
                times.offer_timeout_ms = self.offer_timeout_ms(channel, times.offer_timeout_ms);
            }
            if self.offer_to_best(&mut tx, id, last_agent, times).await? {
                tx.commit().await?;
                return Ok(true);
            }
        }
        tx.rollback().await?;
        Ok(false)
    }

    /// Offers one claimed chat to the best agent who can take it; `false` if nobody can.
    async fn offer_to_best(
        &self,
        tx: &mut super::Tx,
        id: InteractionId,
        last_agent: Option<AgentId>,
        times: OfferTimes,
    ) -> Result<bool, StoreError> {
        let OfferTimes {
            offer_timeout_ms,
            presence_ms,
            decline_cooldown_ms,
        } = times;
        let now = now_ms();
        let holding = holding_capacity_sql();
        let candidates = format!(
            "SELECT a.id FROM agents a WHERE a.ready = 1 AND a.deactivated_at IS NULL AND a.last_seen_at > $1 \
             AND (SELECT COUNT(*) FROM interactions x WHERE x.agent_id = a.id AND x.state IN ({holding})) < a.capacity \
             AND NOT EXISTS (SELECT 1 FROM offer_declines d WHERE d.interaction_id = $3 AND d.agent_id = a.id AND d.at > $4) \
             ORDER BY CASE WHEN a.id = $2 THEN 0 ELSE 1 END, \
             (SELECT COUNT(*) FROM offer_declines d WHERE d.interaction_id = $3 AND d.agent_id = a.id), \
             COALESCE(a.last_routed_at, 0), a.id LIMIT 5",
        );
        let candidates = sqlx::query(&candidates)
            .bind(now - presence_ms)
            .bind(last_agent.map(|a| a.0))
            .bind(id.0)
            .bind(now - decline_cooldown_ms)
            .fetch_all(&mut tx.inner)
            .await?;
        for cand in candidates {
            let agent = AgentId(cand.try_get("id")?);
            // Lock the agent, then count again: another instance may have offered meanwhile.
            // The count is its own statement: on PostgreSQL a statement that waited for the
            // lock still reads the rest with the snapshot it started with, so a count inside
            // the locking statement could miss the offer that was committed while it waited.
            let lock = format!(
                "SELECT a.ready, a.capacity, a.deactivated_at FROM agents a WHERE a.id = $1{}",
                self.dialect().for_update()
            );
            let r = sqlx::query(&lock)
                .bind(agent.0)
                .fetch_one(&mut tx.inner)
                .await?;
            let load: i64 = sqlx::query(&format!(
                "SELECT COUNT(*) AS load FROM interactions x WHERE x.agent_id = $1 AND x.state IN ({holding})"
            ))
            .bind(agent.0)
            .fetch_one(&mut tx.inner)
            .await?
            .try_get("load")?;
            let (ready, capacity): (i64, i64) = (r.try_get("ready")?, r.try_get("capacity")?);
            let deactivated = r.try_get::<Option<i64>, _>("deactivated_at")?.is_some();
            if ready != 1 || deactivated || load >= capacity {
                continue;
            }
            let expires = now + offer_timeout_ms;
            // The chat was claimed `FOR UPDATE` in state queued (see `route_one`).
            transition(
                tx,
                id,
                InteractionState::Queued,
                Action::Offer,
                &[
                    ("agent_id", Arg::Int(agent.0)),
                    ("offer_expires_at", Arg::Int(expires)),
                ],
            )
            .await?;
            sqlx::query("UPDATE agents SET last_routed_at = $1 WHERE id = $2")
                .bind(now)
                .bind(agent.0)
                .execute(&mut tx.inner)
                .await?;
            let interaction = emit_interaction(tx, id).await?;
            let first_message = first_contact_text(&mut tx.inner, id).await?;
            let transfer = pending_transfer(&mut tx.inner, id).await?;
            tx.emit(
                Audience::agent(agent),
                &Event::Offer {
                    offer: OfferView {
                        interaction,
                        first_message,
                        expires_at: expires,
                        transfer: transfer.as_ref().map(PendingTransfer::view),
                    },
                },
            )?;
            emit_status(tx, agent).await?;
            return Ok(true);
        }
        Ok(false)
    }
}
