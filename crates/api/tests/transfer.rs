//! Transfer: an agent hands a chat to a colleague (accept, reject, timeout) or the queue with a
//! note; a supervisor reassigns; who may, to whom, what the note may hold; the events each side
//! sees, the transcript line the visitor sees, and the audit row. Real server, both databases.

mod common;

use common::{Agent, Backend, Caller, Events, Server, Visitor};
use serde_json::{json, Value};
use std::time::Duration;
use wire::api::{Colleague, MyWork};
use wire::event::WithdrawReason;
use wire::visitor::VisitorMessage;
use wire::{
    ChatStatus, Event, InteractionId, InteractionState, InteractionView, SystemLine,
    TransferOutcome,
};

on_both!(
    an_agent_transfers_to_a_colleague_who_accepts,
    a_rejected_transfer_goes_back_to_the_sender,
    a_transfer_nobody_answers_goes_back_to_the_sender,
    a_queue_transfer_is_offered_with_its_note,
    transfers_that_are_refused,
    a_supervisor_reassigns_a_chat,
    colleagues_are_listed_with_status_and_load,
);

/// A chat that `ann` is working on: ann (Ready) gets the visitor's chat and accepts it; ben is
/// logged in with his stream open but Not Ready until the chat is ann's.
struct Scene {
    ann: Agent,
    ben: Agent,
    ann_ev: Events,
    ben_ev: Events,
    visitor: Visitor,
    visitor_ev: Events,
    id: InteractionId,
}

async fn scene(s: &Server) -> Scene {
    let ann = s.agent("ann").await;
    let ben = s.agent("ben").await;
    let mut ann_ev = ann.events().await;
    let ben_ev = ben.events().await;
    ann.ready().await;
    let visitor = s.visitor("Tim Tester").await;
    let visitor_ev = visitor.events().await;
    visitor.say("My order never arrived").await;
    let offer = ann_ev.offer("offer to ann").await;
    let id = offer.interaction.id;
    ann.accept(id).await;
    ben.ready().await;
    Scene {
        ann,
        ben,
        ann_ev,
        ben_ev,
        visitor,
        visitor_ev,
        id,
    }
}

async fn transfer(who: &Agent, id: InteractionId, body: Value) -> (u16, Value) {
    who.call(
        reqwest::Method::POST,
        &format!("/api/interactions/{id}/transfer"),
        Some(body),
    )
    .await
}

async fn audit_rows(s: &Server, id: InteractionId) -> Vec<(i64, String)> {
    use sqlx::Row;
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&s.db.url).await.expect("db");
    let rows = sqlx::query(
        "SELECT actor_id, after_json FROM audit_log WHERE action = 'interaction.transfer' AND target_id = $1 ORDER BY id",
    )
    .bind(id.0.to_string())
    .fetch_all(&pool)
    .await
    .expect("audit");
    rows.iter()
        .map(|r| {
            (
                r.get::<i64, _>("actor_id"),
                r.get::<String, _>("after_json"),
            )
        })
        .collect()
}

async fn an_agent_transfers_to_a_colleague_who_accepts(b: Backend) {
    let s = Server::start(b, |_| {}).await;
    let mut sc = scene(&s).await;
    let (status, body) = transfer(
        &sc.ann,
        sc.id,
        json!({"to": {"agent": sc.ben.id}, "note": "Wants a refund.\nOrder 4411."}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let view: InteractionView = serde_json::from_value(body).expect("view");
    assert_eq!(view.state, InteractionState::Offered);
    assert_eq!(view.agent_id, Some(sc.ben.id));

    // Ben's offer says it is a transfer, from whom, with the note.
    let offer = sc.ben_ev.offer("transfer offer to ben").await;
    assert_eq!(offer.interaction.id, sc.id);
    let t = offer.transfer.expect("the offer says it is a transfer");
    assert_eq!(t.from_id, sc.ann.id);
    assert_eq!(t.from_name, "Ann Archer");
    assert_eq!(t.note.as_deref(), Some("Wants a refund.\nOrder 4411."));
    assert_eq!(
        offer.first_message.as_deref(),
        Some("My order never arrived")
    );
    // It waits in ben's work after a reload too, with the note.
    let work: MyWork = sc.ben.get("/api/interactions").await;
    assert_eq!(
        work.offers[0]
            .transfer
            .as_ref()
            .and_then(|t| t.note.as_deref()),
        Some("Wants a refund.\nOrder 4411.")
    );

    // Ann sees the transcript line, and her desktop hears the chat is no longer hers.
    let line = sc
        .ann_ev
        .until("transfer line", |e| {
            matches!(e, Event::Message { message } if message.system == Some(SystemLine::Transferred))
        })
        .await;
    let Event::Message { message } = line.event else {
        unreachable!()
    };
    assert_eq!(
        message.text,
        "Ann Archer transferred the chat to Ben Brooks"
    );
    let gone = sc
        .ann_ev
        .until("ann's interaction update", |e| {
            matches!(e, Event::Interaction { interaction } if interaction.id == sc.id && interaction.agent_id == Some(sc.ben.id))
        })
        .await;
    assert!(matches!(gone.event, Event::Interaction { .. }));
    let ann_work: MyWork = sc.ann.get("/api/interactions").await;
    assert!(ann_work.interactions.iter().all(|i| i.id != sc.id));

    // The visitor gets the line without the agents' names (the widget says "You're being
    // connected to another agent"), and never the note.
    let seen = sc
        .visitor_ev
        .until("visitor's transfer line", |e| {
            matches!(e, Event::Message { message } if message.system == Some(SystemLine::Transferred))
        })
        .await;
    let Event::Message { message } = seen.event else {
        unreachable!()
    };
    assert_eq!(message.text, "", "agents' names stay with agents");
    assert!(!sc
        .visitor_ev
        .seen
        .iter()
        .any(|e| format!("{e:?}").contains("refund")));

    // Ben accepts: the chat is his, with its transcript; ann hears so.
    let accepted = sc.ben.accept(sc.id).await;
    assert_eq!(accepted.state, InteractionState::Active);
    assert_eq!(accepted.agent_id, Some(sc.ben.id));
    let ended = sc
        .ann_ev
        .until("transfer ended", |e| {
            matches!(e, Event::TransferEnded { .. })
        })
        .await;
    assert!(matches!(
        ended.event,
        Event::TransferEnded { outcome: TransferOutcome::Accepted, ref to_name, interaction_id } if to_name == "Ben Brooks" && interaction_id == sc.id
    ));
    let (_, page) = sc
        .ben
        .call(
            reqwest::Method::GET,
            &format!("/api/contacts/{}/conversation", sc.visitor.contact),
            None,
        )
        .await;
    let text = page.to_string();
    assert!(text.contains("My order never arrived"), "{text}");
    assert!(
        text.contains("transferred the chat to Ben Brooks"),
        "{text}"
    );
    // The visitor's own history has the line too, without names.
    let (_, vpage) = sc
        .visitor
        .call(reqwest::Method::GET, "/api/visitor/conversation", None)
        .await;
    let vmessages: Vec<VisitorMessage> =
        serde_json::from_value(vpage["messages"].clone()).unwrap_or_default();
    let vline = vmessages
        .iter()
        .find(|m| m.system == Some(SystemLine::Transferred))
        .expect("the visitor's history has the transfer");
    assert_eq!(vline.text, "");

    // Handle time stays with the interaction: ann's time until the transfer, then ben's.
    let now = common::now_ms();
    let (st, body) = sc
        .ann
        .call(
            reqwest::Method::POST,
            &format!("/api/interactions/{}/handle-time", sc.id),
            Some(json!({"started_at": now - 2000, "ended_at": now - 1000})),
        )
        .await;
    assert_eq!(st, 204, "{body}");
    let (st, body) = sc
        .ben
        .call(
            reqwest::Method::POST,
            &format!("/api/interactions/{}/handle-time", sc.id),
            Some(json!({"started_at": now - 900, "ended_at": now - 500})),
        )
        .await;
    assert_eq!(st, 204, "{body}");
    let v: InteractionView = sc.ben.get(&format!("/api/interactions/{}", sc.id)).await;
    assert_eq!(v.handle_time_ms, 1400);

    // Audited, with ann as the actor.
    let audit = audit_rows(&s, sc.id).await;
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].0, sc.ann.id.0);
    assert!(audit[0].1.contains("Order 4411"), "{}", audit[0].1);
}

async fn a_rejected_transfer_goes_back_to_the_sender(b: Backend) {
    let s = Server::start(b, |_| {}).await;
    let mut sc = scene(&s).await;
    let (status, body) = transfer(&sc.ann, sc.id, json!({"to": {"agent": sc.ben.id}})).await;
    assert_eq!(status, 200, "{body}");
    let offer = sc.ben_ev.offer("transfer offer").await;
    assert!(offer.transfer.expect("transfer").note.is_none());
    let _: Value = sc
        .ben
        .post(&format!("/api/interactions/{}/reject", sc.id), json!({}))
        .await;
    sc.ben_ev
        .until("withdrawn", |e| {
            matches!(
                e,
                Event::OfferWithdrawn {
                    reason: WithdrawReason::Rejected,
                    ..
                }
            )
        })
        .await;
    let back = sc
        .ann_ev
        .until("back to ann", |e| {
            matches!(e, Event::Interaction { interaction } if interaction.id == sc.id && interaction.state == InteractionState::Active)
        })
        .await;
    let Event::Interaction { interaction } = back.event else {
        unreachable!()
    };
    assert_eq!(interaction.agent_id, Some(sc.ann.id));
    let outcome = sc
        .ann_ev
        .until("outcome", |e| matches!(e, Event::TransferEnded { .. }))
        .await;
    assert!(matches!(
        outcome.event,
        Event::TransferEnded {
            outcome: TransferOutcome::Rejected,
            ..
        }
    ));
    let work: MyWork = sc.ann.get("/api/interactions").await;
    assert!(work.interactions.iter().any(|i| i.id == sc.id));
    // Ann carries on: her message reaches the visitor.
    let _: Value = sc
        .ann
        .post(
            &format!("/api/contacts/{}/messages", sc.visitor.contact),
            json!({"client_id": common::client_id(), "text": "I am still here"}),
        )
        .await;
}

async fn a_transfer_nobody_answers_goes_back_to_the_sender(b: Backend) {
    let s = Server::start(b, |c| c.offer_timeout = Duration::from_secs(1)).await;
    let mut sc = scene(&s).await;
    let (status, body) = transfer(&sc.ann, sc.id, json!({"to": {"agent": sc.ben.id}})).await;
    assert_eq!(status, 200, "{body}");
    sc.ben_ev.offer("transfer offer").await;
    sc.ben_ev
        .until("timed out", |e| {
            matches!(
                e,
                Event::OfferWithdrawn {
                    reason: WithdrawReason::TimedOut,
                    ..
                }
            )
        })
        .await;
    let outcome = sc
        .ann_ev
        .until("outcome", |e| matches!(e, Event::TransferEnded { .. }))
        .await;
    assert!(matches!(
        outcome.event,
        Event::TransferEnded {
            outcome: TransferOutcome::TimedOut,
            ..
        }
    ));
    let v: InteractionView = sc.ann.get(&format!("/api/interactions/{}", sc.id)).await;
    assert_eq!(v.state, InteractionState::Active);
    assert_eq!(v.agent_id, Some(sc.ann.id));
}

async fn a_queue_transfer_is_offered_with_its_note(b: Backend) {
    let s = Server::start(b, |_| {}).await;
    let ann = s.agent("ann").await;
    let ben = s.agent("ben").await;
    let mut ann_ev = ann.events().await;
    let mut ben_ev = ben.events().await;
    ann.ready().await;
    let visitor = s.visitor("Queue Quinn").await;
    visitor.say("hello").await;
    let id = ann_ev.offer("offer to ann").await.interaction.id;
    ann.accept(id).await;
    let (status, body) =
        transfer(&ann, id, json!({"to": "queue", "note": "Billing question"})).await;
    assert_eq!(status, 200, "{body}");
    let v: InteractionView = serde_json::from_value(body).expect("view");
    assert_eq!(v.state, InteractionState::Queued);
    assert_eq!(v.agent_id, None);
    // Routing offers it to the Ready colleague (not straight back to ann), with the note.
    ben.ready().await;
    let offer = ben_ev.offer("routed transfer").await;
    assert_eq!(offer.interaction.id, id);
    let t = offer.transfer.expect("transfer");
    assert_eq!(t.from_name, "Ann Archer");
    assert_eq!(t.note.as_deref(), Some("Billing question"));
    let accepted = ben.accept(id).await;
    assert_eq!(accepted.agent_id, Some(ben.id));
    // Once taken, the record is gone: nothing pending in ben's work.
    let work: MyWork = ben.get("/api/interactions").await;
    assert!(work.offers.is_empty());
    assert!(!ann_ev
        .seen
        .iter()
        .any(|e| matches!(&e.event, Event::Offer { offer } if offer.interaction.id == id && offer.transfer.is_some())));
    assert_eq!(audit_rows(&s, id).await.len(), 1);
}

async fn transfers_that_are_refused(b: Backend) {
    let s = Server::start(b, |_| {}).await;
    let mut sc = scene(&s).await;
    let cleo = s.agent("cleo").await;
    let _cleo_ev = cleo.events().await;
    let to_ben = json!({"to": {"agent": sc.ben.id}});

    // Someone else's chat.
    let (st, body) = transfer(&cleo, sc.id, to_ben.clone()).await;
    assert_eq!(st, 403, "{body}");
    assert_eq!(body["error"]["code"], "forbidden");
    // No such interaction.
    let (st, _) = transfer(&sc.ann, InteractionId(999_999), to_ben.clone()).await;
    assert_eq!(st, 404);
    // To oneself, to nobody, to a deactivated account.
    let (st, body) = transfer(&sc.ann, sc.id, json!({"to": {"agent": sc.ann.id}})).await;
    assert_eq!(st, 422, "{body}");
    let (st, body) = transfer(&sc.ann, sc.id, json!({"to": {"agent": 987_654}})).await;
    assert_eq!(st, 422, "{body}");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .contains("no such active agent"));
    {
        use sqlx::Row as _;
        sqlx::any::install_default_drivers();
        let pool = sqlx::AnyPool::connect(&s.db.url).await.expect("db");
        sqlx::query("UPDATE agents SET deactivated_at = 1 WHERE id = $1")
            .bind(cleo.id.0)
            .execute(&pool)
            .await
            .expect("deactivate");
        let n: i64 =
            sqlx::query("SELECT COUNT(*) AS n FROM agents WHERE deactivated_at IS NOT NULL")
                .fetch_one(&pool)
                .await
                .expect("count")
                .get("n");
        assert_eq!(n, 1);
    }
    let (st, _) = transfer(&sc.ann, sc.id, json!({"to": {"agent": cleo.id}})).await;
    assert_eq!(st, 422);
    // A bad body, a note too long or with control characters.
    let (st, _) = transfer(&sc.ann, sc.id, json!({"to": "nobody"})).await;
    assert!(st == 400 || st == 422, "{st}");
    let long = "x".repeat(501);
    let (st, body) = transfer(&sc.ann, sc.id, json!({"to": "queue", "note": long})).await;
    assert_eq!(st, 400, "{body}");
    let (st, body) = transfer(
        &sc.ann,
        sc.id,
        json!({"to": "queue", "note": "bad\u{0007}bell"}),
    )
    .await;
    assert_eq!(st, 400, "{body}");
    let (st, body) = transfer(
        &sc.ann,
        sc.id,
        json!({"to": "queue", "note": "rtl\u{202e}trick"}),
    )
    .await;
    assert_eq!(st, 400, "{body}");
    // A colleague who is Not Ready: 409 naming why; the chat stays with ann.
    sc.ben.not_ready().await;
    let (st, body) = transfer(&sc.ann, sc.id, to_ben.clone()).await;
    assert_eq!(st, 409, "{body}");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .contains("Ben Brooks is Not Ready"));
    let v: InteractionView = sc.ann.get(&format!("/api/interactions/{}", sc.id)).await;
    assert_eq!(
        (v.state, v.agent_id),
        (InteractionState::Active, Some(sc.ann.id))
    );
    // Nothing refused was audited or offered.
    assert!(audit_rows(&s, sc.id).await.is_empty());
    let extra = sc.ben_ev.drain_for(Duration::from_millis(300)).await;
    assert!(!extra.iter().any(|e| matches!(e.event, Event::Offer { .. })));
    // An ended chat is not transferred (Mark Done it instead).
    let _: InteractionView = sc
        .ann
        .post(&format!("/api/interactions/{}/end", sc.id), json!({}))
        .await;
    sc.ben.ready().await;
    let (st, body) = transfer(&sc.ann, sc.id, to_ben).await;
    assert_eq!(st, 409, "{body}");
    let _ = &sc.visitor;
}

async fn a_supervisor_reassigns_a_chat(b: Backend) {
    let s = Server::start(b, |_| {}).await;
    let mut sc = scene(&s).await;
    let sam = s.agent("sam").await;
    let (st, body) = transfer(
        &sam,
        sc.id,
        json!({"to": {"agent": sc.ben.id}, "note": "Ben knows this customer"}),
    )
    .await;
    assert_eq!(st, 200, "{body}");
    let offer = sc.ben_ev.offer("reassigned chat").await;
    let t = offer.transfer.expect("transfer");
    assert_eq!(t.from_id, sam.id);
    assert_eq!(t.note.as_deref(), Some("Ben knows this customer"));
    sc.ann_ev
        .until("ann loses the chat", |e| {
            matches!(e, Event::Interaction { interaction } if interaction.id == sc.id && interaction.agent_id == Some(sc.ben.id))
        })
        .await;
    // Ben rejects: a reassign has no sender to return to, so it waits in the queue (ann, who
    // had it, is not offered it straight back).
    let _: Value = sc
        .ben
        .post(&format!("/api/interactions/{}/reject", sc.id), json!({}))
        .await;
    let v: InteractionView = sam.get(&format!("/api/interactions/{}", sc.id)).await;
    assert_eq!(v.state, InteractionState::Queued);
    // A supervisor may also hand a waiting chat to a named agent (nobody else is Ready to
    // take it meanwhile: ann and ben both declined it lately).
    let (st, body) = transfer(&sam, sc.id, json!({"to": {"agent": sc.ben.id}})).await;
    assert_eq!(st, 200, "{body}");
    let offer = sc.ben_ev.offer("reassigned again").await;
    assert_eq!(offer.interaction.id, sc.id);
    assert_eq!(offer.transfer.expect("transfer").from_name, "Sam Sato");
    let by: Vec<i64> = audit_rows(&s, sc.id).await.iter().map(|r| r.0).collect();
    assert_eq!(by, vec![sam.id.0, sam.id.0]);
    // An agent may not reassign a colleague's chat.
    let (st, _) = transfer(&sc.ann, sc.id, json!({"to": "queue"})).await;
    assert_eq!(st, 403);
}

async fn colleagues_are_listed_with_status_and_load(b: Backend) {
    let s = Server::start(b, |_| {}).await;
    let sc = scene(&s).await;
    let list: Vec<Colleague> = sc.ann.get("/api/agents").await;
    assert!(list.iter().all(|c| c.id != sc.ann.id), "not oneself");
    let ben = list
        .iter()
        .find(|c| c.id == sc.ben.id)
        .expect("ben is listed");
    assert_eq!(ben.display_name, "Ben Brooks");
    assert_eq!(ben.status, ChatStatus::Ready);
    assert!(ben.connected);
    assert_eq!(ben.open_interactions, 0);
    assert!(ben.capacity >= 1);
    let for_ben: Vec<Colleague> = sc.ben.get("/api/agents").await;
    let ann = for_ben.iter().find(|c| c.id == sc.ann.id).expect("ann");
    assert_eq!(ann.open_interactions, 1);
    let (st, _) = s
        .call(reqwest::Method::GET, "/api/agents", None, None)
        .await;
    assert_eq!(st, 401);
}
