//! The routing loop: every instance runs one. Each pass expires offers, releases lapsed
//! reservations, and offers waiting chats until no Ready agent has room. Row locks in the
//! store keep instances from offering one chat twice or an agent beyond capacity.

use crate::store::Store;
use crate::util::ms;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

/// Wakes the routing loop (a chat was queued, an agent went Ready or freed capacity).
#[derive(Debug, Clone, Default)]
pub struct RoutingWake(pub Arc<Notify>);

impl RoutingWake {
    /// Asks for a pass now.
    pub fn poke(&self) {
        self.0.notify_one();
    }
}

/// Runs passes until aborted.
pub async fn run(
    store: Store,
    wake: RoutingWake,
    offer_timeout: Duration,
    presence_timeout: Duration,
) {
    loop {
        if let Err(e) = pass(&store, ms(offer_timeout), ms(presence_timeout)).await {
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
    offer_timeout_ms: i64,
    presence_ms: i64,
) -> Result<crate::store::RoutingOutcome, crate::ApiError> {
    let mut out = crate::store::RoutingOutcome {
        expired: store.expire_offers().await?,
        ..Default::default()
    };
    out.released = store.release_lapsed_reservations().await?;
    while store.route_one(offer_timeout_ms, presence_ms).await? {
        out.offered += 1;
    }
    Ok(out)
}
