//! Limits on login attempts, so logins can neither exhaust the server nor lock an agent out:
//! a global, a per-address and a per-login-name quota (token buckets that refill over the
//! window, so a limited name is slowed, never locked), and a bound on password checks running
//! at once (each argon2 check needs ~19 MiB and a blocking thread). The client address comes
//! from `X-Forwarded-For` only when the peer is a trusted proxy. The keyed state is pruned on a
//! timer.

use crate::config::{Config, IpNet};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultDirectRateLimiter, DefaultKeyedRateLimiter, NotUntil, Quota, RateLimiter};
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use wire::{ErrorBody, ErrorCode};

/// Why a login attempt is refused before its password is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// 429: a quota is used up; try again after the given time.
    TooMany(Duration),
    /// 503: too many password checks are running; try again in a second.
    Busy,
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let (status, code, wait, message) = match self {
            Refusal::TooMany(wait) => (
                StatusCode::TOO_MANY_REQUESTS,
                ErrorCode::RateLimited,
                wait,
                "too many login attempts; wait a moment and try again",
            ),
            Refusal::Busy => (
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::Unavailable,
                Duration::from_secs(1),
                "the server is busy checking logins; try again in a second",
            ),
        };
        let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        (
            status,
            [(header::RETRY_AFTER, secs.max(1).to_string())],
            Json(ErrorBody::new(code, message.to_owned())),
        )
            .into_response()
    }
}

/// The login limiter shared by all requests.
pub struct LoginLimits {
    /// Permits for password checks running at once.
    checks: Arc<Semaphore>,
    /// Attempts from everyone.
    global: DefaultDirectRateLimiter,
    /// Attempts per client address.
    per_address: DefaultKeyedRateLimiter<IpAddr>,
    /// Attempts per login name.
    per_name: DefaultKeyedRateLimiter<String>,
    /// Login tokens asked for per portal (single sign-on; see [`LoginLimits::admit_portal`]).
    per_portal: DefaultKeyedRateLimiter<String>,
    /// Peers whose `X-Forwarded-For` is believed.
    trusted: Vec<IpNet>,
}

impl std::fmt::Debug for LoginLimits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginLimits")
            .field("trusted", &self.trusted)
            .finish_non_exhaustive()
    }
}

/// A token bucket of `per_window` that refills evenly over `window` (also the visitor limits').
pub(crate) fn quota(per_window: u32, window: Duration) -> Quota {
    let n = NonZeroU32::new(per_window.max(1)).unwrap_or(NonZeroU32::MIN);
    let period = (window / n.get()).max(Duration::from_millis(1));
    Quota::with_period(period)
        .unwrap_or_else(|| Quota::per_second(n))
        .allow_burst(n)
}

/// How long until a refused quota admits again.
pub(crate) fn wait_time(e: &NotUntil<<DefaultClock as Clock>::Instant>) -> Duration {
    e.wait_time_from(DefaultClock::default().now())
}

fn wait(e: &NotUntil<<DefaultClock as Clock>::Instant>) -> Refusal {
    Refusal::TooMany(wait_time(e))
}

impl LoginLimits {
    /// Limits as configured.
    pub fn new(config: &Config) -> Self {
        let w = config.login_window;
        LoginLimits {
            checks: Arc::new(Semaphore::new(config.login_concurrency.max(1))),
            global: RateLimiter::direct(quota(config.login_global, w)),
            per_address: RateLimiter::keyed(quota(config.login_per_address, w)),
            per_name: RateLimiter::keyed(quota(config.login_per_name, w)),
            per_portal: RateLimiter::keyed(quota(config.embed_per_portal, w)),
            trusted: config.trusted_proxies.clone(),
        }
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        self.trusted.iter().any(|net| net.contains(ip))
    }

    /// The client's address: the peer, or, when the peer is a trusted proxy, the nearest
    /// untrusted address in `X-Forwarded-For` (read from the right, as each proxy appends).
    pub fn client_address(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let mut current = peer.to_canonical();
        if !self.trusts(current) {
            return current;
        }
        let hops: Vec<&str> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .collect();
        for hop in hops.iter().rev() {
            let Ok(ip) = hop.trim().parse::<IpAddr>() else {
                return current;
            };
            current = ip.to_canonical();
            if !self.trusts(current) {
                return current;
            }
        }
        current
    }

    /// Admits one attempt for `login` from `client`, or says why not. The permit bounds the
    /// password checks running at once: hold it until the check is over.
    ///
    /// # Errors
    /// A quota is used up, or too many checks are running.
    pub fn admit(&self, client: IpAddr, login: &str) -> Result<OwnedSemaphorePermit, Refusal> {
        // The sprayer's own quota first, so refused attempts do not use up a name's quota.
        self.per_address.check_key(&client).map_err(|e| wait(&e))?;
        self.per_name
            .check_key(&login.to_owned())
            .map_err(|e| wait(&e))?;
        self.global.check().map_err(|e| wait(&e))?;
        self.checks
            .clone()
            .try_acquire_owned()
            .map_err(|_| Refusal::Busy)
    }

    /// Admits one request for a login token from `client`, before its portal secret is
    /// checked: the per-address quota logins use (so guessing secrets is as slow as guessing
    /// passwords).
    ///
    /// # Errors
    /// The address's quota is used up.
    pub fn admit_address(&self, client: IpAddr) -> Result<(), Refusal> {
        self.per_address.check_key(&client).map_err(|e| wait(&e))
    }

    /// Admits one login token for `portal` (after its secret matched): a portal's own quota.
    ///
    /// # Errors
    /// The portal's quota is used up.
    pub fn admit_portal(&self, portal: &str) -> Result<(), Refusal> {
        self.per_portal
            .check_key(&portal.to_owned())
            .map_err(|e| wait(&e))
    }

    /// Forgets keys whose buckets are full again (nothing left to remember).
    pub fn prune(&self) {
        self.per_portal.retain_recent();
        self.per_portal.shrink_to_fit();
        self.per_address.retain_recent();
        self.per_address.shrink_to_fit();
        self.per_name.retain_recent();
        self.per_name.shrink_to_fit();
    }

    /// How many addresses and names are remembered now.
    pub fn remembered(&self) -> (usize, usize) {
        (self.per_address.len(), self.per_name.len())
    }
}

/// Prunes the limiter state every `every`.
pub async fn run_pruning(limits: Arc<LoginLimits>, every: Duration) {
    let mut tick = tokio::time::interval(every.max(Duration::from_secs(1)));
    loop {
        tick.tick().await;
        limits.prune();
    }
}
