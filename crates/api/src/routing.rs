//! The routing loop: every instance runs one. Each pass expires offers, releases lapsed
//! reservations, and offers waiting chats until no Ready agent has room. Row locks in the
//! store keep instances from offering one chat twice or an agent beyond capacity.

use crate::store::{RoutingOutcome, RoutingTimes, Store};
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
pub async fn run(store: Store, wake: RoutingWake, times: RoutingTimes) {
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
pub async fn pass(store: &Store, times: RoutingTimes) -> Result<RoutingOutcome, crate::ApiError> {
    let mut out = RoutingOutcome {
        expired: store.expire_offers().await?,
        ..Default::default()
    };
    out.released = store.release_lapsed_reservations().await?;
    while store.route_one(times).await? {
        out.offered += 1;
    }
    Ok(out)
}
