//! The events of the live streams (`GET /api/events` for agents, `GET /api/visitor/events` for
//! visitors). Each is a row of the server's event log, written in the same transaction as the
//! change it reports; its log id is the SSE `id:`, so a reconnect with `Last-Event-ID` replays
//! exactly what was missed.

use crate::ids::{AgentId, ContactId, EventId, InteractionId};
use crate::model::{AgentView, ContactView, InteractionView, MessageView, Party};
use crate::Millis;
use serde::{Deserialize, Serialize};

/// One event with its place in the log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EventEnvelope {
    /// The log id (also the SSE `id:`).
    pub id: EventId,
    /// When it was written.
    pub at: Millis,
    /// What happened.
    pub event: Event,
}

/// An offer as the notification shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OfferView {
    /// The interaction offered.
    pub interaction: InteractionView,
    /// The contact's first message (or the latest one), for the notification.
    pub first_message: Option<String>,
    /// When the offer expires and goes to the next agent.
    pub expires_at: Millis,
}

/// Why an offer went away.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum WithdrawReason {
    /// The agent rejected it.
    Rejected,
    /// Nobody answered in time.
    TimedOut,
    /// The contact left before anyone accepted.
    ContactLeft,
    /// The agent accepted it (in another tab or window).
    Accepted,
}

/// Everything that can happen, as one tagged enum (`{"type": "message", ...}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// A chat is offered to this agent.
    Offer {
        /// The offer.
        offer: OfferView,
    },
    /// An offer to this agent is no longer open.
    OfferWithdrawn {
        /// The interaction that was offered.
        interaction_id: InteractionId,
        /// Why.
        reason: WithdrawReason,
    },
    /// An interaction changed state (accepted, ended, done, reactivated, ...).
    Interaction {
        /// Its new form.
        interaction: InteractionView,
    },
    /// A message was stored.
    Message {
        /// The message.
        message: MessageView,
    },
    /// Someone started or stopped typing.
    Typing {
        /// Whose conversation.
        contact_id: ContactId,
        /// Which side types.
        party: Party,
        /// Whether they are typing now.
        typing: bool,
    },
    /// The other side received or showed messages up to `up_to_seq`.
    Receipt {
        /// Whose conversation.
        contact_id: ContactId,
        /// The side whose messages were received or read.
        author_party: Party,
        /// Every message of that side with `seq <= up_to_seq` is covered.
        up_to_seq: i64,
        /// Received (`false`) or read (`true`).
        read: bool,
        /// When.
        at: Millis,
    },
    /// An agent's status or load changed.
    Status {
        /// The agent as they are now.
        agent: AgentView,
    },
    /// A contact answered a conversation that had no open interaction.
    ContactResponded {
        /// The agent who last wrote to the contact (the one notified).
        agent_id: AgentId,
        /// The contact.
        contact_id: ContactId,
        /// Their name.
        contact_name: String,
        /// What they wrote.
        message: MessageView,
    },
    /// A contact's details changed.
    ContactUpdated {
        /// The contact as they are now.
        contact: ContactView,
    },
    /// The stream cannot replay from the id given (it is older than the log keeps): reload
    /// everything, then carry on from this event.
    Resync,
}

impl Event {
    /// The SSE `event:` name (the same as the JSON `type`).
    pub fn name(&self) -> &'static str {
        match self {
            Event::Offer { .. } => "offer",
            Event::OfferWithdrawn { .. } => "offer_withdrawn",
            Event::Interaction { .. } => "interaction",
            Event::Message { .. } => "message",
            Event::Typing { .. } => "typing",
            Event::Receipt { .. } => "receipt",
            Event::Status { .. } => "status",
            Event::ContactResponded { .. } => "contact_responded",
            Event::ContactUpdated { .. } => "contact_updated",
            Event::Resync => "resync",
        }
    }

    /// Every event name, for clients that must register a listener per name.
    pub const NAMES: [&'static str; 10] = [
        "offer",
        "offer_withdrawn",
        "interaction",
        "message",
        "typing",
        "receipt",
        "status",
        "contact_responded",
        "contact_updated",
        "resync",
    ];
}
