//! Attacks from the security review (issue 13, findings 1 and 2), run against the real server:
//! insecure defaults (the binary refuses to start without a real identity secret and seeds
//! nothing unless `--demo`), and login floods (the global quota, spoofed `X-Forwarded-For` is
//! ignored, a name is slowed, never locked out; the spray of names is `login_spray.rs`).

mod common;

use common::{free_port, login_as, loopback_trusted, Backend, Server};
use serde_json::json;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_threadline-api");

/// The binary with no secret or demo setting from the environment.
fn server_command(data: &Path, port: u16) -> tokio::process::Command {
    let mut cmd = tokio::process::Command::new(BIN);
    cmd.args(["--addr", &format!("127.0.0.1:{port}"), "--data-dir"])
        .arg(data)
        .env_remove("THREADLINE_IDENTITY_SECRET")
        .env_remove("THREADLINE_DEMO")
        .env_remove("DATABASE_URL")
        .env("RUST_LOG", "info")
        .stdin(Stdio::null())
        .kill_on_drop(true);
    cmd
}

/// Runs the binary to its end (it must not start) and returns its exit and error output.
async fn refused(args: &[&str]) -> (std::process::ExitStatus, String, bool) {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = tokio::time::timeout(
        Duration::from_mins(1),
        server_command(dir.path(), free_port()).args(args).output(),
    )
    .await
    .expect("the server exits instead of starting")
    .expect("run the server");
    let db_exists = dir.path().join("threadline.db").exists();
    (
        out.status,
        String::from_utf8_lossy(&out.stderr).into_owned(),
        db_exists,
    )
}

#[tokio::test]
async fn refuses_to_start_without_an_identity_secret() {
    let (status, stderr, db) = refused(&[]).await;
    assert!(!status.success(), "exit: {status}");
    assert!(
        stderr.contains("no visitor identity secret"),
        "the reason is given: {stderr}"
    );
    assert!(!db, "nothing is created or seeded");
}

#[tokio::test]
async fn refuses_to_start_with_a_short_identity_secret() {
    let short = "x".repeat(31);
    let (status, stderr, db) = refused(&["--identity-secret", &short]).await;
    assert!(!status.success(), "exit: {status}");
    assert!(
        stderr.contains("31 bytes long") && stderr.contains("at least 32"),
        "the reason is given: {stderr}"
    );
    assert!(!db, "nothing is created or seeded");
}

/// Starts the binary, waits until it answers, logs in as `ann`; returns the login status and
/// everything the server printed.
async fn start_and_login(args: &[&str]) -> (u16, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    let log = dir.path().join("out.log");
    let port = free_port();
    let data = dir.path().join("data");
    let file = std::fs::File::create(&log).expect("log file");
    let err = file.try_clone().expect("log file");
    let mut child = server_command(&data, port)
        .args(args)
        .stdout(file)
        .stderr(err)
        .spawn()
        .expect("start the server");
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_mins(1);
    loop {
        if let Ok(r) = client.get(format!("{base}/api/openapi.json")).send().await {
            if r.status().is_success() {
                break;
            }
        }
        assert!(
            child.try_wait().expect("server status").is_none(),
            "the server exited: {}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        assert!(Instant::now() < deadline, "the server did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let status = client
        .post(format!("{base}/api/auth/login"))
        .json(&json!({"login": "ann", "password": "ann-pass-1"}))
        .send()
        .await
        .expect("login")
        .status()
        .as_u16();
    child.kill().await.expect("stop the server");
    (status, std::fs::read_to_string(&log).unwrap_or_default())
}

#[tokio::test]
async fn demo_data_only_with_demo() {
    let (status, out) = start_and_login(&["--demo"]).await;
    assert_eq!(status, 200, "--demo seeds the demo agents");
    assert!(out.contains("DEMO MODE"), "demo mode is announced: {out}");
    assert!(out.contains("WARN"), "as a warning: {out}");

    let secret = "s".repeat(32);
    let (status, out) = start_and_login(&["--identity-secret", &secret]).await;
    assert_eq!(status, 401, "without --demo there is no demo agent");
    assert!(!out.contains("DEMO MODE"), "{out}");
    assert!(!out.contains("ann-pass-1"), "no published password: {out}");
}

async fn global_limit_applies_across_addresses(b: Backend) {
    let s = Server::start(b, |c| {
        c.trusted_proxies = loopback_trusted();
        c.login_global = 5;
    })
    .await;
    for i in 0..5 {
        let (status, _, body) =
            login_as(&s, &format!("x{i}"), "guess", Some(&format!("192.0.2.{i}"))).await;
        assert_eq!(status, 401, "{body}");
    }
    let (status, retry, body) = login_as(&s, "x9", "guess", Some("192.0.2.9")).await;
    assert_eq!(status, 429, "{body}");
    assert_eq!(body["error"]["code"], "rate_limited");
    assert!(retry.is_some_and(|r| r >= 1), "429 says when to retry");
    s.stop().await;
}

async fn spoofed_forwarded_for_is_ignored(b: Backend) {
    // No trusted proxy: every claimed address is the same client, 127.0.0.1.
    let s = Server::start(b, |c| c.login_per_address = 5).await;
    for i in 0..5 {
        let spoof = format!("198.51.100.{i}");
        let (status, _, body) = login_as(&s, &format!("n{i}"), "guess", Some(&spoof)).await;
        assert_eq!(status, 401, "{body}");
    }
    let (status, retry, body) = login_as(&s, "n9", "guess", Some("198.51.100.99")).await;
    assert_eq!(
        status, 429,
        "a new X-Forwarded-For does not buy new attempts: {body}"
    );
    assert!(retry.is_some());
    s.stop().await;

    // Behind a trusted proxy the header counts: the same claims are different clients, and the
    // address nearest the proxy counts (a client cannot prepend its own).
    let s = Server::start(b, |c| {
        c.login_per_address = 5;
        c.trusted_proxies = loopback_trusted();
    })
    .await;
    for i in 0..7 {
        let chain = format!("10.9.9.9, 198.51.100.{i}");
        let (status, _, body) = login_as(&s, &format!("n{i}"), "guess", Some(&chain)).await;
        assert_eq!(status, 401, "{body}");
    }
    s.stop().await;
}

async fn per_login_limit_slows_but_does_not_lock_out(b: Backend) {
    let window = Duration::from_secs(3);
    let s = Server::start(b, |c| {
        c.trusted_proxies = loopback_trusted();
        c.login_window = window;
        c.login_per_name = 3;
    })
    .await;
    // An attacker guesses ann's password until told to slow down.
    let mut refused = None;
    for _ in 0..10 {
        let (status, retry, body) = login_as(&s, "ann", "guess", Some("203.0.113.66")).await;
        if status == 429 {
            assert_eq!(body["error"]["code"], "rate_limited");
            refused = retry;
            break;
        }
        assert_eq!(status, 401, "{body}");
    }
    let retry = refused.expect("guessing one name is slowed down");
    assert!(
        retry <= window.as_secs(),
        "slowed for a moment, not locked: Retry-After {retry}"
    );
    // The real agent, from elsewhere, follows Retry-After and gets in within the window.
    let started = Instant::now();
    loop {
        let (status, retry, body) = login_as(&s, "ann", "ann-pass-1", Some("198.51.100.7")).await;
        if status == 200 {
            break;
        }
        assert_eq!(status, 429, "{body}");
        assert!(started.elapsed() < window * 2, "the agent is locked out");
        tokio::time::sleep(Duration::from_secs(retry.expect("Retry-After"))).await;
    }
    s.stop().await;
}

on_both!(
    global_limit_applies_across_addresses,
    spoofed_forwarded_for_is_ignored,
    per_login_limit_slows_but_does_not_lock_out,
);
