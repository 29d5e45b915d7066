//! Every event round-trips through its name; visitor events read narrowed.

use super::*;
use crate::model::{AttachmentView, Author, Channel, ChatStatus, InteractionState};
use crate::AttachmentId;

fn message() -> MessageView {
    MessageView {
        contact_id: ContactId(3),
        interaction_id: InteractionId(2),
        seq: 5,
        author: Author::Agent {
            id: AgentId(7),
            name: "Ann".into(),
        },
        text: "hi".into(),
        attachment: Some(AttachmentView {
            id: AttachmentId(2),
            content_type: "image/png".into(),
            size: 10,
            width: 300,
            height: 200,
            file_name: "a.png".into(),
            url: "/api/files/k".into(),
        }),
        created_at: 9,
        delivered_at: Some(10),
        ..MessageView::sample(1)
    }
}

fn interaction() -> InteractionView {
    InteractionView {
        contact_page: Some("/pricing".into()),
        agent_id: Some(AgentId(7)),
        agent_name: Some("Ann".into()),
        accepted_at: Some(2),
        ..InteractionView::new(
            InteractionId(4),
            (ContactId(3), "Visitor 3"),
            Channel::WebChat,
            InteractionState::Active,
            1,
        )
    }
}

fn contact() -> ContactView {
    ContactView {
        id: ContactId(3),
        first_name: "Fiona".into(),
        last_name: "Files".into(),
        email: Some("f@example.com".into()),
        phone: None,
        notes: String::new(),
        identities: vec![crate::model::Identity::WebVisitor("v1".into())],
        last_agent_id: Some(AgentId(7)),
        page: Some("/pricing".into()),
    }
}

/// One of every variant.
fn every_event() -> Vec<Event> {
    vec![
        Event::Offer {
            offer: OfferView {
                interaction: interaction(),
                first_message: Some("hello".into()),
                expires_at: 30,
                transfer: Some(crate::TransferView {
                    from_id: AgentId(1),
                    from_name: "Ann".into(),
                    note: Some("wants a refund".into()),
                }),
            },
        },
        Event::OfferWithdrawn {
            interaction_id: InteractionId(4),
            reason: WithdrawReason::TimedOut,
        },
        Event::TransferEnded {
            interaction_id: InteractionId(4),
            outcome: crate::TransferOutcome::Rejected,
            to_name: "Ben".into(),
        },
        Event::Interaction {
            interaction: interaction(),
        },
        Event::Message { message: message() },
        Event::Typing {
            contact_id: ContactId(3),
            party: Party::Contact,
            typing: true,
        },
        Event::Receipt {
            contact_id: ContactId(3),
            author_party: Party::Agent,
            up_to_seq: 5,
            read: true,
            at: 11,
        },
        Event::Status {
            agent: AgentView {
                id: AgentId(7),
                login: "ann".into(),
                display_name: "Ann".into(),
                capacity: 3,
                role: crate::Role::Agent,
                status: ChatStatus::Ready,
                open_interactions: 1,
            },
        },
        Event::ContactResponded {
            agent_id: AgentId(7),
            contact_id: ContactId(3),
            contact_name: "Fiona".into(),
            message: message(),
        },
        Event::ContactUpdated { contact: contact() },
        Event::ContactLinked {
            contact_id: ContactId(8),
            contact: contact(),
        },
        Event::ContactUnlinked {
            contact: contact(),
            new_contact: ContactView {
                id: ContactId(9),
                identities: vec![crate::model::Identity::MessengerPsid("psid-1".into())],
                ..contact()
            },
        },
        Event::ContactErased {
            contact_id: ContactId(3),
        },
        Event::Monitoring {
            monitor: crate::monitor::Monitor {
                interaction_id: InteractionId(4),
                by_id: AgentId(9),
                by_name: "Sam".into(),
                since: 3,
            },
            on: true,
        },
        Event::Reassigned {
            interaction_id: InteractionId(4),
            by_name: "Sam".into(),
            to_name: "the queue".into(),
        },
        Event::Resync,
    ]
}

fn envelope(event: Event) -> (&'static str, String) {
    let name = event.name();
    let data = serde_json::to_string(&EventEnvelope {
        id: EventId(42),
        at: 1,
        event,
    })
    .expect("events serialize");
    (name, data)
}

#[test]
fn every_variant_round_trips_through_its_name() {
    let events = every_event();
    let mut names: Vec<&str> = events.iter().map(Event::name).collect();
    names.sort_unstable();
    let mut all = Event::NAMES.to_vec();
    all.sort_unstable();
    assert_eq!(names, all, "one sample per variant, every name listed once");
    for event in events {
        let (name, data) = envelope(event.clone());
        assert_eq!(
            Event::decode(name, &data),
            Some((EventId(42), event)),
            "{data}"
        );
        // The name is the JSON `type` too.
        let tagged: serde_json::Value = serde_json::from_str(&data).expect("json");
        assert_eq!(tagged["event"]["type"], name);
    }
    assert_eq!(Event::decode("message", "{}"), None);
    assert_eq!(
        Event::decode("no_such_event", &envelope(Event::Resync).1),
        None
    );
}

/// Every event that names the contact (their id or their details) says which contact it is
/// about, so that erasing them finds it in the log; the others name none.
#[test]
fn an_event_naming_a_contact_says_which() {
    for event in every_event() {
        let json = serde_json::to_string(&event).expect("events serialize");
        let names = json.contains("\"contact_id\":3") || json.contains("Fiona");
        let expected = names.then_some(ContactId(3));
        assert_eq!(event.contact(), expected, "{json}");
    }
}

/// A narrowing that reads only a message's seq and an interaction's state.
#[derive(Debug, Clone, PartialEq)]
struct Small;

#[derive(Debug, Clone, PartialEq, Deserialize)]
struct Seq {
    seq: i64,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
struct State {
    state: InteractionState,
}

impl Narrowing for Small {
    type Message = Seq;
    type Interaction = State;
}

#[test]
fn visitor_events_read_narrowed_and_others_give_their_id() {
    for event in every_event() {
        let (name, data) = envelope(event.clone());
        let (id, read) = VisitorEvent::<Small>::decode(name, &data).expect("readable");
        assert_eq!(id, EventId(42));
        let expected = match event {
            Event::Message { message } => Some(VisitorEvent::Message {
                message: Seq { seq: message.seq },
            }),
            Event::Interaction { interaction } => Some(VisitorEvent::Interaction {
                interaction: State {
                    state: interaction.state,
                },
            }),
            Event::Typing {
                contact_id,
                party,
                typing,
            } => Some(VisitorEvent::Typing {
                contact_id,
                party,
                typing,
            }),
            Event::Receipt {
                contact_id,
                author_party,
                up_to_seq,
                read,
                at,
            } => Some(VisitorEvent::Receipt {
                contact_id,
                author_party,
                up_to_seq,
                read,
                at,
            }),
            Event::Resync => Some(VisitorEvent::Resync),
            _ => None,
        };
        assert_eq!(read, expected, "{data}");
    }
    assert_eq!(VisitorEvent::<Small>::decode("message", "{}"), None);
}

#[test]
fn the_visitor_form_has_only_visitor_rows_and_no_internal_fields() {
    use crate::visitor::{Public, PublicEnvelope};
    const INTERNAL: [&str; 8] = [
        "disposition",
        "handle_time_ms",
        "reserved_for",
        "offer_expires_at",
        "agent_id",
        "contact_page",
        "contact_name",
        "done_at",
    ];
    for event in every_event() {
        let name = event.name();
        let is_visitor_row = VisitorEvent::<Small>::decode(name, &envelope(event.clone()).1)
            .expect("readable")
            .1
            .is_some();
        let Some(public) = event.into_public() else {
            assert!(
                !is_visitor_row,
                "{name} reaches visitors but has no visitor form"
            );
            continue;
        };
        assert!(
            is_visitor_row,
            "{name} is agent-only but has a visitor form"
        );
        let data = serde_json::to_string(&PublicEnvelope {
            id: EventId(42),
            at: 1,
            event: public.clone(),
        })
        .expect("serializes");
        for key in INTERNAL {
            assert!(
                !data.contains(&format!("\"{key}\"")),
                "{name} leaks {key}: {data}"
            );
        }
        assert!(
            !data.contains("\"id\":7"),
            "{name} leaks the agent's id: {data}"
        );
        let (id, read) = VisitorEvent::<Public>::decode(name, &data).expect("readable");
        assert_eq!((id, read), (EventId(42), Some(public)));
    }
}
