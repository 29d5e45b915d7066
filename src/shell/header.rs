//! The header: the agent, the Chat channel status, the load, `Log out`.

use super::state::{Api, Notices};
use crate::presence::{Capacity, StatusControl};
use crate::session::SessionState;
use leptos::prelude::*;
use leptos::task::spawn_local;

/// The header.
#[component]
pub fn Header(name: String) -> impl IntoView {
    view! {
        <header class="top">
            <span class="brand">"Threadline"</span>
            <span class="agent-name" title="Logged in as">{name}</span>
            <StatusControl/>
            <Capacity/>
            <LogOut/>
        </header>
    }
}

#[component]
fn LogOut() -> impl IntoView {
    let api = expect_context::<Api>();
    let session = expect_context::<SessionState>();
    let notices = expect_context::<Notices>();
    let busy = RwSignal::new(false);
    let log_out = move |_| {
        busy.set(true);
        let client = api.client();
        spawn_local(async move {
            let (_logged_out, result) = client.logout().await;
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
