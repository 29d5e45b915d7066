//! What the server benchmarks in `examples/` share: starting the release server binary on a
//! database and waiting until it answers.
//!
//! # Layout
//! - [`start_server`] / [`RunningServer`]: the server binary on a free loopback port.
//! - [`free_port`]: a loopback port nothing listens on (also for the benchmarks' nginx).
//! - [`cpu_seconds`], [`percentile`]: the figures every benchmark reports.
//! - [`session_token`]: a bearer token for an account the benchmark created.

use std::time::{Duration, Instant};

/// The server binary, running until dropped.
pub struct RunningServer {
    /// The process (killed on drop).
    pub child: tokio::process::Child,
    /// `http://127.0.0.1:<port>`.
    pub base: String,
}

/// Starts `target/release/threadline-api` (next to this example) on a free loopback port on
/// `database_url`, without demo data, and waits until it answers.
pub async fn start_server(database_url: &str, client: &reqwest::Client) -> RunningServer {
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let bin = std::env::current_exe()
        .expect("exe")
        .parent()
        .and_then(|p| p.parent())
        .expect("target dir")
        .join("threadline-api");
    let child = tokio::process::Command::new(&bin)
        .args([
            "--addr",
            &format!("127.0.0.1:{port}"),
            "--database-url",
            database_url,
            // Not demo mode (nothing seeded), so a real-sized identity secret.
            "--identity-secret",
            "example-identity-secret-0123456789abcdef",
            // The load comes from one address and a few visitors: lift the stranger quotas.
            "--visitor-sessions-per-minute",
            "100000000",
            "--visitor-messages-per-minute",
            "100000000",
            "--visitor-streams-per-address",
            "100000000",
            // Each idle stream takes a ticket: 10,000 of them in well under a minute.
            "--visitor-tickets-per-minute",
            "100000000",
        ])
        .env("RUST_LOG", "error")
        .stdout(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "start {}: {e} (build it with cargo build --release -p threadline-api)",
                bin.display()
            )
        });
    let deadline = Instant::now() + Duration::from_mins(2);
    while client
        .get(format!("{base}/api/openapi.json"))
        .send()
        .await
        .map(|r| r.status().is_success())
        .ok()
        != Some(true)
    {
        assert!(Instant::now() < deadline, "server did not start");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    RunningServer { child, base }
}

/// A loopback port free at the time of the call (the OS picks it; the listener is closed).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("port")
        .local_addr()
        .expect("addr")
        .port()
}

/// CPU time the process `pid` has used so far (user + system), from `/proc/<pid>/stat`:
/// fields 14 and 15, in clock ticks of 1/100 s (Linux's `USER_HZ` on every architecture we
/// run on).
pub fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // The command name (field 2) is in parentheses and may hold spaces: count after it.
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // After ')' the fields start at 3 (state): utime is field 14, stime 15.
    (ticks(11) + ticks(12)) as f64 / 100.0
}

/// The `p`th percentile (0–100) of `sorted`, by nearest rank; NaN when it is empty.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

/// A bearer token of a new session of `agent`, valid for the whole run.
pub async fn session_token(store: &threadline_api::store::Store, agent: wire::AgentId) -> String {
    let token = threadline_api::auth::new_token("tla_");
    store
        .create_session(
            agent,
            &threadline_api::auth::token_hash(&token),
            i64::MAX / 2,
        )
        .await
        .expect("session");
    token
}
