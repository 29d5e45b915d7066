//! The transcript's reads of the wire types, its merge and its receipts.

use super::*;
use wire::{AgentId, Author, Event, EventEnvelope, EventId};

/// A message as the server sends it, read the way the widget reads it.
fn msg(seq: i64, author: Author) -> Message {
    let view = wire::MessageView {
        id: MessageId(seq * 10),
        author,
        ..wire::MessageView::sample(seq)
    };
    serde_json::from_str(&serde_json::to_string(&view).unwrap()).unwrap()
}

fn agent() -> Author {
    Author::Agent {
        id: AgentId(7),
        name: "Ann".into(),
    }
}

#[test]
fn replays_do_not_duplicate() {
    let mut t = Transcript::default();
    assert_eq!(t.insert(msg(1, Author::Contact)), Change::New);
    assert_eq!(t.insert(msg(2, agent())), Change::New);
    assert_eq!(t.insert(msg(2, agent())), Change::Same);
    assert_eq!(t.messages.len(), 2);
    assert_eq!(t.last_agent_seq(), Some(2));
    assert_eq!(t.agent_name().as_deref(), Some("Ann"));
}

#[test]
fn pages_merge_and_keep_has_more_of_the_oldest() {
    let mut t = Transcript::default();
    let page = |seqs: &[i64], has_more| Page {
        messages: seqs.iter().map(|s| msg(*s, Author::Contact)).collect(),
        interactions: vec![],
        has_more,
    };
    assert_eq!(t.merge_page(page(&[3, 4], true), false), vec![3, 4]);
    assert!(t.has_more);
    assert_eq!(t.merge_page(page(&[1, 2, 3], false), true), vec![1, 2]);
    assert!(!t.has_more);
    assert_eq!(t.first_seq(), Some(1));
}

#[test]
fn receipts_mark_only_that_side_and_never_regress() {
    let mut t = Transcript::default();
    t.insert(msg(1, Author::Contact));
    t.insert(msg(2, agent()));
    t.insert(msg(3, Author::Contact));
    assert_eq!(t.apply_receipt(Party::Contact, 2, false, 5), vec![1]);
    assert_eq!(mark(t.messages.get(1).unwrap()), Mark::Delivered);
    assert_eq!(mark(t.messages.get(3).unwrap()), Mark::Sent);
    assert_eq!(t.apply_receipt(Party::Contact, 3, true, 6), vec![1, 3]);
    assert_eq!(mark(t.messages.get(3).unwrap()), Mark::Read);
    // A stale copy from a replay keeps the receipt (and so changes nothing).
    assert_eq!(t.insert(msg(3, Author::Contact)), Change::Same);
    assert_eq!(mark(t.messages.get(3).unwrap()), Mark::Read);
}

#[test]
fn a_wire_page_reads_as_a_page() {
    let interaction = wire::InteractionView {
        agent_id: Some(AgentId(7)),
        agent_name: Some("Ann".into()),
        accepted_at: Some(2),
        ..wire::InteractionView::new(
            InteractionId(4),
            (ContactId(1), "Visitor"),
            wire::Channel::WebChat,
            InteractionState::Active,
            1,
        )
    };
    let message = wire::MessageView {
        interaction_id: InteractionId(4),
        author: agent(),
        text: "hello".into(),
        attachment: Some(wire::AttachmentView {
            id: wire::AttachmentId(2),
            content_type: "image/png".into(),
            size: 10,
            width: 300,
            height: 200,
            file_name: "a.png".into(),
            url: "/api/files/k".into(),
        }),
        created_at: 5,
        delivered_at: Some(6),
        ..wire::MessageView::sample(1)
    };
    let page = wire::api::ConversationPage {
        contact_id: ContactId(1),
        messages: vec![message],
        interactions: vec![interaction],
        has_more: true,
    };
    let read: Page = serde_json::from_str(&serde_json::to_string(&page).unwrap()).unwrap();
    let m = &read.messages[0];
    assert_eq!(
        (m.seq, m.author.kind, m.author.name.as_deref()),
        (1, Kind::Agent, Some("Ann"))
    );
    assert_eq!(m.attachment.as_ref().map(|a| a.width), Some(300));
    assert_eq!(mark(m), Mark::Delivered);
    assert_eq!(read.interactions[0].agent_name.as_deref(), Some("Ann"));
    assert!(read.interactions[0].is_open());
}

// The visitor events, read with the widget's types.
fn wire_json(event: Event) -> (String, String) {
    let name = event.name().to_owned();
    let envelope = EventEnvelope {
        id: EventId(42),
        at: 1,
        event,
    };
    (name, serde_json::to_string(&envelope).unwrap())
}

#[test]
fn reads_the_events_the_server_sends() {
    let message = wire::MessageView {
        contact_id: ContactId(3),
        interaction_id: InteractionId(2),
        seq: 5,
        text: "hi".into(),
        created_at: 9,
        ..wire::MessageView::sample(1)
    };
    let (name, data) = wire_json(Event::Message {
        message: message.clone(),
    });
    let Some((EventId(42), Some(Live::Message { message: read }))) = Live::decode(&name, &data)
    else {
        panic!("not a message: {data}");
    };
    assert_eq!((read.seq, read.text.as_str()), (message.seq, "hi"));
    let (name, data) = wire_json(Event::Typing {
        contact_id: ContactId(3),
        party: Party::Agent,
        typing: true,
    });
    assert_eq!(
        Live::decode(&name, &data),
        Some((
            EventId(42),
            Some(Live::Typing {
                contact_id: ContactId(3),
                party: Party::Agent,
                typing: true
            })
        ))
    );
    let (name, data) = wire_json(Event::Receipt {
        contact_id: ContactId(3),
        author_party: Party::Contact,
        up_to_seq: 5,
        read: true,
        at: 7,
    });
    assert!(matches!(
        Live::decode(&name, &data),
        Some((_, Some(Live::Receipt { read: true, .. })))
    ));
    let (name, data) = wire_json(Event::Resync);
    assert_eq!(
        Live::decode(&name, &data),
        Some((EventId(42), Some(Live::Resync)))
    );
    let (name, data) = wire_json(Event::OfferWithdrawn {
        interaction_id: InteractionId(1),
        reason: wire::event::WithdrawReason::Accepted,
    });
    assert_eq!(Live::decode(&name, &data), Some((EventId(42), None)));
    assert_eq!(Live::decode("message", "{}"), None);
}

#[test]
fn reads_the_visitor_form_the_server_sends() {
    let view = wire::MessageView {
        seq: 3,
        author: agent(),
        text: "hello from Ann".into(),
        created_at: 5,
        ..wire::MessageView::sample(30)
    };
    let public = Event::Message { message: view }
        .into_public()
        .expect("a visitor event");
    let data = serde_json::to_string(&wire::visitor::PublicEnvelope {
        id: EventId(9),
        at: 5,
        event: public,
    })
    .unwrap();
    let (id, live) = Live::decode("message", &data).expect("readable");
    assert_eq!(id, EventId(9));
    let Some(Live::Message { message }) = live else {
        panic!("not a message: {live:?}")
    };
    assert_eq!(message.seq, 3);
    assert_eq!(message.author.name.as_deref(), Some("Ann"));
    assert_eq!(message.author.party(), Some(Party::Agent));
}

#[test]
fn a_page_numbered_differently_is_told_apart_from_a_page_that_continues() {
    let mut t = Transcript::default();
    let page = |messages: Vec<Message>| Page {
        messages,
        interactions: vec![],
        has_more: false,
    };
    t.merge_page(page(vec![msg(1, Author::Contact), msg(2, agent())]), false);
    // The same messages again, and a newer one: a page that continues.
    assert!(!t.renumbered(&page(vec![msg(2, agent()), msg(3, Author::Contact)])));
    // Seq 2 is another message now: the conversation was renumbered (contacts linked).
    let mut moved = msg(2, agent());
    moved.id = MessageId(99);
    assert!(t.renumbered(&page(vec![moved])));
    // Another contact's messages at a held seq: the visitor's contact was linked to another.
    let mut theirs = msg(1, Author::Contact);
    theirs.contact_id = ContactId(2);
    assert!(t.renumbered(&page(vec![theirs])));
}
