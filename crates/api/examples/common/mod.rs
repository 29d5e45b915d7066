//! What the server benchmarks in `examples/` share: starting the release server binary on a
//! database and waiting until it answers.
//!
//! # Layout
//! - [`start_server`] / [`RunningServer`]: the server binary on a free loopback port.
//! - [`free_port`]: a loopback port nothing listens on (also for the load benchmark's nginx).

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
