//! Monitor: a supervisor reads any live chat, starts and stops watching it; the agent holding
//! it hears both (and reads the current monitors with their work after a reload), the visitor
//! never does; a monitor ends with the chat session and with the supervisor's session; every
//! start and end is audited. Real server, both databases.

mod common;

use common::{Agent, Backend, Caller, Events, Server, TestDb, Visitor};
use serde_json::json;
use sqlx::Row;
use std::time::Duration;
use wire::api::MyWork;
use wire::monitor::{Monitor, MonitorView};
use wire::{Event, InteractionId, InteractionState};

on_both!(
    only_supervisors_monitor,
    the_agent_hears_who_monitors_and_the_visitor_never_does,
    a_monitor_ends_with_the_chat_session,
    a_monitor_ends_with_the_supervisors_session,
    a_monitor_ends_when_the_supervisors_session_runs_out,
    a_supervisors_reassign_tells_the_agent_by_whom,
);

/// Ann works on a chat with a visitor; both streams open.
struct Scene {
    ann: Agent,
    ann_ev: Events,
    visitor: Visitor,
    visitor_ev: Events,
    id: InteractionId,
}

async fn scene(s: &Server) -> Scene {
    let ann = s.agent("ann").await;
    let mut ann_ev = ann.events().await;
    ann.ready().await;
    let visitor = s.visitor("Tim Tester").await;
    let visitor_ev = visitor.events().await;
    visitor.say("My order never arrived").await;
    let offer = ann_ev.offer("offer to ann").await;
    let id = offer.interaction.id;
    ann.accept(id).await;
    Scene {
        ann,
        ann_ev,
        visitor,
        visitor_ev,
        id,
    }
}

fn monitor_path(id: InteractionId) -> String {
    format!("/api/supervisor/interactions/{id}/monitor")
}

async fn start(sup: &Agent, id: InteractionId) -> (u16, serde_json::Value) {
    sup.call(reqwest::Method::POST, &monitor_path(id), Some(json!({})))
        .await
}

async fn stop(sup: &Agent, id: InteractionId) -> (u16, serde_json::Value) {
    sup.call(reqwest::Method::DELETE, &monitor_path(id), None)
        .await
}

/// The next `monitoring` event on a stream.
async fn monitoring(ev: &mut Events, what: &str) -> (Monitor, bool) {
    let env = ev
        .until(what, |e| matches!(e, Event::Monitoring { .. }))
        .await;
    let Event::Monitoring { monitor, on } = env.event else {
        unreachable!("until returned a matching event")
    };
    (monitor, on)
}

/// Audit rows of the monitor actions for one interaction: (action, actor login or none).
async fn audited(db: &TestDb, id: InteractionId) -> Vec<(String, Option<String>)> {
    let pool = db.pool().await;
    sqlx::query(
        "SELECT l.action, a.login FROM audit_log l LEFT JOIN agents a ON a.id = l.actor_id \
         WHERE l.action LIKE 'interaction.monitor%' AND l.target_id = $1 ORDER BY l.id",
    )
    .bind(id.0.to_string())
    .fetch_all(&pool)
    .await
    .expect("audit rows")
    .iter()
    .map(|r| (r.get("action"), r.get("login")))
    .collect()
}

async fn only_supervisors_monitor(b: Backend) {
    let s = Server::start(b, |_| {}).await;
    let sc = scene(&s).await;
    let ben = s.agent("ben").await;
    let read = format!("/api/supervisor/interactions/{}", sc.id);
    for (method, path) in [
        (reqwest::Method::GET, read.clone()),
        (reqwest::Method::POST, monitor_path(sc.id)),
        (reqwest::Method::DELETE, monitor_path(sc.id)),
    ] {
        let (status, body) = s.call(method.clone(), &path, None, None).await;
        assert_eq!(status, 401, "anonymous {method} {path}: {body}");
        for agent in [&sc.ann, &ben] {
            let (status, body) = agent.call(method.clone(), &path, None).await;
            assert_eq!(status, 403, "agent {method} {path}: {body}");
        }
    }
    // The supervisor (and the administrator) read the transcript: the desktop's conversation
    // read, with the interaction and who watches.
    for login in ["sam", "ada"] {
        let sup = s.agent(login).await;
        let view: MonitorView = sup.get(&read).await;
        assert_eq!(view.interaction.id, sc.id);
        assert_eq!(view.interaction.state, InteractionState::Active);
        assert_eq!(view.interaction.agent_name.as_deref(), Some("Ann Archer"));
        assert!(
            view.page
                .messages
                .iter()
                .any(|m| m.text == "My order never arrived" && m.interaction_id == sc.id),
            "{view:?}"
        );
        assert!(view.monitors.is_empty());
    }
    let sam = s.agent("sam").await;
    let (status, body) = sam
        .call(
            reqwest::Method::GET,
            "/api/supervisor/interactions/999999",
            None,
        )
        .await;
    assert_eq!(status, 404, "{body}");
    let (status, body) = start(&sam, InteractionId(999_999)).await;
    assert_eq!(status, 404, "{body}");
    let (status, body) = stop(&sam, InteractionId(999_999)).await;
    assert_eq!(status, 404, "{body}");
    // Stopping what one does not monitor changes nothing and tells nobody.
    let (status, body) = stop(&sam, sc.id).await;
    assert_eq!(status, 204, "{body}");
}

async fn the_agent_hears_who_monitors_and_the_visitor_never_does(b: Backend) {
    let s = Server::start(b, |_| {}).await;
    let mut sc = scene(&s).await;
    let sam = s.agent("sam").await;
    let mut board = sam
        .stream("/api/supervisor/board/ticket", "/api/events", None)
        .await;

    let (status, body) = start(&sam, sc.id).await;
    assert_eq!(status, 200, "{body}");
    let (m, on) = monitoring(&mut sc.ann_ev, "monitoring on").await;
    assert!(on);
    assert_eq!(m.interaction_id, sc.id);
    assert_eq!(m.by_id, sam.id);
    assert_eq!(m.by_name, "Sam Sato");
    assert_eq!(
        wire::monitor::monitoring_text(&m.by_name),
        "Sam Sato is monitoring this chat"
    );
    // Starting again tells nobody twice.
    let (status, body) = start(&sam, sc.id).await;
    assert_eq!(status, 200, "{body}");

    // A reload shows it: the agent's work and the supervisor's read.
    let work: MyWork = sc.ann.get("/api/interactions").await;
    assert_eq!(work.monitors.len(), 1, "{:?}", work.monitors);
    assert_eq!(work.monitors[0].by_name, "Sam Sato");
    let view: MonitorView = sam
        .get(&format!("/api/supervisor/interactions/{}", sc.id))
        .await;
    assert_eq!(view.monitors.len(), 1);

    // What the visitor writes reaches the supervisor's board stream live.
    sc.visitor.say("Still waiting").await;
    board
        .until(
            "the visitor's message on the board",
            |e| matches!(e, Event::Message { message } if message.text == "Still waiting"),
        )
        .await;

    let (status, body) = stop(&sam, sc.id).await;
    assert_eq!(status, 204, "{body}");
    let (m, on) = monitoring(&mut sc.ann_ev, "monitoring off").await;
    assert!(!on);
    assert_eq!(m.by_id, sam.id);
    let work: MyWork = sc.ann.get("/api/interactions").await;
    assert!(work.monitors.is_empty());
    // No second `on` came for the repeated start.
    let ons = sc
        .ann_ev
        .seen
        .iter()
        .filter(|e| matches!(e.event, Event::Monitoring { on: true, .. }))
        .count();
    assert_eq!(ons, 1);

    // The visitor's stream saw the message, never a monitor.
    sc.visitor_ev
        .until(
            "the visitor's own message",
            |e| matches!(e, Event::Message { message } if message.text == "Still waiting"),
        )
        .await;
    sc.visitor_ev.drain_for(Duration::from_millis(300)).await;
    assert!(
        sc.visitor_ev
            .seen
            .iter()
            .all(|e| !matches!(e.event, Event::Monitoring { .. } | Event::Reassigned { .. })),
        "{:?}",
        sc.visitor_ev.seen
    );
    let db = s.stop().await;
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&db.url).await.expect("db");
    let to_visitor: i64 = sqlx::query(
        "SELECT COUNT(*) AS n FROM events WHERE payload LIKE '%\"type\":\"monitoring\"%' AND to_visitor <> 0",
    )
    .fetch_one(&pool)
    .await
    .expect("count")
    .get("n");
    assert_eq!(to_visitor, 0);
    assert_eq!(
        audited(&db, sc.id).await,
        vec![
            (
                "interaction.monitor_start".to_owned(),
                Some("sam".to_owned())
            ),
            ("interaction.monitor_end".to_owned(), Some("sam".to_owned())),
        ]
    );
}

async fn a_monitor_ends_with_the_chat_session(b: Backend) {
    let s = Server::start(b, |_| {}).await;
    let mut sc = scene(&s).await;
    let sam = s.agent("sam").await;
    assert_eq!(start(&sam, sc.id).await.0, 200);
    monitoring(&mut sc.ann_ev, "monitoring on").await;
    let (status, body) = sc
        .ann
        .call(
            reqwest::Method::POST,
            &format!("/api/interactions/{}/end", sc.id),
            Some(json!({})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (m, on) = monitoring(&mut sc.ann_ev, "monitoring off at the end").await;
    assert!(!on);
    assert_eq!(m.interaction_id, sc.id);
    let view: MonitorView = sam
        .get(&format!("/api/supervisor/interactions/{}", sc.id))
        .await;
    assert_eq!(view.interaction.state, InteractionState::Ended);
    assert!(view.monitors.is_empty());
    // An ended chat cannot be monitored.
    let (status, body) = start(&sam, sc.id).await;
    assert_eq!(status, 409, "{body}");
    let db = s.stop().await;
    assert_eq!(
        audited(&db, sc.id).await,
        vec![
            (
                "interaction.monitor_start".to_owned(),
                Some("sam".to_owned())
            ),
            ("interaction.monitor_end".to_owned(), None),
        ]
    );
}

async fn a_monitor_ends_with_the_supervisors_session(b: Backend) {
    let s = Server::start(b, |_| {}).await;
    let mut sc = scene(&s).await;
    let sam = s.agent("sam").await;
    assert_eq!(start(&sam, sc.id).await.0, 200);
    monitoring(&mut sc.ann_ev, "monitoring on").await;
    let (status, body) = sam
        .call(reqwest::Method::POST, "/api/auth/logout", Some(json!({})))
        .await;
    assert_eq!(status, 204, "{body}");
    let (m, on) = monitoring(&mut sc.ann_ev, "monitoring off at logout").await;
    assert!(!on);
    assert_eq!(m.by_id, sam.id);
    let work: MyWork = sc.ann.get("/api/interactions").await;
    assert!(work.monitors.is_empty());
}

/// A session that runs out by itself (no logout) ends its monitors at the next sweep: the
/// agent is told, as at a logout.
async fn a_monitor_ends_when_the_supervisors_session_runs_out(b: Backend) {
    let s = Server::start(b, |c| {
        c.sweep_interval = std::time::Duration::from_millis(200);
    })
    .await;
    let mut sc = scene(&s).await;
    let sam = s.agent("sam").await;
    assert_eq!(start(&sam, sc.id).await.0, 200);
    monitoring(&mut sc.ann_ev, "monitoring on").await;
    // Sam's twelve hours are over (no route can make a session older).
    let pool = s.db.pool().await;
    let changed = sqlx::query("UPDATE agent_sessions SET expires_at = $1 WHERE agent_id = $2")
        .bind(common::now_ms() - 1)
        .bind(sam.id.0)
        .execute(&pool)
        .await
        .expect("expire the session")
        .rows_affected();
    assert_eq!(changed, 1);
    let (m, on) = monitoring(&mut sc.ann_ev, "monitoring off when the session ran out").await;
    assert!(!on);
    assert_eq!((m.by_id, m.interaction_id), (sam.id, sc.id));
    let work: MyWork = sc.ann.get("/api/interactions").await;
    assert!(work.monitors.is_empty());
}

async fn a_supervisors_reassign_tells_the_agent_by_whom(b: Backend) {
    let s = Server::start(b, |_| {}).await;
    let mut sc = scene(&s).await;
    let sam = s.agent("sam").await;
    assert_eq!(start(&sam, sc.id).await.0, 200);
    let (status, body) = sam
        .call(
            reqwest::Method::POST,
            &format!("/api/interactions/{}/transfer", sc.id),
            Some(json!({"to": "queue", "note": "Ann is swamped"})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let env = sc
        .ann_ev
        .until("reassigned", |e| matches!(e, Event::Reassigned { .. }))
        .await;
    let Event::Reassigned {
        interaction_id,
        by_name,
        to_name,
    } = env.event
    else {
        unreachable!()
    };
    assert_eq!(interaction_id, sc.id);
    assert_eq!(by_name, "Sam Sato");
    assert_eq!(to_name, "the queue");
    // The supervisor still watches the chat while it waits.
    let view: MonitorView = sam
        .get(&format!("/api/supervisor/interactions/{}", sc.id))
        .await;
    assert!(matches!(
        view.interaction.state,
        InteractionState::Queued | InteractionState::Offered
    ));
    assert_eq!(view.monitors.len(), 1);
    // Ben, who takes it next, hears who watches it.
    let ben = s.agent("ben").await;
    let mut ben_ev = ben.events().await;
    ben.ready().await;
    let offer = ben_ev.offer("the reassigned chat offered to ben").await;
    assert_eq!(offer.interaction.id, sc.id);
    ben.accept(sc.id).await;
    let (m, on) = monitoring(&mut ben_ev, "monitoring told to the new holder").await;
    assert!(on);
    assert_eq!(m.by_name, "Sam Sato");
    let work: MyWork = ben.get("/api/interactions").await;
    assert_eq!(work.monitors.len(), 1);
    // Ann heard of the reassign once.
    let ann_ev = &mut sc.ann_ev;
    ann_ev.drain_for(Duration::from_millis(200)).await;
    let reassigned = ann_ev
        .seen
        .iter()
        .filter(|e| matches!(e.event, Event::Reassigned { .. }))
        .count();
    assert_eq!(reassigned, 1);
}
