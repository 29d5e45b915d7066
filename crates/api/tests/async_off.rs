//! Asynchronous chat turned off for Web Chat (an administrator's channel setting): a chat lasts
//! only while its visitor is there. A visitor whose widget is gone for the presence timeout has
//! left: their chat in progress ends ("The contact left"), a waiting one leaves the queue
//! unanswered and its offer is withdrawn; a visitor whose widget stays connected keeps theirs.
//! Agents cannot reopen an ended chat or write to a contact outside one (409
//! `async_chat_off`), and a contact who writes again starts a new chat for anyone, not one
//! reserved for the agent who wrote last. Turned back on, the same writes work again. A page
//! that says it is going away (`/api/visitor/away`) is gone unless another page of the same
//! visitor still has its stream open.

mod common;

use common::{client_id, Agent, Backend, Caller, Events, Server, Visitor};
use reqwest::Method;
use serde_json::json;
use std::time::Duration;
use wire::event::WithdrawReason;
use wire::monitor::MonitorView;
use wire::{Event, InteractionId, InteractionState, Party, SystemLine};

on_both!(
    a_visitor_who_leaves_ends_their_chat_and_it_stays_ended,
    a_waiting_chat_whose_visitor_left_leaves_the_queue,
    a_page_going_away_ends_the_chat_unless_another_is_open
);

/// The presence timeout of these tests: a visitor away this long has left.
const PRESENCE: Duration = Duration::from_secs(2);

async fn set_async_chat(ada: &Agent, on: bool) {
    let (st, v) = ada
        .call(
            Method::PUT,
            "/api/admin/channels",
            Some(
                json!({"channel": "web_chat", "async_chat": on, "offer_public": true,
                "offer_timeout_secs": 120, "reservation_secs": 300}),
            ),
        )
        .await;
    assert_eq!(st, 200, "{v}");
}

/// A visitor named `name` with the site open (their stream) who writes `text`.
async fn on_the_site(s: &Server, name: &str, text: &str) -> (Visitor, Events) {
    let v = s.visitor(name).await;
    let events = v.events().await;
    v.say(text).await;
    (v, events)
}

/// Waits (up to a generous deadline: a closed stream is noticed at its next keep-alive) until
/// the supervisor's view of interaction `id` is in `state`.
async fn wait_for_state(sam: &Agent, id: InteractionId, state: InteractionState) -> MonitorView {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(40);
    loop {
        let view: MonitorView = sam
            .get(&format!("/api/supervisor/interactions/{}", id.0))
            .await;
        if view.interaction.state == state {
            return view;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "interaction {} never became {state:?}: {:?}",
            id.0,
            view.interaction
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn a_visitor_who_leaves_ends_their_chat_and_it_stays_ended(b: Backend) {
    let s = Server::start(b, |c| c.presence_timeout = PRESENCE).await;
    let ada = s.agent("ada").await;
    let sam = s.agent("sam").await;
    set_async_chat(&ada, false).await;
    let ann = s.agent("ann").await;
    let mut ann_ev = ann.events().await;
    ann.ready().await;

    // Stella keeps her page open; Lou closes his tab once the chat is going.
    let (stella, _stella_ev) = on_the_site(&s, "Stella Stays", "Hello, I'm still here").await;
    let stella_chat = ann.take_offer(&mut ann_ev, "offer of Stella").await;
    let (lou, lou_ev) = on_the_site(&s, "Lou Leaves", "Quick question").await;
    let lou_chat = ann.take_offer(&mut ann_ev, "offer of Lou").await;
    let contact = format!("/api/contacts/{}/messages", lou.contact);
    ann.post::<serde_json::Value>(
        &contact,
        json!({"client_id": client_id(), "text": "Hi Lou"}),
    )
    .await;
    drop(lou_ev);

    let ended = wait_for_state(&sam, lou_chat.id, InteractionState::Ended).await;
    assert_eq!(ended.interaction.ended_by, Some(Party::Contact));
    assert_eq!(
        ended.interaction.agent_id,
        Some(ann.id),
        "still Ann's, to mark Done"
    );
    assert!(
        ended
            .page
            .messages
            .iter()
            .any(|m| m.system == Some(SystemLine::Left)),
        "the transcript says Lou left: {:?}",
        ended.page.messages
    );
    // Stella's chat is older than Lou's and was in the same pass; her open widget kept it.
    let stella_now: MonitorView = sam
        .get(&format!(
            "/api/supervisor/interactions/{}",
            stella_chat.id.0
        ))
        .await;
    assert_eq!(stella_now.interaction.state, InteractionState::Active);
    ann_ev
        .until("Lou's chat ending for Ann", |e| {
            matches!(e, Event::Interaction { interaction }
                if interaction.id == lou_chat.id && interaction.state == InteractionState::Ended)
        })
        .await;

    // Ann marks it Done; neither she nor a colleague can reopen it or write to Lou now.
    ann.post::<serde_json::Value>(
        &format!("/api/interactions/{}/done", lou_chat.id.0),
        json!({"disposition": "resolved"}),
    )
    .await;
    let ben = s.agent("ben").await;
    for (who, path, body) in [
        (
            &ann,
            contact.clone(),
            json!({"client_id": client_id(), "text": "Still there?"}),
        ),
        (
            &ann,
            contact.clone(),
            json!({"client_id": client_id(), "text": "For your next visit", "source": "communication_tab"}),
        ),
        (
            &ben,
            contact.clone(),
            json!({"client_id": client_id(), "text": "Hello?"}),
        ),
        (
            &ann,
            format!("/api/contacts/{}/chat", lou.contact),
            json!({}),
        ),
    ] {
        let (st, v) = who.call(Method::POST, &path, Some(body)).await;
        assert_eq!(st, 409, "{path}: {v}");
        assert_eq!(v["error"]["code"], "async_chat_off", "{v}");
        let message = v["error"]["message"].as_str().unwrap_or_default();
        assert!(
            message.contains("Asynchronous chat is off for Web Chat")
                && message.contains("Lou Leaves"),
            "{message}"
        );
    }
    let after: MonitorView = sam
        .get(&format!("/api/supervisor/interactions/{}", lou_chat.id.0))
        .await;
    assert_eq!(
        after.page.messages.len(),
        ended.page.messages.len(),
        "the refused writes stored nothing"
    );

    // Lou comes back and writes: a new chat for routing, not one kept for Ann (who wrote to him
    // last and is logged in), and no "contact responded".
    lou.say("I'm back").await;
    let offer = ann_ev.offer("the offer of Lou's new chat").await;
    assert_eq!(offer.interaction.contact_id, lou.contact);
    assert_eq!(offer.interaction.reserved_for, None);
    assert!(
        !ann_ev
            .seen
            .iter()
            .any(|e| matches!(e.event, Event::ContactResponded { .. })),
        "no contact responded without asynchronous chat"
    );

    // With asynchronous chat on again, an ended chat can be reopened by its agent.
    set_async_chat(&ada, true).await;
    let (st, v) = stella_now_ends_and_reopens(&ann, &stella_chat.id, stella.contact).await;
    assert_eq!(st, 200, "{v}");
}

/// Ann ends Stella's chat and writes into it again (a reactivation).
async fn stella_now_ends_and_reopens(
    ann: &Agent,
    chat: &InteractionId,
    stella: wire::ContactId,
) -> (u16, serde_json::Value) {
    ann.post::<serde_json::Value>(&format!("/api/interactions/{}/end", chat.0), json!({}))
        .await;
    ann.call(
        Method::POST,
        &format!("/api/contacts/{}/messages", stella.0),
        Some(json!({"client_id": client_id(), "text": "One more thing, Stella"})),
    )
    .await
}

async fn a_waiting_chat_whose_visitor_left_leaves_the_queue(b: Backend) {
    let s = Server::start(b, |c| c.presence_timeout = PRESENCE).await;
    let ada = s.agent("ada").await;
    let sam = s.agent("sam").await;
    set_async_chat(&ada, false).await;

    // Nobody is Ready: Quinn's chat waits in the queue, and Quinn goes away.
    let quinn = s.visitor("Quinn Queued").await;
    let quinn_ev = quinn.events().await;
    let first = quinn.say("Anyone there?").await;
    drop(quinn_ev);
    let closed = wait_for_state(&sam, first.interaction_id, InteractionState::Done).await;
    assert_eq!(closed.interaction.agent_id, None, "nobody took it");
    assert_eq!(closed.interaction.ended_by, Some(Party::Contact));

    // Ann is Ready and is offered Olga's chat; Olga leaves before Ann answers.
    let ann = s.agent("ann").await;
    let mut ann_ev = ann.events().await;
    ann.ready().await;
    let olga = s.visitor("Olga Offered").await;
    let olga_ev = olga.events().await;
    olga.say("Hi").await;
    let offer = ann_ev.offer("the offer of Olga's chat").await;
    drop(olga_ev);
    let withdrawn = {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(40);
        loop {
            let seen = ann_ev.drain_for(Duration::from_millis(500)).await;
            if let Some(reason) = seen.iter().find_map(|e| match e.event {
                Event::OfferWithdrawn {
                    interaction_id,
                    reason,
                } if interaction_id == offer.interaction.id => Some(reason),
                _ => None,
            }) {
                break reason;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "the offer of Olga's chat was never withdrawn"
            );
        }
    };
    assert_eq!(withdrawn, WithdrawReason::ContactLeft);
    let closed = wait_for_state(&sam, offer.interaction.id, InteractionState::Done).await;
    assert_eq!(closed.interaction.agent_id, None);
    let (st, v) = ann
        .call(
            Method::POST,
            &format!("/api/interactions/{}/accept", offer.interaction.id.0),
            Some(json!({})),
        )
        .await;
    assert_eq!(st, 409, "a withdrawn offer cannot be accepted: {v}");
    // Ann's slot is free again: the next visitor's chat is offered to her.
    let next = s.visitor("Nina Next").await;
    let _next_ev = next.events().await;
    next.say("Hello").await;
    let again = ann_ev.offer("the next chat").await;
    assert_eq!(again.interaction.contact_id, next.contact);
}

async fn a_page_going_away_ends_the_chat_unless_another_is_open(b: Backend) {
    // A long presence timeout: only `away` can end a chat within this test's waits.
    let s = Server::start(b, |c| c.presence_timeout = Duration::from_secs(6)).await;
    let ada = s.agent("ada").await;
    let sam = s.agent("sam").await;
    set_async_chat(&ada, false).await;
    let ann = s.agent("ann").await;
    let mut ann_ev = ann.events().await;
    ann.ready().await;

    // Bea has the site open in two tabs; Cal in one. Both close a tab at the same moment.
    let bea = s.visitor("Bea Two Tabs").await;
    let mut bea_tab_one = bea.events().await;
    let bea_tab_two = bea.events().await;
    bea.say("Hello from two tabs").await;
    let bea_chat = ann.take_offer(&mut ann_ev, "offer of Bea").await;
    let (cal, cal_tab) = on_the_site(&s, "Cal One Tab", "Hello from one tab").await;
    let cal_chat = ann.take_offer(&mut ann_ev, "offer of Cal").await;

    for (v, tab) in [(&bea, bea_tab_two), (&cal, cal_tab)] {
        let (st, body) = v.call(Method::POST, "/api/visitor/away", None).await;
        assert_eq!(st, 204, "{body}");
        drop(tab);
    }
    // Every stream of a visitor whose page went away is closed (a closed page's may not look
    // closed); Bea's open tab finds its stream ended and reconnects, as a browser does.
    bea_tab_one.ended().await;
    let _bea_tab_one = bea.events().await;
    wait_for_state(&sam, cal_chat.id, InteractionState::Ended).await;
    let bea_now: MonitorView = sam
        .get(&format!("/api/supervisor/interactions/{}", bea_chat.id.0))
        .await;
    assert_eq!(
        bea_now.interaction.state,
        InteractionState::Active,
        "Bea's other tab keeps her chat"
    );
}
