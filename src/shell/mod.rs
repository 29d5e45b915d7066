//! The desktop once logged in: header, navigation, the work area, notifications.
//!
//! # Layout
//! - `header`: the agent, the Chat channel status, the load, `Log out`.
//! - `nav`: the main navigation (the Connect group, the open interactions).
//! - [`place`]: every place an agent can be and its URL.
//! - [`state`]: navigation (following the URL), the API client, the clock, notices, `Desk`.
//! - [`tabs`]: the keyboard of tab lists.
//! - `workspace`: the work area: what the place shows.

mod header;
pub use header::log_out;
mod nav;
pub mod place;
pub mod state;
pub mod tabs;
mod workspace;

use crate::chat_interaction::handle_time;
use crate::chat_interaction::state::InteractionsState;
use crate::contacts::state::ContactsState;
use crate::events::{self, Link, Parts};
use crate::notifications::state::NotificationsState;
use crate::notifications::{OfferNotifications, RespondedNotifications};
use crate::presence::state::PresenceState;
use crate::session::{Session, SessionState};
use leptos::prelude::*;
use leptos::task::spawn_local;
use state::{desk, Api, Clock, Desk, Nav, Notices, Place};
use wire::ContactId;

/// Said at start when a message kept from before the page closed was put back.
const UNSENT_ONE: &str =
    "A message had not reached the server when the page closed: it is back in its conversation, with Retry.";
/// The same for several (after their number).
const UNSENT_MANY: &str =
    "messages had not reached the server when the page closed: they are back in their conversations, with Retry.";

/// Everything an agent sees once logged in.
#[component]
pub fn Shell(session: Session) -> impl IntoView {
    let session_state = expect_context::<SessionState>();
    let Session { client, agent } = session;
    let me = agent.id;
    let name = agent.display_name.clone();
    let role = agent.role;
    let notices = Notices::new(session_state);
    let nav = Nav::start();
    let presence = PresenceState::new(agent);
    let notifications = NotificationsState::new();
    let interactions = InteractionsState::new(me);
    match crate::chat_interaction::unsent::keep(interactions) {
        0 => {}
        1 => notices.push(UNSENT_ONE),
        n => notices.push(format!("{n} {UNSENT_MANY}")),
    }
    let contacts = ContactsState::new();
    let api = Api::new(client.clone());
    provide_context(Desk {
        api,
        clock: Clock::start(),
        notices,
        nav,
        presence,
        notifications,
        interactions,
        contacts,
        viewing: handle_time::track(nav, client.clone(), notices),
        session: session_state,
    });

    {
        let client = client.clone();
        spawn_local(async move {
            match client.config().await {
                Ok(config) => presence.config.set(Some(config)),
                Err(e) => notices.error("Loading the configuration", &e),
            }
        });
    }
    follow_communication_url(nav, contacts);
    crate::contacts::watch_new_contacts(api, contacts, notices);
    let stream = events::start(
        client,
        Parts {
            presence,
            notifications,
            interactions,
            contacts,
            notices,
            host: use_context::<crate::embed::state::Host>(),
        },
    );
    provide_context(stream);

    view! {
        <div class="shell">
            <header::Header name=name role=role/>
            <div class="live-line" role="status">
                {move || (stream.0.get() == Link::Reconnecting)
                    .then(|| view! { <span class="reconnecting">"Reconnecting…"</span> })}
            </div>
            <NoticeList/>
            <crate::embed::Bridge/>
            <OfferNotifications/>
            <RespondedNotifications/>
            <div class="body">
                <nav::MainNav/>
                <workspace::Workspace/>
            </div>
        </div>
    }
}

/// At a Communication URL, the Contacts list's selection and `Private`/`Public` choice are the
/// URL's (set only when they differ: the list reloads on a change of the choice).
fn follow_communication_url(nav: Nav, contacts: ContactsState) {
    Effect::new(move |_| {
        if let Place::Communication { contact, public } = nav.place() {
            if contacts.selected.get_untracked() != contact {
                contacts.selected.set(contact);
            }
            if contacts.public.get_untracked() != public {
                contacts.public.set(public);
            }
        }
    });
}

/// The Communication tab at `contact` (the one chosen there before when `None`), keeping the
/// `Private`/`Public` choice.
pub fn communication_at(contacts: ContactsState, contact: Option<ContactId>) -> Place {
    Place::Communication {
        contact: contact.or_else(|| contacts.selected.get_untracked()),
        public: contacts.public.get_untracked(),
    }
}

/// Errors and messages that belong to no one screen.
#[component]
fn NoticeList() -> impl IntoView {
    let notices = desk().notices;
    view! {
        <div class="notices">
            <For each=move || notices.list().get() key=|n| n.id let:n>
                <p class="notice error" role="alert">
                    <span>{n.text.clone()}</span>
                    <button type="button" class="link" on:click=move |_| notices.dismiss(n.id)>
                        "Dismiss"
                    </button>
                </p>
            </For>
        </div>
    }
}
