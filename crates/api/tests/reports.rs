//! Reports (issue 15, "Reports"): every number of every grouping against a fixture computed
//! by hand, the CSV download, and who may ask (supervisors and administrators; agents 403).
//!
//! # The fixture
//! Written straight into the database with fixed times in March 2020 (the demo data lies
//! elsewhere in time), relative to `T0` = 2020-03-01T00:00:00Z. The period asked for is
//! `[T0, T0 + 48 h)` unless said otherwise.
//!
//! | # | agent | channel       | created  | queued | accepted  | ended    | done   | disposition |
//! |---|-------|---------------|----------|--------|-----------|----------|--------|-------------|
//! | 1 | Ann   | web_chat      | 1:00:00  | yes    | 1:00:30   | 1:10     | 1:12   | resolved    |
//! | 2 | Ann   | messenger     | 23:30    | yes    | 23:50     | 24:10    | —      | —           |
//! | 3 | Ben   | web_chat      | 26:00    | no     | 26:00     | 26:30    | 27:00  | resolved    |
//! | 4 | Ben   | facebook_post | 30:00:00 | yes    | 30:00:05  | —        | —      | —           |
//! | 5 | Cleo  | web_chat      | 47:00    | yes    | 48:00 (= to: outside)                        |
//! | 6 | Cleo  | web_chat      | −3:00    | yes    | −2:00 (before from: outside)                 |
//! | 7 | —     | web_chat      | 5:00     | yes    | never (still queued: outside)                |
//!
//! Messages (c = contact, a = agent, s = system) and handle-time segments:
//! 1. c 1:00:00, s 1:00:30, a 1:00:45, c 1:02, a 1:03 → first response 45 s; wait 30 s;
//!    segments 5 min + 2 min = 420 000 ms.
//! 2. c 23:30, c 23:31, a 23:51 → first response 21 min = 1 260 000; wait 20 min =
//!    1 200 000; one segment of 10 min = 600 000.
//! 3. a 26:00, c 26:05, a 26:06 → first response 1 min = 60 000 (the agent's opening line is
//!    not a response); never queued: no wait; segment 20 min = 1 200 000.
//! 4. c 30:00:00 only → no response; wait 5 s; no segment.
//! 5. and 6. have messages and segments that must not count.
//!
//! Each interaction's messages are written newest first.

mod common;

use common::{Backend, Server};
use reqwest::Method;
use serde_json::{json, Value};
use sqlx::{AnyConnection, Connection, Row};

const T0: i64 = 1_583_020_800_000;
const S: i64 = 1000;
const MIN: i64 = 60 * S;
const H: i64 = 60 * MIN;

on_both!(
    numbers_per_grouping,
    days_follow_the_time_zone,
    csv_download,
    who_may_ask_and_what_is_refused
);

/// One interaction of the fixture.
struct Fixture {
    agent: Option<&'static str>,
    channel: &'static str,
    created: i64,
    queued: bool,
    accepted: Option<i64>,
    ended: Option<i64>,
    done: Option<i64>,
    disposition: Option<&'static str>,
    /// (author kind, at).
    messages: Vec<(&'static str, i64)>,
    /// (start, end).
    segments: Vec<(i64, i64)>,
}

fn fixture() -> Vec<Fixture> {
    vec![
        Fixture {
            agent: Some("ann"),
            channel: "web_chat",
            created: H,
            queued: true,
            accepted: Some(H + 30 * S),
            ended: Some(H + 10 * MIN),
            done: Some(H + 12 * MIN),
            disposition: Some("resolved"),
            messages: vec![
                ("contact", H),
                ("system", H + 30 * S),
                ("agent", H + 45 * S),
                ("contact", H + 2 * MIN),
                ("agent", H + 3 * MIN),
            ],
            segments: vec![
                (H + 30 * S, H + 30 * S + 5 * MIN),
                (H + 30 * S + 6 * MIN, H + 30 * S + 8 * MIN),
            ],
        },
        Fixture {
            agent: Some("ann"),
            channel: "messenger",
            created: 23 * H + 30 * MIN,
            queued: true,
            accepted: Some(23 * H + 50 * MIN),
            ended: Some(24 * H + 10 * MIN),
            done: None,
            disposition: None,
            messages: vec![
                ("contact", 23 * H + 30 * MIN),
                ("contact", 23 * H + 31 * MIN),
                ("agent", 23 * H + 51 * MIN),
            ],
            segments: vec![(23 * H + 50 * MIN, 24 * H)],
        },
        Fixture {
            agent: Some("ben"),
            channel: "web_chat",
            created: 26 * H,
            queued: false,
            accepted: Some(26 * H),
            ended: Some(26 * H + 30 * MIN),
            done: Some(27 * H),
            disposition: Some("resolved"),
            messages: vec![
                ("agent", 26 * H),
                ("contact", 26 * H + 5 * MIN),
                ("agent", 26 * H + 6 * MIN),
            ],
            segments: vec![(26 * H, 26 * H + 20 * MIN)],
        },
        Fixture {
            agent: Some("ben"),
            channel: "facebook_post",
            created: 30 * H,
            queued: true,
            accepted: Some(30 * H + 5 * S),
            ended: None,
            done: None,
            disposition: None,
            messages: vec![("contact", 30 * H)],
            segments: vec![],
        },
        Fixture {
            agent: Some("cleo"),
            channel: "web_chat",
            created: 47 * H,
            queued: true,
            accepted: Some(48 * H),
            ended: None,
            done: None,
            disposition: None,
            messages: vec![("contact", 47 * H), ("agent", 48 * H + MIN)],
            segments: vec![(48 * H, 48 * H + 3 * MIN)],
        },
        Fixture {
            agent: Some("cleo"),
            channel: "web_chat",
            created: -3 * H,
            queued: true,
            accepted: Some(-2 * H),
            ended: Some(-H),
            done: Some(-H),
            disposition: Some("resolved"),
            messages: vec![("contact", -3 * H), ("agent", -2 * H + MIN)],
            segments: vec![(-2 * H, -2 * H + 30 * MIN)],
        },
        Fixture {
            agent: None,
            channel: "web_chat",
            created: 5 * H,
            queued: true,
            accepted: None,
            ended: None,
            done: None,
            disposition: None,
            messages: vec![("contact", 5 * H)],
            segments: vec![],
        },
    ]
}

/// Writes the fixture into the server's database.
async fn insert_fixture(s: &Server) {
    let mut db = AnyConnection::connect(&s.db.url).await.expect("connect");
    let contact: i64 = sqlx::query(
        "INSERT INTO contacts (first_name, last_name, last_activity_at, created_at) \
         VALUES ('Report', 'Fixture', $1, $1) RETURNING id",
    )
    .bind(T0)
    .fetch_one(&mut db)
    .await
    .expect("contact")
    .get("id");
    let mut seq = 0;
    for f in fixture() {
        let agent = match f.agent {
            Some(login) => Some(agent_id(&mut db, login).await),
            None => None,
        };
        let state = match (f.accepted, f.ended, f.done) {
            (None, ..) => "queued",
            (_, _, Some(_)) => "done",
            (_, Some(_), None) => "ended",
            _ => "active",
        };
        let handle: i64 = f.segments.iter().map(|(a, b)| b - a).sum();
        let id: i64 = sqlx::query(
            "INSERT INTO interactions (contact_id, channel, state, agent_id, created_at, queued_at, \
             accepted_at, ended_at, done_at, disposition, handle_time_ms) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
        )
        .bind(contact)
        .bind(f.channel)
        .bind(state)
        .bind(agent)
        .bind(T0 + f.created)
        .bind(f.queued.then_some(T0 + f.created))
        .bind(f.accepted.map(|t| T0 + t))
        .bind(f.ended.map(|t| T0 + t))
        .bind(f.done.map(|t| T0 + t))
        .bind(f.disposition)
        .bind(handle)
        .fetch_one(&mut db)
        .await
        .expect("interaction")
        .get("id");
        // Newest first, as an import may write them: the first contact message and first reply
        // the triggers keep on the interaction must not depend on the order.
        for (kind, at) in f.messages.iter().rev() {
            seq += 1;
            let (author, key) = match *kind {
                "agent" => (agent, format!("agent:{}", agent.expect("an agent"))),
                "contact" => (None, format!("contact:{contact}")),
                _ => (None, "system".to_owned()),
            };
            sqlx::query(
                "INSERT INTO messages (contact_id, interaction_id, seq, author_kind, agent_id, \
                 author_key, text, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(contact)
            .bind(id)
            .bind(seq)
            .bind(*kind)
            .bind(author)
            .bind(key)
            .bind(format!("message {seq}"))
            .bind(T0 + at)
            .execute(&mut db)
            .await
            .expect("message");
        }
        for (start, end) in &f.segments {
            sqlx::query(
                "INSERT INTO handle_time_segments (interaction_id, agent_id, started_at, ended_at) \
                 VALUES ($1, $2, $3, $4)",
            )
            .bind(id)
            .bind(agent.expect("an agent"))
            .bind(T0 + start)
            .bind(T0 + end)
            .execute(&mut db)
            .await
            .expect("segment");
        }
    }
    sqlx::query("UPDATE contacts SET last_seq = $1 WHERE id = $2")
        .bind(seq)
        .bind(contact)
        .execute(&mut db)
        .await
        .expect("last_seq");
    db.close().await.expect("close");
}

async fn agent_id(db: &mut AnyConnection, login: &str) -> i64 {
    sqlx::query("SELECT id FROM agents WHERE login = $1")
        .bind(login)
        .fetch_one(&mut *db)
        .await
        .expect("agent")
        .get("id")
}

/// The figures of a row, in `ReportFigures` order.
#[allow(clippy::too_many_arguments)]
fn figs(
    chats: i64,
    handle: i64,
    avg_handle: Option<i64>,
    responded: i64,
    avg_response: Option<i64>,
    waited: i64,
    avg_wait: Option<i64>,
    ended: i64,
    done: i64,
) -> Value {
    json!({
        "chats": chats, "handle_time_ms": handle, "avg_handle_time_ms": avg_handle,
        "responded": responded, "avg_first_response_ms": avg_response,
        "waited": waited, "avg_wait_ms": avg_wait, "ended": ended, "done": done,
    })
}

/// Ann's interactions (1 and 2), also day 2020-03-01 in UTC.
fn ann() -> Value {
    figs(
        2,
        1_020_000,
        Some(510_000),
        2,
        Some(652_500),
        2,
        Some(615_000),
        2,
        1,
    )
}

/// Ben's interactions (3 and 4), also day 2020-03-02 in UTC.
fn ben() -> Value {
    figs(
        2,
        1_200_000,
        Some(600_000),
        1,
        Some(60_000),
        1,
        Some(5_000),
        1,
        1,
    )
}

/// Interactions 1 and 3: web chat, and disposition `resolved`.
fn one_and_three() -> Value {
    figs(
        2,
        1_620_000,
        Some(810_000),
        2,
        Some(52_500),
        1,
        Some(30_000),
        2,
        2,
    )
}

/// The whole period.
fn totals() -> Value {
    figs(
        4,
        2_220_000,
        Some(555_000),
        3,
        Some(455_000),
        3,
        Some(411_667),
        3,
        2,
    )
}

/// A row: its key fields (the others null) merged with its figures.
fn row(key: Value, figures: Value) -> Value {
    let mut out = json!({
        "agent_id": null, "agent_name": null, "day": null, "channel": null, "disposition": null,
    });
    for (k, v) in key.as_object().into_iter().flatten() {
        out[k] = v.clone();
    }
    for (k, v) in figures.as_object().into_iter().flatten() {
        out[k] = v.clone();
    }
    out
}

async fn report(s: &Server, token: &str, query: &str) -> Value {
    let (status, body) = s
        .call(
            Method::GET,
            &format!("/api/reports?{query}"),
            Some(token),
            None,
        )
        .await;
    assert_eq!(status, 200, "{query}: {body}");
    body
}

fn period() -> String {
    format!("from={T0}&to={}", T0 + 48 * H)
}

async fn login_token(s: &Server, login: &str) -> String {
    s.agent(login).await.token
}

async fn numbers_per_grouping(backend: Backend) {
    let s = Server::start(backend, |_| {}).await;
    insert_fixture(&s).await;
    let sam = login_token(&s, "sam").await;
    let mut db = AnyConnection::connect(&s.db.url).await.expect("connect");
    let (ann_id, ben_id) = (
        agent_id(&mut db, "ann").await,
        agent_id(&mut db, "ben").await,
    );
    db.close().await.expect("close");

    let by_agent = report(&s, &sam, &format!("{}&group_by=agent", period())).await;
    assert_eq!(by_agent["from"], json!(T0));
    assert_eq!(by_agent["to"], json!(T0 + 48 * H));
    assert_eq!(by_agent["group_by"], json!("agent"));
    assert_eq!(by_agent["tz_offset"], json!(0));
    assert_eq!(
        by_agent["rows"],
        json!([
            row(
                json!({"agent_id": ann_id, "agent_name": "Ann Archer"}),
                ann()
            ),
            row(
                json!({"agent_id": ben_id, "agent_name": "Ben Brooks"}),
                ben()
            ),
        ])
    );
    assert_eq!(by_agent["totals"], totals());

    let by_day = report(&s, &sam, &format!("{}&group_by=day", period())).await;
    assert_eq!(
        by_day["rows"],
        json!([
            row(json!({"day": "2020-03-01"}), ann()),
            row(json!({"day": "2020-03-02"}), ben()),
        ])
    );
    assert_eq!(by_day["totals"], totals());

    let by_channel = report(&s, &sam, &format!("{}&group_by=channel", period())).await;
    assert_eq!(
        by_channel["rows"],
        json!([
            row(json!({"channel": "web_chat"}), one_and_three()),
            row(
                json!({"channel": "messenger"}),
                figs(
                    1,
                    600_000,
                    Some(600_000),
                    1,
                    Some(1_260_000),
                    1,
                    Some(1_200_000),
                    1,
                    0
                )
            ),
            row(
                json!({"channel": "facebook_post"}),
                figs(1, 0, Some(0), 0, None, 1, Some(5_000), 0, 0)
            ),
        ])
    );
    assert_eq!(by_channel["totals"], totals());

    let by_disposition = report(&s, &sam, &format!("{}&group_by=disposition", period())).await;
    assert_eq!(
        by_disposition["rows"],
        json!([
            row(
                json!({}),
                figs(
                    2,
                    600_000,
                    Some(300_000),
                    1,
                    Some(1_260_000),
                    2,
                    Some(602_500),
                    1,
                    0
                )
            ),
            row(json!({"disposition": "resolved"}), one_and_three()),
        ])
    );
    assert_eq!(by_disposition["totals"], totals());

    // A period with nothing in it: no rows, zero totals, no averages.
    let empty = report(
        &s,
        &sam,
        &format!("from={}&to={}&group_by=agent", T0 + 31 * H, T0 + 47 * H),
    )
    .await;
    assert_eq!(empty["rows"], json!([]));
    assert_eq!(empty["totals"], figs(0, 0, None, 0, None, 0, None, 0, 0));
    s.stop().await;
}

async fn days_follow_the_time_zone(backend: Backend) {
    let s = Server::start(backend, |_| {}).await;
    insert_fixture(&s).await;
    let ada = login_token(&s, "ada").await;
    let mut db = AnyConnection::connect(&s.db.url).await.expect("connect");
    let (ann_id, ben_id) = (
        agent_id(&mut db, "ann").await,
        agent_id(&mut db, "ben").await,
    );
    db.close().await.expect("close");
    // UTC+1: interaction 2, accepted 23:50 UTC, falls on 2 March; dates are local midnights,
    // so the period is [T0 − 1 h, T0 + 47 h): still interactions 1 to 4, not 6 (−2 h).
    let query = "from=2020-03-01&to=2020-03-03&tz_offset=60";
    let by_day = report(&s, &ada, &format!("{query}&group_by=day")).await;
    assert_eq!(by_day["from"], json!(T0 - H));
    assert_eq!(by_day["to"], json!(T0 + 47 * H));
    assert_eq!(by_day["tz_offset"], json!(60));
    let first = figs(
        1,
        420_000,
        Some(420_000),
        1,
        Some(45_000),
        1,
        Some(30_000),
        1,
        1,
    );
    assert_eq!(
        by_day["rows"],
        json!([
            row(json!({"day": "2020-03-01"}), first.clone()),
            row(
                json!({"day": "2020-03-02"}),
                figs(
                    3,
                    1_800_000,
                    Some(600_000),
                    2,
                    Some(660_000),
                    2,
                    Some(602_500),
                    2,
                    1
                )
            ),
        ])
    );
    assert_eq!(by_day["totals"], totals());

    let by_agent_day = report(&s, &ada, &format!("{query}&group_by=agent_day")).await;
    let ann_key = |day: &str| json!({"agent_id": ann_id, "agent_name": "Ann Archer", "day": day});
    assert_eq!(
        by_agent_day["rows"],
        json!([
            row(ann_key("2020-03-01"), first),
            row(
                ann_key("2020-03-02"),
                figs(
                    1,
                    600_000,
                    Some(600_000),
                    1,
                    Some(1_260_000),
                    1,
                    Some(1_200_000),
                    1,
                    0
                )
            ),
            row(
                json!({"agent_id": ben_id, "agent_name": "Ben Brooks", "day": "2020-03-02"}),
                ben()
            ),
        ])
    );
    assert_eq!(by_agent_day["totals"], totals());

    // RFC 3339 times with an offset name the same instants.
    let rfc = report(
        &s,
        &ada,
        "from=2020-03-01T00:00:00%2B01:00&to=2020-03-02T23:00:00Z&group_by=channel",
    )
    .await;
    assert_eq!(rfc["from"], json!(T0 - H));
    assert_eq!(rfc["to"], json!(T0 + 47 * H));
    assert_eq!(rfc["totals"], totals());
    s.stop().await;
}

async fn csv(s: &Server, token: &str, query: &str) -> (u16, reqwest::header::HeaderMap, String) {
    let resp = reqwest::Client::new()
        .get(format!("{}/api/reports.csv?{query}", s.base))
        .bearer_auth(token)
        .send()
        .await
        .expect("request");
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    (status, headers, resp.text().await.expect("body"))
}

async fn csv_download(backend: Backend) {
    let s = Server::start(backend, |_| {}).await;
    insert_fixture(&s).await;
    let sam = login_token(&s, "sam").await;
    let (status, headers, body) = csv(&s, &sam, &format!("{}&group_by=channel", period())).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(headers["content-type"], "text/csv; charset=utf-8");
    assert_eq!(
        headers["content-disposition"],
        "attachment; filename=\"threadline-report-channel-2020-03-01-2020-03-02.csv\""
    );
    assert_eq!(
        body,
        "channel,chats,handle_time_ms,avg_handle_time_ms,responded,avg_first_response_ms,waited,avg_wait_ms,ended,done\r\n\
         web_chat,2,1620000,810000,2,52500,1,30000,2,2\r\n\
         messenger,1,600000,600000,1,1260000,1,1200000,1,0\r\n\
         facebook_post,1,0,0,0,,1,5000,0,0\r\n\
         Total,4,2220000,555000,3,455000,3,411667,3,2\r\n"
    );

    // A name that a spreadsheet would run as a formula is defused, and quoted for its comma.
    let mut db = AnyConnection::connect(&s.db.url).await.expect("connect");
    sqlx::query("UPDATE agents SET display_name = $1 WHERE login = 'ben'")
        .bind("=HYPERLINK(\"x\"), B")
        .execute(&mut db)
        .await
        .expect("rename");
    let ben_id = agent_id(&mut db, "ben").await;
    let ann_id = agent_id(&mut db, "ann").await;
    db.close().await.expect("close");
    let (status, headers, body) = csv(
        &s,
        &sam,
        "from=2020-03-01&to=2020-03-02&tz_offset=-300&group_by=agent_day",
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        headers["content-disposition"],
        "attachment; filename=\"threadline-report-agent-day-2020-03-01-2020-03-01.csv\""
    );
    // UTC−5: the period is [T0 + 5 h, T0 + 29 h): interactions 2 (18:50 local, 1 March) and
    // 3 (21:00 local, 1 March); names sort "=HYPERLINK…" before "Ann Archer".
    assert_eq!(
        body,
        format!(
            "agent_id,agent,day,chats,handle_time_ms,avg_handle_time_ms,responded,avg_first_response_ms,waited,avg_wait_ms,ended,done\r\n\
             {ben_id},\"'=HYPERLINK(\"\"x\"\"), B\",2020-03-01,1,1200000,1200000,1,60000,0,,1,1\r\n\
             {ann_id},Ann Archer,2020-03-01,1,600000,600000,1,1260000,1,1200000,1,0\r\n\
             Total,,,2,1800000,900000,2,660000,1,1200000,2,1\r\n"
        )
    );
    s.stop().await;
}

async fn who_may_ask_and_what_is_refused(backend: Backend) {
    let s = Server::start(backend, |_| {}).await;
    let good = format!("{}&group_by=agent", period());
    for path in ["/api/reports", "/api/reports.csv"] {
        let url = format!("{path}?{good}");
        let (status, body) = s.call(Method::GET, &url, None, None).await;
        assert_eq!(status, 401, "{path} without credentials: {body}");
        for agent in ["ann", "ben"] {
            let token = login_token(&s, agent).await;
            let (status, body) = s.call(Method::GET, &url, Some(&token), None).await;
            assert_eq!(status, 403, "{path} as {agent}: {body}");
            assert_eq!(body["error"]["code"], json!("forbidden"));
        }
        for allowed in ["sam", "ada"] {
            let token = login_token(&s, allowed).await;
            let (status, body) = s.call(Method::GET, &url, Some(&token), None).await;
            assert_eq!(status, 200, "{path} as {allowed}: {body}");
        }
    }
    let sam = login_token(&s, "sam").await;
    let day = 24 * H;
    let refused = [
        format!("{}&group_by=week", period()),
        format!("{}&group_by=", period()),
        format!("from={T0}&group_by=agent"),
        format!("from={T0}&to={T0}&group_by=agent"),
        format!("from={}&to={T0}&group_by=agent", T0 + H),
        format!("from={T0}&to={}&group_by=agent", T0 + 400 * day + 1),
        format!("{}&group_by=agent&tz_offset=841", period()),
        format!("{}&group_by=agent&tz_offset=-841", period()),
        format!("{}&group_by=agent&tz_offset=ten", period()),
        "from=2020-02-30&to=2020-03-03&group_by=day".to_owned(),
        "from=yesterday&to=2020-03-03&group_by=day".to_owned(),
        "from=2020-03-01T00:00:00&to=2020-03-03&group_by=day".to_owned(),
        "from=-5&to=2020-03-03&group_by=day".to_owned(),
        "from=2020-03-01%00&to=2020-03-03&group_by=day".to_owned(),
    ];
    for query in &refused {
        for path in ["/api/reports", "/api/reports.csv"] {
            let (status, body) = s
                .call(Method::GET, &format!("{path}?{query}"), Some(&sam), None)
                .await;
            assert_eq!(status, 400, "{path}?{query}: {body}");
            assert_eq!(
                body["error"]["code"],
                json!("invalid_input"),
                "{query}: {body}"
            );
        }
    }
    // Exactly 400 days is allowed.
    let (status, body) = s
        .call(
            Method::GET,
            &format!("/api/reports?from={T0}&to={}&group_by=day", T0 + 400 * day),
            Some(&sam),
            None,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    s.stop().await;
}
