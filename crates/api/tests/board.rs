//! The supervisor's board, against the real server on both databases: who may read it, what it
//! shows as a chat goes from the queue to an agent, its live stream, and what a supervisor does
//! to an agent from it (Not Ready, log out), each audited.

mod common;

use common::{Agent, Backend, Caller, Server, TestDb};
use serde_json::json;
use sqlx::Row;
use wire::board::Board;
use wire::{ChatStatus, Event, InteractionState, Role};

/// A supervisor's `PUT /api/supervisor/agents/{id}/status` (at `path`) with `status`.
async fn put_status(
    sup: &Agent,
    path: &str,
    status: serde_json::Value,
) -> (u16, serde_json::Value) {
    sup.call(
        reqwest::Method::PUT,
        path,
        Some(json!({ "status": status })),
    )
    .await
}

async fn board(sup: &Agent) -> Board {
    sup.get("/api/supervisor/board").await
}

/// Audit rows of one action, as (actor login, target id) pairs.
async fn audited(db: &TestDb, action: &str) -> Vec<(String, String)> {
    let pool = db.pool().await;
    sqlx::query(
        "SELECT a.login, l.target_id FROM audit_log l JOIN agents a ON a.id = l.actor_id \
         WHERE l.action = $1 ORDER BY l.id",
    )
    .bind(action)
    .fetch_all(&pool)
    .await
    .expect("audit rows")
    .iter()
    .map(|r| (r.get("login"), r.get("target_id")))
    .collect()
}

async fn only_supervisors_read_the_board(backend: Backend) {
    let server = Server::start(backend, |_| {}).await;
    let (status, body) = server
        .call(reqwest::Method::GET, "/api/supervisor/board", None, None)
        .await;
    assert_eq!(status, 401, "anonymous: {body}");
    let ann = server.agent("ann").await;
    for (method, path, body) in [
        (reqwest::Method::GET, "/api/supervisor/board", None),
        (
            reqwest::Method::POST,
            "/api/supervisor/board/ticket",
            Some(json!({})),
        ),
        (
            reqwest::Method::PUT,
            &*format!("/api/supervisor/agents/{}/status", ann.id),
            Some(json!({"status": {"state": "not_ready", "reason": "break"}})),
        ),
        (
            reqwest::Method::POST,
            &*format!("/api/supervisor/agents/{}/logout", ann.id),
            None,
        ),
    ] {
        let (status, answer) = ann.call(method, path, body).await;
        assert_eq!(status, 403, "an agent on {path}: {answer}");
        assert_eq!(answer["error"]["code"], "forbidden", "{answer}");
    }
    for login in ["sam", "ada"] {
        let staff = server.agent(login).await;
        let b = board(&staff).await;
        let logins: Vec<&str> = b.agents.iter().map(|a| a.display_name.as_str()).collect();
        assert_eq!(
            logins,
            [
                "Ada Alvarez",
                "Ann Archer",
                "Ben Brooks",
                "Cleo Chen",
                "Sam Sato"
            ],
            "every active account, by name"
        );
        let sam = b.agents.iter().find(|a| a.display_name == "Sam Sato");
        assert_eq!(sam.map(|a| a.role), Some(Role::Supervisor));
    }
    // The document says which role each route needs.
    let (_, doc) = server
        .call(reqwest::Method::GET, "/api/openapi.json", None, None)
        .await;
    let op = &doc["paths"]["/api/supervisor/board"]["get"];
    assert!(
        op["description"]
            .as_str()
            .is_some_and(|d| d.contains("Role needed: supervisor")),
        "{op}"
    );
    assert!(op["responses"]["403"].is_object(), "{op}");
    let me = &doc["paths"]["/api/me"]["get"];
    assert!(
        me["description"]
            .as_str()
            .is_some_and(|d| d.contains("Role needed: agent")),
        "{me}"
    );
}

async fn board_follows_a_chat_live(backend: Backend) {
    let server = Server::start(backend, |_| {}).await;
    let sam = server.agent("sam").await;
    let before = board(&sam).await;
    assert_eq!(before.totals.active, 0, "the demo has no live chat");
    let mut live = sam
        .stream("/api/supervisor/board/ticket", "/api/events", None)
        .await;

    let visitor = server.visitor("Queue Quinn").await;
    visitor.say("Is anyone there?").await;
    // The board stream carries every event: here the message, told only to its visitor.
    live.until("message", |e| matches!(e, Event::Message { .. }))
        .await;
    let waiting = board(&sam).await;
    assert_eq!(waiting.totals.waiting, 1, "{waiting:?}");
    let chat = &waiting.queue[0];
    assert_eq!(chat.contact_name, "Queue Quinn");
    assert_eq!(chat.state, InteractionState::Queued);
    assert!(chat.waiting_since <= waiting.at, "{chat:?}");

    let ann = server.agent("ann").await;
    let mut ann_events = ann.events().await;
    ann.ready().await;
    let offer = ann_events.offer("the chat's offer").await;
    live.until("the offer, on the board stream", |e| {
        matches!(e, Event::Offer { .. })
    })
    .await;
    let offered = board(&sam).await;
    assert_eq!(offered.queue[0].offered_to.as_deref(), Some("Ann Archer"));
    ann.accept(offer.interaction.id).await;
    let working = board(&sam).await;
    assert!(working.queue.is_empty(), "{working:?}");
    assert_eq!(working.totals.active, 1);
    let ann_line = working
        .agents
        .iter()
        .find(|a| a.id == ann.id)
        .expect("Ann on the board");
    assert_eq!(ann_line.status, ChatStatus::Ready);
    assert!(ann_line.connected, "Ann's desktop stream is open");
    assert!(ann_line.status_since.is_some_and(|t| t <= working.at));
    assert_eq!(ann_line.chats.len(), 1);
    assert_eq!(ann_line.chats[0].contact_name, "Queue Quinn");
    assert_eq!(ann_line.chats[0].state, InteractionState::Active);
}

async fn supervisor_sets_not_ready_and_logs_out(backend: Backend) {
    let server = Server::start(backend, |_| {}).await;
    let sam = server.agent("sam").await;
    let ann = server.agent("ann").await;
    let mut ann_events = ann.events().await;
    ann.ready().await;
    let path = format!("/api/supervisor/agents/{}/status", ann.id);

    let (status, body) = put_status(&sam, &path, json!({"state": "ready"})).await;
    assert_eq!(
        status, 400,
        "a supervisor cannot make someone Ready: {body}"
    );
    let (status, body) = put_status(
        &sam,
        &path,
        json!({"state": "not_ready", "reason": "no_such"}),
    )
    .await;
    assert_eq!(status, 400, "unknown reason: {body}");
    let (status, body) = put_status(
        &sam,
        &path,
        json!({"state": "not_ready", "reason": "logged_out"}),
    )
    .await;
    assert_eq!(status, 400, "Logged out is Log out's: {body}");
    let (status, body) = put_status(
        &sam,
        "/api/supervisor/agents/999999/status",
        json!({"state": "not_ready", "reason": "meeting"}),
    )
    .await;
    assert_eq!(status, 404, "unknown agent: {body}");

    let (status, body) = put_status(
        &sam,
        &path,
        json!({"state": "not_ready", "reason": "meeting"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    // Ann's own desktop hears it.
    ann_events
        .until(
            "Ann's new status",
            |e| matches!(e, Event::Status { agent } if agent.status != ChatStatus::Ready),
        )
        .await;
    let line = board(&sam).await;
    let ann_line = line.agents.iter().find(|a| a.id == ann.id).expect("Ann");
    assert!(ann_line.signed_in, "Ann is logged in");
    let ben_line = line.agents.iter().find(|a| a.display_name == "Ben Brooks");
    assert_eq!(
        ben_line.map(|b| b.signed_in),
        Some(false),
        "Ben never logged in"
    );
    assert_eq!(
        ann_line.status,
        ChatStatus::NotReady {
            reason: wire::ReasonCode("meeting".into())
        }
    );
    assert_eq!(
        audited(&server.db, "agent.set_not_ready").await,
        [("sam".to_owned(), ann.id.0.to_string())]
    );

    let (status, body) = sam
        .call(
            reqwest::Method::POST,
            &format!("/api/supervisor/agents/{}/logout", ann.id),
            None,
        )
        .await;
    assert_eq!(status, 204, "{body}");
    let (status, _) = ann.call(reqwest::Method::GET, "/api/me", None).await;
    assert_eq!(status, 401, "Ann's session ended");
    let after = board(&sam).await;
    let ann_line = after.agents.iter().find(|a| a.id == ann.id).expect("Ann");
    assert_eq!(
        ann_line.status,
        ChatStatus::NotReady {
            reason: wire::ReasonCode("logged_out".into())
        }
    );
    assert_eq!(
        audited(&server.db, "agent.log_out").await,
        [("sam".to_owned(), ann.id.0.to_string())]
    );
    assert!(!ann_line.signed_in, "Ann is logged out");
    // Logged out, she cannot be given a Not Ready reason: her status says logged out until
    // she logs in.
    let (status, body) = put_status(
        &sam,
        &path,
        json!({"state": "not_ready", "reason": "meeting"}),
    )
    .await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"]["code"], "conflict", "{body}");
    assert_eq!(
        audited(&server.db, "agent.set_not_ready").await.len(),
        1,
        "the refused change is not audited"
    );
}

on_both!(
    only_supervisors_read_the_board,
    board_follows_a_chat_live,
    supervisor_sets_not_ready_and_logs_out,
);
