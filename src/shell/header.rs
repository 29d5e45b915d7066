//! The header: the agent, the Chat channel status, the load, `Console` (supervisors and
//! administrators), `Log out`.

use crate::api::ClientError;
use crate::presence::{Capacity, StatusControl};
use crate::shell::state::{desk, Desk, Place};
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

/// Logs the agent out: the handle time of the view shown is saved first (the token stops
/// working once logged out), the session ends on the server, and the next login starts at the
/// desk. The `Log out` button and a framing portal's `logout` both use it.
pub async fn log_out(d: Desk) -> Result<(), ClientError> {
    let client = d.api.client();
    if let Some((id, segment)) = d.viewing.take() {
        let _ = client.handle_time(id, &segment, false).await;
    }
    let (_logged_out, result) = client.logout().await;
    match result {
        Err(e) if !e.is_unauthorized() => Err(e),
        _ => {
            d.nav.replace(Place::Home);
            d.session.logged_out(None);
            Ok(())
        }
    }
}

#[component]
fn LogOut() -> impl IntoView {
    let d = desk();
    let busy = RwSignal::new(false);
    let log_out = move |_| {
        busy.set(true);
        spawn_local(async move {
            if let Err(e) = log_out(d).await {
                busy.set(false);
                d.notices.error("Log out", &e);
            }
        });
    };
    view! {
        <button type="button" class="logout" on:click=log_out disabled=move || busy.get()>
            "Log out"
        </button>
    }
}
