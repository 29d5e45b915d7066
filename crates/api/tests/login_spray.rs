//! A spray of logins against the real server (issue 13, finding 2): 200 at once, each a
//! different name from a different address, are answered 401 or 503 at once, the password
//! checks' memory stays bounded, and an agent still logs in right after. Alone in its test
//! binary, so that the process's peak memory is the spray's.

mod common;

use common::{login_as, loopback_trusted, Backend, Server};
use futures_util::future::join_all;
use std::time::{Duration, Instant};

/// The SQLite and the PostgreSQL runs take turns.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The process's peak resident memory, in KiB.
fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

async fn login_spray_is_bounded_and_an_agent_still_logs_in(b: Backend) {
    // One spray at a time, the peak counted from here: this process's peak is then this one
    // server's (other tests starting servers beside it made it grow by hundreds of MiB).
    let _alone = ONE_AT_A_TIME.lock().await;
    let s = Server::start(b, |c| c.trusted_proxies = loopback_trusted()).await;
    std::fs::write("/proc/self/clear_refs", "5").expect("the peak resident memory can be reset");
    let before = peak_rss_kib();
    let started = Instant::now();
    // 200 at once, every one a different name from a different address: no per-address or
    // per-name quota applies, only the bound on checks running at once.
    let attempts = (0..200).map(|i| {
        let s = &s;
        async move {
            let addr = format!("203.0.{}.{}", i / 200, i % 200 + 1);
            login_as(s, &format!("nobody-{i}"), "guess", Some(&addr)).await
        }
    });
    let answers = join_all(attempts).await;
    let took = started.elapsed();
    let mut busy = 0;
    for (status, retry, body) in &answers {
        match status {
            401 => assert_eq!(body["error"]["code"], "bad_credentials", "{body}"),
            503 => {
                busy += 1;
                assert_eq!(body["error"]["code"], "unavailable", "{body}");
                assert!(retry.is_some_and(|r| r >= 1), "503 says when to retry");
            }
            other => panic!("unexpected answer {other}: {body}"),
        }
    }
    assert!(
        busy > 100,
        "most of the flood is turned away at once ({busy} of 200)"
    );
    assert!(
        took < Duration::from_secs(20),
        "the flood is answered quickly: {took:?}"
    );
    let grown_mib = peak_rss_kib().saturating_sub(before) / 1024;
    assert!(
        grown_mib < 512,
        "password checks are bounded: peak grew {grown_mib} MiB"
    );

    // The real agent, right after, from their own address: in at the first try.
    let started = Instant::now();
    let (status, _, body) = login_as(&s, "ann", "ann-pass-1", Some("198.51.100.7")).await;
    assert_eq!(status, 200, "{body}");
    assert!(started.elapsed() < Duration::from_secs(5));
    s.stop().await;
}

on_both!(login_spray_is_bounded_and_an_agent_still_logs_in);
