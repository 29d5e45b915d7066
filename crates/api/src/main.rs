//! `threadline-api`: runs the Threadline server; `threadline-api admin …` administers accounts
//! from the command line (see `admin_cli`).

use clap::{Parser, Subcommand, ValueEnum};
use std::net::SocketAddr;
use std::path::PathBuf;
use threadline_api::admin_cli::AdminCommand;
use threadline_api::config::IpNet;
use threadline_api::{seed, Config};

fn parse_proxies(s: &str) -> Result<Vec<IpNet>, String> {
    s.split_whitespace().map(str::parse).collect()
}

/// The Threadline server.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// Without a command: run the server.
    #[command(subcommand)]
    command: Option<Command>,
    /// Address to listen on.
    #[arg(long, env = "THREADLINE_ADDR", default_value = "127.0.0.1:8080")]
    addr: SocketAddr,
    /// Database URL: `postgres://…` for PostgreSQL; default: a SQLite file in the data dir.
    #[arg(long, env = "DATABASE_URL", global = true)]
    database_url: Option<String>,
    /// Where the SQLite file lives.
    #[arg(
        long,
        env = "THREADLINE_DATA_DIR",
        default_value = "./data",
        global = true
    )]
    data_dir: PathBuf,
    /// The built agent desktop, served at `/`.
    #[arg(long, env = "THREADLINE_DESKTOP_DIR")]
    desktop_dir: Option<PathBuf>,
    /// The built visitor widget, served at `/widget/`.
    #[arg(long, env = "THREADLINE_WIDGET_DIR")]
    widget_dir: Option<PathBuf>,
    /// The built console for supervisors and administrators, served at `/console/`.
    #[arg(long, env = "THREADLINE_CONSOLE_DIR")]
    console_dir: Option<PathBuf>,
    /// Demo mode: seed demo agents (published passwords) and data into an empty database, and
    /// use the published demo identity secret unless one is given. Never on a real server.
    #[arg(long, env = "THREADLINE_DEMO")]
    demo: bool,
    /// Seconds an offer waits for Accept.
    #[arg(long, env = "THREADLINE_OFFER_TIMEOUT", default_value_t = 30)]
    offer_timeout: u64,
    /// Secret the company website signs visitor identities with; at least 32 bytes (required
    /// unless `--demo`).
    #[arg(long, env = "THREADLINE_IDENTITY_SECRET")]
    identity_secret: Option<String>,
    /// Reverse proxies (addresses or CIDR ranges, space or comma separated) whose
    /// `X-Forwarded-For` names the client; from anyone else that header is ignored.
    #[arg(long, env = "THREADLINE_TRUSTED_PROXIES", value_delimiter = ',',
        value_parser = parse_proxies, num_args = 1..)]
    trusted_proxies: Vec<Vec<IpNet>>,
    /// Password checks (argon2, ~19 MiB each) running at once; more logins get 503.
    #[arg(long, env = "THREADLINE_LOGIN_CONCURRENCY", default_value_t = 4)]
    login_concurrency: usize,
    /// Origins allowed to frame the desktop (comma separated, `scheme://host[:port]`), e.g.
    /// `https://portal.example.com`; checked at start. Every portal's origin is implied.
    #[arg(long, env = "THREADLINE_EMBED_ORIGINS", value_delimiter = ',')]
    embed_origins: Vec<String>,
    /// The older name of `--embed-origins` (space separated), feeding the same list.
    #[arg(long, env = "THREADLINE_FRAME_ANCESTORS", value_delimiter = ' ')]
    frame_ancestors: Vec<String>,
    /// A portal that may log agents in to the framed desktop, `NAME=ORIGIN` (repeatable, or
    /// comma separated in the environment); its secret is read from the environment variable
    /// `THREADLINE_EMBED_SECRET_<NAME>`, never from an argument.
    #[arg(
        long = "embed-portal",
        env = "THREADLINE_EMBED_PORTALS",
        value_delimiter = ','
    )]
    embed_portals: Vec<String>,
    /// Origins of the websites the visitor widget may be embedded in (space separated,
    /// `scheme://host[:port]`), e.g. `https://shop.example.com`; the server's own is implied.
    #[arg(long, env = "THREADLINE_WIDGET_ORIGINS", value_delimiter = ' ')]
    widget_origins: Vec<String>,
    /// Let agents mark interactions Done without a disposition code.
    #[arg(long, env = "THREADLINE_DISPOSITION_OPTIONAL")]
    disposition_optional: bool,
    /// Longest message, in characters.
    #[arg(long, env = "THREADLINE_MAX_MESSAGE_CHARS", default_value_t = wire::limits::MAX_MESSAGE_CHARS)]
    max_message_chars: usize,
    /// Connections open at once (each event stream holds one); more wait until one closes.
    #[arg(long, env = "THREADLINE_MAX_CONNECTIONS", default_value_t = 20_000)]
    max_connections: usize,
    /// Seconds a request head may take to arrive.
    #[arg(long, env = "THREADLINE_HEADER_TIMEOUT", default_value_t = 10)]
    header_timeout: u64,
    /// Seconds an ordinary request may take, its body included (then 408).
    #[arg(long, env = "THREADLINE_REQUEST_TIMEOUT", default_value_t = 30)]
    request_timeout: u64,
    /// Seconds an upload (a multipart body) may take, its body included (then 408).
    #[arg(long, env = "THREADLINE_UPLOAD_TIMEOUT", default_value_t = 120)]
    upload_timeout: u64,
    /// Days an anonymous visitor token lives after its last use (identified ones end with
    /// the signed identity).
    #[arg(long, env = "THREADLINE_VISITOR_TOKEN_DAYS", default_value_t = 30)]
    visitor_token_days: u64,
    /// Visitor sessions started or resumed per minute from one client address.
    #[arg(
        long,
        env = "THREADLINE_VISITOR_SESSIONS_PER_MINUTE",
        default_value_t = 30
    )]
    visitor_sessions_per_minute: u32,
    /// Messages per minute one visitor may send (ten times this from one address).
    #[arg(
        long,
        env = "THREADLINE_VISITOR_MESSAGES_PER_MINUTE",
        default_value_t = 30
    )]
    visitor_messages_per_minute: u32,
    /// Event stream tickets per minute one visitor may take (ten times this from one address):
    /// each open or reconnect of a widget's stream takes one.
    #[arg(
        long,
        env = "THREADLINE_VISITOR_TICKETS_PER_MINUTE",
        default_value_t = 30
    )]
    visitor_tickets_per_minute: u32,
    /// Event streams one visitor may hold open at once.
    #[arg(long, env = "THREADLINE_VISITOR_STREAMS", default_value_t = 4)]
    visitor_streams: u32,
    /// Visitor event streams one client address may hold open at once.
    #[arg(
        long,
        env = "THREADLINE_VISITOR_STREAMS_PER_ADDRESS",
        default_value_t = 100
    )]
    visitor_streams_per_address: u32,
    /// Seconds an uploaded image may wait to be sent before it is deleted.
    #[arg(long, env = "THREADLINE_UPLOAD_EXPIRY", default_value_t = 3600)]
    upload_expiry: u64,
    /// Days the event log keeps events: a client away longer reloads what it shows instead of
    /// replaying what it missed.
    #[arg(long, env = "THREADLINE_EVENT_RETENTION_DAYS", default_value_t = 7)]
    event_retention_days: u64,
    /// Days a contact is kept after their last message or chat; then they are erased, as at
    /// their request (checked every hour). 0 keeps contacts for good.
    #[arg(long, env = "THREADLINE_CONTACT_RETENTION_DAYS", default_value_t = 0)]
    contact_retention_days: u64,
    /// The Facebook Page whose Messenger messages are taken (entries for other Pages are
    /// ignored). The app secret and verify token come from the environment only:
    /// `THREADLINE_META_APP_SECRET`, `THREADLINE_META_VERIFY_TOKEN`.
    #[arg(long, env = "THREADLINE_META_PAGE_ID")]
    meta_page_id: Option<String>,
    /// Our own X account's user id: Direct Messages it sent are skipped. The consumer secret
    /// comes from the environment only: `THREADLINE_X_CONSUMER_SECRET`.
    #[arg(long, env = "THREADLINE_X_USER_ID")]
    x_user_id: Option<String>,
    /// The Graph API's base URL that Messenger replies are sent to. The Page token comes from
    /// the environment only: `THREADLINE_META_PAGE_TOKEN`.
    #[arg(
        long,
        env = "THREADLINE_META_API_URL",
        default_value = "https://graph.facebook.com"
    )]
    meta_api_url: String,
    /// The Graph API version in the Send API's path.
    #[arg(long, env = "THREADLINE_META_API_VERSION", default_value = "v21.0")]
    meta_api_version: String,
    /// The X API's base URL that Direct Message replies are sent to. The user token comes
    /// from the environment only: `THREADLINE_X_ACCESS_TOKEN`.
    #[arg(
        long,
        env = "THREADLINE_X_API_URL",
        default_value = "https://api.x.com"
    )]
    x_api_url: String,
    /// Demo mode only: the stand-in platform's origin (`cargo xtask run` passes
    /// `http://127.0.0.1:8082`). The demo page then shows the "Social channels (demo)" panel,
    /// which posts customers' messages to it, and its policy lets the page connect there.
    #[arg(long, env = "THREADLINE_DEMO_STANDIN_URL")]
    demo_standin_url: Option<String>,
    /// How the log is written on stdout: `text` for people, `json` (one object a line, with
    /// `timestamp`, `level`, `target`, `message` and the event's fields) for a log collector.
    #[arg(
        long,
        env = "THREADLINE_LOG_FORMAT",
        value_enum,
        default_value = "text"
    )]
    log_format: LogFormat,
}

/// How the server's log is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum LogFormat {
    /// Lines for people.
    Text,
    /// One JSON object a line; the start banner becomes an event too, so every line parses.
    Json,
}

/// What to do instead of running the server.
#[derive(Debug, Subcommand)]
enum Command {
    /// Administer accounts (the first administrator, scripts): create, list, deactivate,
    /// reactivate, reset-password, import; and back up a SQLite database.
    Admin {
        /// The admin command.
        #[command(subcommand)]
        command: AdminCommand,
    },
}

/// The database URL: the one given, or the SQLite file in the data dir (made if missing).
fn database_url(given: Option<String>, data_dir: &std::path::Path) -> Result<String, String> {
    if let Some(u) = given {
        return Ok(u);
    }
    std::fs::create_dir_all(data_dir)
        .map_err(|e| format!("cannot create the data dir {}: {e}", data_dir.display()))?;
    Ok(Config::sqlite_url(&data_dir.join("threadline.db")))
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args = match Args::try_parse() {
        Ok(a) => a,
        Err(e) => {
            let _ = e.print();
            // A wrong flag or value fails with 1, like every refusal of the admin commands.
            return if e.use_stderr() {
                std::process::ExitCode::FAILURE
            } else {
                std::process::ExitCode::SUCCESS
            };
        }
    };
    let filter = || {
        tracing_subscriber::EnvFilter::try_from_default_env()
            .unwrap_or_else(|_| "info,sqlx=warn,tower_http=warn".into())
    };
    if args.command.is_some() {
        // The admin commands print their results on stdout; their log goes to stderr.
        tracing_subscriber::fmt()
            .with_env_filter(filter())
            .with_writer(std::io::stderr)
            .init();
    } else if args.log_format == LogFormat::Json {
        tracing_subscriber::fmt()
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .with_env_filter(filter())
            .init();
    } else {
        tracing_subscriber::fmt().with_env_filter(filter()).init();
    }
    let database_url = match database_url(args.database_url, &args.data_dir) {
        Ok(u) => u,
        Err(e) => {
            eprintln!("{e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    if let Some(Command::Admin { command }) = args.command {
        return threadline_api::admin_cli::run(command, &database_url).await;
    }
    let mut config = Config::new(database_url);
    config.desktop_dir = args.desktop_dir;
    config.widget_dir = args.widget_dir;
    config.console_dir = args.console_dir;
    config.seed_demo = args.demo;
    config.trusted_proxies = args.trusted_proxies.into_iter().flatten().collect();
    config.login_concurrency = args.login_concurrency.max(1);
    config.offer_timeout = std::time::Duration::from_secs(args.offer_timeout.max(1));
    config.embed_origins = args
        .embed_origins
        .iter()
        .chain(&args.frame_ancestors)
        .map(|o| o.trim().to_owned())
        .filter(|o| !o.is_empty())
        .collect();
    for value in args.embed_portals.iter().filter(|v| !v.trim().is_empty()) {
        match threadline_api::config::EmbedPortal::parse_flag(value) {
            Ok(mut portal) => {
                let variable = threadline_api::config::EmbedPortal::secret_variable(&portal.name);
                portal.secret = std::env::var(variable).unwrap_or_default();
                config.embed_portals.push(portal);
            }
            Err(e) => {
                eprintln!("threadline-api: refusing to start: {e}");
                return std::process::ExitCode::FAILURE;
            }
        }
    }
    config.widget_origins = args
        .widget_origins
        .into_iter()
        .filter(|o| !o.trim().is_empty())
        .collect();
    config.max_message_chars = args.max_message_chars;
    config.disposition_required = !args.disposition_optional;
    config.max_connections = args.max_connections.max(1);
    config.header_timeout = std::time::Duration::from_secs(args.header_timeout.max(1));
    config.request_timeout = std::time::Duration::from_secs(args.request_timeout.max(1));
    config.upload_timeout = std::time::Duration::from_secs(args.upload_timeout.max(1));
    config.visitor_token_ttl = std::time::Duration::from_hours(24 * args.visitor_token_days.max(1));
    let q = &mut config.visitor_quotas;
    q.sessions_per_address = args.visitor_sessions_per_minute.max(1);
    q.messages_per_visitor = args.visitor_messages_per_minute.max(1);
    q.messages_per_address = args.visitor_messages_per_minute.max(1).saturating_mul(10);
    q.tickets_per_visitor = args.visitor_tickets_per_minute.max(1);
    q.tickets_per_address = args.visitor_tickets_per_minute.max(1).saturating_mul(10);
    q.streams_per_visitor = args.visitor_streams.max(1);
    q.streams_per_address = args.visitor_streams_per_address.max(1);
    config.upload_expiry = std::time::Duration::from_secs(args.upload_expiry.max(60));
    config.event_retention = std::time::Duration::from_hours(24 * args.event_retention_days.max(1));
    config.contact_retention = (args.contact_retention_days > 0)
        .then(|| std::time::Duration::from_hours(24 * args.contact_retention_days));
    config.meta = threadline_api::config::MetaWebhook {
        app_secret: std::env::var("THREADLINE_META_APP_SECRET").unwrap_or_default(),
        verify_token: std::env::var("THREADLINE_META_VERIFY_TOKEN").unwrap_or_default(),
        page_id: args
            .meta_page_id
            .map(|p| p.trim().to_owned())
            .filter(|p| !p.is_empty()),
    };
    config.metrics_token = std::env::var("THREADLINE_METRICS_TOKEN").unwrap_or_default();
    config.x = threadline_api::config::XWebhook {
        consumer_secret: std::env::var("THREADLINE_X_CONSUMER_SECRET").unwrap_or_default(),
        user_id: args
            .x_user_id
            .map(|p| p.trim().to_owned())
            .filter(|p| !p.is_empty()),
    };
    config.outbound = threadline_api::config::OutboundApis {
        meta_api_url: args.meta_api_url.trim_end_matches('/').to_owned(),
        meta_api_version: args.meta_api_version,
        meta_page_token: std::env::var("THREADLINE_META_PAGE_TOKEN").unwrap_or_default(),
        x_api_url: args.x_api_url.trim_end_matches('/').to_owned(),
        x_access_token: std::env::var("THREADLINE_X_ACCESS_TOKEN").unwrap_or_default(),
    };
    config.demo_standin_url = args
        .demo_standin_url
        .map(|u| u.trim().to_owned())
        .filter(|u| !u.is_empty());
    if let Some(secret) = args.identity_secret {
        config.identity_secret = secret;
    }
    // Refuse an unsafe configuration before touching the database or the port.
    let config = match config.prepare() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("threadline-api: refusing to start: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let listener = match tokio::net::TcpListener::bind(args.addr).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("cannot listen on {}: {e}", args.addr);
            return std::process::ExitCode::FAILURE;
        }
    };
    let shutdown = stop_signal();
    let base = format!("http://{}", args.addr);
    if args.log_format == LogFormat::Json {
        tracing::info!(addr = %args.addr, demo = config.seed_demo, "Threadline is running");
        if config.seed_demo {
            tracing::warn!(
                "demo mode: published logins, identity and portal secrets; never expose it"
            );
        }
    } else {
        say_running(&base, &config);
    }
    match threadline_api::serve(listener, config, shutdown).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("threadline-api: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// The start banner for people: where everything is, and demo mode's published logins.
fn say_running(base: &str, config: &Config) {
    println!("Threadline is running.");
    println!("  Agent desktop:      {base}/");
    println!("  Demo company page:  {base}/demo   (the visitor widget)");
    if let Some(standin) = &config.demo_standin_url {
        println!("  Social channels:    the demo page's panel sends through {standin}");
    }
    println!("  API:                {base}/api/   (OpenAPI: {base}/api/openapi.json)");
    if config.seed_demo {
        println!(
            "  DEMO MODE (--demo): published logins, identity and portal secrets; never expose it."
        );
        println!("  Demo logins:");
        for (login, password, name, _) in seed::DEMO_AGENTS {
            println!("    {login} / {password}   ({name})");
        }
    }
}

/// Completes at Ctrl-C (SIGINT) or SIGTERM, what service managers, containers and
/// orchestrators send to stop a process: the server then stops gracefully (no new
/// connections, requests under way answered, event streams ended, the database closed). The
/// handlers are in place when this returns, before the server says it is running, so a stop
/// sent right after that is never the signal's default (an abrupt exit).
fn stop_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    let signals = {
        use tokio::signal::unix::{signal, SignalKind};
        match (
            signal(SignalKind::interrupt()),
            signal(SignalKind::terminate()),
        ) {
            (Ok(int), Ok(term)) => Some((int, term)),
            (Err(e), _) | (_, Err(e)) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM; stopping on Ctrl-C only");
                None
            }
        }
    };
    async move {
        #[cfg(unix)]
        match signals {
            Some((mut int, mut term)) => {
                tokio::select! {
                    _ = int.recv() => {}
                    _ = term.recv() => {}
                }
            }
            None => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
        #[cfg(not(unix))]
        let _ = tokio::signal::ctrl_c().await;
        tracing::info!("stopping");
    }
}

#[cfg(test)]
mod tests {
    use super::Args;
    use clap::Parser;

    #[test]
    fn the_event_log_keeps_a_week_unless_told_otherwise() {
        let plain = Args::try_parse_from(["threadline-api"]).expect("no flags");
        assert_eq!(plain.event_retention_days, 7);
        let set = Args::try_parse_from(["threadline-api", "--event-retention-days", "30"])
            .expect("a number of days");
        assert_eq!(set.event_retention_days, 30);
        assert!(
            Args::try_parse_from(["threadline-api", "--event-retention-days", "a week"]).is_err()
        );
    }

    #[test]
    fn contacts_are_kept_for_good_unless_told_otherwise() {
        let plain = Args::try_parse_from(["threadline-api"]).expect("no flags");
        assert_eq!(plain.contact_retention_days, 0);
        let set = Args::try_parse_from(["threadline-api", "--contact-retention-days", "730"])
            .expect("a number of days");
        assert_eq!(set.contact_retention_days, 730);
        assert!(
            Args::try_parse_from(["threadline-api", "--contact-retention-days", "-1"]).is_err()
        );
    }
}
