//! Which part owns which event.

use crate::api::{ApiClient, ClientError, LoggedIn};
use crate::chat_interaction::state::InteractionsState;
use crate::contacts::state::ContactsState;
use crate::notifications::state::{NotificationsState, Responded};
use crate::presence::state::PresenceState;
use crate::shell::state::Notices;
use wire::{Event, Party};

/// What the Communication tab says when the contact it showed was erased.
const ERASED: &str = "The contact you were viewing was erased at their request.";

/// Every part that events change.
#[derive(Debug, Clone, Copy)]
pub struct Parts {
    /// Chat channel status and load.
    pub presence: PresenceState,
    /// Offers and contact-responded notifications.
    pub notifications: NotificationsState,
    /// Open interactions and conversations.
    pub interactions: InteractionsState,
    /// The Contacts list.
    pub contacts: ContactsState,
    /// Where errors go.
    pub notices: Notices,
    /// The portal's host API, inside a portal's frame: it hears every event.
    pub host: Option<crate::embed::state::Host>,
}

/// Loads the agent's work from scratch (start-up, a `resync`, contacts linked or unlinked).
pub async fn reload(client: &ApiClient<LoggedIn>, parts: &Parts) -> Result<(), ClientError> {
    let work = client.my_work().await?;
    if let Some(host) = parts.host {
        host.work_loaded(&work);
    }
    parts.presence.agent_changed(work.agent);
    parts.interactions.set_open(work.interactions);
    parts.notifications.set_offers(work.offers);
    parts.interactions.set_monitors(work.monitors);
    Ok(())
}

/// Whether the event rewrote conversations (contacts linked or unlinked) or says that events
/// were missed (`resync`), so that the agent's work must be loaded again after it and the
/// views of conversations built afresh.
pub fn rewrites_conversations(event: &Event) -> bool {
    matches!(
        event,
        Event::ContactLinked { .. } | Event::ContactUnlinked { .. } | Event::Resync
    )
}

/// Hands one event to its owner.
pub fn dispatch(parts: &Parts, event: Event) {
    if let Some(host) = parts.host {
        host.server_event(&event);
    }
    match event {
        Event::Offer { offer } => {
            parts.contacts.noticed(offer.interaction.contact_id);
            parts.notifications.offer_arrived(offer);
        }
        Event::OfferWithdrawn { interaction_id, .. } => {
            parts.notifications.withdraw(interaction_id);
        }
        Event::Interaction { interaction } => {
            if interaction.state != wire::InteractionState::Offered {
                parts.notifications.withdraw(interaction.id);
            }
            parts.contacts.noticed(interaction.contact_id);
            parts.interactions.interaction_changed(interaction);
        }
        Event::Message { message } => {
            parts.contacts.activity(
                message.contact_id,
                &message.text,
                message.created_at,
                message.author.party() == Some(Party::Contact),
            );
            parts.interactions.message(message);
        }
        Event::Typing {
            contact_id,
            party,
            typing,
        } => parts.interactions.typing_changed(contact_id, party, typing),
        Event::Receipt {
            contact_id,
            author_party,
            up_to_seq,
            read,
            at,
        } => parts
            .interactions
            .receipt(contact_id, author_party, up_to_seq, read, at),
        Event::Status { agent } => parts.presence.agent_changed(agent),
        Event::ContactResponded {
            contact_id,
            contact_name,
            message,
            ..
        } => {
            parts
                .contacts
                .activity(contact_id, &message.text, message.created_at, true);
            parts.notifications.contact_responded(Responded {
                contact_id,
                contact_name,
                text: message.text.clone(),
                at: message.created_at,
            });
            parts.interactions.message(message);
        }
        Event::ContactUpdated { contact } => parts.contacts.updated(contact),
        // The stream reloads the agent's work after these (see `rewrites_conversations`).
        Event::ContactLinked {
            contact_id,
            contact,
        } => {
            parts
                .interactions
                .forget(&[contact_id, contact.id], contact.id);
            parts.contacts.linked(contact_id, contact);
        }
        Event::ContactUnlinked {
            contact,
            new_contact,
        } => {
            parts
                .interactions
                .forget(&[contact.id, new_contact.id], contact.id);
            parts.contacts.unlinked(contact, new_contact);
        }
        Event::ContactErased { contact_id } => {
            parts.interactions.erased(contact_id);
            parts.notifications.dismiss_responded(contact_id);
            if parts.contacts.erased(contact_id) {
                parts.notices.push(ERASED);
            }
        }
        Event::TransferEnded {
            outcome, to_name, ..
        } => parts
            .notices
            .push(crate::chat_interaction::transfer::outcome_text(
                outcome, &to_name,
            )),
        Event::Monitoring { monitor, on } => parts.interactions.monitoring(monitor, on),
        Event::Reassigned {
            interaction_id,
            by_name,
            to_name,
        } => {
            let text = parts
                .interactions
                .reassigned_away(interaction_id, &by_name, &to_name);
            parts.notices.push(text);
        }
        // The stream reloads the agent's work after it (see `rewrites_conversations`).
        Event::Resync => {
            parts.interactions.forget_all();
            parts.contacts.ask_newest();
        }
    }
}
