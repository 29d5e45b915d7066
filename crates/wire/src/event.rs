//! The events of the live streams (`GET /api/events` for agents, `GET /api/visitor/events` for
//! visitors). Each is a row of the server's event log, written in the same transaction as the
//! change it reports; its log id is the SSE `id:`, so a reconnect with `Last-Event-ID` replays
//! exactly what was missed.
//!
//! Every event is one row of [`event_table!`]'s invocation below: its variant, its SSE name and
//! its fields (each field also listed once in the table's `fields`). The table generates the [`Event`] enum, [`Event::name`], [`Event::NAMES`] and
//! [`Event::decode`], and the visitor-facing subset [`VisitorEvent`] with its own decoder, so a
//! new event is one new row.

use crate::ids::{AgentId, ContactId, EventId, InteractionId};
use crate::model::{
    AgentView, ContactView, InteractionView, MessageView, Party, TransferOutcome, TransferView,
};
use crate::monitor::Monitor;
use crate::Millis;
use serde::de::{DeserializeOwned, IgnoredAny};
use serde::{Deserialize, Serialize};
use std::fmt::Debug;

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
    /// Set when a colleague transferred the chat: from whom, and their note.
    #[serde(default)]
    pub transfer: Option<TransferView>,
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
    /// A supervisor reassigned the chat, or it was transferred elsewhere.
    Reassigned,
}

/// The envelope of an event read by its SSE name: its log id and the fields of the event
/// (serde skips `at` and `type`, which the name already says).
#[derive(Deserialize)]
struct Envelope<T> {
    /// The log id.
    id: EventId,
    /// The event's fields.
    event: T,
}

/// Reads the envelope with the event's fields as `T`.
fn read<T: DeserializeOwned>(data: &str) -> Option<(EventId, T)> {
    serde_json::from_str::<Envelope<T>>(data)
        .ok()
        .map(|e| (e.id, e.event))
}

/// How a client reads the two big views a visitor event carries: the widget reads only the
/// fields it shows (a smaller bundle), with the same JSON. See [`VisitorEvent`].
pub trait Narrowing {
    /// What a [`MessageView`] is read as.
    type Message: DeserializeOwned + Debug + Clone + PartialEq;
    /// What an [`InteractionView`] is read as.
    type Interaction: DeserializeOwned + Debug + Clone + PartialEq;
}

/// The type a field of a visitor event is read as under the narrowing `N`.
pub trait Narrow<N: Narrowing> {
    /// The type read.
    type Out: DeserializeOwned + Debug + Clone + PartialEq;
}

impl<N: Narrowing> Narrow<N> for MessageView {
    type Out = N::Message;
}

impl<N: Narrowing> Narrow<N> for InteractionView {
    type Out = N::Interaction;
}

macro_rules! narrow_as_is {
    ($($t:ty),*) => {$(
        impl<N: Narrowing> Narrow<N> for $t {
            type Out = $t;
        }
    )*};
}

narrow_as_is!(ContactId, Party, i64, bool);

/// The event table. Rows in `visitor` reach visitors too (and form [`VisitorEvent`]); rows in
/// `agent` reach only agents. Each row: docs, `Variant = "sse_name"`, then its fields (none for
/// a unit variant).
macro_rules! event_table {
    (
        fields { $( $(#[$udoc:meta])* $ufield:ident : $uty:ty ),* $(,)? }
        visitor { $(
            $(#[$vdoc:meta])* $vvar:ident = $vname:literal $({ $( $(#[$vfdoc:meta])* $vfield:ident : $vty:ty ),* $(,)? })?
        ),* $(,)? }
        agent { $(
            $(#[$adoc:meta])* $avar:ident = $aname:literal $({ $( $(#[$afdoc:meta])* $afield:ident : $aty:ty ),* $(,)? })?
        ),* $(,)? }
    ) => {
        /// Everything that can happen, as one tagged enum (`{"type": "message", ...}`).
        #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[serde(tag = "type", rename_all = "snake_case")]
        pub enum Event {
            $( $(#[$adoc])* $avar $({ $( $(#[$afdoc])* $afield: $aty ),* })?, )*
            $( $(#[$vdoc])* $vvar $({ $( $(#[$vfdoc])* $vfield: $vty ),* })?, )*
        }

        impl Event {
            /// Every event name, for clients that must register a listener per name.
            pub const NAMES: [&'static str; [$($aname,)* $($vname,)*].len()] =
                [$($aname,)* $($vname,)*];

            /// The SSE `event:` name (the same as the JSON `type`).
            pub fn name(&self) -> &'static str {
                match self {
                    $( Event::$avar { .. } => $aname, )*
                    $( Event::$vvar { .. } => $vname, )*
                }
            }

            /// Reads the event named `name` (the SSE `event:` line) from its `data:` (an
            /// [`EventEnvelope`]). Every field any event has is read into one struct of
            /// optional fields, and the name picks the variant and says which must be there: one
            /// decoder for all events, and nothing buffered to find the `type` tag first. `None`
            /// for an unknown name or unreadable data.
            pub fn decode(name: &str, data: &str) -> Option<(EventId, Event)> {
                /// Every field of every event (the table's `fields`).
                #[derive(Deserialize)]
                struct Fields { $( $(#[$udoc])* $ufield: Option<$uty>, )* }
                #[allow(unused_variables)]
                let (id, f) = read::<Fields>(data)?;
                let event = match name {
                    $( $aname => Event::$avar $({ $( $afield: f.$afield? ),* })?, )*
                    $( $vname => Event::$vvar $({ $( $vfield: f.$vfield? ),* })?, )*
                    _ => return None,
                };
                Some((id, event))
            }

            /// The event in the form a visitor may see ([`crate::visitor::PublicEvent`]), or
            /// `None` for an event only agents get.
            pub fn into_public(self) -> Option<crate::visitor::PublicEvent> {
                match self {
                    $( Event::$vvar $({ $( $vfield ),* })? =>
                        Some(VisitorEvent::$vvar $({ $( $vfield: $vfield.into() ),* })?), )*
                    _ => None,
                }
            }
        }

        /// The events a visitor acts on, with the two big views read as `N` says (see
        /// [`Narrowing`]); generated from the same table as [`Event`]. With
        /// [`crate::visitor::Public`] it is also what a visitor's stream sends (serialized
        /// like [`Event`], `{"type": "message", ...}`).
        #[derive(Debug, Clone, PartialEq, Serialize)]
        #[serde(
            tag = "type",
            rename_all = "snake_case",
            bound(serialize = "N::Message: Serialize, N::Interaction: Serialize")
        )]
        pub enum VisitorEvent<N: Narrowing> {
            $( $(#[$vdoc])* $vvar $({ $( $(#[$vfdoc])* $vfield: <$vty as Narrow<N>>::Out ),* })?, )*
        }

        impl<N: Narrowing> VisitorEvent<N> {
            /// Reads an event by its SSE name: the log id, and the event if it is one a visitor
            /// acts on (any other name still gives its id, for `Last-Event-ID`). `None` when the
            /// data cannot be read.
            pub fn decode(name: &str, data: &str) -> Option<(EventId, Option<Self>)> {
                match name {
                    $( $vname => {
                        /// The variant's fields.
                        #[derive(Deserialize)]
                        #[serde(bound = "")]
                        struct Fields<N: Narrowing> {
                            $( $( $(#[$vfdoc])* $vfield: <$vty as Narrow<N>>::Out, )* )?
                            /// Ties the fields to the narrowing.
                            #[serde(skip)]
                            narrowing: std::marker::PhantomData<N>,
                        }
                        #[allow(unused_variables)]
                        let (id, f) = read::<Fields<N>>(data)?;
                        Some((id, Some(VisitorEvent::$vvar $({ $( $vfield: f.$vfield ),* })?)))
                    } )*
                    _ => read::<IgnoredAny>(data).map(|(id, _)| (id, None)),
                }
            }
        }

    };
}

event_table! {
    // Every field any event has, once (the variants below must use these types; the compiler
    // checks it where `Event::decode` builds them).
    fields {
        /// `offer`.
        offer: OfferView,
        /// `offer_withdrawn`.
        interaction_id: InteractionId,
        /// `offer_withdrawn`.
        reason: WithdrawReason,
        /// `interaction`.
        interaction: InteractionView,
        /// `message`, `contact_responded`.
        message: MessageView,
        /// `typing`, `receipt`, `contact_responded`, `contact_linked`, `contact_erased`.
        contact_id: ContactId,
        /// `typing`.
        party: Party,
        /// `typing`.
        typing: bool,
        /// `receipt`.
        author_party: Party,
        /// `receipt`.
        up_to_seq: i64,
        /// `receipt`.
        read: bool,
        /// `receipt`.
        at: Millis,
        /// `status`.
        agent: AgentView,
        /// `contact_responded`.
        agent_id: AgentId,
        /// `contact_responded`.
        contact_name: String,
        /// `contact_updated`, `contact_linked`, `contact_unlinked`.
        contact: ContactView,
        /// `contact_unlinked`.
        new_contact: ContactView,
        /// `transfer_ended`.
        outcome: TransferOutcome,
        /// `transfer_ended`, `reassigned`.
        to_name: String,
        /// `monitoring`.
        monitor: Monitor,
        /// `monitoring`.
        on: bool,
        /// `reassigned`.
        by_name: String,
    }
    visitor {
        /// An interaction changed state (accepted, ended, done, reactivated, ...).
        Interaction = "interaction" {
            /// Its new form.
            interaction: InteractionView,
        },
        /// A message was stored.
        Message = "message" {
            /// The message.
            message: MessageView,
        },
        /// Someone started or stopped typing.
        Typing = "typing" {
            /// Whose conversation.
            contact_id: ContactId,
            /// Which side types.
            party: Party,
            /// Whether they are typing now.
            typing: bool,
        },
        /// The other side received or showed messages up to `up_to_seq`.
        Receipt = "receipt" {
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
        /// The stream cannot replay from the id given (it is older than the log keeps): reload
        /// everything, then carry on from this event.
        Resync = "resync",
    }
    agent {
        /// A chat is offered to this agent.
        Offer = "offer" {
            /// The offer.
            offer: OfferView,
        },
        /// An offer to this agent is no longer open.
        OfferWithdrawn = "offer_withdrawn" {
            /// The interaction that was offered.
            interaction_id: InteractionId,
            /// Why.
            reason: WithdrawReason,
        },
        /// An agent's status or load changed.
        Status = "status" {
            /// The agent as they are now.
            agent: AgentView,
        },
        /// A contact answered a conversation that had no open interaction.
        ContactResponded = "contact_responded" {
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
        ContactUpdated = "contact_updated" {
            /// The contact as they are now.
            contact: ContactView,
        },
        /// A contact was linked into another (the same person): `contact_id` is gone, its
        /// identities and conversations are `contact`'s now, renumbered in time order; what a
        /// desktop holds of either conversation is stale.
        ContactLinked = "contact_linked" {
            /// The contact that was merged away.
            contact_id: ContactId,
            /// The contact that holds everything now.
            contact: ContactView,
        },
        /// An identity was unlinked from `contact` into `new_contact`, with its channels'
        /// conversations; both conversations are renumbered.
        ContactUnlinked = "contact_unlinked" {
            /// The contact the identity left.
            contact: ContactView,
            /// The new contact.
            new_contact: ContactView,
        },
        /// An administrator erased the contact at their request: their details, identities,
        /// conversations and pictures are gone, and nothing of them may stay on screen.
        ContactErased = "contact_erased" {
            /// The contact that was erased.
            contact_id: ContactId,
        },
        /// A transfer this agent made was answered: accepted, or rejected or timed out (then
        /// the chat is back with them, or in the queue).
        TransferEnded = "transfer_ended" {
            /// The interaction transferred.
            interaction_id: InteractionId,
            /// How it ended.
            outcome: TransferOutcome,
            /// The colleague it was offered to.
            to_name: String,
        },
        /// A supervisor started (`on`) or stopped watching a chat this agent holds. Never sent
        /// to a visitor.
        Monitoring = "monitoring" {
            /// Who watches what.
            monitor: Monitor,
            /// Started (`true`) or stopped.
            on: bool,
        },
        /// A supervisor reassigned a chat this agent held to a colleague or the queue (the
        /// agent's view leaves it, with a notice).
        Reassigned = "reassigned" {
            /// The interaction.
            interaction_id: InteractionId,
            /// The supervisor who reassigned it.
            by_name: String,
            /// Where it went: a colleague's name, or "the queue".
            to_name: String,
        },
    }
}

impl Event {
    /// The contact the event tells about, if one: the log keeps it beside the event, so that
    /// erasing a contact finds every event that names them.
    pub fn contact(&self) -> Option<ContactId> {
        match self {
            Event::Offer { offer } => Some(offer.interaction.contact_id),
            Event::Interaction { interaction } => Some(interaction.contact_id),
            Event::Message { message } | Event::ContactResponded { message, .. } => {
                Some(message.contact_id)
            }
            Event::Typing { contact_id, .. }
            | Event::Receipt { contact_id, .. }
            | Event::ContactErased { contact_id } => Some(*contact_id),
            // The contact that holds the payload's details now (the other is gone).
            Event::ContactUpdated { contact }
            | Event::ContactLinked { contact, .. }
            | Event::ContactUnlinked { contact, .. } => Some(contact.id),
            Event::OfferWithdrawn { .. }
            | Event::Status { .. }
            | Event::TransferEnded { .. }
            | Event::Monitoring { .. }
            | Event::Reassigned { .. }
            | Event::Resync => None,
        }
    }
}

#[cfg(test)]
mod tests;
