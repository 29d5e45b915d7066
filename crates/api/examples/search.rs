//! History search benchmark (`cargo xtask bench search` runs it in release mode).
//!
//! Fills a fresh database with `--messages` messages (1,000,000 by default) in interactions of
//! 2–18 messages spread over `--contacts` contacts (a few busy ones with thousands of messages,
//! most with a few dozen), through the store's bulk import so the full-text index is the
//! server's own. The text draws words from a Zipf-distributed vocabulary: a few words are in
//! most messages, most words in a handful. Then it starts the real server binary on that
//! database and times `GET /api/search` over loopback HTTP, one request at a time, from sending
//! the request to reading the whole body: common, medium, rare and absent words, two words, and
//! the same within one contact (`contact_id`). Prints p50/p95/p99/max per kind and overall, and
//! how many hits the responses held. Then it exports and erases `--erasures` contacts (50 by
//! default) through the administrator's routes, and prints the time and the server's CPU of
//! each beside the export's, which reads the same rows.
//!
//! Run: `cargo run --release -p threadline-api --example search -- --messages 1000000`
//! (`--database-url postgres://…` for PostgreSQL: an empty database).

// Statistics over counts and durations: float conversions are the point here.
#![allow(
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss
)]

mod common;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::HashSet;
use std::time::{Duration, Instant};
use threadline_api::auth::hash_password;
use threadline_api::store::{ImportedInteraction, ImportedMessage, Store};
use threadline_api::Config;
use wire::api::{ContactExport, ErasedContact, SearchResults};
use wire::{AgentId, Channel, ContactId, DispositionCode, Identity};

struct Args {
    messages: usize,
    contacts: usize,
    vocabulary: usize,
    queries: usize,
    /// Contacts exported and erased after the searches.
    erasures: usize,
    batch: usize,
    database_url: Option<String>,
}

fn args() -> Args {
    let mut a = Args {
        messages: 1_000_000,
        contacts: 10_000,
        vocabulary: 50_000,
        queries: 50,
        erasures: 50,
        batch: 20_000,
        database_url: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let v = it.next().unwrap_or_default();
        match flag.as_str() {
            "--messages" => a.messages = v.parse().unwrap_or(a.messages),
            "--contacts" => a.contacts = v.parse().unwrap_or(a.contacts),
            "--vocabulary" => a.vocabulary = v.parse().unwrap_or(a.vocabulary),
            "--queries" => a.queries = v.parse().unwrap_or(a.queries),
            "--erasures" => a.erasures = v.parse().unwrap_or(a.erasures),
            "--batch" => a.batch = v.parse().unwrap_or(a.batch),
            "--database-url" => a.database_url = Some(v),
            other => eprintln!("ignoring unknown flag {other}"),
        }
    }
    a.contacts = a.contacts.max(1);
    a.vocabulary = a.vocabulary.max(COMMON.len() + 1);
    a.batch = a.batch.max(1);
    a
}

/// The most frequent words, most frequent first; the rest of the vocabulary is made up.
const COMMON: &[&str] = &[
    "the",
    "i",
    "you",
    "to",
    "a",
    "my",
    "order",
    "is",
    "it",
    "and",
    "for",
    "of",
    "please",
    "can",
    "thanks",
    "in",
    "have",
    "we",
    "your",
    "this",
    "not",
    "on",
    "with",
    "delivery",
    "hello",
    "help",
    "will",
    "be",
    "do",
    "what",
    "when",
    "size",
    "return",
    "refund",
    "boots",
    "jacket",
    "shipping",
    "number",
    "still",
    "hi",
    "would",
    "like",
    "check",
    "today",
    "email",
    "address",
    "payment",
    "card",
    "sorry",
    "sure",
    "received",
    "package",
    "tracking",
    "store",
    "exchange",
    "week",
    "days",
    "price",
    "color",
    "black",
    "blue",
    "waterproof",
    "leather",
    "sale",
    "code",
    "discount",
    "account",
    "password",
    "login",
    "website",
    "app",
    "broken",
    "damaged",
    "wrong",
    "missing",
    "late",
    "fast",
    "cancel",
    "invoice",
    "receipt",
    "warranty",
    "repair",
    "lace",
    "hook",
    "sole",
    "zip",
    "pocket",
    "hood",
    "winter",
    "summer",
    "hiking",
    "trail",
    "running",
    "socks",
    "gloves",
    "backpack",
    "tent",
    "courier",
    "parcel",
    "label",
];

const SYLLABLES: &[&str] = &[
    "ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "ze", "po", "da", "fe", "gu", "hi", "jo", "ba",
    "ce", "wi", "xu", "yo", "ran", "tel", "mor", "gis",
];

/// `n` distinct words: [`COMMON`] first, then made-up ones (no `q`, so `q…` words are absent).
fn vocabulary(n: usize) -> Vec<String> {
    let mut seen: HashSet<String> = COMMON.iter().map(|w| (*w).to_owned()).collect();
    let mut words: Vec<String> = COMMON.iter().map(|w| (*w).to_owned()).collect();
    let mut i = 0usize;
    while words.len() < n {
        let mut k = i;
        let mut w = String::new();
        for _ in 0..3 {
            w.push_str(SYLLABLES[k % SYLLABLES.len()]);
            k /= SYLLABLES.len();
        }
        while k > 0 {
            w.push_str(SYLLABLES[k % SYLLABLES.len()]);
            k /= SYLLABLES.len();
        }
        i += 1;
        if seen.insert(w.clone()) {
            words.push(w);
        }
    }
    words
}

/// Zipf (s = 1) over word ranks: cumulative weights for sampling by binary search.
fn zipf_cdf(n: usize) -> Vec<f64> {
    let mut acc = 0.0;
    let mut cdf = Vec::with_capacity(n);
    for r in 1..=n {
        acc += 1.0 / r as f64;
        cdf.push(acc);
    }
    let total = acc;
    for c in &mut cdf {
        *c /= total;
    }
    cdf
}

fn sample(cdf: &[f64], rng: &mut StdRng) -> usize {
    let u: f64 = rng.gen();
    cdf.partition_point(|&c| c < u).min(cdf.len() - 1)
}

fn sentence(words: &[String], cdf: &[f64], rng: &mut StdRng) -> String {
    let n = rng.gen_range(3..=24);
    let mut s = String::new();
    for i in 0..n {
        if i > 0 {
            s.push(' ');
        }
        s.push_str(&words[sample(cdf, rng)]);
    }
    s
}

/// A contact index skewed towards the first ones: contact 0 gets about 1/√n of everything,
/// the last ones about 1/(2n).
fn skewed(n: usize, rng: &mut StdRng) -> usize {
    let u: f64 = rng.gen();
    ((u * u * n as f64) as usize).min(n - 1)
}

/// Fills the database; returns the contacts and the agent's bearer token.
async fn fill(store: &Store, a: &Args, words: &[String], cdf: &[f64]) -> (Vec<ContactId>, String) {
    let hash = hash_password("bench-password").expect("hash");
    let agents: Vec<AgentId> = {
        let mut v = Vec::new();
        for i in 0..5 {
            v.push(
                store
                    .create_agent(
                        &format!("search{i}"),
                        &format!("Search Agent {i}"),
                        &hash,
                        3,
                        wire::Role::Agent,
                    )
                    .await
                    .expect("agent"),
            );
        }
        v
    };
    let token = common::session_token(store, agents[0]).await;
    let t0 = Instant::now();
    let mut contacts = Vec::with_capacity(a.contacts);
    for i in 0..a.contacts {
        let email = format!("customer{i}@example.com");
        contacts.push(
            store
                .create_contact(
                    "Customer",
                    &format!("N{i}"),
                    Some(&email),
                    &[Identity::WebCustomer(format!("customer-{i}"))],
                )
                .await
                .expect("contact"),
        );
    }
    println!(
        "{} contacts created in {:.1} s",
        contacts.len(),
        t0.elapsed().as_secs_f64()
    );
    let mut rng = StdRng::seed_from_u64(7);
    let t0 = Instant::now();
    let channels = [
        Channel::WebChat,
        Channel::WebChat,
        Channel::WebChat,
        Channel::Messenger,
        Channel::TwitterDm,
        Channel::FacebookPost,
        Channel::Tweet,
    ];
    // Spread over the past year, oldest first, so newer messages get higher ids as in life.
    let span_ms: i64 = 365 * 24 * 3600 * 1000;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    let mut at = now - span_ms;
    let step = (span_ms / i64::try_from(a.messages.max(1)).unwrap_or(i64::MAX)).max(1);
    let mut written = 0usize;
    let mut interactions = 0usize;
    let mut batch: Vec<ImportedInteraction> = Vec::new();
    let mut in_batch = 0usize;
    let mut last_report = Instant::now();
    while written < a.messages {
        let n = rng.gen_range(2..=18).min(a.messages - written);
        let agent = agents[rng.gen_range(0..agents.len())];
        let mut messages = Vec::with_capacity(n);
        for k in 0..n {
            at += step;
            messages.push(ImportedMessage {
                agent: (k % 2 == 1).then_some(agent),
                text: sentence(words, cdf, &mut rng),
                attachment: None,
                at,
            });
        }
        batch.push(ImportedInteraction {
            contact: contacts[skewed(contacts.len(), &mut rng)],
            channel: channels[rng.gen_range(0..channels.len())],
            agent: Some(agent),
            disposition: Some(DispositionCode("resolved".into())),
            messages,
        });
        written += n;
        in_batch += n;
        interactions += 1;
        if in_batch >= a.batch || written >= a.messages {
            store.import_interactions(&batch).await.expect("import");
            batch.clear();
            in_batch = 0;
            if last_report.elapsed() > Duration::from_secs(10) {
                last_report = Instant::now();
                let secs = t0.elapsed().as_secs_f64();
                println!(
                    "  {written} messages in {secs:.0} s ({:.0}/s)",
                    written as f64 / secs
                );
            }
        }
    }
    let secs = t0.elapsed().as_secs_f64();
    println!(
        "{written} messages in {interactions} interactions imported in {secs:.1} s ({:.0} messages/s)",
        written as f64 / secs
    );
    (contacts, token)
}

/// A bearer token of an administrator, for the contact-data phase.
async fn administrator(store: &Store) -> String {
    let hash = hash_password("bench-password").expect("hash");
    let id = store
        .create_agent(
            "admin",
            "Bench Administrator",
            &hash,
            3,
            wire::Role::Administrator,
        )
        .await
        .expect("administrator");
    common::session_token(store, id).await
}

/// What a query looks for.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Common,
    Medium,
    Rare,
    Absent,
    TwoWords,
    ContactCommon,
    ContactRare,
    ContactTwoWords,
}

impl Kind {
    const ALL: [Kind; 8] = [
        Kind::Common,
        Kind::Medium,
        Kind::Rare,
        Kind::Absent,
        Kind::TwoWords,
        Kind::ContactCommon,
        Kind::ContactRare,
        Kind::ContactTwoWords,
    ];
    fn label(self) -> &'static str {
        match self {
            Kind::Common => "common word",
            Kind::Medium => "medium word",
            Kind::Rare => "rare word",
            Kind::Absent => "absent word",
            Kind::TwoWords => "two words",
            Kind::ContactCommon => "contact + common word",
            Kind::ContactRare => "contact + rare word",
            Kind::ContactTwoWords => "contact + two words",
        }
    }
}

/// A query of `kind`: its `q` and contact, if any.
fn query(
    kind: Kind,
    words: &[String],
    contacts: &[ContactId],
    rng: &mut StdRng,
) -> (String, Option<ContactId>) {
    let v = words.len();
    // Ranks: common = the 30 most frequent (in 5–60 % of messages), medium = ranks 300–3,000,
    // rare = the least frequent fifth (a handful of messages each).
    let common = |rng: &mut StdRng| words[rng.gen_range(0..30.min(v))].clone();
    let medium = |rng: &mut StdRng| words[rng.gen_range(300.min(v - 1)..3000.min(v))].clone();
    let rare = |rng: &mut StdRng| words[rng.gen_range(v * 4 / 5..v)].clone();
    let absent = |rng: &mut StdRng| {
        (0..7)
            .map(|_| char::from(b'a' + rng.gen_range(0..26u8)))
            .fold(String::from("q"), |mut s, c| {
                s.push(c);
                s
            })
    };
    let two = |rng: &mut StdRng| {
        let first = words[rng.gen_range(0..300.min(v))].clone();
        let second = if rng.gen_bool(0.5) {
            common(rng)
        } else {
            medium(rng)
        };
        format!("{first} {second}")
    };
    let contact = |rng: &mut StdRng| Some(contacts[skewed(contacts.len(), rng)]);
    match kind {
        Kind::Common => (common(rng), None),
        Kind::Medium => (medium(rng), None),
        Kind::Rare => (rare(rng), None),
        Kind::Absent => (absent(rng), None),
        Kind::TwoWords => (two(rng), None),
        Kind::ContactCommon => (common(rng), contact(rng)),
        Kind::ContactRare => (rare(rng), contact(rng)),
        Kind::ContactTwoWords => (two(rng), contact(rng)),
    }
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Sends one search; the time from sending to having read the whole body, and the results.
async fn search_once(req: reqwest::RequestBuilder, q: String) -> (f64, SearchResults) {
    let t0 = Instant::now();
    let resp = req.send().await.expect("search");
    let status = resp.status();
    let body = resp.bytes().await.expect("body");
    let ms = t0.elapsed().as_secs_f64() * 1000.0;
    assert!(
        status.is_success(),
        "search {q:?}: {status} {}",
        String::from_utf8_lossy(&body)
    );
    let r: SearchResults = serde_json::from_slice(&body).expect("json");
    (ms, r)
}

#[tokio::main]
async fn main() {
    let a = args();
    let dir = tempfile::tempdir().expect("temp dir");
    let url = a
        .database_url
        .clone()
        .unwrap_or_else(|| Config::sqlite_url(&dir.path().join("search.db")));
    let postgres = url.starts_with("postgres");
    println!(
        "database: {}; {} messages, {} contacts, vocabulary {} words",
        if postgres { "PostgreSQL" } else { "SQLite" },
        a.messages,
        a.contacts,
        a.vocabulary
    );
    let words = vocabulary(a.vocabulary);
    let cdf = zipf_cdf(words.len());
    let store = Store::connect(&url).await.expect("database");
    let (contacts, token) = fill(&store, &a, &words, &cdf).await;
    let admin = administrator(&store).await;
    store.close().await;
    drop(store);
    if postgres {
        // A live database has been analysed by autovacuum long before it holds a million
        // messages; do it now rather than in the middle of the measurements.
        let t0 = Instant::now();
        let pool = sqlx::AnyPool::connect(&url).await.expect("database");
        sqlx::query("VACUUM ANALYZE")
            .execute(&pool)
            .await
            .expect("vacuum analyze");
        pool.close().await;
        println!("VACUUM ANALYZE in {:.1} s", t0.elapsed().as_secs_f64());
    }
    if !postgres {
        let db = dir.path().join("search.db");
        let size = std::fs::metadata(&db).map_or(0, |m| m.len());
        println!("SQLite file {:.0} MiB", size as f64 / 1024.0 / 1024.0);
    }

    let client = reqwest::Client::new();
    let common::RunningServer {
        child: mut server,
        base,
    } = common::start_server(&url, &client).await;
    println!("server: pid {}", server.id().unwrap_or(0));

    // The plan: every kind `--queries` times, interleaved, in a fixed shuffled order.
    let mut rng = StdRng::seed_from_u64(11);
    let mut plan: Vec<(Kind, String, Option<ContactId>)> = Vec::new();
    for _ in 0..a.queries {
        for kind in Kind::ALL {
            let (q, c) = query(kind, &words, &contacts, &mut rng);
            plan.push((kind, q, c));
        }
    }
    for i in (1..plan.len()).rev() {
        plan.swap(i, rng.gen_range(0..=i));
    }
    let run = |q: &str, c: Option<ContactId>| {
        let u = match c {
            Some(c) => format!("{base}/api/search?q={}&contact_id={}", encode(q), c.0),
            None => format!("{base}/api/search?q={}", encode(q)),
        };
        search_once(client.get(u).bearer_auth(&token), q.to_owned())
    };
    // Warm-up (not counted): the connection, and the server's first statements.
    for (_, q, c) in plan.iter().take(10) {
        run(q, *c).await;
    }
    let mut results: Vec<(Kind, f64, usize, bool)> = Vec::with_capacity(plan.len());
    let pid = server.id().unwrap_or(0);
    let cpu_before = common::cpu_seconds(pid);
    for (kind, q, c) in &plan {
        let (ms, r) = run(q, *c).await;
        results.push((*kind, ms, r.hits.len(), r.has_more));
    }
    // On SQLite the query runs in the server's process, so this is nearly all of a search's
    // work; on PostgreSQL the database's own processes are not counted.
    let cpu_per_search_ms =
        (common::cpu_seconds(pid) - cpu_before) * 1000.0 / results.len().max(1) as f64;
    let mut slowest: Vec<usize> = (0..results.len()).collect();
    slowest.sort_by(|&x, &y| results[y].1.total_cmp(&results[x].1));

    println!(
        "\n{} searches, one at a time, over {} messages (ms, request to full body; hits per response, 50 a page):",
        results.len(),
        a.messages
    );
    println!(
        "  {:<24} {:>5} {:>8} {:>8} {:>8} {:>8}   hits: avg  min  max  has_more",
        "kind", "n", "p50", "p95", "p99", "max"
    );
    let line = |label: &str, rows: &[&(Kind, f64, usize, bool)]| {
        let mut ms: Vec<f64> = rows.iter().map(|r| r.1).collect();
        ms.sort_by(f64::total_cmp);
        let hits: Vec<usize> = rows.iter().map(|r| r.2).collect();
        println!(
            "  {:<24} {:>5} {:>8.2} {:>8.2} {:>8.2} {:>8.2}   {:>9.1} {:>4} {:>4} {:>9}",
            label,
            rows.len(),
            common::percentile(&ms, 50.0),
            common::percentile(&ms, 95.0),
            common::percentile(&ms, 99.0),
            ms.last().copied().unwrap_or(f64::NAN),
            hits.iter().sum::<usize>() as f64 / hits.len().max(1) as f64,
            hits.iter().min().copied().unwrap_or(0),
            hits.iter().max().copied().unwrap_or(0),
            rows.iter().filter(|r| r.3).count()
        );
    };
    for kind in Kind::ALL {
        let rows: Vec<&(Kind, f64, usize, bool)> = results.iter().filter(|r| r.0 == kind).collect();
        line(kind.label(), &rows);
    }
    let all: Vec<&(Kind, f64, usize, bool)> = results.iter().collect();
    line("all", &all);
    println!("slowest:");
    for &i in slowest.iter().take(5) {
        let (kind, q, c) = &plan[i];
        println!(
            "  {:>8.2} ms  {:<24} q={q:?}{}  {} hits",
            results[i].1,
            kind.label(),
            c.map(|c| format!(" contact_id={}", c.0))
                .unwrap_or_default(),
            results[i].2
        );
    }
    let mut ms: Vec<f64> = results.iter().map(|r| r.1).collect();
    ms.sort_by(f64::total_cmp);
    let p95 = common::percentile(&ms, 95.0);
    println!(
        "budget: p95 under 50 ms over {} messages: {} (p95 {p95:.2} ms)",
        a.messages,
        if p95 < 50.0 { "met" } else { "NOT met" }
    );
    println!("server CPU per search: {cpu_per_search_ms:.2} ms (user + system, /proc/{pid}/stat)");

    contact_data(&client, &base, pid, &admin, &contacts, a.erasures).await;
    let _ = server.kill().await;
}

/// Exports, then erases, `n` contacts drawn evenly from all of them (most have a few dozen
/// messages, a few thousands), one request at a time, as an administrator would; prints the
/// time each took and the server's CPU for each. The export reads every row the erasure
/// removes, so it is the erasure's peer: an erasure much dearer than the export reads more
/// than the contact's own rows.
async fn contact_data(
    client: &reqwest::Client,
    base: &str,
    pid: u32,
    admin: &str,
    contacts: &[ContactId],
    n: usize,
) {
    let mut rng = StdRng::seed_from_u64(13);
    let mut chosen: Vec<ContactId> = contacts.to_vec();
    for i in (1..chosen.len()).rev() {
        chosen.swap(i, rng.gen_range(0..=i));
    }
    chosen.truncate(n);
    // The time to the whole body, and the body if the request succeeded (a failure, such as
    // the server's request timeout, is counted and shown once).
    let timed = |req: reqwest::RequestBuilder| async move {
        let t0 = Instant::now();
        let resp = req.bearer_auth(admin).send().await.expect("request");
        let status = resp.status();
        let body = resp.bytes().await.expect("body");
        let ms = t0.elapsed().as_secs_f64() * 1000.0;
        if status.is_success() {
            (ms, Some(body))
        } else {
            println!(
                "  {status} after {ms:.0} ms: {}",
                String::from_utf8_lossy(&body)
            );
            (ms, None)
        }
    };
    // Each contact's messages, from their export.
    let mut sizes = Vec::with_capacity(chosen.len());
    let cpu = common::cpu_seconds(pid);
    let mut exports = Vec::with_capacity(chosen.len());
    for c in &chosen {
        let (ms, body) =
            timed(client.get(format!("{base}/api/admin/contacts/{}/export", c.0))).await;
        let export: Option<ContactExport> =
            body.map(|b| serde_json::from_slice(&b).expect("export"));
        sizes.push(export.as_ref().map_or(0, |e| e.messages.len()));
        exports.push((ms, export.is_some()));
    }
    let export_cpu = common::cpu_seconds(pid) - cpu;
    let cpu = common::cpu_seconds(pid);
    let mut erasures = Vec::with_capacity(chosen.len());
    for c in &chosen {
        let (ms, body) = timed(client.delete(format!("{base}/api/admin/contacts/{}", c.0))).await;
        if let Some(b) = &body {
            let _: ErasedContact = serde_json::from_slice(b).expect("erased");
        }
        erasures.push((ms, body.is_some()));
    }
    let erase_cpu = common::cpu_seconds(pid) - cpu;
    let count = chosen.len().max(1) as f64;
    println!(
        "\n{} contacts exported, then erased, one at a time (ms, request to full body; their messages avg {:.1}, max {}):",
        chosen.len(),
        sizes.iter().sum::<usize>() as f64 / count,
        sizes.iter().max().copied().unwrap_or(0)
    );
    println!(
        "  {:<8} {:>8} {:>8} {:>8}   failed   server CPU each",
        "", "p50", "p95", "max"
    );
    for (label, rows, cpu) in [
        ("export", &exports, export_cpu),
        ("erase", &erasures, erase_cpu),
    ] {
        let mut ms: Vec<f64> = rows.iter().map(|r| r.0).collect();
        ms.sort_by(f64::total_cmp);
        println!(
            "  {label:<8} {:>8.2} {:>8.2} {:>8.2}   {:>6}   {:>8.2} ms",
            common::percentile(&ms, 50.0),
            common::percentile(&ms, 95.0),
            ms.last().copied().unwrap_or(f64::NAN),
            rows.iter().filter(|r| !r.1).count(),
            cpu * 1000.0 / count
        );
    }
    println!(
        "erase ÷ export, server CPU: {:.2}",
        erase_cpu / export_cpu.max(0.01)
    );
}
