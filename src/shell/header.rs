//! The header: the agent, the Chat channel status, the load, `Console` (supervisors and
//! administrators), `Log out`.

use crate::api::ClientError;
use crate::presence::{Capacity, StatusControl};
use crate::shell::state::{desk, Place};
use leptos::prelude::*;
use leptos::task::spawn_local;

/// The header.
#[component]
pub fn Header(
    /// The agent's name.
    name: String,
    /// What the account may do: supervisors and administrators get a link to the console
    /// (a separate bundle, opened in this tab so the session carries over).
    role: wire::Role,
) -> impl IntoView {
    view! {
        <header class="top">
            <span class="brand">"Threadline"</span>
            <span class="agent-name" title="Logged in as">{name}</span>
            <StatusControl/>
            <Capacity/>
            {role.allows(wire::Role::Supervisor)
                .then(|| view! { <a class="console-link" href="/console/board">"Console"</a> })}
            <LogOut/>
        </header>
    }
}

#[component]
fn LogOut() -> impl IntoView {
    let api = desk().api;
    let session = desk().session;
    let notices = desk().notices;
    let viewing = desk().viewing;
    let nav = desk().nav;
    let busy = RwSignal::new(false);
    let log_out = move |_| {
        busy.set(true);
        let client = api.client();
        let counted = viewing.take();
        spawn_local(async move {
            // Handle time first: the token stops working once logged out.
            if let Some((id, segment)) = counted {
                let _ = client.handle_time(id, &segment, false).await;
            }
            let (_logged_out, result) = client.logout().await;
            // The next login starts at the desk, not where this agent was.
            if result.is_ok() || result.as_ref().is_err_and(ClientError::is_unauthorized) {
                nav.replace(Place::Home);
            }
            match result {
                Ok(()) => session.logged_out(None),
                Err(e) if e.is_unauthorized() => session.logged_out(None),
                Err(e) => {
                    busy.set(false);
                    notices.error("Log out", &e);
                }
            }
        });
    };
    view! {
        <button type="button" class="logout" on:click=log_out disabled=move || busy.get()>
            "Log out"
        </button>
    }
}
