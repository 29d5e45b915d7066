//! Reports benchmark (`cargo xtask bench reports` runs it in release mode).
//!
//! Fills a fresh database with `--interactions` interactions (100,000 by default) of
//! `--per-interaction` messages each (10: 1,000,000 messages), spread over the past year among
//! 20 agents and 10,000 contacts, with handle-time segments, queue waits, endings, Done and
//! dispositions, written with multi-row `INSERT`s in large transactions (the schema's own
//! triggers and indexes included). Then it starts the real server binary on that database and
//! times `GET /api/reports` over loopback HTTP, one request at a time, for every grouping over
//! the whole year and over the last 30 days: wall time from sending the request to reading the
//! whole body (p50/p95/max), and the server process's CPU time per report (on PostgreSQL the
//! query itself runs in the database server, so that CPU is not in this figure).
//!
//! Run: `cargo run --release -p threadline-api --example reports` (`--database-url
//! postgres://…` for PostgreSQL: an empty database; `--explain` prints the query plan of the
//! year's per-agent report first).

// Statistics over counts and durations: float conversions are the point here.
#![allow(
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::cast_possible_wrap
)]

mod common;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sqlx::AnyPool;
use std::time::Instant;
use threadline_api::auth::hash_password;
use threadline_api::store::{report_sql, Store};
use threadline_api::Config;
use wire::reports::{Report, ReportGroup, DAY_MS};
use wire::{AgentId, Channel};

struct Args {
    interactions: usize,
    per_interaction: usize,
    contacts: usize,
    agents: usize,
    runs: usize,
    explain: bool,
    database_url: Option<String>,
}

fn args() -> Args {
    let mut a = Args {
        interactions: 100_000,
        per_interaction: 10,
        contacts: 10_000,
        agents: 20,
        runs: 7,
        explain: false,
        database_url: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        if flag == "--explain" {
            a.explain = true;
            continue;
        }
        let v = it.next().unwrap_or_default();
        match flag.as_str() {
            "--interactions" => a.interactions = v.parse().unwrap_or(a.interactions),
            "--per-interaction" => a.per_interaction = v.parse().unwrap_or(a.per_interaction),
            "--contacts" => a.contacts = v.parse().unwrap_or(a.contacts),
            "--agents" => a.agents = v.parse().unwrap_or(a.agents),
            "--runs" => a.runs = v.parse().unwrap_or(a.runs),
            "--database-url" => a.database_url = Some(v),
            other => eprintln!("ignoring unknown flag {other}"),
        }
    }
    a.contacts = a.contacts.max(1);
    a.agents = a.agents.max(1);
    a.per_interaction = a.per_interaction.max(2);
    a.runs = a.runs.max(1);
    a
}

/// Rows per multi-row `INSERT`, well under both backends' limits on bound values.
const ROWS_PER_INSERT: usize = 500;
/// Interactions per transaction.
const INTERACTIONS_PER_TX: usize = 5_000;
const MIN: i64 = 60_000;

/// `rows` groups of `width` placeholders, numbered from `$1`.
fn values(rows: usize, width: usize) -> String {
    (0..rows)
        .map(|r| {
            let cells: Vec<String> = (1..=width).map(|k| format!("${}", r * width + k)).collect();
            format!("({})", cells.join(", "))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// A value bound into a bulk insert.
#[derive(Clone)]
enum V {
    I(i64),
    /// An integer `NULL` (PostgreSQL checks the type of a bound `NULL` too).
    N,
    T(String),
    /// A text `NULL`.
    NT,
}

/// Inserts `rows` (each `width` values) into `table (columns)`, `ROWS_PER_INSERT` at a time.
async fn insert_rows(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    table: &str,
    columns: &str,
    width: usize,
    rows: &[Vec<V>],
) {
    for chunk in rows.chunks(ROWS_PER_INSERT) {
        let sql = format!(
            "INSERT INTO {table} ({columns}) VALUES {}",
            values(chunk.len(), width)
        );
        let mut q = sqlx::query(&sql);
        for row in chunk {
            for v in row {
                q = match v {
                    V::I(i) => q.bind(*i),
                    V::N => q.bind(None::<i64>),
                    V::NT => q.bind(None::<String>),
                    V::T(t) => q.bind(t.clone()),
                };
            }
        }
        q.execute(&mut **tx).await.expect("insert");
    }
}

/// The rows of one generated interaction.
struct Generated {
    interaction: Vec<V>,
    messages: Vec<Vec<V>>,
    segments: Vec<Vec<V>>,
}

const DISPOSITIONS: [Option<&str>; 6] = [
    Some("resolved"),
    Some("resolved"),
    Some("follow_up"),
    Some("escalated"),
    Some("no_response"),
    None,
];

/// Interaction `id` of contact `contact`, created at `at`; `seq` is the contact's next `seq`.
fn generate(
    id: i64,
    contact: i64,
    at: i64,
    seq: &mut i64,
    agents: &[AgentId],
    per: usize,
    rng: &mut StdRng,
) -> Generated {
    let agent = agents[rng.gen_range(0..agents.len())].0;
    let channel = Channel::ALL[rng.gen_range(0..Channel::ALL.len())].as_str();
    let queued = rng.gen_bool(0.9);
    let accepted = rng.gen_bool(0.98).then(|| {
        at + if queued {
            rng.gen_range(0..10 * MIN)
        } else {
            0
        }
    });
    let ended = accepted
        .filter(|_| rng.gen_bool(0.97))
        .map(|a| a + rng.gen_range(5 * MIN..40 * MIN));
    let done = ended
        .filter(|_| rng.gen_bool(0.95))
        .map(|e| e + rng.gen_range(0..5 * MIN));
    let disposition = done.and_then(|_| DISPOSITIONS[rng.gen_range(0..DISPOSITIONS.len())]);
    let state = match (accepted, ended, done) {
        (None, ..) => "queued",
        (_, _, Some(_)) => "done",
        (_, Some(_), None) => "ended",
        _ => "active",
    };
    let mut segments = Vec::new();
    let mut handle = 0;
    if let Some(a) = accepted {
        let end = ended.unwrap_or(a + 20 * MIN);
        let mid = a + (end - a) / 2;
        for (s, e) in [(a, mid - MIN), (mid, end)] {
            if e > s {
                handle += e - s;
                segments.push(vec![V::I(id), V::I(agent), V::I(s), V::I(e)]);
            }
        }
    }
    let interaction = vec![
        V::I(id),
        V::I(contact),
        V::T(channel.to_owned()),
        V::T(state.to_owned()),
        accepted.map_or(V::N, |_| V::I(agent)),
        V::I(at),
        if queued { V::I(at) } else { V::N },
        accepted.map_or(V::N, V::I),
        ended.map_or(V::N, V::I),
        done.map_or(V::N, V::I),
        disposition.map_or(V::NT, |d| V::T(d.to_owned())),
        V::I(handle),
    ];
    let mut messages = Vec::with_capacity(per);
    let start = accepted.unwrap_or(at);
    for k in 0..per {
        *seq += 1;
        // The contact opens; the system notes the accept; then agent and contact take turns.
        let (kind, who, when) = match k {
            0 => ("contact", None, at),
            1 if accepted.is_some() => ("system", None, start),
            _ if k % 2 == 0 && accepted.is_some() => {
                ("agent", Some(agent), start + (k as i64) * 30_000)
            }
            _ => ("contact", None, start + (k as i64) * 30_000),
        };
        let key = match (kind, who) {
            ("agent", Some(a)) => format!("agent:{a}"),
            ("system", _) => "system".to_owned(),
            _ => format!("contact:{contact}"),
        };
        messages.push(vec![
            V::I(contact),
            V::I(id),
            V::I(*seq),
            V::T(kind.to_owned()),
            who.map_or(V::N, V::I),
            V::T(key),
            V::T(format!("message {k} of chat {id}")),
            V::I(when),
        ]);
    }
    Generated {
        interaction,
        messages,
        segments,
    }
}

/// Fills the database; returns a supervisor's bearer token.
async fn fill(store: &Store, pool: &AnyPool, a: &Args, now: i64) -> String {
    let hash = hash_password("bench-password").expect("hash");
    let mut agents = Vec::new();
    for i in 0..a.agents {
        let login = format!("agent{i}");
        let name = format!("Agent {i:02}");
        let id = store
            .create_agent(&login, &name, &hash, 3, wire::Role::Agent)
            .await
            .expect("agent");
        agents.push(id);
    }
    let supervisor = store
        .create_agent("boss", "Boss", &hash, 3, wire::Role::Supervisor)
        .await
        .expect("supervisor");
    let token = common::session_token(store, supervisor).await;

    let t0 = Instant::now();
    let span = 365 * DAY_MS;
    let first = now - span;
    let mut tx = pool.begin().await.expect("begin");
    let contacts: Vec<Vec<V>> = (0..a.contacts)
        .map(|i| {
            vec![
                V::T("Customer".into()),
                V::T(format!("N{i}")),
                V::I(first),
                V::I(first),
            ]
        })
        .collect();
    insert_rows(
        &mut tx,
        "contacts",
        "first_name, last_name, last_activity_at, created_at",
        4,
        &contacts,
    )
    .await;
    tx.commit().await.expect("commit");
    let contact_ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM contacts ORDER BY id")
        .fetch_all(pool)
        .await
        .expect("contacts");
    let mut seqs = vec![0i64; contact_ids.len()];
    let mut rng = StdRng::seed_from_u64(15);
    let step = span / a.interactions.max(1) as i64;
    let mut messages = 0usize;
    for batch_start in (0..a.interactions).step_by(INTERACTIONS_PER_TX) {
        let (mut ints, mut msgs, mut segs) = (Vec::new(), Vec::new(), Vec::new());
        for i in batch_start..(batch_start + INTERACTIONS_PER_TX).min(a.interactions) {
            let c = rng.gen_range(0..contact_ids.len());
            let at = first + i as i64 * step + rng.gen_range(0..step.max(1));
            let g = generate(
                i as i64 + 1,
                contact_ids[c],
                at,
                &mut seqs[c],
                &agents,
                a.per_interaction,
                &mut rng,
            );
            ints.push(g.interaction);
            msgs.extend(g.messages);
            segs.extend(g.segments);
        }
        messages += msgs.len();
        let mut tx = pool.begin().await.expect("begin");
        insert_rows(
            &mut tx,
            "interactions",
            "id, contact_id, channel, state, agent_id, created_at, queued_at, accepted_at, ended_at, done_at, disposition, handle_time_ms",
            12,
            &ints,
        )
        .await;
        insert_rows(
            &mut tx,
            "messages",
            "contact_id, interaction_id, seq, author_kind, agent_id, author_key, text, created_at",
            8,
            &msgs,
        )
        .await;
        insert_rows(
            &mut tx,
            "handle_time_segments",
            "interaction_id, agent_id, started_at, ended_at",
            4,
            &segs,
        )
        .await;
        tx.commit().await.expect("commit");
    }
    let mut tx = pool.begin().await.expect("begin");
    sqlx::query(
        "UPDATE contacts SET last_seq = COALESCE((SELECT MAX(m.seq) FROM messages m WHERE m.contact_id = contacts.id), 0)",
    )
    .execute(&mut *tx)
    .await
    .expect("last_seq");
    if store.backend() == "postgres" {
        sqlx::query(
            "SELECT setval(pg_get_serial_sequence('interactions', 'id'), (SELECT MAX(id) FROM interactions))",
        )
        .execute(&mut *tx)
        .await
        .expect("sequence");
    }
    tx.commit().await.expect("commit");
    let secs = t0.elapsed().as_secs_f64();
    println!(
        "{} interactions, {messages} messages written in {secs:.1} s ({:.0} messages/s)",
        a.interactions,
        messages as f64 / secs
    );
    token
}

/// Prints the plan of the year's per-agent report.
async fn explain(pool: &AnyPool, postgres: bool, from: i64, to: i64) {
    let sql = report_sql(ReportGroup::Agent);
    let (prefix, column) = if postgres {
        ("EXPLAIN (ANALYZE, BUFFERS) ", 0)
    } else {
        ("EXPLAIN QUERY PLAN ", 3)
    };
    let rows = sqlx::query(&format!("{prefix}{sql}"))
        .bind(from)
        .bind(to)
        .bind(0i64)
        .bind(DAY_MS)
        .fetch_all(pool)
        .await
        .expect("explain");
    println!("plan of the year's per-agent report:");
    for row in rows {
        use sqlx::Row;
        let line: String = row.try_get(column).unwrap_or_default();
        println!("  {line}");
    }
}

#[tokio::main]
async fn main() {
    let a = args();
    let dir = tempfile::tempdir().expect("temp dir");
    let url = a
        .database_url
        .clone()
        .unwrap_or_else(|| Config::sqlite_url(&dir.path().join("reports.db")));
    let postgres = url.starts_with("postgres");
    println!(
        "database: {}; {} interactions of {} messages, {} contacts, {} agents",
        if postgres { "PostgreSQL" } else { "SQLite" },
        a.interactions,
        a.per_interaction,
        a.contacts,
        a.agents
    );
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    let store = Store::connect(&url).await.expect("database");
    let pool = AnyPool::connect(&url).await.expect("database");
    let token = fill(&store, &pool, &a, now).await;
    store.close().await;
    drop(store);
    if postgres {
        // A live database has been analysed by autovacuum long before it holds a million
        // messages; do it now rather than in the middle of the measurements.
        let t0 = Instant::now();
        sqlx::query("VACUUM ANALYZE")
            .execute(&pool)
            .await
            .expect("vacuum analyze");
        println!("VACUUM ANALYZE in {:.1} s", t0.elapsed().as_secs_f64());
    }
    let year = (now - 366 * DAY_MS, now + 1);
    let month = (now - 30 * DAY_MS, now + 1);
    if a.explain {
        explain(&pool, postgres, year.0, year.1).await;
    }
    pool.close().await;

    let client = reqwest::Client::new();
    let common::RunningServer {
        child: mut server,
        base,
    } = common::start_server(&url, &client).await;
    let pid = server.id().unwrap_or(0);
    println!("server: pid {pid}");

    println!(
        "\n{} runs of each report, one at a time (wall: ms from request to full body; CPU: ms of the server process per report):",
        a.runs
    );
    println!(
        "  {:<12} {:<7} {:>6} {:>9} {:>9} {:>9} {:>9} {:>9}",
        "group_by", "period", "rows", "chats", "p50", "p95", "max", "CPU"
    );
    let mut worst: f64 = 0.0;
    for (label, (from, to)) in [("year", year), ("30 days", month)] {
        for group in ReportGroup::ALL {
            let url = format!(
                "{base}/api/reports?from={from}&to={to}&group_by={}",
                group.as_str()
            );
            let once = || async {
                let t0 = Instant::now();
                let resp = client
                    .get(&url)
                    .bearer_auth(&token)
                    .send()
                    .await
                    .expect("report");
                let status = resp.status();
                let body = resp.bytes().await.expect("body");
                let ms = t0.elapsed().as_secs_f64() * 1000.0;
                assert!(
                    status.is_success(),
                    "{url}: {status} {}",
                    String::from_utf8_lossy(&body)
                );
                let report: Report = serde_json::from_slice(&body).expect("json");
                (ms, report)
            };
            // Warm-up (not counted): the connection, the statement, the pages.
            let (_, report) = once().await;
            let cpu0 = common::cpu_seconds(pid) * 1000.0;
            let mut wall = Vec::with_capacity(a.runs);
            for _ in 0..a.runs {
                wall.push(once().await.0);
            }
            let cpu = (common::cpu_seconds(pid) * 1000.0 - cpu0) / a.runs as f64;
            wall.sort_by(f64::total_cmp);
            let p95 = common::percentile(&wall, 95.0);
            worst = worst.max(p95);
            println!(
                "  {:<12} {:<7} {:>6} {:>9} {:>9.1} {:>9.1} {:>9.1} {:>9.1}",
                group.as_str(),
                label,
                report.rows.len(),
                report.totals.chats,
                common::percentile(&wall, 50.0),
                p95,
                wall.last().copied().unwrap_or(f64::NAN),
                cpu
            );
        }
    }
    println!(
        "budget: every report's p95 under 1 s over {} interactions: {} (worst p95 {worst:.1} ms)",
        a.interactions,
        if worst < 1000.0 { "met" } else { "NOT met" }
    );
    let _ = server.kill().await;
}
