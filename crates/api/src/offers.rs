//! The offer loop ("routing"): every instance runs one. Each pass expires offers, releases lapsed
//! reservations, ends the chats of visitors who left a channel without asynchronous chat
//! (`store::departures`), and offers waiting chats until no Ready agent has room. Row locks in the
//! store keep instances from offering one chat twice or an agent beyond capacity.

use crate::store::{OfferOutcome, OfferTimes, Store};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

/// Wakes the routing loop (a chat was queued, an agent went Ready or freed capacity).
#[derive(Debug, Clone, Default)]
pub struct OfferWake(pub Arc<Notify>);

impl OfferWake {
    /// Asks for a pass now.
    pub fn poke(&self) {
        self.0.notify_one();
    }
}

/// The times routing works with, from the configuration (also the offer a transfer makes).
pub fn times(config: &crate::Config) -> OfferTimes {
    use crate::util::ms;
    OfferTimes {
        offer_timeout_ms: ms(config.offer_timeout),
        presence_ms: ms(config.presence_timeout),
        decline_cooldown_ms: ms(config.decline_cooldown),
    }
}

/// Runs passes until aborted.
pub async fn run(store: Store, wake: OfferWake, times: OfferTimes) {
    loop {
        if let Err(e) = pass(&store, times).await {
            tracing::warn!(error = %e, "routing pass failed");
        }
        tokio::select! {
            () = wake.0.notified() => {}
            () = tokio::time::sleep(Duration::from_millis(250)) => {}
        }
    }
}

/// One pass.
pub async fn pass(
    store: &Store,
    times: OfferTimes,
) -> Result<OfferOutcome, crate::store::StoreError> {
    // Offer timeouts are per channel; another instance may have changed them.
    store.refresh_channel_settings().await?;
    let mut out = OfferOutcome {
        expired: store.expire_offers().await?,
        ..Default::default()
    };
    out.released = store.release_lapsed_reservations().await?;
    out.departed = store.end_departed(times.presence_ms).await?;
    while store.route_one(times).await? {
        out.offered += 1;
    }
    Ok(out)
}
