//! Per-channel settings (`channel_settings`): asynchronous chat on or off, whether public items
//! are offered, the offer timeout and the "contact responded" reservation window.
//!
//! This is the one place that answers "how long does an offer of this chat wait", "how long
//! is a responded chat kept for its agent", "are this channel's public items offered" and "is
//! chat on this channel asynchronous" ([`Store::offer_timeout_ms`], [`Store::reservation_ms`],
//! [`Store::offered_channels_sql`], [`async_chat_on`], [`Store::departure_channels_sql`]).
//! Routing asks for every offer, so those answers come from memory: the table is read at
//! start, after every change made here, and by the routing loop when the copy is a few seconds
//! old (another instance on the same PostgreSQL may have changed it). Whether an agent may
//! reopen a chat is asked inside the transaction that would, from the table itself.
//!
//! Asynchronous chat off means a chat lasts only while the contact is there: an agent cannot
//! reopen an ended chat or write to a contact outside one (`async_chat_off`), a contact who
//! writes again starts a new chat for anyone (no reservation for the agent who wrote last), and
//! a Web Chat visitor who left ends their chat (`departures`).

use super::{AuditEntry, Store, StoreError, Tx};
use crate::util::now_ms;
use serde_json::json;
use sqlx::Row;
use std::collections::HashMap;
use std::time::{Duration, Instant};
use wire::accounts::AuditAction;
use wire::channels::ChannelSettings;
use wire::{AgentId, Channel};

/// The in-memory copy of the table.
#[derive(Debug, Default)]
pub struct ChannelCache {
    /// Each channel's row, in milliseconds as stored (the configuration's defaults may be finer
    /// than whole seconds).
    rows: HashMap<Channel, Stored>,
    /// When the copy was read (none: never).
    loaded_at: Option<Instant>,
}

/// One row as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stored {
    /// Chats stay open when the contact leaves.
    async_chat: bool,
    /// Public items are offered.
    offer_public: bool,
    /// How long an offer waits.
    offer_timeout_ms: i64,
    /// How long a responded chat is kept for its agent.
    reservation_ms: i64,
}

impl Stored {
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // bounded by the checks
    fn view(self, channel: Channel) -> ChannelSettings {
        ChannelSettings {
            channel,
            async_chat: self.async_chat,
            offer_public: self.offer_public,
            offer_timeout_secs: (self.offer_timeout_ms.max(0) / 1000) as u32,
            reservation_secs: (self.reservation_ms.max(0) / 1000) as u32,
        }
    }
}

/// The values a channel without a row starts with (the server's configuration).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChannelDefaults {
    /// `Config::offer_timeout`.
    pub offer_timeout_ms: i64,
    /// `Config::reservation_timeout`.
    pub reservation_ms: i64,
}

/// How old the in-memory copy may get before routing reads the table again.
pub const CHANNEL_CACHE_MAX_AGE: Duration = Duration::from_secs(5);

impl Store {
    /// Adds a row for every channel that has none, from `defaults`, and reads the table.
    ///
    /// # Errors
    /// The database failed.
    pub async fn ensure_channel_settings(
        &self,
        defaults: ChannelDefaults,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        for channel in Channel::ALL {
            sqlx::query(
                "INSERT INTO channel_settings \
                 (channel, async_chat, offer_public, offer_timeout_ms, reservation_ms, updated_at) \
                 VALUES ($1, 1, $5, $2, $3, $4) ON CONFLICT (channel) DO NOTHING",
            )
            .bind(channel.as_str())
            .bind(defaults.offer_timeout_ms)
            .bind(defaults.reservation_ms)
            .bind(now_ms())
            // Public posts and Tweets are answered in the Public view, not offered as chats,
            // until an administrator turns offering on for the channel.
            .bind(i64::from(!channel.is_public()))
            .execute(&mut tx.inner)
            .await?;
        }
        tx.commit().await?;
        self.reload_channel_settings().await
    }

    /// Reads the table into memory.
    ///
    /// # Errors
    /// The database failed.
    pub async fn reload_channel_settings(&self) -> Result<(), StoreError> {
        let rows = self.read_channel_rows().await?;
        let mut cache = self
            .channels
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        cache.rows = rows;
        cache.loaded_at = Some(Instant::now());
        Ok(())
    }

    /// Reads the table again when the copy is older than [`CHANNEL_CACHE_MAX_AGE`] (routing
    /// calls this each pass; changes made on this instance are in memory at once).
    ///
    /// # Errors
    /// The database failed.
    pub async fn refresh_channel_settings(&self) -> Result<(), StoreError> {
        let stale = self
            .channels
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .loaded_at
            .is_none_or(|at| at.elapsed() >= CHANNEL_CACHE_MAX_AGE);
        if stale {
            self.reload_channel_settings().await?;
        }
        Ok(())
    }

    async fn read_channel_rows(&self) -> Result<HashMap<Channel, Stored>, StoreError> {
        let rows = sqlx::query(
            "SELECT channel, async_chat, offer_public, offer_timeout_ms, reservation_ms \
             FROM channel_settings",
        )
        .fetch_all(self.pool())
        .await?;
        let mut out = HashMap::new();
        for row in rows {
            let name: String = row.try_get("channel")?;
            // A channel this build does not know (a newer instance's) is left alone.
            let Some(channel) = Channel::parse(&name) else {
                continue;
            };
            out.insert(
                channel,
                Stored {
                    async_chat: row.try_get::<i64, _>("async_chat")? != 0,
                    offer_public: row.try_get::<i64, _>("offer_public")? != 0,
                    offer_timeout_ms: row.try_get("offer_timeout_ms")?,
                    reservation_ms: row.try_get("reservation_ms")?,
                },
            );
        }
        Ok(out)
    }

    /// Every channel's settings, read from the table, in the order the UI lists channels.
    ///
    /// # Errors
    /// The database failed.
    pub async fn channel_settings(&self) -> Result<Vec<ChannelSettings>, StoreError> {
        let rows = self.read_channel_rows().await?;
        Ok(Channel::ALL
            .iter()
            .filter_map(|c| rows.get(c).map(|r| r.view(*c)))
            .collect())
    }

    /// How long an offer of a chat on `channel` waits for an answer, in milliseconds (`fallback`
    /// when the channel has no row, which only a store that was never started can lack).
    pub fn offer_timeout_ms(&self, channel: Channel, fallback: i64) -> i64 {
        self.cached(channel)
            .map_or(fallback, |r| r.offer_timeout_ms)
    }

    /// How long a chat on `channel` whose contact responded is kept for the agent who wrote last,
    /// in milliseconds (`fallback` as above).
    pub fn reservation_ms(&self, channel: Channel, fallback: i64) -> i64 {
        self.cached(channel).map_or(fallback, |r| r.reservation_ms)
    }

    /// A condition on `i.channel` (with its leading `AND`) that leaves out public channels whose
    /// items are not offered, or an empty string when all are. Channel names are the
    /// program's own constants, never a caller's text.
    pub fn offered_channels_sql(&self) -> String {
        let off: Vec<String> = Channel::ALL
            .into_iter()
            .filter(|c| c.is_public() && self.cached(*c).is_some_and(|r| !r.offer_public))
            .map(|c| format!("'{}'", c.as_str()))
            .collect();
        if off.is_empty() {
            String::new()
        } else {
            format!(" AND i.channel NOT IN ({})", off.join(", "))
        }
    }

    /// The channels where a visitor's leaving ends their chat — asynchronous chat off, and a
    /// widget that says whether the visitor is there (Web Chat; the platforms of the other
    /// channels do not tell) — as an SQL list for `i.channel IN (…)`, or `None` when there
    /// are none (most of the time: nothing to look for). Channel names are the program's own
    /// constants.
    pub fn departure_channels_sql(&self) -> Option<String> {
        let off: Vec<String> = [Channel::WebChat]
            .into_iter()
            .filter(|c| self.cached(*c).is_some_and(|r| !r.async_chat))
            .map(|c| format!("'{}'", c.as_str()))
            .collect();
        (!off.is_empty()).then(|| off.join(", "))
    }

    fn cached(&self, channel: Channel) -> Option<Stored> {
        self.channels
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .rows
            .get(&channel)
            .copied()
    }

    /// Changes one channel's settings (audited as `channel.update`, before and after), and
    /// puts them in memory at once. The values are checked by the caller
    /// ([`ChannelSettings::check`]).
    ///
    /// # Errors
    /// The channel has no row yet (not found), or the database failed.
    pub async fn update_channel_settings(
        &self,
        actor: Option<AgentId>,
        new: &ChannelSettings,
    ) -> Result<Vec<ChannelSettings>, StoreError> {
        let mut tx = self.begin().await?;
        let lock = format!(
            "SELECT async_chat, offer_public, offer_timeout_ms, reservation_ms \
             FROM channel_settings WHERE channel = $1{}",
            self.dialect().for_update()
        );
        let row = sqlx::query(&lock)
            .bind(new.channel.as_str())
            .fetch_optional(&mut tx.inner)
            .await?
            .ok_or(StoreError::not_found("channel"))?;
        let before = Stored {
            async_chat: row.try_get::<i64, _>("async_chat")? != 0,
            offer_public: row.try_get::<i64, _>("offer_public")? != 0,
            offer_timeout_ms: row.try_get("offer_timeout_ms")?,
            reservation_ms: row.try_get("reservation_ms")?,
        }
        .view(new.channel);
        sqlx::query(
            "UPDATE channel_settings SET async_chat = $1, offer_public = $2, \
             offer_timeout_ms = $3, reservation_ms = $4, updated_at = $5 WHERE channel = $6",
        )
        .bind(i64::from(new.async_chat))
        .bind(i64::from(new.offer_public))
        .bind(i64::from(new.offer_timeout_secs) * 1000)
        .bind(i64::from(new.reservation_secs) * 1000)
        .bind(now_ms())
        .bind(new.channel.as_str())
        .execute(&mut tx.inner)
        .await?;
        tx.audit(AuditEntry {
            actor,
            action: AuditAction::ChannelUpdate,
            target_id: new.channel.as_str().to_owned(),
            before: Some(audited(&before)),
            after: Some(audited(new)),
        })
        .await?;
        tx.commit().await?;
        self.reload_channel_settings().await?;
        self.channel_settings().await
    }
}

/// What the audit log keeps of a channel's settings.
fn audited(s: &ChannelSettings) -> serde_json::Value {
    json!({
        "async_chat": s.async_chat,
        "offer_public": s.offer_public,
        "offer_timeout_secs": s.offer_timeout_secs,
        "reservation_secs": s.reservation_secs,
    })
}

/// Whether chat on `channel` is asynchronous, read in `tx` (a channel without a row is: the
/// default).
pub(super) async fn async_chat_on(tx: &mut Tx, channel: Channel) -> Result<bool, StoreError> {
    Ok(
        sqlx::query("SELECT async_chat FROM channel_settings WHERE channel = $1")
            .bind(channel.as_str())
            .fetch_optional(&mut tx.inner)
            .await?
            .map(|r| r.try_get::<i64, _>("async_chat"))
            .transpose()?
            .is_none_or(|v| v != 0),
    )
}
