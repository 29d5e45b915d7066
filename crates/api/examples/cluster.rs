//! Two server instances on one PostgreSQL database behind nginx, one of them killed mid-run
//! (`cargo xtask bench cluster` runs it in release mode).
//!
//! - nginx (Debian's, no module) balances over instances A and B with the proxy settings of
//!   `deploy/nginx/proxy.conf`: agents' requests go to A first, visitors' (`/api/visitor/`) to
//!   B first, each with the other instance as its backup. Nothing is sticky: any instance
//!   serves any client, since sessions, tickets and the event log are in the database.
//! - `--agents` agents (2,000) each take a new visitor's chat through nginx and hold their
//!   event stream (on A); `--rate` visitor messages a second (1,000) for `--seconds` go through
//!   nginx (to B), spread over the chats. Each one crosses instances: committed on B, woken on
//!   A by `NOTIFY`, read from the event log and pushed down the agent's stream.
//! - After `--kill-after` seconds A is killed (SIGKILL). Every agent's stream breaks; each
//!   client asks nginx for a new ticket and stream, which B serves, sending the id of the last
//!   event it had (`Last-Event-ID`); B replays what it missed.
//!
//! It prints the cross-instance latency (POST start → the agent's stream) before the kill (and,
//! as `load` does, its deliveries over 10 ms by the tenth of a second they were sent in), the
//! reconnection times, the latency of the messages sent around and after the kill, and then
//! checks every acknowledged message: delivered to its agent exactly once (no gap, no
//! duplicate), no `resync`. A gap or a duplicate fails the run (exit status 1).
//!
//! Run: `cargo run --release -p threadline-api --example cluster -- --database-url
//! postgres://postgres@127.0.0.1:5432/<fresh database>`.
//!
//! # Layout
//! - [`main`]: the database, the two instances, nginx, the agents, the run, the report.
//! - [`Agent`] / [`follow`]: one agent's stream, read and reconnected until the run ends.
//! - [`send`]: the visitors' messages at the rate, killing A on time.
//! - [`Deliveries`]: what every stream received, and the checks over it.

// Statistics over counts and durations: float conversions are the point here.
#![allow(
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss
)]

mod common;
#[path = "load/nginx.rs"]
mod nginx;
#[path = "load/slow.rs"]
mod slow;
#[path = "load/threadline.rs"]
mod threadline;

use nginx::{Nginx, Site};
use serde_json::json;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The command line.
struct Args {
    /// Agents, each with one chat and a stream.
    agents: usize,
    /// Visitor messages a second.
    rate: u64,
    /// How long messages are sent.
    seconds: u64,
    /// When A is killed, in seconds after the first message.
    kill_after: u64,
    /// The PostgreSQL database both instances share (fresh: agents are created in it).
    database_url: String,
    /// The nginx binary.
    nginx: PathBuf,
}

fn args() -> Args {
    let mut a = Args {
        agents: 2000,
        rate: 1000,
        seconds: 20,
        kill_after: 10,
        database_url: String::new(),
        nginx: PathBuf::from(nginx::NGINX),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let v = it.next().unwrap_or_default();
        match flag.as_str() {
            "--agents" => a.agents = v.parse().unwrap_or(a.agents),
            "--rate" => a.rate = v.parse().unwrap_or(a.rate),
            "--seconds" => a.seconds = v.parse().unwrap_or(a.seconds),
            "--kill-after" => a.kill_after = v.parse().unwrap_or(a.kill_after),
            "--database-url" => a.database_url = v,
            "--nginx" => a.nginx = v.into(),
            other => eprintln!("ignoring unknown flag {other}"),
        }
    }
    assert!(
        a.database_url.starts_with("postgres"),
        "--database-url must name a fresh PostgreSQL database: instances share only PostgreSQL"
    );
    assert!(
        a.kill_after < a.seconds,
        "--kill-after must be below --seconds"
    );
    a
}

/// nginx in front of the two instances: agents to `a` first, visitors to `b` first.
fn balancer(a: &str, b: &str, connections: usize) -> Site {
    let proxy = concat!(env!("CARGO_MANIFEST_DIR"), "/../../deploy/nginx/proxy.conf");
    let (a, b) = (
        a.trim_start_matches("http://"),
        b.trim_start_matches("http://"),
    );
    Site {
        module: None,
        http: format!(
            "    upstream agents {{ server {a} max_fails=3 fail_timeout=5s; server {b} backup; keepalive 256; keepalive_timeout 5s; }}
    upstream visitors {{ server {b} max_fails=3 fail_timeout=5s; server {a} backup; keepalive 256; keepalive_timeout 5s; }}"
        ),
        server: format!(
            "        include {proxy};
        location /api/visitor/ {{ proxy_pass http://visitors; }}
        location / {{ proxy_pass http://agents; }}"
        ),
        connections,
    }
}

/// Every message: when its POST started, whose chat it is in, and what reached the agents.
#[derive(Default)]
struct Deliveries {
    /// client id → (POST start, agent index), from before the POST.
    sent: HashMap<String, (Instant, usize)>,
    /// client ids acknowledged (2xx).
    acknowledged: Vec<String>,
    /// client id → (agent index, time of first delivery, times delivered).
    delivered: HashMap<String, (usize, Instant, u32)>,
    /// `resync` events received (a replay the log could not give: a gap).
    resyncs: u64,
}

/// One agent's stream, followed until `done`.
struct Agent {
    /// Index (also of its visitor).
    index: usize,
    /// Its bearer token.
    token: String,
    /// nginx's address.
    base: String,
}

/// Reconnection times, from the kill to the stream open again on the other instance.
type Reconnects = Arc<Mutex<Vec<f64>>>;

/// Reads `agent`'s stream; when it breaks, asks nginx for a new one after the last event id
/// seen, until `done`. Records deliveries, and how long each reconnection took after `killed`.
async fn follow(
    agent: Agent,
    client: reqwest::Client,
    first: reqwest::Response,
    deliveries: Arc<Mutex<Deliveries>>,
    reconnects: Reconnects,
    killed: Arc<Mutex<Option<Instant>>>,
    done: Arc<AtomicBool>,
) {
    let mut stream = first;
    let mut last_id: Option<i64> = None;
    loop {
        let mut lines = threadline::stream_lines(stream);
        let (mut name, mut data, mut id) = (String::new(), String::new(), None);
        while let Ok(Some(line)) = lines.next_line().await {
            if let Some(v) = line.strip_prefix("event:") {
                v.trim().clone_into(&mut name);
            } else if let Some(v) = line.strip_prefix("data:") {
                v.trim().clone_into(&mut data);
            } else if let Some(v) = line.strip_prefix("id:") {
                id = v.trim().parse().ok();
            } else if line.is_empty() {
                record(&agent, &name, &data, &deliveries);
                last_id = id.or(last_id);
                (name, data, id) = (String::new(), String::new(), None);
            }
        }
        if done.load(Ordering::Relaxed) {
            return;
        }
        // The stream broke: a new ticket and stream through nginx, until one opens.
        let mut pause = Duration::from_millis(20);
        stream = loop {
            match threadline::open_agent_stream(&client, &agent.base, &agent.token, last_id).await {
                Ok(s) => break s,
                Err(_) if done.load(Ordering::Relaxed) => return,
                Err(_) => {
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(Duration::from_millis(500));
                }
            }
        };
        if let Some(at) = *killed.lock().expect("lock") {
            reconnects
                .lock()
                .expect("lock")
                .push(at.elapsed().as_secs_f64() * 1000.0);
        }
    }
}

/// One event of `agent`'s stream: a message of this run's is a delivery; `resync` is a gap.
fn record(agent: &Agent, name: &str, data: &str, deliveries: &Mutex<Deliveries>) {
    if name == "resync" {
        deliveries.lock().expect("lock").resyncs += 1;
        return;
    }
    let Some(cid) = threadline::client_id_of(data) else {
        return;
    };
    let mut d = deliveries.lock().expect("lock");
    if !d.sent.contains_key(cid) {
        return;
    }
    d.delivered
        .entry(cid.to_owned())
        .and_modify(|(_, _, n)| *n += 1)
        .or_insert((agent.index, Instant::now(), 1));
}

/// The two server instances, both on the same database.
struct Instances {
    /// A (agents), killed mid-run.
    a: common::RunningServer,
    /// B (visitors), up throughout.
    b: common::RunningServer,
}

#[tokio::main]
async fn main() {
    let a = args();
    // The client's and nginx's (which inherits the limit) descriptors: streams and sends on
    // both sides of nginx, with room for the sends that pile up while an instance is down.
    // Root may raise the hard limit too; anyone else gets what the hard limit allows.
    let wanted = a.agents as u64 * 8 + 100_000;
    if rlimit::setrlimit(rlimit::Resource::NOFILE, wanted, wanted).is_err() {
        let _ = rlimit::increase_nofile_limit(wanted);
    }
    let descriptors = rlimit::getrlimit(rlimit::Resource::NOFILE).map_or(1024, |(soft, _)| soft);
    let tokens = threadline::prepare_agents(&a.database_url, a.agents).await;
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(4096)
        .build()
        .expect("client");
    let mut instances = Instances {
        a: common::start_server(&a.database_url, &client).await,
        b: common::start_server(&a.database_url, &client).await,
    };
    // Each agent's stream holds a client and an upstream connection, and so does each send in
    // flight: thousands of them pile up while the streams reconnect after the kill.
    let lb = Nginx::start(
        &a.nginx,
        &balancer(
            &instances.a.base,
            &instances.b.base,
            (a.agents * 2 + 40_000).min(descriptors.saturating_sub(256) as usize),
        ),
    )
    .await;
    let base = lb.base().to_owned();
    println!(
        "instance A {} (agents), instance B {} (visitors), nginx {base} (pids {} and {})",
        instances.a.base,
        instances.b.base,
        lb.master(),
        lb.worker()
    );

    let deliveries: Arc<Mutex<Deliveries>> = Arc::default();
    let reconnects: Reconnects = Arc::default();
    let killed: Arc<Mutex<Option<Instant>>> = Arc::default();
    let done = Arc::new(AtomicBool::new(false));
    let mut visitors = Vec::with_capacity(a.agents);
    for (index, token) in tokens.into_iter().enumerate() {
        let (visitor, stream) = threadline::agent_with_chat(
            &client,
            &base,
            &token,
            &format!("Cluster Visitor {index}"),
        )
        .await;
        let agent = Agent {
            index,
            token,
            base: base.clone(),
        };
        tokio::spawn(follow(
            agent,
            client.clone(),
            stream,
            deliveries.clone(),
            reconnects.clone(),
            killed.clone(),
            done.clone(),
        ));
        visitors.push(visitor);
    }
    println!("{} agents hold a stream on A through nginx", a.agents);

    let cpu = send(
        &a,
        &client,
        &base,
        &visitors,
        &deliveries,
        &killed,
        &mut instances,
    )
    .await;
    // Wait for the last deliveries (and replays), then end the streams' reconnecting.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let missing = {
            let d = deliveries.lock().expect("lock");
            d.acknowledged
                .iter()
                .filter(|c| !d.delivered.contains_key(*c))
                .count()
        };
        if missing == 0 || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    done.store(true, Ordering::Relaxed);
    let kill_at = killed.lock().expect("lock").expect("A was killed");
    let ok = report(&a, &deliveries, &reconnects, kill_at, &cpu);
    drop(lb);
    drop(instances);
    std::process::exit(i32::from(!ok));
}

/// CPU seconds each instance used from the first message to the kill, and the messages
/// acknowledged meanwhile.
struct Cpu {
    /// A's.
    a: f64,
    /// B's.
    b: f64,
    /// Acknowledged before the kill.
    messages: usize,
}

/// Sends `rate` messages a second for `seconds` through nginx, killing A after `kill_after`.
async fn send(
    a: &Args,
    client: &reqwest::Client,
    base: &str,
    visitors: &[String],
    deliveries: &Arc<Mutex<Deliveries>>,
    killed: &Arc<Mutex<Option<Instant>>>,
    instances: &mut Instances,
) -> Cpu {
    let pid = |s: &common::RunningServer| s.child.id().expect("instance pid");
    let (pid_a, pid_b) = (pid(&instances.a), pid(&instances.b));
    let (cpu_a, cpu_b) = (common::cpu_seconds(pid_a), common::cpu_seconds(pid_b));
    let failures: Arc<Mutex<HashMap<String, u64>>> = Arc::default();
    let total = a.rate * a.seconds;
    let kill_at_message = a.rate * a.kill_after;
    let mut ticker = tokio::time::interval(Duration::from_secs_f64(1.0 / a.rate as f64));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut cpu = None;
    let mut handles = Vec::with_capacity(total as usize);
    let start = Instant::now();
    for n in 0..total {
        ticker.tick().await;
        if n == kill_at_message {
            let messages = deliveries.lock().expect("lock").acknowledged.len();
            cpu = Some(Cpu {
                a: common::cpu_seconds(pid_a) - cpu_a,
                b: common::cpu_seconds(pid_b) - cpu_b,
                messages,
            });
            instances.a.child.start_kill().expect("kill A");
            *killed.lock().expect("lock") = Some(Instant::now());
            println!("A killed (SIGKILL) after {n} messages");
        }
        let index = (n as usize) % visitors.len();
        let visitor = visitors[index].clone();
        let (client, deliveries, failures) = (client.clone(), deliveries.clone(), failures.clone());
        let url = format!("{base}/api/visitor/messages");
        handles.push(tokio::spawn(async move {
            let cid = format!("cluster-{n:012}");
            deliveries
                .lock()
                .expect("lock")
                .sent
                .insert(cid.clone(), (Instant::now(), index));
            // As the widget does: a send that got no answer or an error is sent again with the
            // same client id (which stores one message), until it is acknowledged.
            let give_up = Instant::now() + Duration::from_secs(30);
            let mut pause = Duration::from_millis(200);
            loop {
                let answer = client
                    .post(&url)
                    .bearer_auth(&visitor)
                    .json(&json!({"client_id": cid, "text": "Is anyone there?"}))
                    .send()
                    .await;
                let failure = match answer {
                    Ok(r) if r.status().is_success() => {
                        deliveries.lock().expect("lock").acknowledged.push(cid);
                        return;
                    }
                    Ok(r) => format!("HTTP {}", r.status()),
                    Err(e) if e.is_timeout() => "timeout".to_owned(),
                    Err(e) if e.is_connect() => "connect".to_owned(),
                    Err(e) => {
                        let mut text = e.to_string();
                        let mut source = std::error::Error::source(&e);
                        while let Some(cause) = source {
                            text = format!("{text}: {cause}");
                            source = cause.source();
                        }
                        text
                    }
                };
                *failures.lock().expect("lock").entry(failure).or_insert(0) += 1;
                if Instant::now() > give_up {
                    return;
                }
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_secs(5));
            }
        }));
    }
    for h in handles {
        let _ = h.await;
    }
    let elapsed = start.elapsed().as_secs_f64();
    let acknowledged = deliveries.lock().expect("lock").acknowledged.len() as u64;
    println!(
        "{total} messages sent in {elapsed:.1} s ({:.0}/s), {} never acknowledged",
        total as f64 / elapsed,
        total - acknowledged
    );
    for (kind, n) in failures.lock().expect("lock").iter() {
        println!("  {n} sends answered {kind}, then sent again");
    }
    cpu.expect("the kill happened")
}

/// Prints the figures and the checks; whether every acknowledged message reached its agent
/// exactly once.
fn report(
    a: &Args,
    deliveries: &Mutex<Deliveries>,
    reconnects: &Reconnects,
    kill_at: Instant,
    cpu: &Cpu,
) -> bool {
    let d = deliveries.lock().expect("lock");
    let (mut before, mut around) = (Vec::new(), Vec::new());
    let (mut gaps, mut duplicates, mut wrong_agent) = (0, 0, 0);
    for cid in &d.acknowledged {
        let (t0, index) = d.sent[cid];
        match d.delivered.get(cid) {
            None => gaps += 1,
            Some(&(agent, at, times)) => {
                if times > 1 {
                    duplicates += 1;
                }
                if agent != index {
                    wrong_agent += 1;
                }
                let ms = at.duration_since(t0).as_secs_f64() * 1000.0;
                if at < kill_at {
                    before.push(slow::Delivery { sent: t0, ms });
                } else {
                    around.push(ms);
                }
            }
        }
    }
    let mut before_ms: Vec<f64> = before.iter().map(|d| d.ms).collect();
    before_ms.sort_by(f64::total_cmp);
    around.sort_by(f64::total_cmp);
    let mut back = reconnects.lock().expect("lock").clone();
    back.sort_by(f64::total_cmp);
    let line = |what: &str, v: &[f64]| {
        println!(
            "{what:<44} {:>6}  p50 {:>8.2}  p95 {:>8.2}  p99 {:>8.2}  max {:>8.2}",
            v.len(),
            common::percentile(v, 50.0),
            common::percentile(v, 95.0),
            common::percentile(v, 99.0),
            v.last().copied().unwrap_or(f64::NAN)
        );
    };
    println!(
        "\ncluster: 2 instances on PostgreSQL behind nginx, {} agents, {} msg/s for {} s, A killed after {} s",
        a.agents, a.rate, a.seconds, a.kill_after
    );
    println!("{:<44} {:>6}  (ms)", "", "count");
    line("B → A, POST → agent's stream, before the kill", &before_ms);
    if let Some(start) = d.sent.values().map(|s| s.0).min() {
        slow::print_slow_deliveries("B → A, before the kill", &before, start);
    }
    line("streams reopened on B, after the kill", &back);
    line("delivered after the kill (replayed or live)", &around);
    println!(
        "CPU before the kill: A {:.0} µs + B {:.0} µs per message ({} messages)",
        cpu.a * 1e6 / cpu.messages.max(1) as f64,
        cpu.b * 1e6 / cpu.messages.max(1) as f64,
        cpu.messages
    );
    println!(
        "acknowledged {}, delivered {}, gaps {gaps}, duplicates {duplicates}, to the wrong agent {wrong_agent}, resync {}",
        d.acknowledged.len(),
        d.delivered.len(),
        d.resyncs
    );
    let ok = gaps == 0 && duplicates == 0 && wrong_agent == 0 && d.resyncs == 0;
    println!(
        "{}",
        if ok {
            "every acknowledged message reached its agent exactly once"
        } else {
            "FAILED: a message was lost, repeated or misrouted"
        }
    );
    ok
}
