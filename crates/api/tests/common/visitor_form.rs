//! How the test harness reads a visitor stream: its `data:` is the visitor form
//! (`wire::visitor::PublicEnvelope`), widened here into an [`Event`] so one matcher serves
//! agent and visitor streams. `security_visitor.rs` checks the visitor form's raw JSON itself.

use serde_json::Value;
use wire::{AgentId, Event, EventEnvelope, EventId};

/// The id of an event sent live only (typing): no SSE `id:` of its own.
pub const LIVE_ONLY: EventId = EventId(0);

/// Reads one SSE event. An agent stream's `data:` is an [`EventEnvelope`]; a visitor stream's
/// is the visitor form (`wire::visitor::PublicEnvelope`), which is widened here into an
/// [`Event`] (fields a visitor never gets are left empty) so one matcher serves both streams.
/// `security_visitor.rs` checks the visitor form's raw JSON itself.
pub fn read_event(name: &str, data: &str) -> EventEnvelope {
    use wire::event::VisitorEvent;
    if let Ok(env) = serde_json::from_str::<EventEnvelope>(data) {
        return env;
    }
    let (id, event) = VisitorEvent::<wire::visitor::Public>::decode(name, data)
        .unwrap_or_else(|| panic!("unreadable {name} event: {data}"));
    let event = event.unwrap_or_else(|| panic!("a visitor stream sent {name}: {data}"));
    let at = serde_json::from_str::<Value>(data).expect("json")["at"]
        .as_i64()
        .expect("at");
    let event = match event {
        VisitorEvent::Message { message } => Event::Message {
            message: widen_message(message),
        },
        VisitorEvent::Interaction { interaction } => Event::Interaction {
            interaction: widen_interaction(interaction),
        },
        VisitorEvent::Typing {
            contact_id,
            party,
            typing,
        } => Event::Typing {
            contact_id,
            party,
            typing,
        },
        VisitorEvent::Receipt {
            contact_id,
            author_party,
            up_to_seq,
            read,
            at,
        } => Event::Receipt {
            contact_id,
            author_party,
            up_to_seq,
            read,
            at,
        },
        VisitorEvent::Resync => Event::Resync,
    };
    EventEnvelope { id, at, event }
}

/// A visitor's message as a [`wire::MessageView`] (an agent's id reads as 0).
pub fn widen_message(m: wire::visitor::VisitorMessage) -> wire::MessageView {
    use wire::visitor::AuthorKind;
    wire::MessageView {
        id: m.id,
        contact_id: m.contact_id,
        interaction_id: m.interaction_id,
        seq: m.seq,
        author: match m.author.kind {
            AuthorKind::Agent => wire::Author::Agent {
                id: AgentId(0),
                name: m.author.name.unwrap_or_default(),
            },
            AuthorKind::Contact => wire::Author::Contact,
            AuthorKind::System => wire::Author::System,
        },
        text: m.text,
        attachment: m.attachment.map(|a| wire::AttachmentView {
            id: a.id,
            content_type: a.content_type,
            size: a.size,
            width: a.width,
            height: a.height,
            file_name: a.file_name,
            url: a.url,
        }),
        client_id: m.client_id,
        created_at: m.created_at,
        delivered_at: m.delivered_at,
        read_at: m.read_at,
        system: m.system,
        outbound: None,
        reply_to: None,
    }
}

/// A visitor's interaction as a [`wire::InteractionView`] (what a visitor never gets is empty).
pub fn widen_interaction(i: wire::visitor::VisitorInteraction) -> wire::InteractionView {
    wire::InteractionView {
        id: i.id,
        contact_id: i.contact_id,
        contact_name: String::new(),
        contact_page: None,
        channel: wire::Channel::WebChat,
        state: i.state,
        agent_id: None,
        agent_name: i.agent_name,
        created_at: i.created_at,
        accepted_at: None,
        ended_at: i.ended_at,
        ended_by: i.ended_by,
        done_at: None,
        disposition: None,
        reactivated_from: None,
        reactivated_by: None,
        handle_time_ms: 0,
        offer_expires_at: None,
        reserved_for: None,
        continued_as: None,
        contact_wrote_at: None,
    }
}
