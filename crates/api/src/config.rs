//! Everything an operator can set. The binary fills it from flags and environment variables;
//! tests build it directly. [`Config::prepare`] refuses an unsafe one (a missing or short identity
//! secret outside demo mode) before anything starts.

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

/// Server configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// `sqlite://path?mode=rwc` or `postgres://…`; decides the storage backend.
    pub database_url: String,
    /// The built agent desktop (`dist/`), served at `/`; none serves only the API.
    pub desktop_dir: Option<PathBuf>,
    /// The built visitor widget (`crates/widget/dist/`), served at `/widget/`.
    pub widget_dir: Option<PathBuf>,
    /// The built console for supervisors and administrators (`crates/console/dist/`), served
    /// at `/console/`.
    pub console_dir: Option<PathBuf>,
    /// Demo mode (`--demo`): seed demo agents with published passwords, contacts and
    /// conversations into an empty database, and use [`DEMO_IDENTITY_SECRET`] when no identity
    /// secret is set. Off, nothing is seeded and a real secret is required.
    pub seed_demo: bool,
    /// How long an offer waits for Accept before it goes to the next agent.
    pub offer_timeout: Duration,
    /// How long an agent who rejected (or let time out) a chat is not offered it again.
    pub decline_cooldown: Duration,
    /// How long a chat the contact answered stays reserved for the agent who last wrote, before
    /// it goes to routing.
    pub reservation_timeout: Duration,
    /// How long an agent session lasts.
    pub session_ttl: Duration,
    /// How long the event log keeps events (older ids get a `resync` on reconnect).
    pub event_retention: Duration,
    /// How often old events are pruned (and contacts past `contact_retention` erased).
    pub prune_interval: Duration,
    /// Contacts with no message or chat for this long are erased, as at their request; `None`
    /// keeps them for good.
    pub contact_retention: Option<Duration>,
    /// Longest message text, in characters.
    pub max_message_chars: usize,
    /// Largest image, in bytes.
    pub max_image_bytes: usize,
    /// Secret the company website signs visitor identities with (HMAC-SHA256); at least
    /// [`MIN_IDENTITY_SECRET_BYTES`] unless in demo mode, where empty means the demo secret.
    pub identity_secret: String,
    /// The period the login quotas below count over (tests shorten it).
    pub login_window: Duration,
    /// Login attempts per window from all clients together (bounds total password-check work).
    pub login_global: u32,
    /// Login attempts per window from one client address (a sprayer of many names).
    pub login_per_address: u32,
    /// Login attempts per window for one login name from anywhere; beyond it attempts are told
    /// to retry later (slowed, never locked out).
    pub login_per_name: u32,
    /// Password checks (argon2, ~19 MiB and a blocking thread each) running at once; more
    /// are answered 503 at once.
    pub login_concurrency: usize,
    /// Peers (reverse proxies) whose `X-Forwarded-For` names the client; from anyone else the
    /// header is ignored and the connection's address counts.
    pub trusted_proxies: Vec<IpNet>,
    /// How long without an open event stream before an agent no longer gets offers, and before
    /// a Web Chat visitor has left (where asynchronous chat is off, their chat then ends).
    pub presence_timeout: Duration,
    /// Whether `Mark Done` needs a disposition code.
    pub disposition_required: bool,
    /// Origins allowed to frame the desktop and the console (`--embed-origins`, and the older
    /// `--frame-ancestors`): their pages' `frame-ancestors`. Checked by [`parse_origin`] at
    /// start, so a wildcard or a `;` can never widen the header; every portal's origin is added
    /// by [`Config::prepare`]. Empty means only the server itself.
    pub embed_origins: Vec<String>,
    /// The portals that may log agents in to the framed desktop (`--embed-portal NAME=ORIGIN`),
    /// each with its own server-to-server secret; in demo mode the demo portal is added.
    pub embed_portals: Vec<EmbedPortal>,
    /// How long a portal's login token may wait to be exchanged for a session (tests shorten
    /// it to nothing to see the expiry).
    pub embed_token_ttl: Duration,
    /// Login tokens one portal may ask for per [`Config::login_window`] (a leaked portal secret
    /// cannot mint tokens without bound); per client address the login quota applies too.
    pub embed_per_portal: u32,
    /// Connections open at once (each event stream holds one); more wait until one closes.
    pub max_connections: usize,
    /// How long a request head may take to arrive (a slowloris client is cut off after it).
    pub header_timeout: Duration,
    /// How long an ordinary request may take, its body read included, before it gets 408
    /// (an event stream's open body is not limited).
    pub request_timeout: Duration,
    /// The same for an upload (a multipart body): a slow upload cannot hold a connection
    /// for longer.
    pub upload_timeout: Duration,
    /// How long an anonymous visitor token lives since its last use (identified ones end
    /// with their signed identity).
    pub visitor_token_ttl: Duration,
    /// Quotas and stream caps for visitors (strangers), per visitor and per address.
    pub visitor_quotas: crate::visitor_limits::VisitorQuotas,
    /// How long an uploaded image may wait to be sent with a message before it is deleted.
    pub upload_expiry: Duration,
    /// How often unsent uploads and expired visitor tokens are swept, and the monitors of
    /// supervisors whose session ran out are ended.
    pub sweep_interval: Duration,
    /// Origins of the company websites the widget may be embedded in (`scheme://host[:port]`,
    /// checked by [`parse_origin`]): the widget frame's `frame-ancestors`, and the only
    /// `?parent=` origins its page is served for. The server's own origin (the demo page) is
    /// always allowed.
    pub widget_origins: Vec<String>,
    /// The bearer token a metrics collector presents at `GET /api/metrics`
    /// (`THREADLINE_METRICS_TOKEN`, environment only); empty: the route answers 404.
    pub metrics_token: String,
    /// Facebook Messenger's webhook (`/api/webhooks/meta`): the app secret that signs its
    /// bodies, the verify token, the Page. Without an app secret the webhook answers 404.
    pub meta: MetaWebhook,
    /// X's Account Activity webhook (`/api/webhooks/x`): the consumer secret that signs its
    /// bodies and our own account. Without a consumer secret the webhook answers 404.
    pub x: XWebhook,
    /// Where the outbox sends agents' messages to Messenger and X, and with which tokens.
    pub outbound: OutboundApis,
    /// Demo mode only (`--demo-standin-url`): the stand-in platform's origin, checked by
    /// [`parse_origin`]. The demo page shows the "Social channels (demo)" panel posting to it,
    /// and only then may the page connect there.
    pub demo_standin_url: Option<String>,
}

/// The platforms' send APIs: base URLs (a stand-in on loopback in tests and the demo) and the
/// tokens, which come from the environment only and are never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct OutboundApis {
    /// The Graph API's base URL (`--meta-api-url`).
    pub meta_api_url: String,
    /// The Graph API version in the path (`--meta-api-version`).
    pub meta_api_version: String,
    /// The Page access token (`THREADLINE_META_PAGE_TOKEN`); empty: Messenger sends fail
    /// with "not configured" without a call.
    pub meta_page_token: String,
    /// The X API's base URL (`--x-api-url`).
    pub x_api_url: String,
    /// The OAuth 2 user-context bearer token of our X account (`THREADLINE_X_ACCESS_TOKEN`);
    /// empty: X sends fail with "not configured" without a call.
    pub x_access_token: String,
}

impl Default for OutboundApis {
    fn default() -> Self {
        OutboundApis {
            meta_api_url: "https://graph.facebook.com".to_owned(),
            meta_api_version: "v21.0".to_owned(),
            meta_page_token: String::new(),
            x_api_url: "https://api.x.com".to_owned(),
            x_access_token: String::new(),
        }
    }
}

impl std::fmt::Debug for OutboundApis {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let hidden = |t: &str| if t.is_empty() { "" } else { "<hidden>" };
        f.debug_struct("OutboundApis")
            .field("meta_api_url", &self.meta_api_url)
            .field("meta_api_version", &self.meta_api_version)
            .field("meta_page_token", &hidden(&self.meta_page_token))
            .field("x_api_url", &self.x_api_url)
            .field("x_access_token", &hidden(&self.x_access_token))
            .finish()
    }
}

/// The settings of the Meta (Facebook Messenger) webhook. The secrets come from the
/// environment only and are never printed.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct MetaWebhook {
    /// The Meta app's secret (`THREADLINE_META_APP_SECRET`): bodies are signed with it
    /// (`X-Hub-Signature-256`). Empty means the webhook is not configured.
    pub app_secret: String,
    /// The token typed into the app's webhook settings (`THREADLINE_META_VERIFY_TOKEN`): the
    /// subscription check (`GET`) must present it. Empty refuses every check.
    pub verify_token: String,
    /// The Page whose messages are taken (`--meta-page-id`); entries for another Page are
    /// ignored. None takes every Page the app is subscribed to.
    pub page_id: Option<String>,
}

impl MetaWebhook {
    /// Whether the webhook is on (an app secret is set).
    pub fn configured(&self) -> bool {
        !self.app_secret.is_empty()
    }
}

/// The settings of X's Account Activity webhook (Direct Messages). The secret comes from the
/// environment only and is never printed.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct XWebhook {
    /// The X app's consumer secret (`THREADLINE_X_CONSUMER_SECRET`): the CRC check is answered
    /// and bodies are signed (`x-twitter-webhooks-signature`) with it. Empty means the webhook
    /// is not configured.
    pub consumer_secret: String,
    /// Our own account's user id (`--x-user-id`): its Direct Messages are our own sends, echoed
    /// back, and are skipped; a body for another account is ignored.
    pub user_id: Option<String>,
}

impl XWebhook {
    /// Whether the webhook is on (a consumer secret is set).
    pub fn configured(&self) -> bool {
        !self.consumer_secret.is_empty()
    }
}

impl std::fmt::Debug for XWebhook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("XWebhook")
            .field(
                "consumer_secret",
                &if self.configured() { "<hidden>" } else { "" },
            )
            .field("user_id", &self.user_id)
            .finish()
    }
}

impl std::fmt::Debug for MetaWebhook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MetaWebhook")
            .field(
                "app_secret",
                &if self.configured() { "<hidden>" } else { "" },
            )
            .field("verify_token", &"<hidden>")
            .field("page_id", &self.page_id)
            .finish()
    }
}

impl Config {
    /// The defaults, on the given database.
    pub fn new(database_url: impl Into<String>) -> Self {
        Config {
            database_url: database_url.into(),
            desktop_dir: None,
            widget_dir: None,
            console_dir: None,
            seed_demo: false,
            offer_timeout: Duration::from_secs(30),
            decline_cooldown: Duration::from_mins(1),
            reservation_timeout: Duration::from_mins(5),
            session_ttl: Duration::from_hours(12),
            event_retention: Duration::from_hours(7 * 24),
            prune_interval: Duration::from_hours(1),
            contact_retention: None,
            max_message_chars: wire::limits::MAX_MESSAGE_CHARS,
            max_image_bytes: wire::limits::MAX_IMAGE_BYTES,
            identity_secret: String::new(),
            login_window: Duration::from_mins(1),
            login_global: 600,
            login_per_address: 60,
            login_per_name: 10,
            login_concurrency: 4,
            trusted_proxies: Vec::new(),
            presence_timeout: Duration::from_secs(45),
            disposition_required: true,
            embed_origins: Vec::new(),
            embed_portals: Vec::new(),
            embed_token_ttl: Duration::from_mins(1),
            embed_per_portal: 600,
            widget_origins: Vec::new(),
            visitor_token_ttl: Duration::from_hours(30 * 24),
            visitor_quotas: crate::visitor_limits::VisitorQuotas::default(),
            upload_expiry: Duration::from_hours(1),
            sweep_interval: Duration::from_mins(5),
            max_connections: 20_000,
            header_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            upload_timeout: Duration::from_mins(2),
            metrics_token: String::new(),
            meta: MetaWebhook::default(),
            x: XWebhook::default(),
            outbound: OutboundApis::default(),
            demo_standin_url: None,
        }
    }

    /// The connection limits and deadlines, as the HTTP layer takes them.
    pub fn connection_limits(&self) -> crate::connections::Limits {
        crate::connections::Limits {
            max_connections: self.max_connections,
            header_timeout: self.header_timeout,
            request_timeout: self.request_timeout,
            upload_timeout: self.upload_timeout,
        }
    }

    /// Checks the configuration before anything starts; in demo mode fills in the demo
    /// identity secret when none is set.
    ///
    /// # Errors
    /// Outside demo mode, a missing or short identity secret; a widget or embed origin that is
    /// not `scheme://host[:port]`; a portal with a bad name or origin, a name used twice, or a
    /// missing or short secret.
    pub fn prepare(mut self) -> Result<Config, ConfigError> {
        self.widget_origins = self
            .widget_origins
            .iter()
            .map(|o| parse_origin(o).ok_or_else(|| ConfigError::BadOrigin(o.clone())))
            .collect::<Result<_, _>>()?;
        self.prepare_embedding()?;
        if let Some(url) = &self.demo_standin_url {
            if !self.seed_demo {
                return Err(ConfigError::StandinOutsideDemo);
            }
            self.demo_standin_url =
                Some(parse_origin(url).ok_or_else(|| ConfigError::BadStandinUrl(url.clone()))?);
        }
        if !self.metrics_token.is_empty() && self.metrics_token.len() < MIN_IDENTITY_SECRET_BYTES {
            return Err(ConfigError::ShortMetricsToken(self.metrics_token.len()));
        }
        if self.seed_demo {
            if self.identity_secret.is_empty() {
                DEMO_IDENTITY_SECRET.clone_into(&mut self.identity_secret);
            }
        } else if self.identity_secret.is_empty() {
            return Err(ConfigError::MissingSecret);
        } else if self.identity_secret.len() < MIN_IDENTITY_SECRET_BYTES {
            return Err(ConfigError::ShortSecret(self.identity_secret.len()));
        }
        Ok(self)
    }

    /// Checks the embed origins and the portals; in demo mode adds the demo portal (unless one
    /// named `demo` is configured) and gives a `demo` portal without a secret the demo secret.
    /// Every portal's origin joins the embed origins.
    fn prepare_embedding(&mut self) -> Result<(), ConfigError> {
        let mut origins: Vec<String> = Vec::new();
        for o in &self.embed_origins {
            let origin = parse_origin(o).ok_or_else(|| ConfigError::BadEmbedOrigin(o.clone()))?;
            if !origins.contains(&origin) {
                origins.push(origin);
            }
        }
        if self.seed_demo
            && !self
                .embed_portals
                .iter()
                .any(|p| p.name == DEMO_PORTAL_NAME)
        {
            self.embed_portals.push(EmbedPortal {
                name: DEMO_PORTAL_NAME.to_owned(),
                origin: DEMO_PORTAL_ORIGIN.to_owned(),
                secret: String::new(),
            });
        }
        let mut names: Vec<String> = Vec::new();
        for portal in &mut self.embed_portals {
            let name = portal.name.trim().to_ascii_lowercase();
            if !valid_portal_name(&name) {
                return Err(ConfigError::BadPortalName(portal.name.clone()));
            }
            if names.contains(&name) {
                return Err(ConfigError::DuplicatePortal(name));
            }
            let origin = parse_origin(&portal.origin)
                .ok_or_else(|| ConfigError::BadPortalOrigin(name.clone(), portal.origin.clone()))?;
            if portal.secret.is_empty() && self.seed_demo && name == DEMO_PORTAL_NAME {
                DEMO_EMBED_SECRET.clone_into(&mut portal.secret);
            }
            if portal.secret.is_empty() {
                return Err(ConfigError::MissingPortalSecret(name));
            }
            if portal.secret.len() < MIN_IDENTITY_SECRET_BYTES {
                return Err(ConfigError::ShortPortalSecret(name, portal.secret.len()));
            }
            if !origins.contains(&origin) {
                origins.push(origin.clone());
            }
            portal.name.clone_from(&name);
            portal.origin = origin;
            names.push(name);
        }
        self.embed_origins = origins;
        Ok(())
    }

    /// A SQLite database URL for a file path (created when missing).
    pub fn sqlite_url(path: &std::path::Path) -> String {
        format!("sqlite://{}?mode=rwc", path.display())
    }
}

/// The published identity secret of demo mode: anyone can sign identities with it.
pub const DEMO_IDENTITY_SECRET: &str = "threadline-demo-identity-secret";

/// A portal that frames the desktop and logs agents in to it (single sign-on).
#[derive(Clone, PartialEq, Eq)]
pub struct EmbedPortal {
    /// Its name (`a-z 0-9 _`, at most 40): it names the portal in the audit log and in the
    /// environment variable of its secret, `THREADLINE_EMBED_SECRET_<NAME>`.
    pub name: String,
    /// The portal page's origin: the only origin a login token it asked for may be used from,
    /// and one of the origins that may frame the desktop.
    pub origin: String,
    /// The secret its back end presents (`Authorization: Bearer …`) to ask for login tokens;
    /// at least [`MIN_IDENTITY_SECRET_BYTES`]. Never printed, never in a URL.
    pub secret: String,
}

impl std::fmt::Debug for EmbedPortal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmbedPortal")
            .field("name", &self.name)
            .field("origin", &self.origin)
            .field("secret", &"<hidden>")
            .finish()
    }
}

impl EmbedPortal {
    /// Reads `NAME=ORIGIN` (a `--embed-portal` value); the secret is filled in later.
    ///
    /// # Errors
    /// No `=` in the value.
    pub fn parse_flag(value: &str) -> Result<EmbedPortal, ConfigError> {
        let (name, origin) = value
            .split_once('=')
            .ok_or_else(|| ConfigError::BadPortal(value.to_owned()))?;
        Ok(EmbedPortal {
            name: name.trim().to_ascii_lowercase(),
            origin: origin.trim().to_owned(),
            secret: String::new(),
        })
    }

    /// The environment variable its secret is read from: `THREADLINE_EMBED_SECRET_<NAME>`.
    pub fn secret_variable(name: &str) -> String {
        format!(
            "THREADLINE_EMBED_SECRET_{}",
            name.trim().to_ascii_uppercase()
        )
    }
}

/// Whether a portal name is 1 to 40 of `a-z 0-9 _` (it becomes part of an environment
/// variable's name).
fn valid_portal_name(name: &str) -> bool {
    (1..=40).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// The demo portal's name (demo mode only).
pub const DEMO_PORTAL_NAME: &str = "demo";

/// The demo portal's origin: a second loopback port beside the server's.
pub const DEMO_PORTAL_ORIGIN: &str = "http://127.0.0.1:8081";

/// The published secret of the demo portal: anyone can ask for login tokens with it.
pub const DEMO_EMBED_SECRET: &str = "threadline-demo-portal-secret-published";

/// The shortest identity secret accepted outside demo mode.
pub const MIN_IDENTITY_SECRET_BYTES: usize = 32;

/// Why a configuration is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// No identity secret outside demo mode.
    #[error(
        "no visitor identity secret: set --identity-secret (THREADLINE_IDENTITY_SECRET) to at \
         least 32 random bytes, or start with --demo for demo data and the published demo secret"
    )]
    MissingSecret,
    /// An identity secret shorter than [`MIN_IDENTITY_SECRET_BYTES`].
    #[error(
        "the visitor identity secret is {0} bytes long; it needs at least 32 random bytes \
         (e.g. `openssl rand -hex 32`)"
    )]
    ShortSecret(usize),
    /// A widget origin that is not `http(s)://host[:port]`.
    #[error(
        "the widget origin {0:?} is not an origin: write scheme://host or scheme://host:port \
         (http or https, no path, no wildcard)"
    )]
    BadOrigin(String),
    /// An embed origin (`--embed-origins`, `--frame-ancestors`) that is not an origin.
    #[error(
        "the embed origin {0:?} (--embed-origins or --frame-ancestors) is not an origin: write \
         scheme://host or scheme://host:port (http or https, no path, no wildcard, no `;`)"
    )]
    BadEmbedOrigin(String),
    /// A `--embed-portal` value without `=`.
    #[error("the embed portal {0:?} is not NAME=ORIGIN (e.g. crm=https://crm.example.com)")]
    BadPortal(String),
    /// A portal name that is not 1 to 40 of `a-z 0-9 _`.
    #[error("the embed portal name {0:?} is not 1 to 40 of a-z, 0-9 and _")]
    BadPortalName(String),
    /// Two portals with one name.
    #[error("the embed portal {0:?} is configured twice")]
    DuplicatePortal(String),
    /// A portal whose origin is not an origin.
    #[error(
        "the embed portal {0:?} has the origin {1:?}, which is not an origin: write \
         scheme://host or scheme://host:port (http or https, no path, no wildcard)"
    )]
    BadPortalOrigin(String, String),
    /// A portal without a secret in its environment variable.
    #[error(
        "the embed portal {0:?} has no secret: set the environment variable {var} to at least \
         32 random bytes (e.g. `openssl rand -hex 32`)",
        var = EmbedPortal::secret_variable(.0)
    )]
    MissingPortalSecret(String),
    /// `--demo-standin-url` without `--demo`.
    #[error("--demo-standin-url is for demo mode only: start with --demo, or leave it out")]
    StandinOutsideDemo,
    /// A stand-in URL that is not an origin.
    #[error(
        "the demo stand-in URL {0:?} is not an origin: write scheme://host:port (http or \
         https, no path)"
    )]
    BadStandinUrl(String),
    /// A portal secret shorter than [`MIN_IDENTITY_SECRET_BYTES`].
    #[error(
        "the secret of the embed portal {0:?} is {1} bytes long; it needs at least 32 random \
         bytes (e.g. `openssl rand -hex 32`)"
    )]
    ShortPortalSecret(String, usize),
    /// A metrics token shorter than [`MIN_IDENTITY_SECRET_BYTES`].
    #[error(
        "THREADLINE_METRICS_TOKEN is {0} bytes long; it needs at least 32 random bytes \
         (e.g. `openssl rand -hex 32`), or leave it unset to turn /api/metrics off"
    )]
    ShortMetricsToken(usize),
}

/// A web origin as a browser writes it (`https://shop.example.com`, `http://127.0.0.1:8080`),
/// lower-cased and without a trailing `/`; `None` for anything else: another scheme, a path,
/// user info, a wildcard, a `;` or white space (which would change a header it goes into).
pub fn parse_origin(text: &str) -> Option<String> {
    let lower = text.trim().trim_end_matches('/').to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"))?;
    let (host, port) = match rest.rsplit_once(':') {
        Some((host, port)) if !host.ends_with(':') && !port.contains(']') => (host, Some(port)),
        _ => (rest, None),
    };
    let host_ok = if let Some(v6) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        !v6.is_empty()
            && v6
                .chars()
                .all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.')
    } else {
        !host.is_empty()
            && !host.starts_with(['.', '-'])
            && host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
    };
    let port_ok = port.is_none_or(|p| {
        !p.is_empty()
            && p.chars().all(|c| c.is_ascii_digit())
            && p.parse::<u16>().is_ok_and(|n| n > 0)
    });
    (host_ok && port_ok).then_some(lower)
}

/// An address range (`10.0.0.0/8`, `::1/128`) or a single address, e.g. a trusted proxy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpNet {
    /// An address in the range (host bits are ignored when comparing).
    addr: IpAddr,
    /// How many leading bits must match.
    prefix: u8,
}

impl IpNet {
    /// Whether `ip` is in the range (IPv4-mapped IPv6 addresses count as IPv4).
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        match (self.addr, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => mask_eq(&net.octets(), &ip.octets(), self.prefix),
            (IpAddr::V6(net), IpAddr::V6(ip)) => mask_eq(&net.octets(), &ip.octets(), self.prefix),
            _ => false,
        }
    }
}

fn mask_eq(a: &[u8], b: &[u8], prefix: u8) -> bool {
    let mut left = usize::from(prefix);
    for (x, y) in a.iter().zip(b) {
        if left == 0 {
            return true;
        }
        let bits = left.min(8);
        let mask = 0xffu8 << (8 - bits);
        if x & mask != y & mask {
            return false;
        }
        left -= bits;
    }
    true
}

impl std::str::FromStr for IpNet {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let addr: IpAddr = addr
            .trim()
            .parse()
            .map_err(|_| format!("`{s}` is not an address or CIDR range"))?;
        let addr = addr.to_canonical();
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p
                .trim()
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("`{s}` has a bad prefix length"))?,
            None => max,
        };
        Ok(IpNet { addr, prefix })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        let net: IpNet = "10.1.0.0/16".parse().unwrap();
        assert!(net.contains("10.1.200.3".parse().unwrap()));
        assert!(!net.contains("10.2.0.1".parse().unwrap()));
        assert!(net.contains("::ffff:10.1.0.9".parse().unwrap()));
        let one: IpNet = "127.0.0.1".parse().unwrap();
        assert!(one.contains("127.0.0.1".parse().unwrap()));
        assert!(!one.contains("127.0.0.2".parse().unwrap()));
        let v6: IpNet = "fd00::/8".parse().unwrap();
        assert!(v6.contains("fd12::1".parse().unwrap()));
        assert!("10.0.0.0/33".parse::<IpNet>().is_err());
        assert!("nonsense".parse::<IpNet>().is_err());
    }

    #[test]
    fn secrets() {
        let c = Config::new("sqlite::memory:");
        assert_eq!(c.clone().prepare().unwrap_err(), ConfigError::MissingSecret);
        let mut short = c.clone();
        "x".repeat(31).clone_into(&mut short.identity_secret);
        assert_eq!(short.prepare().unwrap_err(), ConfigError::ShortSecret(31));
        let mut demo = c;
        demo.seed_demo = true;
        assert_eq!(
            demo.prepare().unwrap().identity_secret,
            DEMO_IDENTITY_SECRET
        );
    }

    #[test]
    fn widget_origins() {
        assert_eq!(
            parse_origin("https://Shop.Example.com/").as_deref(),
            Some("https://shop.example.com")
        );
        assert!(parse_origin("http://127.0.0.1:8080").is_some());
        assert!(parse_origin("http://[::1]:8080").is_some());
        assert!(parse_origin("http://[::1]").is_some());
        for bad in [
            "*",
            "https://*.example.com",
            "https://a.com; script-src *",
            "https://a.com/path",
            "ftp://a.com",
            "a.com",
            "https://",
            "https://a.com:0",
            "https://a.com:99999",
            "https://user@a.com",
            "https://a.com b.com",
            "'self'",
        ] {
            assert_eq!(parse_origin(bad), None, "{bad}");
        }
        let mut config = Config::new("sqlite://x");
        config.seed_demo = true;
        config.widget_origins = vec!["https://a.com; frame-ancestors *".into()];
        assert!(matches!(config.prepare(), Err(ConfigError::BadOrigin(_))));
    }

    #[test]
    fn embed_origins() {
        let mut config = Config::new("sqlite://x");
        config.seed_demo = true;
        config.embed_origins = vec![
            "https://Portal.Example.com/".into(),
            "https://portal.example.com".into(),
            "http://127.0.0.1:9000".into(),
        ];
        let prepared = config.prepare().unwrap();
        assert_eq!(
            prepared.embed_origins,
            vec![
                "https://portal.example.com",
                "http://127.0.0.1:9000",
                DEMO_PORTAL_ORIGIN
            ]
        );
        for bad in [
            "*",
            "https://*.example.com",
            "https://a.com; script-src *",
            "https://a.com/path",
            "https://a.com b.com",
            "ftp://a.com",
            "'self'",
        ] {
            let mut config = Config::new("sqlite://x");
            config.seed_demo = true;
            config.embed_origins = vec!["https://fine.example".into(), bad.into()];
            assert_eq!(
                config.prepare().unwrap_err(),
                ConfigError::BadEmbedOrigin(bad.into()),
                "{bad}"
            );
        }
        let message = ConfigError::BadEmbedOrigin("https://a.com/x".into()).to_string();
        assert!(message.contains("\"https://a.com/x\""), "{message}");
    }

    #[test]
    fn a_metrics_token_is_long_or_absent() {
        let mut config = Config::new("sqlite://x");
        "i".repeat(32).clone_into(&mut config.identity_secret);
        assert!(config.clone().prepare().is_ok(), "no token: metrics off");
        "short".clone_into(&mut config.metrics_token);
        assert_eq!(
            config.clone().prepare().unwrap_err(),
            ConfigError::ShortMetricsToken(5)
        );
        "m".repeat(32).clone_into(&mut config.metrics_token);
        assert!(config.prepare().is_ok());
    }

    fn portal(name: &str, origin: &str, secret: &str) -> EmbedPortal {
        EmbedPortal {
            name: name.into(),
            origin: origin.into(),
            secret: secret.into(),
        }
    }

    #[test]
    fn embed_portals() {
        let secret = "s".repeat(32);
        let mut config = Config::new("sqlite://x");
        "i".repeat(32).clone_into(&mut config.identity_secret);
        config.embed_origins = vec!["https://other.example".into()];
        config.embed_portals = vec![portal("CRM", "https://CRM.example/", &secret)];
        let prepared = config.clone().prepare().unwrap();
        assert_eq!(
            prepared.embed_portals,
            vec![portal("crm", "https://crm.example", &secret)]
        );
        assert_eq!(
            prepared.embed_origins,
            vec!["https://other.example", "https://crm.example"],
            "a portal's origin may frame the desktop; outside demo mode no demo portal"
        );
        let refused = |portals: Vec<EmbedPortal>| {
            let mut c = config.clone();
            c.embed_portals = portals;
            c.prepare().unwrap_err()
        };
        assert_eq!(
            refused(vec![portal("crm", "https://crm.example", "")]),
            ConfigError::MissingPortalSecret("crm".into())
        );
        let message = ConfigError::MissingPortalSecret("crm".into()).to_string();
        assert!(message.contains("THREADLINE_EMBED_SECRET_CRM"), "{message}");
        assert_eq!(
            refused(vec![portal("crm", "https://crm.example", &"s".repeat(31))]),
            ConfigError::ShortPortalSecret("crm".into(), 31)
        );
        assert_eq!(
            refused(vec![portal("crm", "https://crm.example/app", &secret)]),
            ConfigError::BadPortalOrigin("crm".into(), "https://crm.example/app".into())
        );
        assert_eq!(
            refused(vec![portal("c-r m", "https://crm.example", &secret)]),
            ConfigError::BadPortalName("c-r m".into())
        );
        assert_eq!(
            refused(vec![
                portal("crm", "https://crm.example", &secret),
                portal("crm", "https://crm2.example", &secret)
            ]),
            ConfigError::DuplicatePortal("crm".into())
        );
        assert_eq!(
            EmbedPortal::parse_flag("Crm=https://crm.example").unwrap(),
            portal("crm", "https://crm.example", "")
        );
        assert!(EmbedPortal::parse_flag("https://crm.example").is_err());
        assert_eq!(
            EmbedPortal::secret_variable("crm"),
            "THREADLINE_EMBED_SECRET_CRM"
        );
        assert!(!format!("{:?}", prepared.embed_portals).contains(&secret));
    }

    #[test]
    fn demo_standin_url() {
        let mut config = Config::new("sqlite::memory:");
        config.demo_standin_url = Some("http://127.0.0.1:8082/".into());
        assert_eq!(
            config.clone().prepare().unwrap_err(),
            ConfigError::StandinOutsideDemo
        );
        config.seed_demo = true;
        assert_eq!(
            config
                .clone()
                .prepare()
                .unwrap()
                .demo_standin_url
                .as_deref(),
            Some("http://127.0.0.1:8082")
        );
        config.demo_standin_url = Some("http://127.0.0.1:8082; script-src *".into());
        assert!(matches!(
            config.prepare().unwrap_err(),
            ConfigError::BadStandinUrl(_)
        ));
    }

    #[test]
    fn demo_portal() {
        let mut config = Config::new("sqlite://x");
        config.seed_demo = true;
        let prepared = config.clone().prepare().unwrap();
        assert_eq!(
            prepared.embed_portals,
            vec![portal(
                DEMO_PORTAL_NAME,
                DEMO_PORTAL_ORIGIN,
                DEMO_EMBED_SECRET
            )]
        );
        assert_eq!(prepared.embed_origins, vec![DEMO_PORTAL_ORIGIN]);
        config.embed_portals = vec![portal("demo", "http://127.0.0.1:9091", "")];
        let prepared = config.prepare().unwrap();
        assert_eq!(
            prepared.embed_portals,
            vec![portal("demo", "http://127.0.0.1:9091", DEMO_EMBED_SECRET)],
            "a configured demo portal replaces the default one"
        );
    }
}
