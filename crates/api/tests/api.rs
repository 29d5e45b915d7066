//! The API over real HTTP on loopback, on SQLite and on PostgreSQL.

#![allow(clippy::many_single_char_names)]

mod common;

use common::{client_id, tiny_png, Backend, Caller, Server};
use reqwest::Method;
use serde_json::{json, Value};
use std::time::Duration;
use wire::api::{MyWork, SendResponse};
use wire::{ContactId, Event, InteractionState, InteractionView, Party, Reactivation};

on_both!(
    login_logout_and_revocation,
    password_change_revokes_other_sessions,
    offer_accept_and_chat_both_ways,
    reject_goes_to_next_agent,
    timeout_goes_to_next_agent,
    capacity_counts_ended_but_not_done,
    last_agent_is_preferred,
    not_ready_stops_offers_but_keeps_chats,
    async_continuation_reactivates,
    write_a_message_waits_for_the_visitor_and_contact_responded,
    replay_after_dropped_stream_has_no_gap_and_no_duplicate,
    idempotent_send_under_concurrency,
    sends_arriving_together_succeed_or_fail_alone,
    bad_input_is_refused_clearly,
    visitors_cannot_reach_other_conversations,
    search_and_conversation_paging,
    mark_done_needs_a_disposition,
    signed_identity_same_conversation,
    database_error_text_never_reaches_a_client,
    anonymous_visitors_have_distinct_names_and_their_start_page,
);

async fn login_logout_and_revocation(b: Backend) {
    let s = Server::start(b, |_| {}).await;
    let ann = s.agent("ann").await;
    let (st, me) = ann.call(Method::GET, "/api/me", None).await;
    assert_eq!(st, 200);
    assert_eq!(me["login"], "ann");
    let (st, body) = s
        .call(
            Method::POST,
            "/api/auth/login",
            None,
            Some(json!({"login": "ann", "password": "nope"})),
        )
        .await;
    assert_eq!(st, 401);
    assert_eq!(body["error"]["code"], "bad_credentials");
    let (st, _) = ann.call(Method::POST, "/api/auth/logout", None).await;
    assert_eq!(st, 204);
    let (st, body) = ann.call(Method::GET, "/api/me", None).await;
    assert_eq!(st, 401, "a revoked token is refused");
    assert_eq!(body["error"]["code"], "unauthorized");
    let (st, _) = s
        .call(Method::GET, "/api/me", Some("tla_forged"), None)
        .await;
    assert_eq!(st, 401);
    // Login is rate-limited per address and login name.
    let mut limited = false;
    for _ in 0..15 {
        let (st, body) = s
            .call(
                Method::POST,
                "/api/auth/login",
                None,
                Some(json!({"login": "ben", "password": "wrong"})),
            )
            .await;
        if st == 429 {
            assert_eq!(body["error"]["code"], "rate_limited");
            limited = true;
            break;
        }
        assert_eq!(st, 401);
    }
    assert!(limited, "repeated failed logins are slowed down");
}

async fn password_change_revokes_other_sessions(b: Backend) {
    let s = Server::start(b, |_| {}).await;
    let one = s.agent("cleo").await;
    let two = s.agent("cleo").await;
    let (st, _) = one
        .call(
            Method::POST,
            "/api/auth/password",
            Some(json!({"current_password": "cleo-pass-1", "new_password": "short"})),
        )
        .await;
    assert_eq!(st, 400);
    let (st, _) = one
        .call(
            Method::POST,
            "/api/auth/password",
            Some(json!({"current_password": "wrong", "new_password": "a-new-pass-2"})),
        )
        .await;
    assert_eq!(st, 401);
    let (st, _) = one
        .call(
            Method::POST,
            "/api/auth/password",
            Some(json!({"current_password": "cleo-pass-1", "new_password": "a-new-pass-2"})),
        )
        .await;
    assert_eq!(st, 204);
    assert_eq!(
        one.call(Method::GET, "/api/me", None).await.0,
        200,
        "this session stays"
    );
    assert_eq!(
        two.call(Method::GET, "/api/me", None).await.0,
        401,
        "the other session is revoked"
    );
    let (st, _) = s
        .call(
            Method::POST,
            "/api/auth/login",
            None,
            Some(json!({"login": "cleo", "password": "a-new-pass-2"})),
        )
        .await;
    assert_eq!(st, 200);
}

async fn offer_accept_and_chat_both_ways(b: Backend) {
    let s = Server::start(b, |_| {}).await;
    let ann = s.agent("ann").await;
    let mut ann_ev = ann.events().await;
    ann.ready().await;
    let v = s.visitor("Vera Visitor").await;
    let mut v_ev = v.events().await;
    v.say("Hello, is anyone there?").await;
    let offer = ann_ev.offer("offer").await;
    assert_eq!(
        offer.first_message.as_deref(),
        Some("Hello, is anyone there?")
    );
    assert_eq!(offer.interaction.contact_name, "Vera Visitor");
    let id = offer.interaction.id;
    // An outstanding offer holds a slot: the header's "N of M chats" counts it, as routing does.
    let work: MyWork = ann.get("/api/interactions").await;
    assert_eq!(work.offers.len(), 1);
    assert_eq!(work.agent.open_interactions, 1, "the offer holds a slot");
    let accepted: InteractionView = ann
        .post(&format!("/api/interactions/{id}/accept"), json!({}))
        .await;
    assert_eq!(accepted.state, InteractionState::Active);
    assert_eq!(accepted.agent_id, Some(ann.id));
    // A second accept is a conflict, not a second chat.
    assert_eq!(
        ann.call(
            Method::POST,
            &format!("/api/interactions/{id}/accept"),
            Some(json!({}))
        )
        .await
        .0,
        409
    );
    let sent: SendResponse = ann
        .post(
            &format!("/api/contacts/{}/messages", v.contact),
            json!({"client_id": client_id(), "text": "Hi Vera <b>welcome</b> 👋"}),
        )
        .await;
    assert_eq!(sent.interaction.id, id);
    let got = v_ev
        .until(
            "agent message",
            |e| matches!(e, Event::Message { message } if message.text.contains("welcome")),
        )
        .await;
    let Event::Message { message } = got.event else {
        unreachable!()
    };
    assert_eq!(
        message.text, "Hi Vera <b>welcome</b> 👋",
        "HTML is stored as text"
    );
    // Delivered, then read, reach the agent.
    v.post::<Value>(
        "/api/visitor/receipts",
        json!({"up_to_seq": message.seq, "read": false}),
    )
    .await;
    ann_ev
        .until("delivered", |e| {
            matches!(
                e,
                Event::Receipt {
                    read: false,
                    author_party: Party::Agent,
                    ..
                }
            )
        })
        .await;
    v.post::<Value>(
        "/api/visitor/receipts",
        json!({"up_to_seq": message.seq, "read": true}),
    )
    .await;
    ann_ev
        .until("read", |e| {
            matches!(
                e,
                Event::Receipt {
                    read: true,
                    author_party: Party::Agent,
                    ..
                }
            )
        })
        .await;
    // Typing both ways.
    v.post::<Value>("/api/visitor/typing", json!({"typing": true}))
        .await;
    ann_ev
        .until("visitor typing", |e| {
            matches!(
                e,
                Event::Typing {
                    party: Party::Contact,
                    typing: true,
                    ..
                }
            )
        })
        .await;
    ann.post::<Value>(
        &format!("/api/interactions/{id}/typing"),
        json!({"typing": true}),
    )
    .await;
    v_ev.until("agent typing", |e| {
        matches!(
            e,
            Event::Typing {
                party: Party::Agent,
                typing: true,
                ..
            }
        )
    })
    .await;
    // The visitor leaves: the interaction ends but stays open (counts) until Mark Done.
    v.post::<Value>("/api/visitor/end", json!({})).await;
    ann_ev
        .until("ended", |e| matches!(e, Event::Interaction { interaction } if interaction.state == InteractionState::Ended && interaction.ended_by == Some(Party::Contact)))
        .await;
    let work: MyWork = ann.get("/api/interactions").await;
    assert_eq!(work.agent.open_interactions, 1);
    let done: InteractionView = ann
        .post(
            &format!("/api/interactions/{id}/done"),
            json!({"disposition": "resolved"}),
        )
        .await;
    assert_eq!(done.state, InteractionState::Done);
    let work: MyWork = ann.get("/api/interactions").await;
    assert_eq!(work.agent.open_interactions, 0);
}

async fn reject_goes_to_next_agent(b: Backend) {
    let s = Server::start(b, |_| {}).await;
    let ann = s.agent("ann").await;
    let ben = s.agent("ben").await;
    let mut ann_ev = ann.events().await;
    let mut ben_ev = ben.events().await;
    ann.ready().await;
    tokio::time::sleep(Duration::from_millis(20)).await; // ann becomes Ready first: longer idle
    ben.ready().await;
    let v = s.visitor("Rita").await;
    v.say("Question about a tent").await;
    let offer = ann_ev.offer("offer to ann").await;
    let (st, _) = ann
        .call(
            Method::POST,
            &format!("/api/interactions/{}/reject", offer.interaction.id),
            Some(json!({})),
        )
        .await;
    assert_eq!(st, 204);
    ann_ev
        .until("withdrawn", |e| matches!(e, Event::OfferWithdrawn { .. }))
        .await;
    let work: MyWork = ann.get("/api/interactions").await;
    assert_eq!(
        work.agent.open_interactions, 0,
        "a rejected offer frees its slot"
    );
    let second = ben_ev
        .until("offer to ben", |e| matches!(e, Event::Offer { .. }))
        .await;
    let Event::Offer { offer: offer2 } = second.event else {
        unreachable!()
    };
    assert_eq!(offer2.interaction.id, offer.interaction.id);
    // Ann can no longer accept it.
    assert_eq!(
        ann.call(
            Method::POST,
            &format!("/api/interactions/{}/accept", offer.interaction.id),
            Some(json!({}))
        )
        .await
        .0,
        409
    );
    let v2: InteractionView = ben
        .post(
            &format!("/api/interactions/{}/accept", offer.interaction.id),
            json!({}),
        )
        .await;
    assert_eq!(v2.agent_id, Some(ben.id));
}

async fn timeout_goes_to_next_agent(b: Backend) {
    let s = Server::start(b, |c| c.offer_timeout = Duration::from_secs(1)).await;
    let ann = s.agent("ann").await;
    let ben = s.agent("ben").await;
    let mut ann_ev = ann.events().await;
    let mut ben_ev = ben.events().await;
    ann.ready().await;
    tokio::time::sleep(Duration::from_millis(20)).await;
    ben.ready().await;
    let v = s.visitor("Tim").await;
    v.say("Anyone?").await;
    let offer = ann_ev.offer("offer to ann").await;
    let w = ann_ev
        .until("withdrawn", |e| matches!(e, Event::OfferWithdrawn { .. }))
        .await;
    assert!(matches!(
        w.event,
        Event::OfferWithdrawn {
            reason: wire::event::WithdrawReason::TimedOut,
            ..
        }
    ));
    let second = ben_ev
        .until("offer to ben", |e| matches!(e, Event::Offer { .. }))
        .await;
    let Event::Offer { offer: offer2 } = second.event else {
        unreachable!()
    };
    assert_eq!(offer2.interaction.id, offer.interaction.id);
}

async fn capacity_counts_ended_but_not_done(b: Backend) {
    let s = Server::start(b, |_| {}).await;
    let cleo = s.agent("cleo").await; // capacity 2
    let mut ev = cleo.events().await;
    cleo.ready().await;
    let mut ids = Vec::new();
    for name in ["A One", "B Two"] {
        let v = s.visitor(name).await;
        v.say("hello").await;
        let offer = ev.offer("offer").await;
        cleo.accept(offer.interaction.id).await;
        ids.push(offer.interaction.id);
    }
    // End one chat: it still counts until Done, so a third chat waits.
    let _: InteractionView = cleo
        .post(&format!("/api/interactions/{}/end", ids[0]), json!({}))
        .await;
    let c = s.visitor("C Three").await;
    c.say("hello?").await;
    let extra = ev.drain_for(Duration::from_millis(1500)).await;
    assert!(
        !extra.iter().any(|e| matches!(e.event, Event::Offer { .. })),
        "no offer beyond capacity"
    );
    let _: InteractionView = cleo
        .post(
            &format!("/api/interactions/{}/done", ids[0]),
            json!({"disposition": "resolved"}),
        )
        .await;
    let offer = ev.offer("offer after Done").await;
    assert_eq!(offer.interaction.contact_id, c.contact);
}

async fn last_agent_is_preferred(b: Backend) {
    let s = Server::start(b, |_| {}).await;
    let ann = s.agent("ann").await;
    let ben = s.agent("ben").await;
    let mut ann_ev = ann.events().await;
    let mut ben_ev = ben.events().await;
    ann.ready().await;
    tokio::time::sleep(Duration::from_millis(20)).await;
    ben.ready().await;
    let v = s.visitor("Loyal Customer").await;
    v.say("first chat").await;
    let offer = ann_ev.offer("offer to ann").await;
    ann.post::<Value>(
        &format!("/api/interactions/{}/reject", offer.interaction.id),
        json!({}),
    )
    .await;
    let offer = ben_ev.offer("offer to ben").await;
    let id = offer.interaction.id;
    ben.accept(id).await;
    ben.post::<InteractionView>(
        &format!("/api/interactions/{id}/done"),
        json!({"disposition": "resolved"}),
    )
    .await;
    // Ben is busier-recently than Ann, yet the contact comes back to Ben. (Ben wrote nothing,
    // so this is routing's last-agent preference, not a reservation.)
    v.say("second chat").await;
    let offer = ben_ev.offer("offer to ben again").await;
    assert_eq!(offer.interaction.contact_id, v.contact);
    assert_eq!(
        offer.interaction.reactivated_by,
        Some(Reactivation::ContactReply)
    );
}

async fn not_ready_stops_offers_but_keeps_chats(b: Backend) {
    let s = Server::start(b, |_| {}).await;
    let ann = s.agent("ann").await;
    let mut ev = ann.events().await;
    ann.ready().await;
    let v = s.visitor("Nora").await;
    v.say("hi").await;
    let offer = ev.offer("offer").await;
    ann.accept(offer.interaction.id).await;
    ann.not_ready().await;
    let w = s.visitor("Walter").await;
    w.say("hello").await;
    let extra = ev.drain_for(Duration::from_millis(1200)).await;
    assert!(
        !extra.iter().any(|e| matches!(e.event, Event::Offer { .. })),
        "no offers while Not Ready"
    );
    // The chat in progress goes on.
    let sent: SendResponse = ann
        .post(
            &format!("/api/contacts/{}/messages", v.contact),
            json!({"client_id": client_id(), "text": "still here"}),
        )
        .await;
    assert_eq!(sent.interaction.id, offer.interaction.id);
    let (st, body) = ann
        .call(
            Method::PUT,
            "/api/me/status",
            Some(json!({"status": {"state": "not_ready", "reason": "nap"}})),
        )
        .await;
    assert_eq!(st, 400, "unknown reason: {body}");
}

async fn async_continuation_reactivates(b: Backend) {
    let s = Server::start(b, |_| {}).await;
    let ann = s.agent("ann").await;
    let mut ev = ann.events().await;
    ann.ready().await;
    let v = s.visitor("Ola").await;
    v.say("my order is late").await;
    let offer = ev.offer("offer").await;
    let id = offer.interaction.id;
    ann.accept(id).await;
    ann.post::<InteractionView>(&format!("/api/interactions/{id}/end"), json!({}))
        .await;
    // Sending after the end (Conversation tab) reactivates: a new interaction, linked.
    let sent: SendResponse = ann
        .post(&format!("/api/contacts/{}/messages", v.contact), json!({"client_id": client_id(), "text": "Found it: it ships today", "source": "interaction_view"}))
        .await;
    assert_ne!(sent.interaction.id, id);
    assert_eq!(sent.interaction.state, InteractionState::Active);
    assert_eq!(sent.interaction.reactivated_from, Some(id));
    assert_eq!(
        sent.interaction.reactivated_by,
        Some(Reactivation::AgentMessage)
    );
    let old: InteractionView = ann.get(&format!("/api/interactions/{id}")).await;
    assert_eq!(
        old.state,
        InteractionState::Done,
        "the ended one is closed and linked"
    );
    assert_eq!(old.continued_as, Some(sent.interaction.id));
    let work: MyWork = ann.get("/api/interactions").await;
    assert_eq!(work.agent.open_interactions, 1, "counted once");
    // After Done, the Chat button reactivates again.
    ann.post::<InteractionView>(
        &format!("/api/interactions/{}/done", sent.interaction.id),
        json!({"disposition": "resolved"}),
    )
    .await;
    let chat: InteractionView = ann
        .post(&format!("/api/contacts/{}/chat", v.contact), json!({}))
        .await;
    assert_eq!(chat.state, InteractionState::Active);
    assert_eq!(chat.reactivated_by, Some(Reactivation::ChatButton));
    assert_eq!(chat.reactivated_from, Some(sent.interaction.id));
    // A second agent cannot write into Ann's open chat.
    let ben = s.agent("ben").await;
    let (st, body) = ben
        .call(
            Method::POST,
            &format!("/api/contacts/{}/messages", v.contact),
            Some(json!({"client_id": client_id(), "text": "hi"})),
        )
        .await;
    assert_eq!(st, 409, "{body}");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap_or("")
        .contains("Ann Archer"));
}

async fn write_a_message_waits_for_the_visitor_and_contact_responded(b: Backend) {
    let s = Server::start(b, |_| {}).await;
    let ann = s.agent("ann").await;
    let mut ann_ev = ann.events().await;
    let v = s.visitor("Offline Olga").await;
    v.say("I will be back later").await;
    v.post::<Value>("/api/visitor/end", json!({})).await;
    // Ann takes the waiting chat, then closes it: nothing is open any more.
    let first: InteractionView = ann
        .post(&format!("/api/contacts/{}/chat", v.contact), json!({}))
        .await;
    ann.post::<InteractionView>(
        &format!("/api/interactions/{}/done", first.id),
        json!({"disposition": "follow_up"}),
    )
    .await;
    // The contact is gone; Ann writes from the Communication tab.
    let sent: SendResponse = ann
        .post(&format!("/api/contacts/{}/messages", v.contact), json!({"client_id": client_id(), "text": "Your refund is approved.", "source": "communication_tab"}))
        .await;
    assert_eq!(
        sent.message.delivered_at, None,
        "waiting for the next visit"
    );
    assert_eq!(
        sent.interaction.reactivated_by,
        Some(Reactivation::WriteAMessage)
    );
    assert_eq!(
        sent.interaction.state,
        InteractionState::Done,
        "no interaction view is opened"
    );
    // The visitor comes back (same token, new stream): the message is there and unread.
    let (st, session) = s
        .call(
            Method::POST,
            "/api/visitor/session",
            None,
            Some(json!({"visitor_token": v.token})),
        )
        .await;
    assert_eq!(st, 200);
    assert_eq!(session["unread"], 1);
    let page: wire::visitor::VisitorConversationPage = v.get("/api/visitor/conversation").await;
    let last = page
        .messages
        .iter()
        .rev()
        .find(|m| m.text == "Your refund is approved.")
        .expect("the waiting message");
    v.post::<Value>(
        "/api/visitor/receipts",
        json!({"up_to_seq": last.seq, "read": false}),
    )
    .await;
    ann_ev
        .until("delivered", |e| {
            matches!(e, Event::Receipt { read: false, .. })
        })
        .await;
    // The contact answers: Ann (who wrote last, logged in) gets contact_responded.
    v.say("Great, thank you!").await;
    let r = ann_ev
        .until("contact responded", |e| {
            matches!(e, Event::ContactResponded { .. })
        })
        .await;
    let Event::ContactResponded {
        contact_id,
        contact_name,
        message,
        agent_id,
    } = r.event
    else {
        unreachable!()
    };
    assert_eq!((contact_id, agent_id), (v.contact, ann.id));
    assert_eq!(contact_name, "Offline Olga");
    assert_eq!(message.text, "Great, thank you!");
    // Chat takes the reserved chat.
    let chat: InteractionView = ann
        .post(&format!("/api/contacts/{}/chat", v.contact), json!({}))
        .await;
    assert_eq!(chat.id, message.interaction_id);
    assert_eq!(chat.state, InteractionState::Active);
    // With the writer logged out, a reply is queued for routing instead.
    ann.post::<InteractionView>(
        &format!("/api/interactions/{}/done", chat.id),
        json!({"disposition": "resolved"}),
    )
    .await;
    ann.post::<Value>("/api/auth/logout", json!({})).await;
    let ben = s.agent("ben").await;
    let mut ben_ev = ben.events().await;
    ben.ready().await;
    v.say("One more question").await;
    let offer = ben_ev.offer("offer to ben").await;
    assert_eq!(offer.interaction.contact_id, v.contact);
}

async fn replay_after_dropped_stream_has_no_gap_and_no_duplicate(b: Backend) {
    let s = Server::start(b, |_| {}).await;
    let ann = s.agent("ann").await;
    let mut ev = ann.events().await;
    ann.ready().await;
    let v = s.visitor("Replay Rosa").await;
    v.say("start").await;
    let offer = ev.offer("offer").await;
    ann.accept(offer.interaction.id).await;
    v.say("m0").await;
    ev.until(
        "m0",
        |e| matches!(e, Event::Message { message } if message.text == "m0"),
    )
    .await;
    let last = ev.last;
    drop(ev); // the connection drops
    for i in 1..=20 {
        v.say(&format!("m{i}")).await;
    }
    let mut again = ann
        .stream("/api/events/ticket", "/api/events", Some(last))
        .await;
    again
        .until(
            "m20",
            |e| matches!(e, Event::Message { message } if message.text == "m20"),
        )
        .await;
    v.say("m21").await;
    again
        .until(
            "m21",
            |e| matches!(e, Event::Message { message } if message.text == "m21"),
        )
        .await;
    let texts: Vec<String> = again
        .seen
        .iter()
        .filter_map(|e| match &e.event {
            Event::Message { message } => Some(message.text.clone()),
            _ => None,
        })
        .collect();
    let expected: Vec<String> = (1..=21).map(|i| format!("m{i}")).collect();
    assert_eq!(
        texts, expected,
        "exactly the missed messages, in order, then live"
    );
    let ids: Vec<i64> = again.seen.iter().map(|e| e.id.0).collect();
    assert!(
        ids.windows(2).all(|w| w[0] < w[1]),
        "ids strictly increase (no duplicate)"
    );
    assert!(ids[0] > last.0);
    // A ticket is single-use.
    let t: wire::api::StreamTicket = ann.post("/api/events/ticket", json!({})).await;
    let url = format!("{}/api/events?ticket={}", s.base, t.ticket);
    let first = reqwest::get(&url).await.expect("stream");
    assert_eq!(first.status().as_u16(), 200);
    assert_eq!(
        reqwest::get(&url).await.expect("second").status().as_u16(),
        401
    );
}

async fn idempotent_send_under_concurrency(b: Backend) {
    let s = Server::start(b, |_| {}).await;
    let ann = s.agent("ann").await;
    let v = s.visitor("Idem").await;
    v.say("hi").await;
    let chat: InteractionView = ann
        .post(&format!("/api/contacts/{}/chat", v.contact), json!({}))
        .await;
    let cid = client_id();
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let base = s.base.clone();
        let token = ann.token.clone();
        let contact = v.contact;
        let cid = cid.clone();
        tasks.push(tokio::spawn(async move {
            let r = reqwest::Client::new()
                .post(format!("{base}/api/contacts/{contact}/messages"))
                .bearer_auth(token)
                .json(&json!({"client_id": cid, "text": "exactly once"}))
                .send()
                .await
                .expect("send");
            assert_eq!(r.status().as_u16(), 200);
            r.json::<SendResponse>().await.expect("body").message.id
        }));
    }
    let mut ids = Vec::new();
    for t in tasks {
        ids.push(t.await.expect("task"));
    }
    ids.dedup();
    assert_eq!(
        ids.len(),
        1,
        "every retry answers with the one stored message"
    );
    let page: wire::api::ConversationPage = ann
        .get(&format!("/api/contacts/{}/conversation", v.contact))
        .await;
    assert_eq!(
        page.messages
            .iter()
            .filter(|m| m.text == "exactly once")
            .count(),
        1
    );
    assert!(page.interactions.iter().any(|i| i.id == chat.id));
    // Visitor retries too.
    let vc = client_id();
    for _ in 0..3 {
        let _: wire::MessageView = v
            .post(
                "/api/visitor/messages",
                json!({"client_id": vc, "text": "once from me"}),
            )
            .await;
    }
    let page: wire::visitor::VisitorConversationPage = v.get("/api/visitor/conversation").await;
    assert_eq!(
        page.messages
            .iter()
            .filter(|m| m.text == "once from me")
            .count(),
        1
    );
}

/// Many sends at once (written together by the server): retries answer with the stored
/// message, a send that fails fails alone, every conversation's `seq` strictly increases.
async fn sends_arriving_together_succeed_or_fail_alone(b: Backend) {
    let s = Server::start(b, |_| {}).await;
    let mut visitors = Vec::new();
    for i in 0..4 {
        let v = s.visitor(&format!("Burst {i}")).await;
        v.say("hi").await;
        visitors.push(v);
    }
    let client = reqwest::Client::new();
    let mut tasks = Vec::new();
    for (vi, v) in visitors.iter().enumerate() {
        let retried = client_id();
        for n in 0..12 {
            // Every fourth send names an attachment that does not exist; the third and every
            // sixth reuse one client id.
            let (cid, body) = if n % 4 == 3 {
                (
                    client_id(),
                    json!({"client_id": client_id(), "text": "", "attachment_id": 999_999}),
                )
            } else if n == 2 || n % 6 == 0 {
                (
                    retried.clone(),
                    json!({"client_id": retried, "text": format!("retried {vi}")}),
                )
            } else {
                let c = client_id();
                (
                    c.clone(),
                    json!({"client_id": c, "text": format!("m {vi} {n}")}),
                )
            };
            let (client, base, token) = (client.clone(), s.base.clone(), v.token.clone());
            tasks.push(tokio::spawn(async move {
                let r = client
                    .post(format!("{base}/api/visitor/messages"))
                    .bearer_auth(token)
                    .json(&body)
                    .send()
                    .await
                    .expect("send");
                let status = r.status().as_u16();
                let body: Value = r.json().await.expect("body");
                (vi, n, cid, status, body)
            }));
        }
    }
    let mut retried_ids: Vec<Vec<i64>> = vec![Vec::new(); visitors.len()];
    for t in tasks {
        let (vi, n, _cid, status, body) = t.await.expect("task");
        if n % 4 == 3 {
            assert_eq!(status, 404, "a missing attachment is refused: {body}");
        } else {
            assert_eq!(status, 200, "send {vi}/{n}: {body}");
            if n == 2 || n % 6 == 0 {
                retried_ids[vi].push(body["id"].as_i64().expect("id"));
            }
        }
    }
    for (vi, v) in visitors.iter().enumerate() {
        let ids = &mut retried_ids[vi];
        ids.dedup();
        assert_eq!(
            ids.len(),
            1,
            "every retry answers with the one stored message"
        );
        let page: wire::visitor::VisitorConversationPage = v.get("/api/visitor/conversation").await;
        let texts: Vec<&str> = page.messages.iter().map(|m| m.text.as_str()).collect();
        assert_eq!(
            texts
                .iter()
                .filter(|t| **t == format!("retried {vi}"))
                .count(),
            1,
            "{texts:?}"
        );
        for n in [1, 4, 5, 8, 9, 10] {
            assert_eq!(
                texts
                    .iter()
                    .filter(|t| **t == format!("m {vi} {n}"))
                    .count(),
                1,
                "{texts:?}"
            );
        }
        assert!(
            texts.iter().all(|t| !t.is_empty()),
            "no failed send was stored"
        );
        assert_eq!(page.messages.len(), 1 + 1 + 6, "{texts:?}");
        assert!(
            page.messages.windows(2).all(|w| w[0].seq < w[1].seq),
            "seq strictly increases"
        );
    }
}

async fn bad_input_is_refused_clearly(b: Backend) {
    let s = Server::start(b, |c| c.max_message_chars = 50).await;
    let ann = s.agent("ann").await;
    let v = s.visitor("Bad Input").await;
    let check = |st: u16, body: &Value, want: u16, code: &str| {
        assert_eq!(st, want, "{body}");
        assert_eq!(body["error"]["code"], code, "{body}");
        let msg = body["error"]["message"].as_str().unwrap_or("");
        assert!(
            !msg.is_empty() && !msg.contains("sqlx") && !msg.contains("SQL"),
            "clear message: {msg}"
        );
    };
    let path = format!("/api/contacts/{}/messages", v.contact);
    let (st, body) = ann
        .call(
            Method::POST,
            &path,
            Some(json!({"client_id": client_id(), "text": "x".repeat(51)})),
        )
        .await;
    check(st, &body, 413, "too_large");
    let (st, body) = ann
        .call(
            Method::POST,
            &path,
            Some(json!({"client_id": client_id(), "text": "   "})),
        )
        .await;
    check(st, &body, 400, "invalid_input");
    let (st, body) = ann
        .call(
            Method::POST,
            &path,
            Some(json!({"client_id": "x", "text": "hi"})),
        )
        .await;
    check(st, &body, 400, "invalid_input");
    let (st, body) = ann
        .call(Method::POST, &path, Some(json!({"text": "no client id"})))
        .await;
    check(st, &body, 400, "invalid_input");
    let (st, body) = ann
        .call(
            Method::POST,
            "/api/contacts/999999/messages",
            Some(json!({"client_id": client_id(), "text": "hi"})),
        )
        .await;
    check(st, &body, 404, "not_found");
    let (st, body) = ann.call(Method::GET, "/api/contacts/abc", None).await;
    check(st, &body, 400, "invalid_input");
    let (st, body) = ann
        .call(Method::GET, "/api/contacts?limit=100000", None)
        .await;
    check(st, &body, 400, "invalid_input");
    let (st, body) = ann
        .call(Method::GET, "/api/contacts?cursor=zzz", None)
        .await;
    check(st, &body, 400, "invalid_input");
    let (st, body) = ann
        .call(
            Method::PATCH,
            &format!("/api/contacts/{}", v.contact),
            Some(json!({"email": "not an email"})),
        )
        .await;
    check(st, &body, 400, "invalid_input");
    // SQL and FTS syntax in search are just words.
    for q in [
        "'; DROP TABLE messages; --",
        "\"unbalanced",
        "a OR b NEAR(c)",
        "%_\\",
    ] {
        let (st, body) = ann
            .call(
                Method::GET,
                &format!("/api/search?q={}", urlencode(q)),
                None,
            )
            .await;
        assert_eq!(st, 200, "{q}: {body}");
        let (st, body) = ann
            .call(
                Method::GET,
                &format!("/api/contacts?q={}", urlencode(q)),
                None,
            )
            .await;
        assert_eq!(st, 200, "{q}: {body}");
    }
    // Raw bodies: not JSON, wrong type.
    let r = reqwest::Client::new()
        .post(format!("{}{path}", s.base))
        .bearer_auth(&ann.token)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .expect("send");
    assert_eq!(r.status().as_u16(), 400);
    let body: Value = r.json().await.expect("json error body");
    assert_eq!(body["error"]["code"], "invalid_input");
    // Images: an SVG, a renamed text file, an oversize file, a decompression bomb.
    let upload = |bytes: Vec<u8>, name: &'static str| {
        common::upload_as(
            &s,
            &v.token,
            "/api/visitor/attachments",
            bytes,
            name,
            Some("image/png"),
        )
    };
    let (st, body) = upload(
        b"<svg xmlns='http://www.w3.org/2000/svg'/>".to_vec(),
        "x.svg",
    )
    .await;
    check(st, &body, 415, "unsupported_media_type");
    let (st, body) = upload(b"just text pretending".to_vec(), "photo.png").await;
    check(st, &body, 415, "unsupported_media_type");
    let mut big = tiny_png();
    big.resize(6 * 1024 * 1024, 0);
    let (st, body) = upload(big, "big.png").await;
    assert_eq!(st, 413, "{body}");
    let mut bomb = tiny_png();
    bomb[16..24].copy_from_slice(&[0, 0, 0x4E, 0x20, 0, 0, 0x4E, 0x20]);
    let (st, body) = upload(bomb, "bomb.png").await;
    check(st, &body, 413, "too_large");
    let (st, body) = upload(tiny_png(), "../../evil\".png").await;
    assert_eq!(st, 200, "{body}");
    let url = body["url"].as_str().expect("url").to_owned();
    assert_eq!(body["file_name"], "evil.png");
    let r = reqwest::get(format!("{}{url}", s.base))
        .await
        .expect("download");
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    assert_eq!(r.headers()["content-type"], "image/png");
    assert_eq!(
        r.headers()["content-disposition"],
        "inline; filename=\"evil.png\""
    );
    // Someone else's attachment cannot be sent.
    let att = body["id"].clone();
    let (st, body) = ann
        .call(
            Method::POST,
            &path,
            Some(json!({"client_id": client_id(), "text": "", "attachment_id": att})),
        )
        .await;
    check(st, &body, 404, "not_found");
    let ok: wire::MessageView = v
        .post(
            "/api/visitor/messages",
            json!({"client_id": client_id(), "text": "", "attachment_id": att}),
        )
        .await;
    assert!(ok.attachment.is_some());
    // Mark Done with an unknown disposition.
    let chat: InteractionView = ann
        .post(&format!("/api/contacts/{}/chat", v.contact), json!({}))
        .await;
    let (st, body) = ann
        .call(
            Method::POST,
            &format!("/api/interactions/{}/done", chat.id),
            Some(json!({"disposition": "bogus"})),
        )
        .await;
    check(st, &body, 422, "unprocessable");
    let (st, body) = ann
        .call(
            Method::POST,
            &format!("/api/interactions/{}/handle-time", chat.id),
            Some(json!({"started_at": 10, "ended_at": 5})),
        )
        .await;
    check(st, &body, 400, "invalid_input");
}

async fn visitors_cannot_reach_other_conversations(b: Backend) {
    let s = Server::start(b, |_| {}).await;
    let a = s.visitor("Alice").await;
    let bob = s.visitor("Bob").await;
    a.say("alice secret").await;
    let page: wire::visitor::VisitorConversationPage = bob.get("/api/visitor/conversation").await;
    assert!(
        page.messages.iter().all(|m| m.contact_id == bob.contact),
        "only Bob's own conversation"
    );
    assert!(!page.messages.iter().any(|m| m.text.contains("alice")));
    // Agent routes refuse visitor tokens, and visitor streams carry only their own events.
    assert_eq!(
        bob.call(
            Method::GET,
            &format!("/api/contacts/{}/conversation", a.contact),
            None
        )
        .await
        .0,
        401
    );
    let mut bob_ev = bob.events().await;
    a.say("another alice secret").await;
    bob.say("bob here").await;
    bob_ev
        .until(
            "bob's own message",
            |e| matches!(e, Event::Message { message } if message.text == "bob here"),
        )
        .await;
    assert!(bob_ev.seen.iter().all(|e| match &e.event {
        Event::Message { message } => message.contact_id == bob.contact,
        _ => true,
    }));
    // A forged visitor token, and an agent token on visitor routes.
    assert_eq!(
        s.call(
            Method::GET,
            "/api/visitor/conversation",
            Some("tlv_forged"),
            None
        )
        .await
        .0,
        401
    );
    let ann = s.agent("ann").await;
    assert_eq!(
        s.call(
            Method::GET,
            "/api/visitor/conversation",
            Some(&ann.token),
            None
        )
        .await
        .0,
        401
    );
    let (st, _) = s
        .call(
            Method::POST,
            "/api/visitor/session",
            None,
            Some(json!({"visitor_token": "tlv_nope"})),
        )
        .await;
    assert_eq!(st, 401);
}

async fn search_and_conversation_paging(b: Backend) {
    let s = Server::start(b, |_| {}).await;
    let ann = s.agent("ann").await;
    // Seeded history: Maria wrote about a broken lace hook 20 days ago.
    let hits: wire::api::SearchResults = ann.get("/api/search?q=lace%20hook").await;
    assert_eq!(hits.hits.len(), 1);
    assert_eq!(hits.hits[0].contact_name, "Maria Lopez");
    let maria = hits.hits[0].message.contact_id;
    let within: wire::api::SearchResults = ann
        .get(&format!("/api/search?q=boots&contact_id={maria}"))
        .await;
    assert!(within.hits.iter().all(|h| h.message.contact_id == maria));
    assert!(!within.hits.is_empty());
    let ids: Vec<i64> = within.hits.iter().map(|h| h.message.id.0).collect();
    assert!(ids.windows(2).all(|w| w[0] > w[1]), "newest first");
    // Contacts list finds Maria by a word from an old message, and by name.
    let page: wire::api::ContactPage = ann.get("/api/contacts?q=waterproofing").await;
    assert_eq!(
        page.contacts.iter().map(|c| c.id).collect::<Vec<_>>(),
        vec![maria]
    );
    let page: wire::api::ContactPage = ann.get("/api/contacts?q=lopez").await;
    assert_eq!(page.contacts[0].id, maria);
    // Paging the Contacts list covers everyone once.
    let mut seen = Vec::new();
    let mut cursor = String::new();
    loop {
        let page: wire::api::ContactPage = ann
            .get(&format!("/api/contacts?limit=5&cursor={cursor}"))
            .await;
        seen.extend(page.contacts.iter().map(|c| c.id));
        match page.next_cursor {
            Some(c) => cursor = c,
            None => break,
        }
    }
    let mut uniq = seen.clone();
    uniq.sort();
    uniq.dedup();
    assert_eq!(uniq.len(), seen.len());
    assert_eq!(seen.len(), 12);
    // Public / Private.
    let public: wire::api::ContactPage = ann.get("/api/contacts?public=true").await;
    assert_eq!(
        public.contacts.len(),
        3,
        "Noah, Emma and Hanna have public posts"
    );
    // The conversation pages back from the newest with interaction boundaries.
    let first: wire::api::ConversationPage = ann
        .get(&format!("/api/contacts/{maria}/conversation?limit=3"))
        .await;
    assert_eq!(first.messages.len(), 3);
    assert!(first.has_more);
    let before = first.messages[0].seq;
    let older: wire::api::ConversationPage = ann
        .get(&format!(
            "/api/contacts/{maria}/conversation?limit=3&before_seq={before}"
        ))
        .await;
    assert!(older.messages.iter().all(|m| m.seq < before));
    assert!(
        older.messages.iter().any(|m| m.attachment.is_some()),
        "the seeded boot photo"
    );
    let all: Vec<_> = older.messages.iter().chain(first.messages.iter()).collect();
    assert!(all.windows(2).all(|w| w[0].seq < w[1].seq));
    assert_eq!(
        first.interactions.len() + older.interactions.len(),
        3,
        "boundaries: two interactions, one spans both pages"
    );
    let _ = ContactId(0);
}

async fn mark_done_needs_a_disposition(b: Backend) {
    let s = Server::start(b, |_| {}).await;
    let ann = s.agent("ann").await;
    let v = s.visitor("Dora").await;
    v.say("hello").await;
    let chat: InteractionView = ann
        .post(&format!("/api/contacts/{}/chat", v.contact), json!({}))
        .await;
    let (st, body) = ann
        .call(
            Method::POST,
            &format!("/api/interactions/{}/done", chat.id),
            Some(json!({})),
        )
        .await;
    assert_eq!(st, 422, "{body}");
    let done: InteractionView = ann
        .post(
            &format!("/api/interactions/{}/done", chat.id),
            json!({"disposition": "follow_up"}),
        )
        .await;
    assert_eq!(done.disposition.map(|d| d.0), Some("follow_up".to_owned()));
    assert_eq!(
        ann.call(
            Method::POST,
            &format!("/api/interactions/{}/end", chat.id),
            Some(json!({}))
        )
        .await
        .0,
        409
    );
    let ben = s.agent("ben").await;
    assert_eq!(
        ben.call(
            Method::POST,
            &format!("/api/interactions/{}/done", chat.id),
            Some(json!({"disposition": "resolved"}))
        )
        .await
        .0,
        403
    );
}

async fn signed_identity_same_conversation(b: Backend) {
    let secret = "test-identity-secret";
    let s = Server::start(b, |c| secret.clone_into(&mut c.identity_secret)).await;
    let in_an_hour = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs()
        .cast_signed()
        + 3600;
    let token = threadline_api::auth::sign_identity(secret, "cust-77", in_an_hour);
    let (st, one) = s
        .call(
            Method::POST,
            "/api/visitor/session",
            None,
            Some(json!({"identity": token, "name": "Kim Park"})),
        )
        .await;
    assert_eq!(st, 200, "{one}");
    let (st, two) = s
        .call(
            Method::POST,
            "/api/visitor/session",
            None,
            Some(json!({"identity": token})),
        )
        .await;
    assert_eq!(st, 200);
    assert_eq!(
        one["contact_id"], two["contact_id"],
        "the same contact on another device"
    );
    assert_ne!(one["visitor_token"], two["visitor_token"]);
    let forged = threadline_api::auth::sign_identity("wrong-secret", "cust-77", in_an_hour);
    let (st, body) = s
        .call(
            Method::POST,
            "/api/visitor/session",
            None,
            Some(json!({"identity": forged})),
        )
        .await;
    assert_eq!(st, 403, "{body}");
    let expired = threadline_api::auth::sign_identity(secret, "cust-77", 1000);
    let (st, body) = s
        .call(
            Method::POST,
            "/api/visitor/session",
            None,
            Some(json!({"identity": expired})),
        )
        .await;
    assert_eq!(st, 403);
    assert!(body["error"]["message"]
        .as_str()
        .unwrap_or("")
        .contains("expired"));
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[tokio::test]
async fn openapi_document_is_valid_and_covers_every_route() {
    let s = Server::start(Backend::Sqlite, |_| {}).await;
    let (st, doc) = s.call(Method::GET, "/api/openapi.json", None, None).await;
    assert_eq!(st, 200);
    // It parses as an OpenAPI 3.1 document.
    let parsed: utoipa::openapi::OpenApi =
        serde_json::from_value(doc.clone()).expect("a valid OpenAPI document");
    assert!(doc["openapi"].as_str().unwrap_or("").starts_with("3."));
    // Every route the router serves is documented, and every documented path exists.
    let (_, from_code) = threadline_api::routes::api();
    let documented: std::collections::BTreeSet<String> =
        parsed.paths.paths.keys().cloned().collect();
    let routed: std::collections::BTreeSet<String> =
        from_code.paths.paths.keys().cloned().collect();
    assert_eq!(documented, routed);
    for p in [
        "/api/auth/login",
        "/api/auth/logout",
        "/api/auth/password",
        "/api/auth/embed",
        "/api/embed/login-token",
        "/api/embed/config",
        "/api/me",
        "/api/me/status",
        "/api/config",
        "/api/events/ticket",
        "/api/events",
        "/api/interactions",
        "/api/interactions/{id}",
        "/api/interactions/{id}/accept",
        "/api/interactions/{id}/reject",
        "/api/interactions/{id}/end",
        "/api/interactions/{id}/done",
        "/api/interactions/{id}/handle-time",
        "/api/interactions/{id}/typing",
        "/api/interactions/{id}/transfer",
        "/api/agents",
        "/api/contacts",
        "/api/contacts/{id}",
        "/api/contacts/by-customer/{customer_id}",
        "/api/contacts/{id}/link",
        "/api/contacts/{id}/unlink",
        "/api/contacts/{id}/interactions",
        "/api/contacts/{id}/conversation",
        "/api/contacts/{id}/messages",
        "/api/contacts/{id}/chat",
        "/api/contacts/{id}/receipts",
        "/api/search",
        "/api/responses",
        "/api/attachments",
        "/api/files/{key}",
        "/api/visitor/session",
        "/api/visitor/conversation",
        "/api/visitor/messages",
        "/api/visitor/typing",
        "/api/visitor/receipts",
        "/api/visitor/end",
        "/api/visitor/away",
        "/api/visitor/attachments",
        "/api/visitor/events/ticket",
        "/api/visitor/events",
        "/api/setup",
        "/api/admin/agents",
        "/api/admin/agents/{id}",
        "/api/admin/agents/{id}/deactivate",
        "/api/admin/agents/{id}/reactivate",
        "/api/admin/agents/{id}/password",
        "/api/admin/audit",
        "/api/admin/contacts/{id}",
        "/api/admin/contacts/{id}/export",
        "/api/admin/response-categories",
        "/api/admin/response-categories/{id}",
        "/api/admin/responses",
        "/api/admin/responses/{id}",
        "/api/admin/dispositions",
        "/api/admin/dispositions/{code}",
        "/api/admin/not-ready-reasons",
        "/api/admin/not-ready-reasons/{code}",
        "/api/admin/channels",
        "/api/supervisor/board",
        "/api/supervisor/board/ticket",
        "/api/supervisor/agents/{id}/status",
        "/api/supervisor/agents/{id}/logout",
        "/api/reports",
        "/api/reports.csv",
        "/api/webhooks/meta",
        "/api/webhooks/x",
        "/api/messages/{id}/retry",
        "/api/health",
        "/api/metrics",
    ] {
        assert!(documented.contains(p), "{p} is documented");
        // And it is really served (not the JSON 404 of unknown API routes).
        let path = p
            .replace("{id}", "1")
            .replace("{key}", "00000000000000000000000000000000")
            .replace("{customer_id}", "cust-1");
        let (_, body) = s.call(Method::OPTIONS, &path, None, None).await;
        assert_ne!(
            body["error"]["message"], "no such API route",
            "{p} is routed"
        );
    }
    assert_eq!(
        documented.len(),
        76,
        "a new route must be added to this list"
    );
    for op in parsed.paths.paths.values() {
        for o in [&op.get, &op.post, &op.put, &op.patch, &op.delete]
            .into_iter()
            .flatten()
        {
            assert!(
                !o.responses.responses.is_empty(),
                "every operation documents its responses"
            );
        }
    }
}

on_both!(reconnect_older_than_retention_gets_resync);

async fn reconnect_older_than_retention_gets_resync(b: Backend) {
    let s = Server::start(b, |c| {
        c.event_retention = Duration::from_millis(200);
        c.prune_interval = Duration::from_millis(100);
    })
    .await;
    let v = s.visitor("Old Id").await;
    let mut ev = v.events().await;
    v.say("one").await;
    ev.until("one", |e| matches!(e, Event::Message { .. }))
        .await;
    let old = ev.last;
    drop(ev);
    v.say("two").await;
    // Wait until the log no longer holds what came after `old`: the reconnect must say so.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let mut again = v
            .stream(
                "/api/visitor/events/ticket",
                "/api/visitor/events",
                Some(old),
            )
            .await;
        let first = again.until("first event", |_| true).await;
        match first.event {
            Event::Resync => break,
            Event::Message { .. } => {
                assert!(
                    tokio::time::Instant::now() < deadline,
                    "the log was never pruned"
                );
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            other => panic!("unexpected {other:?}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_on_one_postgres_route_correctly() {
    if common::pg_url().is_none() {
        eprintln!("THREADLINE_TEST_PG is not set: not run");
        return;
    }
    let one = Server::start(Backend::Postgres, |_| {}).await;
    let url = one.db.url.clone();
    let two = Server::start_on(common::TestDb::existing(url), |_| {}).await;
    // Agents on different instances; visitors on both.
    let ann = one.agent("ann").await;
    let ben = two.agent("ben").await;
    let cleo = two.agent("cleo").await;
    let mut streams = vec![
        (ann.events().await, &ann, 3usize),
        (ben.events().await, &ben, 3),
        (cleo.events().await, &cleo, 2),
    ];
    for (_, a, _) in &streams {
        a.ready().await;
    }
    let mut visitors = Vec::new();
    for i in 0..10 {
        let server = if i % 2 == 0 { &one } else { &two };
        let v = server.visitor(&format!("Multi {i}")).await;
        v.say("hello from a busy day").await;
        visitors.push(v);
    }
    // Capacity in total is 3 + 3 + 2 = 8: exactly 8 offers, each chat at most once, nobody over.
    let mut offered = std::collections::BTreeMap::new();
    for (ev, a, cap) in &mut streams {
        for _ in 0..*cap {
            let offer = ev.offer("offer").await;
            assert!(
                offered.insert(offer.interaction.id, a.id).is_none(),
                "a chat was offered twice"
            );
        }
    }
    for (ev, _, _) in &mut streams {
        let extra = ev.drain_for(Duration::from_millis(1500)).await;
        assert!(
            !extra.iter().any(|e| matches!(e.event, Event::Offer { .. })),
            "an agent got an offer beyond capacity"
        );
    }
    assert_eq!(offered.len(), 8);
}

on_both!(a_rejected_chat_waits_and_does_not_block_the_queue);

async fn a_rejected_chat_waits_and_does_not_block_the_queue(b: Backend) {
    let s = Server::start(b, |c| c.decline_cooldown = Duration::from_secs(2)).await;
    let ann = s.agent("ann").await;
    let mut ev = ann.events().await;
    ann.ready().await;
    let first = s.visitor("First In Line").await;
    first.say("hello").await;
    let o = ev
        .until("offer", |e| matches!(e, Event::Offer { .. }))
        .await;
    let Event::Offer { offer } = o.event else {
        unreachable!()
    };
    ann.post::<Value>(
        &format!("/api/interactions/{}/reject", offer.interaction.id),
        json!({}),
    )
    .await;
    // The next chat in the queue reaches Ann at once, though the rejected one is older.
    let second = s.visitor("Second In Line").await;
    second.say("hi there").await;
    let offer2 = ev.offer("the second chat").await;
    assert_eq!(offer2.interaction.contact_id, second.contact);
    ann.accept(offer2.interaction.id).await;
    // After the cool-down, the rejected chat comes back to Ann (nobody else is Ready).
    let o3 = ev
        .until("the rejected chat again", |e| {
            matches!(e, Event::Offer { .. })
        })
        .await;
    let Event::Offer { offer: offer3 } = o3.event else {
        unreachable!()
    };
    assert_eq!(offer3.interaction.id, offer.interaction.id);
    assert!(o3.at - o.at >= 2000, "not before the cool-down");
}

async fn database_error_text_never_reaches_a_client(b: Backend) {
    let s = Server::start(b, |_| {}).await;
    let ann = s.agent("ann").await;
    let (st, _) = ann.call(Method::GET, "/api/responses", None).await;
    assert_eq!(st, 200);
    // Break the database under the running server: the next read fails inside the store.
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&s.db.url).await.unwrap();
    sqlx::query("ALTER TABLE standard_responses RENAME TO standard_responses_gone")
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    let (st, body) = ann.call(Method::GET, "/api/responses", None).await;
    assert_eq!(st, 500, "{body}");
    assert_eq!(body["error"]["code"], "internal", "{body}");
    let text = body.to_string();
    for leak in [
        "standard_responses",
        "no such table",
        "relation",
        "SELECT",
        "database",
    ] {
        assert!(
            !text.contains(leak),
            "database text reached the client: {text}"
        );
    }
}

async fn anonymous_visitors_have_distinct_names_and_their_start_page(b: Backend) {
    let s = Server::start(b, |_| {}).await;
    let ann = s.agent("ann").await;
    let v1 = s.visitor_with(json!({"page": "/pricing"})).await;
    let v2 = s.visitor_with(json!({})).await;
    v1.say("hello from the pricing page").await;
    v2.say("hello").await;
    // The interaction view: "Visitor {id}", and the page the visitor started from.
    let c1: InteractionView = ann
        .post(&format!("/api/contacts/{}/chat", v1.contact), json!({}))
        .await;
    let c2: InteractionView = ann
        .post(&format!("/api/contacts/{}/chat", v2.contact), json!({}))
        .await;
    assert_eq!(c1.contact_name, format!("Visitor {}", v1.contact.0));
    assert_eq!(c2.contact_name, format!("Visitor {}", v2.contact.0));
    assert_ne!(c1.contact_name, c2.contact_name);
    assert_eq!(c1.contact_page.as_deref(), Some("/pricing"));
    assert_eq!(c2.contact_page, None);
    // The contact view and the Contacts list say the same.
    let view: wire::ContactView = ann.get(&format!("/api/contacts/{}", v1.contact)).await;
    assert_eq!(view.page.as_deref(), Some("/pricing"));
    assert_eq!(view.display_name(), c1.contact_name);
    let list: wire::api::ContactPage = ann.get("/api/contacts").await;
    let line = |c: ContactId| list.contacts.iter().find(|l| l.id == c).cloned().unwrap();
    assert_eq!(line(v1.contact).name, c1.contact_name);
    assert_eq!(line(v1.contact).page.as_deref(), Some("/pricing"));
    assert_eq!(line(v2.contact).name, c2.contact_name);
    assert_eq!(line(v2.contact).page, None);
    // Resuming from another page keeps the page the visitor started from; the session names
    // the visitor the same way.
    let (st, body) = s
        .call(
            Method::POST,
            "/api/visitor/session",
            None,
            Some(json!({"visitor_token": v1.token, "page": "/checkout"})),
        )
        .await;
    assert_eq!(st, 200, "{body}");
    assert_eq!(body["name"], c1.contact_name.as_str());
    let view: wire::ContactView = ann.get(&format!("/api/contacts/{}", v1.contact)).await;
    assert_eq!(view.page.as_deref(), Some("/pricing"));
    // A page that is not a short path is refused.
    for page in [
        format!("/{}", "p".repeat(200)),
        "pricing".to_owned(),
        "/a b".to_owned(),
    ] {
        let (st, body) = s
            .call(
                Method::POST,
                "/api/visitor/session",
                None,
                Some(json!({ "page": page })),
            )
            .await;
        assert_eq!(st, 400, "{page}: {body}");
        assert_eq!(body["error"]["code"], "invalid_input", "{body}");
    }
    // A name given later replaces "Visitor {id}".
    let (st, body) = s
        .call(
            Method::POST,
            "/api/visitor/session",
            None,
            Some(json!({"visitor_token": v2.token, "name": "Nora North"})),
        )
        .await;
    assert_eq!(st, 200, "{body}");
    assert_eq!(body["name"], "Nora North");
}

on_both!(desktop_is_served_at_its_deep_paths);

/// Every place of the desktop has a URL: the server answers each with the desktop's
/// `index.html` (the desktop then shows that place), while an unknown `/api/...` path keeps its
/// JSON 404.
async fn desktop_is_served_at_its_deep_paths(b: Backend) {
    let dist = tempfile::tempdir().expect("temporary directory");
    let page = "<!doctype html><title>desktop index marker</title>";
    std::fs::write(dist.path().join("index.html"), page).expect("write index.html");
    let dir = dist.path().to_owned();
    let s = Server::start(b, move |c| c.desktop_dir = Some(dir)).await;
    let http = reqwest::Client::new();
    for path in [
        "/",
        "/communication",
        "/communication/3",
        "/communication/3?view=public",
        "/contacts",
        "/contacts/3",
        "/interactions/5",
        "/interactions/5/conversation",
        "/interactions/5/contact-information",
        "/interactions/5/history",
        "/interactions/5/responses",
    ] {
        let resp = http
            .get(format!("{}{path}", s.base))
            .send()
            .await
            .expect("request");
        assert_eq!(resp.status().as_u16(), 200, "{path} is served");
        let body = resp.text().await.unwrap_or_default();
        assert!(
            body.contains("desktop index marker"),
            "{path} is the desktop: {body}"
        );
    }
    for path in [
        "/api/nope",
        "/api/interactions/5/history",
        "/api/communication",
    ] {
        let (status, body) = s.call(Method::GET, path, None, None).await;
        assert_eq!(status, 404, "{path} is not the desktop");
        assert_eq!(body["error"]["code"], "not_found", "{path}: {body}");
    }
}
