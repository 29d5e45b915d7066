//! `kill -9` during a burst of sends loses nothing that was acknowledged: the real server
//! binary is killed mid-burst, restarted on the same database, and every acknowledged message
//! is read back.

mod common;

use common::{client_id, fresh_db, Backend};
use serde_json::{json, Value};
use std::collections::HashSet;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

fn spawn(url: &str, port: u16) -> Child {
    Command::new(env!("CARGO_BIN_EXE_threadline-api"))
        .args([
            "--addr",
            &format!("127.0.0.1:{port}"),
            "--database-url",
            url,
            "--demo",
            // One visitor sends the whole burst: lift its message quota.
            "--visitor-messages-per-minute",
            "100000000",
        ])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the server binary")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

async fn wait_up(base: &str) {
    let deadline = tokio::time::Instant::now() + Duration::from_mins(1);
    while reqwest::get(format!("{base}/api/openapi.json"))
        .await
        .map(|r| r.status().is_success())
        .ok()
        != Some(true)
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "server did not come up"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn crash_during_burst(b: Backend) {
    let db = fresh_db(b).await;
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut child = spawn(&db.url, port);
    wait_up(&base).await;
    let client = reqwest::Client::new();
    let session: Value = client
        .post(format!("{base}/api/visitor/session"))
        .json(&json!({"name": "Crash Test"}))
        .send()
        .await
        .expect("session")
        .json()
        .await
        .expect("json");
    let token = session["visitor_token"].as_str().expect("token").to_owned();
    let acked: Arc<Mutex<HashSet<String>>> = Arc::default();
    let mut senders = Vec::new();
    for _ in 0..4 {
        let (client, base, token, acked) =
            (client.clone(), base.clone(), token.clone(), acked.clone());
        senders.push(tokio::spawn(async move {
            for i in 0..500 {
                let cid = client_id();
                let r = client
                    .post(format!("{base}/api/visitor/messages"))
                    .bearer_auth(&token)
                    .json(&json!({"client_id": cid, "text": format!("burst {i}")}))
                    .send()
                    .await;
                match r {
                    Ok(r) if r.status().is_success() => {
                        acked.lock().expect("lock").insert(cid);
                    }
                    _ => return,
                }
            }
        }));
    }
    // Kill -9 once a good number of sends were acknowledged, mid-burst.
    let deadline = tokio::time::Instant::now() + Duration::from_mins(1);
    while acked.lock().expect("lock").len() < 150 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the burst did not get going"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    child.kill().expect("kill -9");
    child.wait().expect("reap");
    for s in senders {
        let _ = s.await;
    }
    let acked = acked.lock().expect("lock").clone();
    assert!(acked.len() >= 150);
    // Restart on the same database and read everything back.
    let mut child = spawn(&db.url, port);
    wait_up(&base).await;
    let mut stored = HashSet::new();
    let mut before: Option<i64> = None;
    loop {
        let mut url = format!("{base}/api/visitor/conversation?limit=500");
        if let Some(b) = before {
            url = format!("{url}&before_seq={b}");
        }
        let page: wire::visitor::VisitorConversationPage = client
            .get(url)
            .bearer_auth(&token)
            .send()
            .await
            .expect("page")
            .json()
            .await
            .expect("json");
        stored.extend(
            page.messages
                .iter()
                .filter_map(|m| m.client_id.as_ref().map(|c| c.0.clone())),
        );
        before = page.messages.first().map(|m| m.seq);
        if !page.has_more {
            break;
        }
    }
    let lost: Vec<_> = acked.difference(&stored).collect();
    assert!(
        lost.is_empty(),
        "{} acknowledged messages were lost",
        lost.len()
    );
    // A retry after the restart, with a client id stored before the crash, stores nothing new.
    let retried = acked.iter().next().expect("an acknowledged id").clone();
    let again: wire::visitor::VisitorMessage = client
        .post(format!("{base}/api/visitor/messages"))
        .bearer_auth(&token)
        .json(&json!({"client_id": retried, "text": "retried after restart"}))
        .send()
        .await
        .expect("retry")
        .json()
        .await
        .expect("json");
    assert_ne!(
        again.text, "retried after restart",
        "the stored message answers the retry"
    );
    let page: wire::visitor::VisitorConversationPage = client
        .get(format!("{base}/api/visitor/conversation?limit=5"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("page")
        .json()
        .await
        .expect("json");
    assert!(page
        .messages
        .iter()
        .all(|m| m.text != "retried after restart"));
    let _ = child.kill();
    let _ = child.wait();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_loses_nothing_acknowledged_sqlite() {
    crash_during_burst(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_loses_nothing_acknowledged_postgres() {
    if common::pg_url().is_none() {
        eprintln!("THREADLINE_TEST_PG is not set: PostgreSQL variant not run");
        return;
    }
    crash_during_burst(Backend::Postgres).await;
}
