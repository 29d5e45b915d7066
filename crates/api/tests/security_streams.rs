//! Attacks from the security review (issue 13, findings 4, 7 and 8), run against the real
//! server: a logout or a password change ends the session's live streams and unredeemed
//! tickets at once (also on another instance sharing the PostgreSQL database); a stream's
//! replay reads the event log through its indexes, and a `Last-Event-ID` above the log's head
//! gets `resync`; slow clients (headers or a body trickled a byte at a time, idle connections
//! over the limit) are cut off while a normal client is still served. On PostgreSQL, where
//! transactions commit in any order, events reach a stream in id order and none is skipped.

mod common;

use common::{Agent, Backend, Caller, Server, TestDb};
use futures_util::StreamExt;
use serde_json::json;
use sqlx::Row;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::{timeout, Instant};
use wire::api::StreamTicket;
use wire::{Event, EventId};

/// How soon a stream must end after its session did.
const AT_ONCE: Duration = Duration::from_secs(1);

/// A new stream ticket for `agent`, not yet redeemed.
async fn ticket(agent: &Agent) -> StreamTicket {
    agent.post("/api/events/ticket", json!({})).await
}

/// Opens the agent stream with a ticket; the response (status checked by the caller).
async fn open(base: &str, ticket: &StreamTicket) -> reqwest::Response {
    reqwest::Client::new()
        .get(format!("{base}/api/events?ticket={}", ticket.ticket))
        .send()
        .await
        .expect("stream request")
}

/// Whether an open stream's body ends within `d` (events and keep-alives before the end are
/// read and dropped).
async fn ends_within(resp: reqwest::Response, d: Duration) -> bool {
    let mut body = resp.bytes_stream();
    let deadline = Instant::now() + d;
    loop {
        match timeout(
            deadline.saturating_duration_since(Instant::now()),
            body.next(),
        )
        .await
        {
            Err(_) => return false,
            Ok(None | Some(Err(_))) => return true,
            Ok(Some(Ok(_))) => {}
        }
    }
}

/// Logs the agent out (204).
async fn logout(agent: &Agent) {
    let (s, v) = agent
        .call(reqwest::Method::POST, "/api/auth/logout", None)
        .await;
    assert_eq!(s, 204, "logout: {v}");
}

async fn logout_ends_streams_and_tickets(backend: Backend) {
    let server = Server::start(backend, |_| {}).await;
    let this = server.agent("ann").await;
    let other = server.agent("ann").await;
    let live = open(&server.base, &ticket(&this).await).await;
    assert_eq!(live.status().as_u16(), 200);
    let unused = ticket(&this).await;
    let mut others = other.events().await;

    logout(&this).await;
    assert!(
        ends_within(live, AT_ONCE).await,
        "the logged-out session's stream is still open a second later"
    );
    let refused = open(&server.base, &unused).await;
    assert_eq!(
        refused.status().as_u16(),
        401,
        "a ticket of the logged-out session still opens a stream"
    );
    let (s, _) = this
        .call(reqwest::Method::POST, "/api/events/ticket", None)
        .await;
    assert_eq!(s, 401, "the logged-out token still gets tickets");

    // The agent's other session keeps its stream and its events.
    other.ready().await;
    others
        .until("the other session's status", |e| {
            matches!(e, Event::Status { .. })
        })
        .await;
}

async fn password_change_ends_other_sessions(backend: Backend) {
    let server = Server::start(backend, |_| {}).await;
    let keeper = server.agent("ben").await;
    let old = server.agent("ben").await;
    let live = open(&server.base, &ticket(&old).await).await;
    assert_eq!(live.status().as_u16(), 200);
    let unused = ticket(&old).await;
    let mut kept = keeper.events().await;

    let (s, v) = keeper
        .call(
            reqwest::Method::POST,
            "/api/auth/password",
            Some(json!({"current_password": "ben-pass-1", "new_password": "a-new-pass-2"})),
        )
        .await;
    assert_eq!(s, 204, "password change: {v}");
    assert!(
        ends_within(live, AT_ONCE).await,
        "a stream of a session the password change revoked is still open a second later"
    );
    assert_eq!(open(&server.base, &unused).await.status().as_u16(), 401);

    // The session that changed the password goes on.
    keeper.ready().await;
    kept.until("the changing session's status", |e| {
        matches!(e, Event::Status { .. })
    })
    .await;
}

async fn session_expiry_ends_streams(backend: Backend) {
    let ttl = Duration::from_secs(2);
    let server = Server::start(backend, |c| c.session_ttl = ttl).await;
    let agent = server.agent("ann").await;
    let live = open(&server.base, &ticket(&agent).await).await;
    assert_eq!(live.status().as_u16(), 200);
    assert!(
        ends_within(live, ttl + AT_ONCE).await,
        "a stream outlived its session"
    );
}

/// Two instances on one PostgreSQL database: a logout on one ends the stream and the ticket
/// the session has on the other.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logout_on_one_instance_ends_streams_on_another() {
    if common::pg_url().is_none() {
        eprintln!("THREADLINE_TEST_PG is not set: two-instance test not run");
        return;
    }
    let first = Server::start(Backend::Postgres, |_| {}).await;
    let second = Server::start_on(TestDb::existing(first.db.url.clone()), |_| {}).await;
    let on_first = first.agent("cleo").await;
    // The same session, used through the second instance.
    let mut on_second = second.agent("cleo").await;
    on_second.token.clone_from(&on_first.token);
    let live = open(&second.base, &ticket(&on_second).await).await;
    assert_eq!(live.status().as_u16(), 200);
    let unused = ticket(&on_second).await;
    let bystander = second.agent("ann").await;
    let mut watching = bystander.events().await;

    logout(&on_first).await;
    assert!(
        ends_within(live, AT_ONCE).await,
        "the other instance kept the logged-out session's stream open"
    );
    assert_eq!(open(&second.base, &unused).await.status().as_u16(), 401);
    bystander.ready().await;
    watching
        .until("another agent's status on the second instance", |e| {
            matches!(e, Event::Status { .. })
        })
        .await;
}

async fn last_event_id_above_head_resyncs(backend: Backend) {
    let server = Server::start(backend, |_| {}).await;
    let agent = server.agent("ann").await;
    let head = ticket(&agent).await.head;
    let beyond = EventId(head.0 + 1_000_000);

    // As a query parameter.
    let mut events = agent
        .stream("/api/events/ticket", "/api/events", Some(beyond))
        .await;
    let first = events.until("resync", |_| true).await;
    assert_eq!(first.event, Event::Resync, "the first event is resync");
    assert!(first.id <= beyond);
    // Events after it still arrive (nothing is skipped up to the made-up id).
    agent.ready().await;
    events
        .until("status after the resync", |e| {
            matches!(e, Event::Status { .. })
        })
        .await;

    // As the `Last-Event-ID` header.
    let t = ticket(&agent).await;
    let resp = reqwest::Client::new()
        .get(format!("{}/api/events?ticket={}", server.base, t.ticket))
        .header("Last-Event-ID", beyond.0.to_string())
        .send()
        .await
        .expect("stream");
    assert_eq!(resp.status().as_u16(), 200);
    let mut body = resp.bytes_stream();
    let mut text = String::new();
    while !text.contains("\n\n") {
        let chunk = timeout(Duration::from_secs(10), body.next())
            .await
            .expect("a first event")
            .expect("the stream is open")
            .expect("a chunk");
        text.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(
        text.contains("event: resync"),
        "first event with Last-Event-ID above the head: {text}"
    );
}

/// Fills the event log the way a busy day would (many agents and contacts) and reads each
/// stream query's plan: both must read through their index, never the whole log.
async fn replay_reads_through_indexes(backend: Backend) {
    let server = Server::start(backend, |_| {}).await;
    let db = server.stop().await;
    let pool = db.pool().await;
    let rows = "SELECT 0, CASE WHEN i % 50 = 0 THEN NULL ELSE i % 97 END, 1, i % 1000, 1, \
                '{\"type\":\"resync\"}'";
    let fill = match backend {
        Backend::Sqlite => format!(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 50000) \
             INSERT INTO events (at, agent_id, to_agents, contact_id, to_visitor, payload) \
             {rows} FROM n"
        ),
        Backend::Postgres => format!(
            "INSERT INTO events (at, agent_id, to_agents, contact_id, to_visitor, payload) \
             {rows} FROM generate_series(1, 50000) AS i"
        ),
    };
    sqlx::query(&fill).execute(&pool).await.expect("fill");
    sqlx::query("ANALYZE")
        .execute(&pool)
        .await
        .expect("analyze");

    // Each query, its index, and how many reads of the log it makes (the agent's two: their
    // own events and those for every agent).
    for (sql, index, reads) in [
        (threadline_api::store::AGENT_EVENTS_SQL, "events_agent", 2),
        (
            threadline_api::store::VISITOR_EVENTS_SQL,
            "events_contact",
            1,
        ),
    ] {
        let (explain, column) = match backend {
            Backend::Sqlite => (format!("EXPLAIN QUERY PLAN {sql}"), "detail"),
            Backend::Postgres => (format!("EXPLAIN {sql}"), "QUERY PLAN"),
        };
        let plan: Vec<String> = sqlx::query(&explain)
            .bind(1_000_i64)
            .bind(42_i64)
            .bind(5001_i64)
            .bind(40_000_i64)
            .fetch_all(&pool)
            .await
            .expect("explain")
            .iter()
            .map(|r| r.try_get::<String, _>(column).expect("plan text"))
            .collect();
        let text = plan.join("\n");
        assert!(
            text.matches(index).count() >= reads,
            "{index} not used for every read:\n{text}"
        );
        // Not the whole log, nor every id above the client's (the primary key).
        let other_read = plan.iter().any(|line| {
            line.contains("Seq Scan")
                || line.contains("events_pkey")
                || line.contains("PRIMARY KEY")
                || (line.contains("SCAN events") && !line.contains("USING"))
        });
        assert!(
            !other_read,
            "the query reads the log without {index}:\n{text}"
        );
    }
    pool.close().await;
}

/// Reads what the server sends on a raw connection until it closes it (or `d` passes).
async fn read_until_closed(conn: &mut TcpStream, d: Duration) -> Option<String> {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = Instant::now() + d;
    loop {
        match timeout(
            deadline.saturating_duration_since(Instant::now()),
            conn.read(&mut buf),
        )
        .await
        {
            Err(_) => return None,
            Ok(Ok(0) | Err(_)) => return Some(String::from_utf8_lossy(&got).into_owned()),
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
        }
    }
}

/// A normal request is answered (200) meanwhile.
async fn served(server: &Server) {
    let resp = timeout(
        Duration::from_secs(5),
        reqwest::get(format!("{}/api/openapi.json", server.base)),
    )
    .await
    .expect("a normal client was not answered in time")
    .expect("a normal request");
    assert_eq!(resp.status().as_u16(), 200);
}

fn addr(server: &Server) -> String {
    server.base.trim_start_matches("http://").to_owned()
}

async fn slowloris_headers_are_cut_off(backend: Backend) {
    let server = Server::start(backend, |c| c.header_timeout = Duration::from_secs(1)).await;
    let mut slow = TcpStream::connect(addr(&server)).await.expect("connect");
    slow.write_all(b"GET /api/openapi.json HTTP/1.1\r\nHost: x\r\n")
        .await
        .expect("write");
    // Trickle one header line every 200 ms for far longer than the header timeout.
    let started = Instant::now();
    let trickle = async {
        let mut tick = tokio::time::interval(Duration::from_millis(200));
        for n in 0..50 {
            tick.tick().await;
            if slow
                .write_all(format!("X-Slow-{n}: 1\r\n").as_bytes())
                .await
                .is_err()
            {
                return true;
            }
        }
        false
    };
    let (cut, ()) = tokio::join!(trickle, served(&server));
    let answer = read_until_closed(&mut slow, Duration::from_secs(5)).await;
    assert!(
        cut || answer.is_some(),
        "the server still held the slow connection"
    );
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "the slow client held on for {:?}",
        started.elapsed()
    );
    if let Some(text) = answer {
        assert!(
            !text.contains(" 200 "),
            "the slow client was answered: {text}"
        );
    }
    served(&server).await;
}

async fn trickled_body_gets_408(backend: Backend) {
    let server = Server::start(backend, |c| {
        c.request_timeout = Duration::from_secs(1);
        c.upload_timeout = Duration::from_secs(2);
    })
    .await;
    let agent = server.agent("ann").await;
    let heads = [
        // An ordinary JSON request (the request timeout).
        "POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
         Content-Length: 100000\r\n\r\n"
            .to_owned(),
        // An upload (the upload timeout).
        format!(
            "POST /api/attachments HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\n\
             Content-Type: multipart/form-data; boundary=XX\r\nContent-Length: 1000000\r\n\r\n\
             --XX\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.png\"\r\n\
             Content-Type: image/png\r\n\r\n",
            agent.token
        ),
    ];
    for (head, limit) in heads.iter().zip([1, 2]) {
        let mut slow = TcpStream::connect(addr(&server)).await.expect("connect");
        slow.write_all(head.as_bytes()).await.expect("write");
        let started = Instant::now();
        let (mut rd, mut wr) = slow.into_split();
        let trickle = async move {
            let mut tick = tokio::time::interval(Duration::from_millis(100));
            for _ in 0..200 {
                tick.tick().await;
                if wr.write_all(b"a").await.is_err() {
                    break;
                }
            }
        };
        let answer = async {
            let mut got = Vec::new();
            let mut buf = [0u8; 4096];
            while !String::from_utf8_lossy(&got).contains("\r\n\r\n") {
                match rd.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => got.extend_from_slice(&buf[..n]),
                }
            }
            String::from_utf8_lossy(&got).into_owned()
        };
        let text = tokio::select! {
            text = answer => text,
            () = trickle => String::new(),
        };
        let took = started.elapsed();
        assert!(
            text.starts_with("HTTP/1.1 408"),
            "no 408 for a trickled body: {text:?}"
        );
        assert!(
            took >= Duration::from_secs(limit) && took < Duration::from_secs(limit + 3),
            "answered after {took:?} (limit {limit} s)"
        );
        served(&server).await;
    }
}

async fn connections_over_the_limit_wait(backend: Backend) {
    let server = Server::start(backend, |c| {
        c.max_connections = 3;
        c.header_timeout = Duration::from_secs(2);
    })
    .await;
    let mut idle = Vec::new();
    for _ in 0..3 {
        idle.push(TcpStream::connect(addr(&server)).await.expect("connect"));
    }
    // Every slot is held by a connection that sends nothing: a new client is not answered ...
    let waiting = timeout(
        Duration::from_millis(700),
        reqwest::get(format!("{}/api/openapi.json", server.base)),
    )
    .await;
    assert!(waiting.is_err(), "a connection over the limit was served");
    // ... until the header timeout closes the idle ones, then it is.
    for conn in &mut idle {
        assert!(
            read_until_closed(conn, Duration::from_secs(6))
                .await
                .is_some(),
            "an idle connection was kept past the header timeout"
        );
    }
    served(&server).await;
}

on_both!(
    logout_ends_streams_and_tickets,
    password_change_ends_other_sessions,
    session_expiry_ends_streams,
    last_event_id_above_head_resyncs,
    replay_reads_through_indexes,
    slowloris_headers_are_cut_off,
    trickled_body_gets_408,
    connections_over_the_limit_wait,
);

/// Appends one event for every agent on `conn` with the statement an instance uses (which
/// also wakes the other instances at commit); its id.
async fn append_event<'c, E: sqlx::Executor<'c, Database = sqlx::Any>>(conn: E) -> i64 {
    use threadline_api::store::Dialect;
    let sql =
        threadline_api::store::postgres::Postgres::new().append_events_sql(1, " RETURNING id");
    // One row of the log's columns (`EventsBound::Json`): at, agent, to agents, contact, to
    // the visitor, payload.
    let rows = serde_json::json!([[common::now_ms(), null, 1, null, 0, "{\"type\":\"resync\"}"]]);
    sqlx::query(&sql)
        .bind(rows.to_string())
        .fetch_one(conn)
        .await
        .expect("append an event")
        .try_get("id")
        .expect("its id")
}

/// The next event of the log on `events` (skipping the server's own before `id`); panics if it
/// is not `id`.
async fn next_is(events: &mut common::Events, id: i64) {
    loop {
        let env = events.until("an event of the log", |_| true).await;
        if env.id.0 < id {
            continue;
        }
        assert_eq!(env.id.0, id, "events out of order; saw {:?}", events.seen);
        return;
    }
}

/// Transactions on PostgreSQL commit in any order: a stream never gets an event while one
/// with a smaller id is still being committed (it would then skip it), a new client starts
/// below it, and an id whose transaction rolled back holds nothing up once that has ended.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_reach_streams_in_id_order_whatever_order_they_commit() {
    if common::pg_url().is_none() {
        eprintln!("THREADLINE_TEST_PG is not set: not run");
        return;
    }
    let server = Server::start(Backend::Postgres, |_| {}).await;
    let ann = server.agent("ann").await;
    let mut events = ann.events().await;
    // Connections of another instance, beside the server.
    sqlx::any::install_default_drivers();
    let other = sqlx::any::AnyPoolOptions::new()
        .max_connections(3)
        .connect(&server.db.url)
        .await
        .expect("connect");
    // 11 is drawn and not yet committed when 12 commits; 11's transaction took its id after
    // 12's, so a snapshot taken then does not list it as running (its `xmax` is one past the
    // newest transaction that had ended: 12's).
    let mut fast = other.begin().await.expect("begin");
    sqlx::query("SELECT pg_current_xact_id()::text")
        .execute(&mut *fast)
        .await
        .expect("an id for the first transaction");
    let mut slow = other.begin().await.expect("begin");
    let first = append_event(&mut *slow).await;
    let second = append_event(&mut *fast).await;
    fast.commit().await.expect("commit");
    assert!(second > first);
    // 12's commit wakes the hub (its `NOTIFY`); no other transaction ends meanwhile, or the
    // snapshot would list 11's. The hub looks again every 5 ms while the gap waits.
    let early = events.drain_for(Duration::from_millis(700)).await;
    assert!(
        early.iter().all(|e| e.id.0 < first),
        "an event passed one still being committed: {early:?}"
    );
    let t = ticket(&ann).await;
    assert!(t.head.0 < first, "a new client would start past {first}");
    slow.commit().await.expect("commit");
    next_is(&mut events, first).await;
    next_is(&mut events, second).await;

    // A transaction that rolls back leaves a gap that holds nothing up once it has ended.
    let mut undone = other.begin().await.expect("begin");
    let lost = append_event(&mut *undone).await;
    let after = append_event(&other).await;
    assert!(after > lost);
    undone.rollback().await.expect("rollback");
    next_is(&mut events, after).await;
    assert!(events.seen.iter().all(|e| e.id.0 != lost));
    // Replayed from the log by a new stream from before them: the same events, in order.
    let mut again = ann
        .stream(
            "/api/events/ticket",
            "/api/events",
            Some(EventId(first - 1)),
        )
        .await;
    next_is(&mut again, first).await;
    next_is(&mut again, second).await;
    next_is(&mut again, after).await;
    other.close().await;
}
