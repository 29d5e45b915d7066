//! What each command does, through the same code paths as the desktop's own controls: the
//! login exchange ends in [`SessionState::logged_in`] like the login form, `logout` is the
//! `Log out` button's [`log_out`], `set_status` the status control's [`change_status`], and
//! `open_contact` navigates like a click in the Contacts list.

use super::state::{Host, Origin};
use crate::api::{ApiClient, ClientError};
use crate::presence::change_status;
use crate::session::{Phase, SessionState};
use crate::shell::log_out;
use crate::shell::state::Desk;
use leptos::prelude::*;
use wire::embed::host::{
    Command, HostError, HostStatus, ERROR_FAILED, ERROR_LOGIN_REFUSED, ERROR_NOT_ALLOWED,
    ERROR_NOT_LOGGED_IN, ERROR_UNKNOWN_CONTACT,
};
use wire::ChatStatus;

/// Does `command`, which came from `origin`.
pub async fn run(
    host: Host,
    session: SessionState,
    origin: &Origin,
    command: Command,
) -> Result<(), HostError> {
    if let Command::Login { token } = command {
        return login(session, origin, &token).await;
    }
    let Some(d) = host.desk.get_untracked() else {
        return Err(HostError::new(ERROR_NOT_LOGGED_IN, "nobody is logged in"));
    };
    match command {
        // Handled above, before a desk is needed.
        Command::Login { .. } => Ok(()),
        Command::Logout => log_out(d).await.map_err(failed),
        Command::SetStatus { status, reason } => set_status(&d, status, reason).await,
        Command::OpenContact {
            contact_id,
            customer_id,
        } => open_contact(&d, contact_id, customer_id).await,
    }
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

async fn open_contact(
    d: &Desk,
    contact_id: Option<wire::ContactId>,
    customer_id: Option<String>,
) -> Result<(), HostError> {
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
    d.nav
        .go(crate::shell::communication_at(d.contacts, Some(contact.id)));
    Ok(())
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
