//! The Connect group of the main navigation; it holds the `Communication` tab.

use crate::shell::communication_at;
use crate::shell::state::desk;
use crate::shell::state::Place;
use leptos::prelude::*;

/// The group.
#[component]
pub fn ConnectGroup() -> impl IntoView {
    let nav = desk().nav;
    let contacts = desk().contacts;
    let unread = move || contacts.unread_total();
    view! {
        <section class="nav-group" aria-labelledby="nav-connect">
            <h2 id="nav-connect">"Connect"</h2>
            <div role="tablist" aria-label="Connect">
                <button type="button" role="tab" class="nav-item" id="nav-communication"
                    aria-selected=move || matches!(nav.place(), Place::Communication { .. }).to_string()
                    aria-controls="workspace"
                    on:click=move |_| nav.go(communication_at(contacts, None))>
                    <span class="nav-title">"Communication"</span>
                    {move || (unread() > 0).then(|| view! {
                        <span class="unread-mark" aria-label="unread">{unread()}</span>
                    })}
                </button>
            </div>
        </section>
    }
}
