//! Load benchmark for the server beside a peer, nchan (`cargo xtask bench api` runs it in
//! release mode).
//!
//! Starts the real server binary on a fresh database, then nginx with its pub/sub module nchan
//! in its place, and measures both with the same client:
//! - **latency**: `--agents` subscribers, each with an open event stream (an agent with one
//!   active chat; on nchan an EventSource subscriber on a channel of its own), and `--rate`
//!   messages a second for `--seconds`, spread over them (a visitor's message to that chat; on
//!   nchan a publish to that channel); the time from the POST's start to the stream delivering
//!   the message (p50/p95/p99/max). The server commits every message before acknowledging it;
//!   nchan keeps messages in memory and commits nothing, so the ratio is the cost of durability
//!   plus the server's fan-out;
//! - **CPU**: the process's user + system time over the sending phase (`/proc/<pid>/stat`), per
//!   acknowledged message: what a machine's speed changes least. The server's one process; for
//!   nchan its one worker (`worker_processes 1`);
//! - **idle streams**: `--idle` streams held open (the server's visitor event streams; nchan
//!   subscribers, each on its own channel), and the resident memory (RSS) before and after: the
//!   server's, nginx's master's + worker's.
//!
//! It prints each one's figures as it goes, then both in one table and the ratio server ÷
//! nchan.
//!
//! Run: `cargo run --release -p threadline-api --example load -- --agents 1000 --rate 1000`
//! (`--peer none` measures the server alone; `--nginx` and `--nchan-module` name nginx and the
//! module where Debian does not put them).
//!
//! # Layout
//! - [`main`]: prepares the agents, measures the server, stops it, measures nchan, prints.
//! - [`Target`]: the one thing that differs between the two: how to subscribe, where to publish,
//!   how to hold an idle stream, which processes to read. [`measure`] is the rest, shared.
//! - [`Figures`], [`print_table`]: the results and the comparison.
//! - `load/threadline.rs`: the client's calls to the server (shared with `cluster`).
//! - `load/nchan.rs`: nginx with the nchan module; `load/nginx.rs` runs nginx from a generated
//!   configuration (shared with the `cluster` benchmark's load balancer).
//! - `load/slow.rs`: the deliveries over 10 ms by the tenth of a second they were sent in
//!   (shared with `cluster`).

// Statistics over counts and durations: float conversions are the point here.
#![allow(
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss
)]

mod common;
#[path = "load/nchan.rs"]
mod nchan;
#[path = "load/nginx.rs"]
mod nginx;
#[path = "load/slow.rs"]
mod slow;
#[path = "load/threadline.rs"]
mod threadline;

use serde_json::json;
use slow::{print_slow_deliveries, Delivery};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use threadline_api::Config;

struct Args {
    /// Subscribers with a stream during the latency phase (agents with one chat each).
    agents: usize,
    /// Messages a second.
    rate: u64,
    /// How long messages are sent.
    seconds: u64,
    /// Idle streams held open for the memory figure (0: not measured).
    idle: usize,
    /// The server's database; a fresh SQLite file when absent.
    database_url: Option<String>,
    /// Whether nchan is measured too (`--peer nchan`, the default, or `--peer none`).
    nchan: bool,
    /// The nginx binary.
    nginx: PathBuf,
    /// nchan's dynamic module.
    nchan_module: PathBuf,
}

fn args() -> Args {
    let mut a = Args {
        agents: 1000,
        rate: 1000,
        seconds: 10,
        idle: 10_000,
        database_url: None,
        nchan: true,
        nginx: PathBuf::from(nginx::NGINX),
        nchan_module: PathBuf::from(nchan::NCHAN_MODULE),
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
            "--peer" => match v.as_str() {
                "nchan" => a.nchan = true,
                "none" => a.nchan = false,
                other => panic!("--peer is `nchan` or `none`, not `{other}`"),
            },
            "--nginx" => a.nginx = v.into(),
            "--nchan-module" => a.nchan_module = v.into(),
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

/// An nchan EventSource subscription.
async fn open_eventsource(client: &reqwest::Client, url: &str) -> reqwest::Response {
    let resp = client
        .get(url)
        .header("Accept", "text/event-stream")
        .send()
        .await
        .expect("subscribe");
    assert!(
        resp.status().is_success(),
        "subscription refused: {}",
        resp.status()
    );
    resp
}

/// What is measured: the server, or nchan in its place. Only how to subscribe, where to
/// publish, how to hold an idle stream and which processes to read differ; [`measure`] does the
/// rest the same way for both.
enum Target {
    /// The server binary.
    Threadline {
        /// The running server.
        server: common::RunningServer,
        /// One session per prepared agent: subscriber `i` is agent `i`.
        agent_tokens: Vec<String>,
        /// "`SQLite`" or "PostgreSQL", for the tables.
        database: &'static str,
    },
    /// nginx with nchan.
    Nchan(nginx::Nginx),
}

/// Where one subscriber's messages are sent, and as whom.
#[derive(Clone)]
struct Publisher {
    /// The POST's URL.
    url: String,
    /// The visitor's token on the server; none on nchan.
    bearer: Option<String>,
}

impl Target {
    /// The name in the tables.
    fn name(&self) -> String {
        match self {
            Target::Threadline { database, .. } => format!("Threadline ({database})"),
            Target::Nchan(_) => "nchan".to_owned(),
        }
    }

    /// The process whose CPU time counts: the server; nginx's one worker.
    fn cpu_pid(&self) -> u32 {
        match self {
            Target::Threadline { server, .. } => server.child.id().expect("server pid"),
            Target::Nchan(nginx) => nginx.worker(),
        }
    }

    /// The resident memory that counts, in KiB: the server's; nginx's master's + worker's.
    fn rss_kib(&self) -> u64 {
        match self {
            Target::Threadline { .. } => rss_kib(self.cpu_pid()),
            Target::Nchan(nginx) => rss_kib(nginx.master()) + rss_kib(nginx.worker()),
        }
    }

    /// Subscriber `i`'s stream, open, and where its messages are published. On the server:
    /// agent `i` takes a new visitor's chat and opens their event stream, the visitor publishes.
    async fn subscribe(
        &self,
        client: &reqwest::Client,
        i: usize,
    ) -> (reqwest::Response, Publisher) {
        match self {
            Target::Threadline {
                server,
                agent_tokens,
                ..
            } => {
                let base = &server.base;
                let token = &agent_tokens[i];
                let (visitor, stream) =
                    threadline::agent_with_chat(client, base, token, &format!("Load Visitor {i}"))
                        .await;
                let publisher = Publisher {
                    url: format!("{base}/api/visitor/messages"),
                    bearer: Some(visitor),
                };
                (stream, publisher)
            }
            Target::Nchan(nginx) => {
                let channel = format!("agent{i}");
                let stream = open_eventsource(client, &nchan::subscribe_url(nginx, &channel)).await;
                let publisher = Publisher {
                    url: nchan::publish_url(nginx, &channel),
                    bearer: None,
                };
                (stream, publisher)
            }
        }
    }

    /// Idle stream `i`, open: a new visitor's event stream on the server, a subscriber on a
    /// channel of its own on nchan.
    async fn open_idle(&self, client: &reqwest::Client, i: usize) -> reqwest::Response {
        match self {
            Target::Threadline { server, .. } => {
                let base = &server.base;
                let (visitor, _) =
                    threadline::visitor_session(client, base, &format!("Idle {i}")).await;
                threadline::open_stream(
                    client,
                    base,
                    "/api/visitor/events/ticket",
                    "/api/visitor/events",
                    &visitor,
                    None,
                )
                .await
                .expect("visitor stream")
            }
            Target::Nchan(nginx) => {
                open_eventsource(client, &nchan::subscribe_url(nginx, &format!("idle{i}"))).await
            }
        }
    }

    /// Stops the process(es) and waits for them.
    async fn stop(self) {
        match self {
            Target::Threadline { mut server, .. } => {
                let _ = server.child.kill().await;
            }
            Target::Nchan(nginx) => drop(nginx),
        }
    }
}

/// One target's results.
struct Figures {
    /// [`Target::name`].
    name: String,
    /// POST → stream latency in ms: p50, p95, p99, max.
    latency: [f64; 4],
    /// CPU time per acknowledged message, µs.
    cpu_per_message_us: f64,
    /// Resident memory per idle stream, bytes (`None` with `--idle 0`).
    idle_bytes_per_stream: Option<f64>,
}

/// A client with its own connection pool (one per target, so neither reuses the other's).
fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .pool_max_idle_per_host(4096)
        .build()
        .expect("client")
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
    let agent_tokens = threadline::prepare_agents(&url, a.agents).await;
    let server_client = client();
    let server = common::start_server(&url, &server_client).await;
    let database = if url.starts_with("postgres") {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    let threadline = Target::Threadline {
        server,
        agent_tokens,
        database,
    };
    let mut figures = vec![measure(&threadline, &server_client, &a).await];
    threadline.stop().await;

    if a.nchan {
        // Every subscriber and idle stream, plus room for the publishers' connections.
        let connections = a.agents + a.idle + 4096;
        let nginx = nchan::start(&a.nginx, &a.nchan_module, connections).await;
        let peer = Target::Nchan(nginx);
        figures.push(measure(&peer, &client(), &a).await);
        peer.stop().await;
    }
    print_table(&figures);
}

/// The latency, CPU and idle-stream measurement on `target`, printing as it goes.
async fn measure(target: &Target, client: &reqwest::Client, a: &Args) -> Figures {
    let name = target.name();
    println!(
        "\n-- {name}: pid {}, RSS at start {} MiB",
        target.cpu_pid(),
        target.rss_kib() / 1024
    );

    // Latency: subscribers with a stream each, messages spread over them.
    let sent_at: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
    let delivered: Arc<Mutex<Vec<Delivery>>> = Arc::default();
    let mut publishers = Vec::with_capacity(a.agents);
    for i in 0..a.agents {
        let (stream, publisher) = target.subscribe(client, i).await;
        tokio::spawn(read_deliveries(stream, sent_at.clone(), delivered.clone()));
        publishers.push(publisher);
    }
    println!(
        "{} subscribers connected; RSS {} MiB",
        a.agents,
        target.rss_kib() / 1024
    );
    let acks: Arc<Mutex<Vec<f64>>> = Arc::default();
    let errors = Arc::new(AtomicU64::new(0));
    let error_kinds: Arc<Mutex<HashMap<String, u64>>> = Arc::default();
    let total = a.rate * a.seconds;
    let interval = Duration::from_secs_f64(1.0 / a.rate as f64);
    let cpu_pid = target.cpu_pid();
    let cpu_start = common::cpu_seconds(cpu_pid);
    let start = Instant::now();
    // The wall clock at the first message, to match the times below with other logs (the
    // database's, say).
    println!(
        "sending from {:.3} s after the Unix epoch",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64())
    );
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut handles = Vec::with_capacity(total as usize);
    for n in 0..total {
        ticker.tick().await;
        let publisher = publishers[(n as usize) % publishers.len()].clone();
        let (client, sent_at, acks, errors, error_kinds) = (
            client.clone(),
            sent_at.clone(),
            acks.clone(),
            errors.clone(),
            error_kinds.clone(),
        );
        handles.push(tokio::spawn(async move {
            let cid = format!("load-{n:012}");
            let t0 = Instant::now();
            sent_at.lock().expect("lock").insert(cid.clone(), t0);
            let mut request = client
                .post(&publisher.url)
                .json(&json!({"client_id": cid, "text": "How long does delivery take?"}));
            if let Some(bearer) = &publisher.bearer {
                request = request.bearer_auth(bearer);
            }
            match request.send().await {
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
    let cpu_used = common::cpu_seconds(cpu_pid) - cpu_start;
    let deliveries = delivered.lock().expect("lock").clone();
    let mut lat: Vec<f64> = deliveries.iter().map(|d| d.ms).collect();
    lat.sort_by(f64::total_cmp);
    let mut ack = acks.lock().expect("lock").clone();
    ack.sort_by(f64::total_cmp);
    println!(
        "messages: {} sent in {offered:.1} s ({:.0}/s), {} acknowledged, {} errors, {} not delivered to the subscriber",
        total,
        total as f64 / offered,
        ack.len(),
        errors.load(Ordering::Relaxed),
        sent_at.lock().expect("lock").len()
    );
    for (kind, n) in error_kinds.lock().expect("lock").iter() {
        println!("  {n} × {kind}");
    }
    let latency = [
        common::percentile(&lat, 50.0),
        common::percentile(&lat, 95.0),
        common::percentile(&lat, 99.0),
        lat.last().copied().unwrap_or(f64::NAN),
    ];
    println!(
        "POST → subscriber's stream (ms): p50 {:.2}  p95 {:.2}  p99 {:.2}  max {:.2}",
        latency[0], latency[1], latency[2], latency[3]
    );
    let cpu_per_message_us = cpu_used * 1e6 / ack.len().max(1) as f64;
    println!(
        "CPU (pid {cpu_pid}): {cpu_used:.2} s for {} messages = {cpu_per_message_us:.0} µs per message ({:.2} cores busy)",
        ack.len(),
        cpu_used / offered.max(f64::EPSILON)
    );
    println!(
        "POST acknowledged (ms):           p50 {:.2}  p95 {:.2}  p99 {:.2}",
        common::percentile(&ack, 50.0),
        common::percentile(&ack, 95.0),
        common::percentile(&ack, 99.0)
    );
    print_slow_deliveries(&name, &deliveries, start);

    // Idle streams: on the server, visitors that opened the widget and wait.
    let mut idle_bytes_per_stream = None;
    if a.idle > 0 {
        let rss_before = target.rss_kib();
        let mut held = Vec::with_capacity(a.idle);
        for i in 0..a.idle {
            held.push(target.open_idle(client, i).await);
        }
        // Let the last streams' buffers settle before reading the memory.
        tokio::time::sleep(Duration::from_secs(2)).await;
        let rss_after = target.rss_kib();
        let per_stream = rss_after.saturating_sub(rss_before) as f64 * 1024.0 / held.len() as f64;
        println!(
            "idle streams: {} open; RSS {} MiB → {} MiB ({:.1} KiB per stream)",
            held.len(),
            rss_before / 1024,
            rss_after / 1024,
            per_stream / 1024.0
        );
        idle_bytes_per_stream = Some(per_stream);
        drop(held);
    }
    Figures {
        name,
        latency,
        cpu_per_message_us,
        idle_bytes_per_stream,
    }
}

/// Reads a stream's events until it ends; for each `data:` line naming a `client_id` sent by
/// this benchmark, records the time since its POST started. The same reader for both targets:
/// the server's message event and nchan's published body both hold `"client_id":"…"`.
async fn read_deliveries(
    stream: reqwest::Response,
    sent_at: Arc<Mutex<HashMap<String, Instant>>>,
    delivered: Arc<Mutex<Vec<Delivery>>>,
) {
    let mut lines = threadline::stream_lines(stream);
    while let Ok(Some(line)) = lines.next_line().await {
        let Some(data) = line.strip_prefix("data: ") else {
            continue;
        };
        let Some(cid) = threadline::client_id_of(data) else {
            continue;
        };
        if let Some(t0) = sent_at.lock().expect("lock").remove(cid) {
            delivered.lock().expect("lock").push(Delivery {
                sent: t0,
                ms: t0.elapsed().as_secs_f64() * 1000.0,
            });
        }
    }
}

/// Both targets' figures in one table, then the ratio of the first (the server) to the second
/// (nchan), when there is one.
fn print_table(figures: &[Figures]) {
    println!(
        "\n{:<24} {:>8} {:>8} {:>8} {:>8} {:>12} {:>14}",
        "", "p50 ms", "p95 ms", "p99 ms", "max ms", "CPU/msg µs", "idle B/stream"
    );
    for f in figures {
        println!(
            "{:<24} {:>8.2} {:>8.2} {:>8.2} {:>8.2} {:>12.0} {:>14}",
            f.name,
            f.latency[0],
            f.latency[1],
            f.latency[2],
            f.latency[3],
            f.cpu_per_message_us,
            f.idle_bytes_per_stream
                .map_or_else(|| "-".to_owned(), |b| format!("{b:.0}"))
        );
    }
    let [ours, peer] = figures else {
        return;
    };
    println!(
        "ratio Threadline ÷ nchan: p50 {:.1}, p95 {:.1}, p99 {:.1}, max {:.1}, CPU/msg {:.1}",
        ours.latency[0] / peer.latency[0],
        ours.latency[1] / peer.latency[1],
        ours.latency[2] / peer.latency[2],
        ours.latency[3] / peer.latency[3],
        ours.cpu_per_message_us / peer.cpu_per_message_us
    );
    if let (Some(a), Some(b)) = (ours.idle_bytes_per_stream, peer.idle_bytes_per_stream) {
        println!(
            "ratio Threadline ÷ nchan, idle: per-stream bytes {:.1}",
            a / b
        );
    }
}
