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
    /// How often old events are pruned.
    pub prune_interval: Duration,
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
    /// Origins allowed to frame the desktop (`frame-ancestors`); empty means only itself.
    pub frame_ancestors: Vec<String>,
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
    /// How often unsent uploads and expired visitor tokens are swept.
    pub sweep_interval: Duration,
    /// Origins of the company websites the widget may be embedded in (`scheme://host[:port]`,
    /// checked by [`parse_origin`]): the widget frame's `frame-ancestors`, and the only
    /// `?parent=` origins its page is served for. The server's own origin (the demo page) is
    /// always allowed.
    pub widget_origins: Vec<String>,
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
            frame_ancestors: Vec::new(),
            widget_origins: Vec::new(),
            visitor_token_ttl: Duration::from_hours(30 * 24),
            visitor_quotas: crate::visitor_limits::VisitorQuotas::default(),
            upload_expiry: Duration::from_hours(1),
            sweep_interval: Duration::from_mins(5),
            max_connections: 20_000,
            header_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            upload_timeout: Duration::from_mins(2),
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
    /// Outside demo mode, a missing or short identity secret; a widget origin that is not
    /// `scheme://host[:port]`.
    pub fn prepare(mut self) -> Result<Config, ConfigError> {
        self.widget_origins = self
            .widget_origins
            .iter()
            .map(|o| parse_origin(o).ok_or_else(|| ConfigError::BadOrigin(o.clone())))
            .collect::<Result<_, _>>()?;
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

    /// A SQLite database URL for a file path (created when missing).
    pub fn sqlite_url(path: &std::path::Path) -> String {
        format!("sqlite://{}?mode=rwc", path.display())
    }
}

/// The published identity secret of demo mode: anyone can sign identities with it.
pub const DEMO_IDENTITY_SECRET: &str = "threadline-demo-identity-secret";

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
}
