//! Everything an operator can set. The binary fills it from flags and environment variables;
//! tests build it directly.

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
    /// Seed demo agents, contacts and conversations into an empty database.
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
    /// Secret the company website signs visitor identities with (HMAC-SHA256).
    pub identity_secret: String,
    /// Logins allowed per minute per client address and login name.
    pub login_per_minute: u32,
    /// How long without an open event stream before an agent no longer gets offers.
    pub presence_timeout: Duration,
    /// Whether `Mark Done` needs a disposition code.
    pub disposition_required: bool,
    /// Origins allowed to frame the desktop (`frame-ancestors`); empty means only itself.
    pub frame_ancestors: Vec<String>,
}

impl Config {
    /// The defaults, on the given database.
    pub fn new(database_url: impl Into<String>) -> Self {
        Config {
            database_url: database_url.into(),
            desktop_dir: None,
            widget_dir: None,
            seed_demo: false,
            offer_timeout: Duration::from_secs(30),
            decline_cooldown: Duration::from_mins(1),
            reservation_timeout: Duration::from_mins(5),
            session_ttl: Duration::from_hours(12),
            event_retention: Duration::from_hours(7 * 24),
            prune_interval: Duration::from_hours(1),
            max_message_chars: wire::limits::MAX_MESSAGE_CHARS,
            max_image_bytes: wire::limits::MAX_IMAGE_BYTES,
            identity_secret: "threadline-demo-identity-secret".to_owned(),
            login_per_minute: 10,
            presence_timeout: Duration::from_secs(45),
            disposition_required: true,
            frame_ancestors: Vec::new(),
        }
    }

    /// A SQLite database URL for a file path (created when missing).
    pub fn sqlite_url(path: &std::path::Path) -> String {
        format!("sqlite://{}?mode=rwc", path.display())
    }
}
