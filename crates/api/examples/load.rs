//! Load benchmark for the server (`cargo xtask bench api` runs it in release mode).
//!
//! Starts the real server binary on a fresh database, then measures:
//! - **latency**: `--agents` agents each with an open event stream and one active chat, and
//!   visitors sending `--rate` messages a second for `--seconds`; the time from a visitor's
//!   POST to the agent's stream delivering the message (p50/p95/p99), every message committed
//!   before it is acknowledged;
//! - **CPU**: the server's user + system time over the sending phase (`/proc/<pid>/stat`),
//!   per acknowledged message: what a machine's speed changes least;
//! - **idle streams**: `--idle` visitor event streams held open, and the server's resident
//!   memory (RSS) before and after.
//!
//! Run: `cargo run --release -p threadline-api --example load -- --agents 1000 --rate 1000`.

// Statistics over counts and durations: float conversions are the point here.
#![allow(
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss
)]

mod common;

use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use threadline_api::auth::{hash_password, new_token, token_hash};
use threadline_api::store::Store;
use threadline_api::Config;
use tokio::io::AsyncBufReadExt;

struct Args {
    agents: usize,
    rate: u64,
    seconds: u64,
    idle: usize,
    database_url: Option<String>,
}

fn args() -> Args {
    let mut a = Args {
        agents: 1000,
        rate: 1000,
        seconds: 10,
        idle: 10_000,
        database_url: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let v = it.next().unwrap_or_default();
        match flag.as_str() {
            "--agents" => a.agents = v.parse().unwrap_or(a.agents),
            "--rate" => a.rate = v.parse().unwrap_or(a.rate),
            "--seconds" => a.seconds = v.parse().unwrap_or(a.seconds),
            "--idle" => a.idle = v.parse().unwrap_or(a.idle),
            "--database-url" => a.database_url = Some(v),
            other => eprintln!("ignoring unknown flag {other}"),
        }
    }
    a
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// CPU time the process `pid` has used so far (user + system), from `/proc/<pid>/stat`:
/// fields 14 and 15, in clock ticks of 1/100 s (Linux's `USER_HZ` on every architecture we
/// run on).
fn cpu_seconds(pid: u32) -> f64 {
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

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

/// An open event stream, read line by line; sends each message event's client id to `tx`.
async fn open_stream(
    client: &reqwest::Client,
    base: &str,
    ticket_path: &str,
    stream_path: &str,
    bearer: &str,
) -> reqwest::Response {
    let t: Value = client
        .post(format!("{base}{ticket_path}"))
        .bearer_auth(bearer)
        .send()
        .await
        .expect("ticket")
        .json()
        .await
        .expect("ticket json");
    let ticket = t["ticket"].as_str().expect("ticket").to_owned();
    let resp = client
        .get(format!("{base}{stream_path}?ticket={ticket}"))
        .send()
        .await
        .expect("stream");
    assert!(
        resp.status().is_success(),
        "stream refused: {}",
        resp.status()
    );
    resp
}

#[tokio::main]
async fn main() {
    let a = args();
    let _ = rlimit::increase_nofile_limit(a.idle as u64 * 3 + a.agents as u64 * 4 + 1024);
    let dir = tempfile::tempdir().expect("temp dir");
    let url = a
        .database_url
        .clone()
        .unwrap_or_else(|| Config::sqlite_url(&dir.path().join("bench.db")));
    // Prepare agents and their sessions directly in the database (one password hash for all).
    let store = Store::connect(&url).await.expect("database");
    let hash = hash_password("bench-password").expect("hash");
    let mut agent_tokens = Vec::with_capacity(a.agents);
    for i in 0..a.agents {
        let id = store
            .create_agent(
                &format!("bench{i}"),
                &format!("Bench Agent {i}"),
                &hash,
                1000,
                wire::Role::Agent,
            )
            .await
            .expect("agent");
        let token = new_token("tla_");
        store
            .create_session(id, &token_hash(&token), i64::MAX / 2)
            .await
            .expect("session");
        agent_tokens.push(token);
    }
    store.close().await;
    drop(store);
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(4096)
        .build()
        .expect("client");
    let common::RunningServer {
        child: mut server,
        base,
    } = common::start_server(&url, &client).await;
    let pid = server.id().expect("pid");
    let rss_start = rss_kib(pid);
    println!(
        "server: pid {pid}, RSS at start {} MiB, database {}",
        rss_start / 1024,
        if url.starts_with("postgres") {
            "PostgreSQL"
        } else {
            "SQLite"
        }
    );

    // Latency: agents with streams and one chat each.
    let sent_at: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
    let latencies: Arc<Mutex<Vec<f64>>> = Arc::default();
    let mut visitors = Vec::with_capacity(a.agents);
    for (i, token) in agent_tokens.iter().enumerate() {
        let s: Value = client
            .post(format!("{base}/api/visitor/session"))
            .json(&json!({"name": format!("Load Visitor {i}")}))
            .send()
            .await
            .expect("session")
            .json()
            .await
            .expect("json");
        let vtoken = s["visitor_token"].as_str().expect("token").to_owned();
        let contact = s["contact_id"].as_i64().expect("contact");
        client
            .post(format!("{base}/api/contacts/{contact}/chat"))
            .bearer_auth(token)
            .send()
            .await
            .expect("chat");
        let resp = open_stream(&client, &base, "/api/events/ticket", "/api/events", token).await;
        let (sent_at, latencies) = (sent_at.clone(), latencies.clone());
        tokio::spawn(async move {
            let mut lines = tokio_util_lines(resp);
            while let Ok(Some(line)) = lines.next_line().await {
                if let Some(data) = line.strip_prefix("data: ") {
                    if let Some(cid) = data
                        .find("\"client_id\":\"")
                        .map(|p| &data[p + 13..])
                        .and_then(|r| r.split('"').next())
                    {
                        if let Some(t0) = sent_at.lock().expect("lock").remove(cid) {
                            latencies
                                .lock()
                                .expect("lock")
                                .push(t0.elapsed().as_secs_f64() * 1000.0);
                        }
                    }
                }
            }
        });
        visitors.push(vtoken);
    }
    println!(
        "{} agents connected with one chat each; RSS {} MiB",
        a.agents,
        rss_kib(pid) / 1024
    );
    let acks: Arc<Mutex<Vec<f64>>> = Arc::default();
    let errors = Arc::new(AtomicU64::new(0));
    let error_kinds: Arc<Mutex<HashMap<String, u64>>> = Arc::default();
    let total = a.rate * a.seconds;
    let interval = Duration::from_secs_f64(1.0 / a.rate as f64);
    let cpu_start = cpu_seconds(pid);
    let start = Instant::now();
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut handles = Vec::with_capacity(total as usize);
    for n in 0..total {
        ticker.tick().await;
        let vtoken = visitors[(n as usize) % visitors.len()].clone();
        let (client, base, sent_at, acks, errors, error_kinds) = (
            client.clone(),
            base.clone(),
            sent_at.clone(),
            acks.clone(),
            errors.clone(),
            error_kinds.clone(),
        );
        handles.push(tokio::spawn(async move {
            let cid = format!("load-{n:012}");
            let t0 = Instant::now();
            sent_at.lock().expect("lock").insert(cid.clone(), t0);
            let r = client
                .post(format!("{base}/api/visitor/messages"))
                .bearer_auth(&vtoken)
                .json(&json!({"client_id": cid, "text": "How long does delivery take?"}))
                .send()
                .await;
            match r {
                Ok(r) if r.status().is_success() => acks
                    .lock()
                    .expect("lock")
                    .push(t0.elapsed().as_secs_f64() * 1000.0),
                Ok(r) => {
                    errors.fetch_add(1, Ordering::Relaxed);
                    *error_kinds
                        .lock()
                        .expect("lock")
                        .entry(format!("HTTP {}", r.status()))
                        .or_insert(0) += 1;
                }
                Err(e) => {
                    errors.fetch_add(1, Ordering::Relaxed);
                    let kind = if e.is_connect() {
                        "connect"
                    } else if e.is_timeout() {
                        "timeout"
                    } else {
                        "request"
                    };
                    *error_kinds
                        .lock()
                        .expect("lock")
                        .entry(format!("{kind}: {e}"))
                        .or_insert(0) += 1;
                }
            }
        }));
    }
    for h in handles {
        let _ = h.await;
    }
    let offered = start.elapsed().as_secs_f64();
    let wait_until = Instant::now() + Duration::from_secs(10);
    while !sent_at.lock().expect("lock").is_empty() && Instant::now() < wait_until {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let cpu_used = cpu_seconds(pid) - cpu_start;
    let mut lat = latencies.lock().expect("lock").clone();
    lat.sort_by(f64::total_cmp);
    let mut ack = acks.lock().expect("lock").clone();
    ack.sort_by(f64::total_cmp);
    println!(
        "messages: {} sent in {offered:.1} s ({:.0}/s), {} acknowledged, {} errors, {} not delivered to the agent",
        total,
        total as f64 / offered,
        ack.len(),
        errors.load(Ordering::Relaxed),
        sent_at.lock().expect("lock").len()
    );
    for (kind, n) in error_kinds.lock().expect("lock").iter() {
        println!("  {n} × {kind}");
    }
    println!(
        "visitor POST → agent stream (ms): p50 {:.2}  p95 {:.2}  p99 {:.2}  max {:.2}",
        percentile(&lat, 50.0),
        percentile(&lat, 95.0),
        percentile(&lat, 99.0),
        lat.last().copied().unwrap_or(f64::NAN)
    );
    println!(
        "server CPU: {cpu_used:.2} s for {} messages = {:.0} µs per message ({:.2} cores busy)",
        ack.len(),
        cpu_used * 1e6 / ack.len().max(1) as f64,
        cpu_used / offered.max(f64::EPSILON)
    );
    println!(
        "visitor POST acknowledged (ms):   p50 {:.2}  p95 {:.2}  p99 {:.2}",
        percentile(&ack, 50.0),
        percentile(&ack, 95.0),
        percentile(&ack, 99.0)
    );

    // Idle streams: visitors that opened the widget and wait.
    if a.idle > 0 {
        let rss_before = rss_kib(pid);
        let mut held = Vec::with_capacity(a.idle);
        for i in 0..a.idle {
            let s: Value = client
                .post(format!("{base}/api/visitor/session"))
                .json(&json!({"name": format!("Idle {i}")}))
                .send()
                .await
                .expect("session")
                .json()
                .await
                .expect("json");
            let vtoken = s["visitor_token"].as_str().expect("token").to_owned();
            held.push(
                open_stream(
                    &client,
                    &base,
                    "/api/visitor/events/ticket",
                    "/api/visitor/events",
                    &vtoken,
                )
                .await,
            );
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
        let rss_after = rss_kib(pid);
        println!(
            "idle streams: {} open; server RSS {} MiB → {} MiB ({:.1} KiB per stream)",
            held.len(),
            rss_before / 1024,
            rss_after / 1024,
            (rss_after.saturating_sub(rss_before)) as f64 / held.len() as f64
        );
        drop(held);
    }
    let _ = server.kill().await;
}

/// Lines of a streaming response body.
fn tokio_util_lines(
    resp: reqwest::Response,
) -> tokio::io::Lines<tokio::io::BufReader<impl tokio::io::AsyncRead>> {
    use futures_util::TryStreamExt;
    let stream = resp.bytes_stream().map_err(std::io::Error::other);
    tokio::io::BufReader::new(tokio_util::io::StreamReader::new(stream)).lines()
}
