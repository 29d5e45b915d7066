//! The `Contacts` list: search, unread marks, selection.

pub mod state;

use crate::shell::state::{Api, Notices};
use leptos::prelude::*;
use leptos::task::spawn_local;
use state::ContactsState;

/// Loads the list for the current search and `Private`/`Public` choice.
pub fn load(api: Api, contacts: ContactsState, notices: Notices) {
    let client = api.client();
    let (q, public) = (
        contacts.query.get_untracked(),
        contacts.public.get_untracked(),
    );
    contacts.loading.set(true);
    spawn_local(async move {
        match client.contacts(q.trim(), public).await {
            Ok(page) => contacts.list.set(page.contacts),
            Err(e) => notices.error("Loading Contacts", &e),
        }
        contacts.loading.set(false);
    });
}

/// The list.
#[component]
pub fn ContactsList() -> impl IntoView {
    let api = expect_context::<Api>();
    let notices = expect_context::<Notices>();
    let contacts = expect_context::<ContactsState>();
    Effect::new({
        move |_| {
            contacts.query.track();
            contacts.public.track();
            load(api, contacts, notices);
        }
    });
    view! {
        <section class="contacts" aria-labelledby="contacts-title">
            <h3 id="contacts-title">"Contacts"</h3>
            <label for="contacts-search" class="visually-hidden">"Search contacts"</label>
            <input id="contacts-search" type="search" placeholder="Search contacts"
                bind:value=contacts.query/>
            {move || contacts.loading.get().then(|| view! { <p role="status">"Loading…"</p> })}
            <ul class="contact-list" aria-label="Contacts">
                <For each=move || contacts.list.get() key=|c| (c.id, c.unread, c.name.clone(), c.last_activity_at) let:c>
                    {
                        let id = c.id;
                        let selected = move || contacts.selected.get() == Some(id);
                        let unread = c.unread;
                        view! {
                            <li>
                                <button type="button" class="contact-item" class:unread={unread > 0}
                                    aria-current=move || if selected() { "true" } else { "false" }
                                    on:click=move |_| { contacts.selected.set(Some(id)); contacts.mark_read(id); }>
                                    <span class="contact-name">{c.name.clone()}</span>
                                    {(unread > 0).then(|| view! {
                                        <span class="unread-mark" aria-label=format!("{unread} unread")>{unread}</span>
                                    })}
                                    <span class="contact-last">{c.last_message.clone().unwrap_or_default()}</span>
                                </button>
                            </li>
                        }
                    }
                </For>
            </ul>
            <Show when=move || !contacts.loading.get() && contacts.list.with(Vec::is_empty)>
                <p class="empty">"No contacts found."</p>
            </Show>
        </section>
    }
}
