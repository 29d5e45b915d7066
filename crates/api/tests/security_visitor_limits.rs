//! The visitor side of issue 13, finding 6 (unauthenticated resource exhaustion), on SQLite and
//! PostgreSQL: quotas per visitor and per address (429 + `Retry-After`, behind
//! `--trusted-proxies` too), stream caps, typing never written (and still reaching another
//! instance), unsent uploads swept, and routing that a head of unroutable chats cannot starve.

mod common;

use common::{client_id, post_as, tiny_png, upload, Backend, Caller, Server, Visitor};
use reqwest::Method;
use serde_json::{json, Value};
use std::time::Duration;
use wire::api::StreamTicket;
use wire::Event;

on_both!(
    strangers_are_rate_limited_per_visitor_and_address,
    proxies_name_the_address_that_is_limited,
    visitor_streams_are_capped,
    typing_is_live_only,
    unsent_uploads_are_swept,
    spam_at_the_head_of_the_queue_cannot_starve_routing,
);

fn assert_limited(st: u16, body: &Value, what: &str) {
    assert_eq!(st, 429, "{what}: {body}");
    assert_eq!(body["error"]["code"], "rate_limited", "{what}: {body}");
    assert!(body["error"]["message"].is_string());
}

async fn strangers_are_rate_limited_per_visitor_and_address(b: Backend) {
    let s = Server::start(b, |c| {
        let q = &mut c.visitor_quotas;
        q.sessions_per_address = 4;
        q.messages_per_visitor = 3;
        q.messages_per_address = 5;
        q.uploads_per_visitor = 1;
        q.typing_per_visitor = 2;
        q.receipts_per_visitor = 2;
        q.tickets_per_visitor = 2;
    })
    .await;
    let a = s.visitor("Spammy A").await;
    let bee = s.visitor("Spammy B").await;
    // Messages: three for A, then 429 with Retry-After; B still has its own quota...
    for i in 0..3 {
        let (st, _, body) = post_as(
            &s,
            "/api/visitor/messages",
            Some(&a.token),
            None,
            json!({"client_id": client_id(), "text": format!("spam {i}")}),
        )
        .await;
        assert_eq!(st, 200, "{body}");
    }
    let (st, retry, body) = post_as(
        &s,
        "/api/visitor/messages",
        Some(&a.token),
        None,
        json!({"client_id": client_id(), "text": "one too many"}),
    )
    .await;
    assert_limited(st, &body, "fourth message");
    let secs = retry.expect("Retry-After in seconds");
    assert!((1..=60).contains(&secs));
    for i in 0..2 {
        let (st, _, body) = post_as(
            &s,
            "/api/visitor/messages",
            Some(&bee.token),
            None,
            json!({"client_id": client_id(), "text": format!("b {i}")}),
        )
        .await;
        assert_eq!(st, 200, "{body}");
    }
    // ... until the address's quota (5) is used up for everyone there.
    let (st, _, body) = post_as(
        &s,
        "/api/visitor/messages",
        Some(&bee.token),
        None,
        json!({"client_id": client_id(), "text": "address full"}),
    )
    .await;
    assert_limited(st, &body, "the address's sixth message");
    // A new session for the spammer does not reset the per-visitor quota: it is a new visitor,
    // and sessions from one address are limited too (two used above, two more, then 429).
    for _ in 0..2 {
        let (st, _, body) = post_as(&s, "/api/visitor/session", None, None, json!({})).await;
        assert_eq!(st, 200, "{body}");
    }
    let (st, retry, body) = post_as(&s, "/api/visitor/session", None, None, json!({})).await;
    assert_limited(st, &body, "fifth session");
    assert!(retry.is_some());
    // Typing and uploads.
    for _ in 0..2 {
        let (st, _, body) = post_as(
            &s,
            "/api/visitor/typing",
            Some(&bee.token),
            None,
            json!({"typing": true}),
        )
        .await;
        assert_eq!(st, 204, "{body}");
    }
    let (st, _, body) = post_as(
        &s,
        "/api/visitor/typing",
        Some(&bee.token),
        None,
        json!({"typing": true}),
    )
    .await;
    assert_limited(st, &body, "third typing notice");
    let (st, body) = upload(&s, &a.token, "/api/visitor/attachments", tiny_png()).await;
    assert_eq!(st, 200, "{body}");
    let (st, body) = upload(&s, &a.token, "/api/visitor/attachments", tiny_png()).await;
    assert_limited(st, &body, "second upload");
    // Receipts and stream tickets are writes too.
    for (path, body, quota) in [
        (
            "/api/visitor/receipts",
            json!({"up_to_seq": 1, "read": true}),
            2,
        ),
        ("/api/visitor/events/ticket", json!({}), 2),
    ] {
        for _ in 0..quota {
            let (st, _, got) = post_as(&s, path, Some(&a.token), None, body.clone()).await;
            assert!((200..300).contains(&st), "{path}: {got}");
        }
        let (st, _, got) = post_as(&s, path, Some(&a.token), None, body.clone()).await;
        assert_limited(st, &got, path);
    }
    // A page going away counts with its stream ticket (one of each per page load).
    let (st, _, got) = post_as(&s, "/api/visitor/away", Some(&a.token), None, json!({})).await;
    assert_limited(st, &got, "away after the tickets' quota");
}

async fn proxies_name_the_address_that_is_limited(b: Backend) {
    let s = Server::start(b, |c| {
        c.trusted_proxies = vec!["127.0.0.1".parse().expect("net")];
        c.visitor_quotas.sessions_per_address = 2;
    })
    .await;
    for _ in 0..2 {
        let (st, _, body) = post_as(
            &s,
            "/api/visitor/session",
            None,
            Some("203.0.113.7"),
            json!({}),
        )
        .await;
        assert_eq!(st, 200, "{body}");
    }
    let (st, _, body) = post_as(
        &s,
        "/api/visitor/session",
        None,
        Some("203.0.113.7"),
        json!({}),
    )
    .await;
    assert_limited(st, &body, "third session from one client behind the proxy");
    // Another client behind the same proxy is not held up by the first.
    let (st, _, body) = post_as(
        &s,
        "/api/visitor/session",
        None,
        Some("198.51.100.9"),
        json!({}),
    )
    .await;
    assert_eq!(st, 200, "{body}");
}

async fn open_status(s: &Server, v: &Visitor) -> (u16, Option<reqwest::Response>) {
    let t: StreamTicket = v.post("/api/visitor/events/ticket", json!({})).await;
    let r = reqwest::Client::new()
        .get(format!("{}/api/visitor/events?ticket={}", s.base, t.ticket))
        .send()
        .await
        .expect("stream");
    let st = r.status().as_u16();
    (st, (st == 200).then_some(r))
}

async fn visitor_streams_are_capped(b: Backend) {
    let s = Server::start(b, |c| {
        c.visitor_quotas.streams_per_visitor = 2;
        c.visitor_quotas.streams_per_address = 3;
        // The wait below takes a ticket per try.
        c.visitor_quotas.tickets_per_visitor = 10_000;
    })
    .await;
    let v = s.visitor("Many Tabs").await;
    let (st1, first) = open_status(&s, &v).await;
    let (st2, _second) = open_status(&s, &v).await;
    assert_eq!((st1, st2), (200, 200));
    let ticket: StreamTicket = v.post("/api/visitor/events/ticket", json!({})).await;
    let refused = reqwest::Client::new()
        .get(format!(
            "{}/api/visitor/events?ticket={}",
            s.base, ticket.ticket
        ))
        .send()
        .await
        .expect("stream");
    assert_eq!(refused.status().as_u16(), 429);
    assert!(refused.headers().contains_key("retry-after"));
    let body: Value = refused.json().await.expect("json");
    assert_eq!(body["error"]["code"], "rate_limited");
    // The address cap: one more visitor's stream fits, the next does not.
    let colleague = s.visitor("Same Office").await;
    let (st, _third) = open_status(&s, &colleague).await;
    assert_eq!(st, 200);
    let (st, _) = open_status(&s, &colleague).await;
    assert_eq!(st, 429, "the address holds three streams already");
    // Closing a stream frees its place (the server notices the closed connection).
    drop(first);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    loop {
        tick.tick().await;
        let (st, again) = open_status(&s, &v).await;
        if st == 200 {
            drop(again);
            break;
        }
        assert_eq!(st, 429);
        assert!(
            tokio::time::Instant::now() < deadline,
            "a closed stream's place was never freed"
        );
    }
}

async fn typing_is_live_only(b: Backend) {
    let s = Server::start(b, |_| {}).await;
    let ann = s.agent("ann").await;
    let mut ann_ev = ann.events().await;
    ann.ready().await;
    let v = s.visitor("Typist").await;
    v.say("hello").await;
    let offer = ann_ev.offer("offer").await;
    ann.accept(offer.interaction.id).await;
    let before: StreamTicket = v.post("/api/visitor/events/ticket", json!({})).await;
    for typing in [true, false, true] {
        v.post::<Value>("/api/visitor/typing", json!({"typing": typing}))
            .await;
    }
    let got = ann_ev
        .until("visitor typing", |e| {
            matches!(e, Event::Typing { typing: true, contact_id, .. } if *contact_id == v.contact)
        })
        .await;
    assert_eq!(got.id, common::LIVE_ONLY, "typing has no place in the log");
    // No row of the log is a typing event (the head alone could move: the accept's own events
    // may commit after the ticket was taken).
    let payloads: Vec<String> = sqlx::query_scalar("SELECT payload FROM events")
        .fetch_all(&s.db.pool().await)
        .await
        .expect("the event log");
    assert!(
        payloads
            .iter()
            .any(|p| matches!(serde_json::from_str::<Event>(p), Ok(Event::Message { .. }))),
        "the visitor's message is in the log, read as an event"
    );
    assert!(
        !payloads
            .iter()
            .any(|p| matches!(serde_json::from_str::<Event>(p), Ok(Event::Typing { .. }))),
        "typing wrote an event row"
    );
    // A reconnect replays messages, never typing.
    let mut replay = ann
        .stream("/api/events/ticket", "/api/events", Some(before.head))
        .await;
    v.say("after typing").await;
    replay
        .until(
            "the message",
            |e| matches!(e, Event::Message { message } if message.text == "after typing"),
        )
        .await;
    assert!(
        !replay.seen.iter().any(|e| matches!(
            e.event,
            Event::Typing {
                party: wire::Party::Contact,
                ..
            }
        )),
        "typing was replayed from the log"
    );
    // The agent's typing reaches the visitor the same way: live, never written.
    let mut v_ev = v.events().await;
    let (st, body) = ann
        .call(
            Method::POST,
            &format!("/api/interactions/{}/typing", offer.interaction.id),
            Some(json!({"typing": true})),
        )
        .await;
    assert_eq!(st, 204, "{body}");
    let got = v_ev
        .until("the agent typing", |e| {
            matches!(
                e,
                Event::Typing {
                    party: wire::Party::Agent,
                    typing: true,
                    ..
                }
            )
        })
        .await;
    assert_eq!(
        got.id,
        common::LIVE_ONLY,
        "agent typing has no place in the log"
    );
    let head: StreamTicket = v.post("/api/visitor/events/ticket", json!({})).await;
    let (_, later) = ann
        .call(
            Method::POST,
            &format!("/api/interactions/{}/typing", offer.interaction.id),
            Some(json!({"typing": false})),
        )
        .await;
    assert_eq!(later, Value::Null);
    let again: StreamTicket = v.post("/api/visitor/events/ticket", json!({})).await;
    assert_eq!(again.head, head.head, "agent typing wrote no event row");
}

async fn unsent_uploads_are_swept(b: Backend) {
    let s = Server::start(b, |c| {
        c.upload_expiry = Duration::from_secs(1);
        c.sweep_interval = Duration::from_millis(200);
    })
    .await;
    let v = s.visitor("Uploader").await;
    let (st, kept) = upload(&s, &v.token, "/api/visitor/attachments", tiny_png()).await;
    assert_eq!(st, 200, "{kept}");
    v.post::<Value>(
        "/api/visitor/messages",
        json!({"client_id": client_id(), "text": "", "attachment_id": kept["id"]}),
    )
    .await;
    let (st, unsent) = upload(&s, &v.token, "/api/visitor/attachments", tiny_png()).await;
    assert_eq!(st, 200, "{unsent}");
    let status =
        |url: String| async move { reqwest::get(url).await.expect("download").status().as_u16() };
    let unsent_url = format!("{}{}", s.base, unsent["url"].as_str().expect("url"));
    let kept_url = format!("{}{}", s.base, kept["url"].as_str().expect("url"));
    assert_eq!(status(unsent_url.clone()).await, 200);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    let mut tick = tokio::time::interval(Duration::from_millis(200));
    loop {
        tick.tick().await;
        if status(unsent_url.clone()).await == 404 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the unsent upload was never swept"
        );
    }
    assert_eq!(status(kept_url).await, 200, "a sent image is kept");
    // Its id can no longer be sent either.
    let (st, body) = v
        .call(
            Method::POST,
            "/api/visitor/messages",
            Some(json!({"client_id": client_id(), "text": "", "attachment_id": unsent["id"]})),
        )
        .await;
    assert!((400..500).contains(&st), "{st} {body}");
}

async fn spam_at_the_head_of_the_queue_cannot_starve_routing(b: Backend) {
    let s = Server::start(b, |c| {
        c.visitor_quotas.sessions_per_address = 100;
        c.decline_cooldown = Duration::from_mins(10);
    })
    .await;
    let ann = s.agent("ann").await;
    let mut ev = ann.events().await;
    // 26 spam chats queue up first, then one real customer.
    let mut spam = Vec::new();
    for i in 0..26 {
        let v = s.visitor(&format!("Spam {i}")).await;
        v.say("buy cheap watches").await;
        spam.push(v.contact);
    }
    let real = s.visitor("Real Customer").await;
    real.say("my order never arrived").await;
    ann.ready().await;
    // Ann rejects every spam chat as it is offered; each stays queued (unroutable for her).
    let mut rejected = 0;
    loop {
        let offer = ev.offer("the next offer").await;
        if offer.interaction.contact_id == real.contact {
            break;
        }
        assert!(spam.contains(&offer.interaction.contact_id));
        let (st, body) = ann
            .call(
                Method::POST,
                &format!("/api/interactions/{}/reject", offer.interaction.id),
                Some(json!({})),
            )
            .await;
        assert_eq!(st, 204, "{body}");
        rejected += 1;
        assert!(rejected <= 26, "a spam chat was offered twice");
    }
    assert_eq!(rejected, 26, "the real chat came after all 26 spam chats");
}

/// Typing is not in the log, so on PostgreSQL it crosses instances by `NOTIFY` alone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typing_reaches_an_agent_on_another_instance() {
    if common::pg_url().is_none() {
        eprintln!("THREADLINE_TEST_PG is not set: not run");
        return;
    }
    let one = Server::start(Backend::Postgres, |_| {}).await;
    let two = Server::start_on(common::TestDb::existing(one.db.url.clone()), |_| {}).await;
    let ann = one.agent("ann").await;
    let mut ann_ev = ann.events().await;
    ann.ready().await;
    let v = one.visitor("Roaming Typist").await;
    v.say("hello").await;
    let offer = ann_ev.offer("offer").await;
    ann.accept(offer.interaction.id).await;
    // The visitor's next request lands on the other instance.
    let (st, body) = two
        .call(
            Method::POST,
            "/api/visitor/typing",
            Some(&v.token),
            Some(json!({"typing": true})),
        )
        .await;
    assert_eq!(st, 204, "{body}");
    let got = ann_ev
        .until("typing from the other instance", |e| {
            matches!(e, Event::Typing { typing: true, contact_id, .. } if *contact_id == v.contact)
        })
        .await;
    assert_eq!(got.id, common::LIVE_ONLY);
    // Exactly once: the sending instance does not also take its own notice back.
    let (st, _) = one
        .call(
            Method::POST,
            "/api/visitor/typing",
            Some(&v.token),
            Some(json!({"typing": false})),
        )
        .await;
    assert_eq!(st, 204);
    ann_ev
        .until("typing stopped", |e| {
            matches!(e, Event::Typing { typing: false, .. })
        })
        .await;
    let more = ann_ev.drain_for(Duration::from_millis(500)).await;
    assert!(
        !more.iter().any(|e| matches!(e.event, Event::Typing { .. })),
        "a typing notice arrived twice: {more:?}"
    );
}
