//! What each command does, through the same code paths as the desktop's own controls: the
//! login exchange ends in [`SessionState::logged_in`] like the login form, `logout` is the
//! `Log out` button's [`log_out`], `set_status` the status control's [`change_status`],
//! `open_contact` navigates like a click in the Contacts list, `accept_offer` and
//! `reject_offer` are the offer's `Accept` and `Reject` ([`answer_offer`]), `start_chat` the
//! contact's `Chat` button ([`start_chat`]), `open_interaction` a click on the interaction in
//! the navigation, and `compose` writes into the interaction's message field, unsent.

use super::state::{Host, Origin};
use crate::api::{ApiClient, ClientError};
use crate::communication_tab::start_chat;
use crate::notifications::answer_offer;
use crate::presence::change_status;
use crate::session::{Phase, SessionState};
use crate::shell::log_out;
use crate::shell::state::Desk;
use crate::shell::state::Place;
use leptos::prelude::*;
use wire::embed::host::{
    Command, HostError, HostStatus, ERROR_FAILED, ERROR_INVALID, ERROR_LOGIN_REFUSED,
    ERROR_NOT_ALLOWED, ERROR_NOT_LOGGED_IN, ERROR_NO_INTERACTION, ERROR_NO_OFFER,
    ERROR_UNKNOWN_CONTACT, ERROR_UNKNOWN_INTERACTION,
};
use wire::{ChatStatus, ContactId, InteractionId};

/// Does `command`, which came from `origin`: done, with the interaction accepted or started
/// where the command has one, or why not.
pub async fn run(
    host: Host,
    session: SessionState,
    origin: &Origin,
    command: Command,
) -> Result<Option<InteractionId>, HostError> {
    if let Command::Login { token } = command {
        return login(session, origin, &token).await.map(|()| None);
    }
    let Some(d) = host.desk.get_untracked() else {
        return Err(HostError::new(ERROR_NOT_LOGGED_IN, "nobody is logged in"));
    };
    match command {
        // Handled above, before a desk is needed.
        Command::Login { .. } => Ok(None),
        Command::Logout => log_out(d).await.map_err(failed).map(|()| None),
        Command::SetStatus { status, reason } => {
            set_status(&d, status, reason).await.map(|()| None)
        }
        Command::OpenContact {
            contact_id,
            customer_id,
        } => {
            let contact = find_contact(&d, contact_id, customer_id).await?;
            d.nav
                .go(crate::shell::communication_at(d.contacts, Some(contact)));
            Ok(None)
        }
        Command::AcceptOffer { interaction_id } => {
            let id = offer(&d, interaction_id)?;
            match answer_offer(d, id, true).await {
                Ok(_) => Ok(Some(id)),
                Err(e) => Err(offer_failed(e)),
            }
        }
        Command::RejectOffer { interaction_id } => {
            let id = offer(&d, interaction_id)?;
            match answer_offer(d, id, false).await {
                Ok(_) => Ok(None),
                Err(e) => Err(offer_failed(e)),
            }
        }
        Command::OpenInteraction { interaction_id } => {
            if !holds(&d, interaction_id) {
                return Err(HostError::new(
                    ERROR_UNKNOWN_INTERACTION,
                    "no open interaction of this agent has that id",
                ));
            }
            d.nav.go(Place::interaction(interaction_id));
            Ok(None)
        }
        Command::StartChat {
            contact_id,
            customer_id,
        } => {
            let contact = find_contact(&d, contact_id, customer_id).await?;
            let started = start_chat(d, contact).await.map_err(failed)?;
            Ok(Some(started.id))
        }
        Command::Compose {
            text,
            interaction_id,
        } => compose(&d, text, interaction_id).map(|()| None),
    }
}

/// Whether interaction `id` is one of the agent's open interactions (not Done).
fn holds(d: &Desk, id: InteractionId) -> bool {
    d.interactions
        .open
        .with_untracked(|l| l.iter().any(|i| i.id == id))
}

/// The offer a command means: that one, if it is open, or the oldest open one.
fn offer(d: &Desk, id: Option<InteractionId>) -> Result<InteractionId, HostError> {
    d.notifications
        .offers
        .with_untracked(|o| {
            o.iter()
                .map(|o| o.interaction.id)
                .find(|open| id.is_none_or(|id| id == *open))
        })
        .ok_or_else(|| HostError::new(ERROR_NO_OFFER, "no such offer is open"))
}

/// An offer the server no longer has open (answered elsewhere, timed out) is `no_offer`.
fn offer_failed(e: ClientError) -> HostError {
    match &e {
        ClientError::Request(t) if matches!(t.status(), Some(404 | 409)) => {
            HostError::new(ERROR_NO_OFFER, e.message())
        }
        _ => failed(e),
    }
}

/// Writes `text` into the message field of interaction `id` (the one shown when `None`),
/// unsent, and shows that interaction.
fn compose(d: &Desk, text: String, id: Option<InteractionId>) -> Result<(), HostError> {
    let shown = match d.nav.place_untracked() {
        Place::Interaction(shown, _) => Some(shown),
        _ => None,
    };
    let Some(id) = id.or(shown) else {
        return Err(HostError::new(
            ERROR_NO_INTERACTION,
            "no interaction is shown; name one",
        ));
    };
    if !holds(d, id) {
        return Err(HostError::new(
            ERROR_NO_INTERACTION,
            "no open interaction of this agent has that id",
        ));
    }
    // The server's limit may be lower than the protocol's.
    let max = d
        .presence
        .config
        .with_untracked(|c| c.as_ref().map(|c| c.max_message_chars as usize))
        .unwrap_or(wire::limits::MAX_MESSAGE_CHARS);
    if let Err(e) = wire::checks::message_text(&text, max, false) {
        return Err(HostError::new(ERROR_INVALID, e.describe("the text")));
    }
    if shown != Some(id) {
        d.nav.go(Place::interaction(id));
    }
    d.interactions.hand_text(id, text);
    Ok(())
}

async fn login(session: SessionState, origin: &Origin, token: &str) -> Result<(), HostError> {
    if matches!(session.phase.get_untracked(), Phase::LoggedIn(_)) {
        return Err(HostError::new(
            ERROR_NOT_ALLOWED,
            "an agent is already logged in; log out first",
        ));
    }
    match ApiClient::new().embed_login(token, &origin.0).await {
        Ok((client, answer)) => {
            session.logged_in(client, answer.agent);
            Ok(())
        }
        Err(e) if e.is_unauthorized() => Err(HostError::new(ERROR_LOGIN_REFUSED, e.message())),
        Err(e) => Err(failed(e)),
    }
}

async fn set_status(
    d: &Desk,
    status: HostStatus,
    reason: Option<wire::ReasonCode>,
) -> Result<(), HostError> {
    let status = match (status, reason) {
        (HostStatus::Ready, _) => ChatStatus::Ready,
        (HostStatus::NotReady, Some(reason)) => ChatStatus::NotReady { reason },
        (HostStatus::NotReady, None) => {
            let config = match d.presence.config.get_untracked() {
                Some(config) => config,
                None => d.api.client().config().await.map_err(failed)?,
            };
            let Some(first) = config.not_ready_reasons.into_iter().next() else {
                return Err(HostError::new(
                    ERROR_NOT_ALLOWED,
                    "no Not Ready reason is configured",
                ));
            };
            ChatStatus::NotReady { reason: first.code }
        }
    };
    change_status(d.presence, d.api, status)
        .await
        .map_err(failed)
}

/// The contact named by Threadline id or by the portal's customer id.
async fn find_contact(
    d: &Desk,
    contact_id: Option<ContactId>,
    customer_id: Option<String>,
) -> Result<ContactId, HostError> {
    let client = d.api.client();
    let found = match (contact_id, customer_id) {
        (Some(id), _) => client.contact(id).await,
        (None, Some(customer)) => client.contact_by_customer(&customer).await,
        (None, None) => return Err(HostError::new(ERROR_UNKNOWN_CONTACT, "no contact named")),
    };
    let contact = found.map_err(|e| match e {
        ClientError::Request(ref t) if t.status() == Some(404) => {
            HostError::new(ERROR_UNKNOWN_CONTACT, e.message())
        }
        other => failed(other),
    })?;
    Ok(contact.id)
}

/// A failure the server or the network caused, with its code.
fn failed(e: ClientError) -> HostError {
    let code = if e.is_unauthorized() {
        ERROR_NOT_LOGGED_IN
    } else if matches!(&e, ClientError::Request(t) if t.is_refusal()) {
        ERROR_NOT_ALLOWED
    } else {
        ERROR_FAILED
    };
    HostError::new(code, e.message())
}
