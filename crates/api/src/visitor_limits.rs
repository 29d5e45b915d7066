//! Limits for strangers: anyone on the internet can call the visitor routes, so each costly
//! thing a visitor can do (sessions, messages, uploads, typing, receipts, stream tickets) has a
//! quota per visitor (their contact, whatever token they hold)
//! and per client address, and open event streams are capped the same two ways. A refusal is
//! a 429 with `Retry-After` ([`ApiError::Throttled`]).
//!
//! The quotas are the same mechanism as the login limits (`governor` token buckets built by
//! [`crate::login_limits::quota`], refilling over the window, pruned on the same timer), and
//! the client address is [`crate::login_limits::LoginLimits::client_address`] (which honours
//! `--trusted-proxies`).

use crate::error::ApiError;
use crate::login_limits::{quota, wait_time};
use governor::{DefaultKeyedRateLimiter, RateLimiter};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use wire::ContactId;

/// The quotas, per window (one minute unless tests shorten it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VisitorQuotas {
    /// The period the counts below are per.
    pub window: Duration,
    /// New or resumed visitor sessions from one address.
    pub sessions_per_address: u32,
    /// Messages one visitor may send.
    pub messages_per_visitor: u32,
    /// Messages from one address (all its visitors together).
    pub messages_per_address: u32,
    /// Image uploads one visitor may make.
    pub uploads_per_visitor: u32,
    /// Image uploads from one address.
    pub uploads_per_address: u32,
    /// Typing notices one visitor may send.
    pub typing_per_visitor: u32,
    /// Typing notices from one address.
    pub typing_per_address: u32,
    /// Delivered/read receipts one visitor may send (each is a write).
    pub receipts_per_visitor: u32,
    /// Receipts from one address.
    pub receipts_per_address: u32,
    /// Stream tickets one visitor may take (each is a write; reconnects back off).
    pub tickets_per_visitor: u32,
    /// Stream tickets from one address.
    pub tickets_per_address: u32,
    /// Event streams one visitor may hold open at once (tabs of one browser).
    pub streams_per_visitor: u32,
    /// Event streams one address may hold open at once.
    pub streams_per_address: u32,
}

impl Default for VisitorQuotas {
    fn default() -> Self {
        VisitorQuotas {
            window: Duration::from_mins(1),
            sessions_per_address: 30,
            messages_per_visitor: 30,
            messages_per_address: 300,
            uploads_per_visitor: 10,
            uploads_per_address: 60,
            typing_per_visitor: 60,
            typing_per_address: 600,
            receipts_per_visitor: 60,
            receipts_per_address: 600,
            tickets_per_visitor: 30,
            tickets_per_address: 300,
            streams_per_visitor: 4,
            streams_per_address: 100,
        }
    }
}

/// What a visitor asks to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Send a message.
    Message,
    /// Upload an image.
    Upload,
    /// Say they are typing.
    Typing,
    /// Send a delivered/read receipt.
    Receipt,
    /// Take a stream ticket.
    Ticket,
}

impl Action {
    fn refusal(self) -> &'static str {
        match self {
            Action::Message => "too many messages; wait a moment and try again",
            Action::Upload => "too many uploads; wait a moment and try again",
            Action::Typing => "too many typing notices; wait a moment",
            Action::Receipt => "too many receipts; wait a moment",
            Action::Ticket => "too many reconnects; wait a moment and try again",
        }
    }
}

/// One action's two quotas.
struct Pair {
    /// Per visitor.
    per_visitor: DefaultKeyedRateLimiter<ContactId>,
    /// Per client address.
    per_address: DefaultKeyedRateLimiter<IpAddr>,
}

impl Pair {
    fn new(per_visitor: u32, per_address: u32, window: Duration) -> Self {
        Pair {
            per_visitor: RateLimiter::keyed(quota(per_visitor, window)),
            per_address: RateLimiter::keyed(quota(per_address, window)),
        }
    }
}

/// Open streams, counted per visitor and per address.
#[derive(Default)]
struct StreamCounts {
    /// By visitor.
    visitors: HashMap<ContactId, u32>,
    /// By address.
    addresses: HashMap<IpAddr, u32>,
}

/// The visitor limiter shared by all requests.
pub struct VisitorLimits {
    /// The configured quotas.
    quotas: VisitorQuotas,
    /// Sessions per address.
    sessions: DefaultKeyedRateLimiter<IpAddr>,
    /// Messages.
    messages: Pair,
    /// Uploads.
    uploads: Pair,
    /// Typing notices.
    typing: Pair,
    /// Receipts.
    receipts: Pair,
    /// Stream tickets.
    tickets: Pair,
    /// Streams open now.
    streams: Mutex<StreamCounts>,
}

impl std::fmt::Debug for VisitorLimits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VisitorLimits")
            .field("quotas", &self.quotas)
            .finish_non_exhaustive()
    }
}

fn throttled(wait: Duration, message: &str) -> ApiError {
    ApiError::Throttled(wait, message.to_owned())
}

impl VisitorLimits {
    /// Limits as configured.
    pub fn new(q: VisitorQuotas) -> Self {
        let w = q.window;
        VisitorLimits {
            quotas: q,
            sessions: RateLimiter::keyed(quota(q.sessions_per_address, w)),
            messages: Pair::new(q.messages_per_visitor, q.messages_per_address, w),
            uploads: Pair::new(q.uploads_per_visitor, q.uploads_per_address, w),
            typing: Pair::new(q.typing_per_visitor, q.typing_per_address, w),
            receipts: Pair::new(q.receipts_per_visitor, q.receipts_per_address, w),
            tickets: Pair::new(q.tickets_per_visitor, q.tickets_per_address, w),
            streams: Mutex::new(StreamCounts::default()),
        }
    }

    /// Admits one session request from `client`.
    ///
    /// # Errors
    /// 429 when the address's quota is used up.
    pub fn admit_session(&self, client: IpAddr) -> Result<(), ApiError> {
        self.sessions.check_key(&client).map_err(|e| {
            throttled(
                wait_time(&e),
                "too many chat sessions from your network; wait a moment and try again",
            )
        })
    }

    /// Admits one `action` by `visitor` from `client`.
    ///
    /// # Errors
    /// 429 when the visitor's or the address's quota is used up.
    pub fn admit(
        &self,
        action: Action,
        visitor: ContactId,
        client: IpAddr,
    ) -> Result<(), ApiError> {
        let pair = match action {
            Action::Message => &self.messages,
            Action::Upload => &self.uploads,
            Action::Typing => &self.typing,
            Action::Receipt => &self.receipts,
            Action::Ticket => &self.tickets,
        };
        let why = action.refusal();
        pair.per_visitor
            .check_key(&visitor)
            .map_err(|e| throttled(wait_time(&e), why))?;
        pair.per_address
            .check_key(&client)
            .map_err(|e| throttled(wait_time(&e), why))
    }

    /// Takes a stream slot for `visitor` at `client`; the slot is given back when dropped
    /// (when the stream ends).
    ///
    /// # Errors
    /// 429 when the visitor or the address holds as many streams as allowed.
    pub fn open_stream(
        self: &Arc<Self>,
        visitor: ContactId,
        client: IpAddr,
    ) -> Result<StreamSlot, ApiError> {
        let mut counts = self
            .streams
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let by_visitor = counts.visitors.get(&visitor).copied().unwrap_or(0);
        let by_address = counts.addresses.get(&client).copied().unwrap_or(0);
        if by_visitor >= self.quotas.streams_per_visitor
            || by_address >= self.quotas.streams_per_address
        {
            return Err(throttled(
                Duration::from_secs(5),
                "too many open chat windows; close one and try again",
            ));
        }
        *counts.visitors.entry(visitor).or_default() += 1;
        *counts.addresses.entry(client).or_default() += 1;
        Ok(StreamSlot {
            limits: self.clone(),
            visitor,
            client,
        })
    }

    fn close_stream(&self, visitor: ContactId, client: IpAddr) {
        let mut counts = self
            .streams
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        release(&mut counts.visitors, visitor);
        release(&mut counts.addresses, client);
    }

    /// Forgets keys whose buckets are full again (run with the login limits' pruning).
    pub fn prune(&self) {
        for limiter in [
            &self.messages.per_visitor,
            &self.uploads.per_visitor,
            &self.typing.per_visitor,
            &self.receipts.per_visitor,
            &self.tickets.per_visitor,
        ] {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
        for limiter in [
            &self.sessions,
            &self.messages.per_address,
            &self.uploads.per_address,
            &self.typing.per_address,
            &self.receipts.per_address,
            &self.tickets.per_address,
        ] {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
    }
}

fn release<K: std::hash::Hash + Eq>(map: &mut HashMap<K, u32>, key: K) {
    if let Some(n) = map.get_mut(&key) {
        *n = n.saturating_sub(1);
        if *n == 0 {
            map.remove(&key);
        }
    }
}

/// One open visitor stream's place in the caps; dropping it frees the place.
pub struct StreamSlot {
    /// Where it is counted.
    limits: Arc<VisitorLimits>,
    /// Whose stream.
    visitor: ContactId,
    /// From where.
    client: IpAddr,
}

impl Drop for StreamSlot {
    fn drop(&mut self) {
        self.limits.close_stream(self.visitor, self.client);
    }
}

/// Prunes the quotas' state every `every`.
pub async fn run_pruning(limits: Arc<VisitorLimits>, every: Duration) {
    let mut tick = tokio::time::interval(every.max(Duration::from_secs(1)));
    loop {
        tick.tick().await;
        limits.prune();
    }
}
