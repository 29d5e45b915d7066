//! `kill -9` during a burst of sends loses nothing that was acknowledged: the real server
//! binary is killed mid-burst, restarted on the same database, and every acknowledged message
//! is read back.
//!
//! `chaos` (ignored here; `cargo xtask chaos [ROUNDS]` runs it) repeats that ROUNDS times
//! (`THREADLINE_CHAOS_ROUNDS`, default 20) on one database, a new visitor each round: every
//! acknowledged message is stored exactly once, and the visitor's stream, resumed from the log
//! head before the burst, replays every stored message once, in order, without a gap.
//!
//! The same binary stopped the ordinary way (SIGTERM) stops gracefully, and its log in JSON
//! is JSON from the first line to the last.

mod common;

use common::{client_id, free_port, fresh_db, wait_up, Backend};
use serde_json::{json, Value};
use std::collections::HashSet;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The server binary, running; killed when dropped, so a failing test leaves no server behind.
struct ServerProcess(Child);

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn spawn(url: &str, port: u16) -> ServerProcess {
    // One visitor sends the whole burst: lift its message quota.
    launch(
        url,
        port,
        &["--visitor-messages-per-minute", "100000000"],
        "warn",
        Stdio::null(),
    )
}

/// The server binary in demo mode on `url` and `port` with `extra` flags, logging at `log`
/// to `stdout`.
fn launch(url: &str, port: u16, extra: &[&str], log: &str, stdout: Stdio) -> ServerProcess {
    ServerProcess(
        Command::new(env!("CARGO_BIN_EXE_threadline-api"))
            .args([
                "--addr",
                &format!("127.0.0.1:{port}"),
                "--database-url",
                url,
                "--demo",
            ])
            .args(extra)
            .env("RUST_LOG", log)
            .stdout(stdout)
            .stderr(Stdio::null())
            .spawn()
            .expect("start the server binary"),
    )
}

/// Four senders write as one visitor as fast as they can; once 150 sends were acknowledged the
/// server is killed with SIGKILL mid-burst. Returns the client ids that were acknowledged.
async fn burst_then_kill(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    child: &mut ServerProcess,
) -> HashSet<String> {
    let acked: Arc<Mutex<HashSet<String>>> = Arc::default();
    let mut senders = Vec::new();
    for _ in 0..4 {
        let (client, base, token, acked) = (
            client.clone(),
            base.to_owned(),
            token.to_owned(),
            acked.clone(),
        );
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
    child.0.kill().expect("kill -9");
    child.0.wait().expect("reap");
    for s in senders {
        let _ = s.await;
    }
    let acked = acked.lock().expect("lock").clone();
    acked
}

/// Every client id in the visitor's conversation, one entry per stored message.
async fn stored_client_ids(client: &reqwest::Client, base: &str, token: &str) -> Vec<String> {
    let mut stored = Vec::new();
    let mut before: Option<i64> = None;
    loop {
        let mut url = format!("{base}/api/visitor/conversation?limit=500");
        if let Some(b) = before {
            url = format!("{url}&before_seq={b}");
        }
        let page: wire::visitor::VisitorConversationPage = client
            .get(url)
            .bearer_auth(token)
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
    stored
}

/// A new visitor's token, from a session started as `name`.
async fn visitor_token(client: &reqwest::Client, base: &str, name: &str) -> String {
    let session: Value = client
        .post(format!("{base}/api/visitor/session"))
        .json(&json!({ "name": name }))
        .send()
        .await
        .expect("session")
        .json()
        .await
        .expect("json");
    session["visitor_token"].as_str().expect("token").to_owned()
}

async fn crash_during_burst(b: Backend) {
    let db = fresh_db(b).await;
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut child = spawn(&db.url, port);
    wait_up(&base).await;
    let client = reqwest::Client::new();
    let token = visitor_token(&client, &base, "Crash Test").await;
    let acked = burst_then_kill(&client, &base, &token, &mut child).await;
    assert!(acked.len() >= 150);
    // Restart on the same database and read everything back.
    let child = spawn(&db.url, port);
    wait_up(&base).await;
    let stored: HashSet<String> = stored_client_ids(&client, &base, &token)
        .await
        .into_iter()
        .collect();
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
    if b == Backend::Sqlite {
        search_index_catches_up(&db).await;
    }
    drop(child);
}

/// SQLite's full-text index, written apart from the messages (see `store::search_index`),
/// catches up after the crash with no search asking for it (the restarted server's indexer):
/// nothing is left waiting, and FTS5's integrity check finds the index and the messages
/// alike.
async fn search_index_catches_up(db: &common::TestDb) {
    let store = threadline_api::store::Store::connect(&db.url)
        .await
        .expect("open the store");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let n = store.search_index_pending().await.expect("pending");
        if n == 0 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{n} messages still not indexed"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    sqlx::query("INSERT INTO messages_fts(messages_fts, rank) VALUES ('integrity-check', 1)")
        .execute(&db.pool().await)
        .await
        .expect("the index matches the messages");
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

/// A new visitor stream ticket: `ticket`, and the log's `head` now.
async fn visitor_ticket(client: &reqwest::Client, base: &str, token: &str) -> Value {
    client
        .post(format!("{base}/api/visitor/events/ticket"))
        .bearer_auth(token)
        .json(&json!({}))
        .send()
        .await
        .expect("ticket")
        .json()
        .await
        .expect("json")
}

/// The visitor's stream resumed after `after`: the `(event id, client id)` of each message
/// event, until `expected` of them came (or a minute passed).
async fn replayed_messages(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    after: i64,
    expected: usize,
) -> Vec<(i64, String)> {
    use eventsource_stream::Eventsource;
    use futures_util::StreamExt;
    let ticket = visitor_ticket(client, base, token).await;
    let ticket = ticket["ticket"].as_str().expect("a ticket");
    let response = client
        .get(format!(
            "{base}/api/visitor/events?ticket={ticket}&last_event_id={after}"
        ))
        .send()
        .await
        .expect("stream");
    assert_eq!(response.status().as_u16(), 200, "stream refused");
    let mut events = response.bytes_stream().eventsource();
    let mut seen = Vec::new();
    let mut others: Vec<String> = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_mins(1);
    while seen.len() < expected {
        let next = tokio::time::timeout_at(deadline, events.next())
            .await
            .unwrap_or_else(|_| {
                panic!(
                    "the replay stopped at {} of {expected} (other events: {others:?})",
                    seen.len()
                )
            })
            .expect("the stream ended")
            .expect("an event");
        assert_ne!(
            next.event, "resync",
            "the replay could not continue from {after}"
        );
        if next.event != "message" {
            others.push(next.event);
            continue;
        }
        let data: Value = serde_json::from_str(&next.data).expect("json");
        let id = next.id.parse::<i64>().expect("a log id");
        if let Some(cid) = data["event"]["message"]["client_id"].as_str() {
            seen.push((id, cid.to_owned()));
        }
    }
    seen
}

async fn chaos(b: Backend) {
    let rounds: usize = std::env::var("THREADLINE_CHAOS_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(20);
    let db = fresh_db(b).await;
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut child = spawn(&db.url, port);
    wait_up(&base).await;
    let client = reqwest::Client::new();
    for round in 1..=rounds {
        let token = visitor_token(&client, &base, &format!("Chaos {round}")).await;
        let head = visitor_ticket(&client, &base, &token).await["head"]
            .as_i64()
            .expect("a head");
        let acked = burst_then_kill(&client, &base, &token, &mut child).await;
        child = spawn(&db.url, port);
        wait_up(&base).await;
        let stored = stored_client_ids(&client, &base, &token).await;
        let unique: HashSet<String> = stored.iter().cloned().collect();
        assert_eq!(
            unique.len(),
            stored.len(),
            "round {round}: a message was stored twice"
        );
        let lost = acked.difference(&unique).count();
        assert_eq!(
            lost, 0,
            "round {round}: {lost} acknowledged messages were lost"
        );
        let replayed = replayed_messages(&client, &base, &token, head, stored.len()).await;
        assert!(
            replayed.windows(2).all(|w| w[0].0 < w[1].0),
            "round {round}: the replay went back in the log"
        );
        let replayed_ids: HashSet<String> = replayed.into_iter().map(|(_, c)| c).collect();
        assert_eq!(
            replayed_ids, unique,
            "round {round}: the replay and the conversation differ"
        );
        eprintln!(
            "round {round}/{rounds}: {} acknowledged, {} stored, replayed in order",
            acked.len(),
            stored.len()
        );
    }
    drop(child);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "long: run by `cargo xtask chaos`"]
async fn chaos_sqlite() {
    chaos(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "long: run by `cargo xtask chaos`"]
async fn chaos_postgres() {
    if common::pg_url().is_none() {
        eprintln!("THREADLINE_TEST_PG is not set: PostgreSQL variant not run");
        return;
    }
    chaos(Backend::Postgres).await;
}

/// SIGTERM (what systemd, Docker and Kubernetes send to stop a process) stops the server
/// gracefully: an open event stream ends instead of being cut, the process exits with 0 (not
/// killed by the signal), SQLite's write-ahead log is folded into the database as its last
/// connection closes, and a restart serves what was acknowledged.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_stops_gracefully() {
    use futures_util::StreamExt;
    let db = fresh_db(Backend::Sqlite).await;
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut child = spawn(&db.url, port);
    wait_up(&base).await;
    let client = reqwest::Client::new();
    let token = visitor_token(&client, &base, "Term Test").await;
    let sent = client
        .post(format!("{base}/api/visitor/messages"))
        .bearer_auth(&token)
        .json(&json!({"client_id": client_id(), "text": "before the stop"}))
        .send()
        .await
        .expect("send");
    assert!(sent.status().is_success());
    let ticket = visitor_ticket(&client, &base, &token).await;
    let ticket = ticket["ticket"].as_str().expect("a ticket");
    let stream = client
        .get(format!("{base}/api/visitor/events?ticket={ticket}"))
        .send()
        .await
        .expect("stream");
    assert_eq!(stream.status().as_u16(), 200);
    let mut body = stream.bytes_stream();
    let first = tokio::time::timeout(Duration::from_secs(15), body.next())
        .await
        .expect("the stream's first bytes");
    assert!(matches!(first, Some(Ok(_))), "the stream opened");

    let term = Command::new("kill")
        .args(["-TERM", &child.0.id().to_string()])
        .status()
        .expect("run kill");
    assert!(term.success());
    // The stream ends (the server closes it) rather than hanging or being reset.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let Ok(next) = tokio::time::timeout_at(deadline, body.next()).await else {
            panic!("the stream was still open 20 s after SIGTERM");
        };
        match next {
            None => break,
            Some(Ok(_)) => {}
            Some(Err(e)) => panic!("the stream was cut, not ended: {e}"),
        }
    }
    let status = loop {
        if let Some(status) = child.0.try_wait().expect("wait") {
            break status;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the server was still running 20 s after SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(status.code(), Some(0), "exited by itself: {status}");
    let file = db.url.trim_start_matches("sqlite://");
    let file = file.split('?').next().expect("path");
    let wal = std::fs::metadata(format!("{file}-wal")).map_or(0, |m| m.len());
    assert_eq!(wal, 0, "the write-ahead log was folded in at close");

    let _child = spawn(&db.url, port);
    wait_up(&base).await;
    let stored = stored_client_ids(&client, &base, &token).await;
    assert_eq!(stored.len(), 1, "the message is there after the restart");
}

/// `--log-format json`: every line the server writes on stdout, from the start banner to the
/// stop, is one JSON object with a time, a level and a message, for a log collector.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_log_in_json_is_json_on_every_line() {
    use std::io::BufRead;
    let db = fresh_db(Backend::Sqlite).await;
    let port = free_port();
    let mut child = launch(
        &db.url,
        port,
        &["--log-format", "json"],
        "info",
        Stdio::piped(),
    );
    let stdout = child.0.stdout.take().expect("stdout");
    let (lines_tx, lines) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            if lines_tx.send(line).is_err() {
                return;
            }
        }
    });
    let mut seen: Vec<Value> = Vec::new();
    read_until(&lines, &mut seen, "Threadline is running");
    let running = seen.last().expect("a line").clone();
    assert_eq!(running["level"], "INFO");
    assert_eq!(running["addr"], format!("127.0.0.1:{port}"));
    read_until(
        &lines,
        &mut seen,
        "demo mode: published logins, identity and portal secrets; never expose it",
    );
    assert_eq!(seen.last().expect("a line")["level"], "WARN");
    let term = Command::new("kill")
        .args(["-TERM", &child.0.id().to_string()])
        .status()
        .expect("run kill");
    assert!(term.success());
    read_until(&lines, &mut seen, "stopping");
}

/// Reads JSON log lines into `seen` until one whose message is `message` (a minute at most);
/// panics on a line that is not a JSON object with a time, a level and a message.
fn read_until(lines: &std::sync::mpsc::Receiver<String>, seen: &mut Vec<Value>, message: &str) {
    let deadline = std::time::Instant::now() + Duration::from_mins(1);
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        let line = lines
            .recv_timeout(left)
            .unwrap_or_else(|_| panic!("no {message:?} line; the lines before: {seen:?}"));
        let object: Value =
            serde_json::from_str(&line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        for field in ["timestamp", "level", "message"] {
            assert!(object.get(field).is_some(), "no {field}: {line}");
        }
        let done = object["message"] == message;
        seen.push(object);
        if done {
            return;
        }
    }
}
