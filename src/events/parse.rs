//! Reads one stream event. The SSE `event:` name says which variant the data holds, so the
//! fields are read straight into one struct of optional fields and the name picks the variant:
//! no buffering of the whole object to find its `type` tag first (which would double the
//! decoding code of every type an event carries), and one decoder instead of one per event.

use serde::Deserialize;
use wire::event::{OfferView, WithdrawReason};
use wire::{
    AgentId, AgentView, ContactId, ContactView, Event, EventId, InteractionId, InteractionView,
    MessageView, Millis, Party,
};

/// The envelope with the event's fields (its `type` and `at` are skipped).
#[derive(Deserialize)]
struct Envelope {
    id: EventId,
    event: Fields,
}

/// Every field any event has: one decoder for all of them, and the SSE name says which
/// fields must be there.
#[derive(Deserialize)]
struct Fields {
    offer: Option<OfferView>,
    interaction_id: Option<InteractionId>,
    reason: Option<WithdrawReason>,
    interaction: Option<InteractionView>,
    message: Option<MessageView>,
    contact_id: Option<ContactId>,
    party: Option<Party>,
    typing: Option<bool>,
    author_party: Option<Party>,
    up_to_seq: Option<i64>,
    read: Option<bool>,
    at: Option<Millis>,
    agent: Option<AgentView>,
    agent_id: Option<AgentId>,
    contact_name: Option<String>,
    contact: Option<ContactView>,
}

impl Fields {
    fn into_event(self, name: &str) -> Option<Event> {
        Some(match name {
            "offer" => Event::Offer { offer: self.offer? },
            "offer_withdrawn" => Event::OfferWithdrawn {
                interaction_id: self.interaction_id?,
                reason: self.reason?,
            },
            "interaction" => Event::Interaction {
                interaction: self.interaction?,
            },
            "message" => Event::Message {
                message: self.message?,
            },
            "typing" => Event::Typing {
                contact_id: self.contact_id?,
                party: self.party?,
                typing: self.typing?,
            },
            "receipt" => Event::Receipt {
                contact_id: self.contact_id?,
                author_party: self.author_party?,
                up_to_seq: self.up_to_seq?,
                read: self.read?,
                at: self.at?,
            },
            "status" => Event::Status { agent: self.agent? },
            "contact_responded" => Event::ContactResponded {
                agent_id: self.agent_id?,
                contact_id: self.contact_id?,
                contact_name: self.contact_name?,
                message: self.message?,
            },
            "contact_updated" => Event::ContactUpdated {
                contact: self.contact?,
            },
            "resync" => Event::Resync,
            _ => return None,
        })
    }
}

/// The event named `name` (the SSE `event:` line) from its `data:`.
pub fn parse(name: &str, data: &str) -> Result<(EventId, Event), String> {
    let envelope: Envelope =
        serde_json::from_str(data).map_err(|_| crate::api::unreadable(data))?;
    let event = envelope
        .event
        .into_event(name)
        .ok_or_else(|| crate::api::unreadable(data))?;
    Ok((envelope.id, event))
}

#[cfg(test)]
mod tests {
    use super::parse;
    use wire::{ContactId, Event, EventEnvelope, EventId, Party};

    #[test]
    fn reads_what_the_server_writes() {
        let sent = EventEnvelope {
            id: EventId(7),
            at: 1,
            event: Event::Typing {
                contact_id: ContactId(3),
                party: Party::Contact,
                typing: true,
            },
        };
        let data = serde_json::to_string(&sent).unwrap_or_default();
        assert_eq!(parse(sent.event.name(), &data), Ok((sent.id, sent.event)));
        let resync = serde_json::to_string(&EventEnvelope {
            id: EventId(9),
            at: 2,
            event: Event::Resync,
        })
        .unwrap_or_default();
        assert_eq!(parse("resync", &resync), Ok((EventId(9), Event::Resync)));
    }
}
