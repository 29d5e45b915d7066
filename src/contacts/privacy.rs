//! A contact's requests about their data, for administrators, in the Communication tab's
//! conversation head: `Export contact data` saves everything kept of them as a JSON file;
//! `Erase contact`, after a confirmation that names them, erases it. The server's
//! `contact_erased` drops them from every desktop; here the tab leaves them too.

use super::links::Confirm;
use crate::shell::place::Place;
use crate::shell::state::desk;
use leptos::prelude::*;
use leptos::task::spawn_local;
use wire::{ContactId, Role};

/// The two buttons and the erasure's confirmation; nothing for an agent or a supervisor (the
/// server refuses them anyway).
#[component]
pub fn ContactPrivacy(
    /// The contact shown.
    contact: ContactId,
    /// Their name as the tab shows it.
    name: Signal<String>,
) -> impl IntoView {
    let d = desk();
    let administrator = move || d.presence.agent.with(|a| a.role == Role::Administrator);
    let confirming = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let exporting = RwSignal::new(false);
    let export = move |_| {
        exporting.set(true);
        error.set(None);
        let client = d.api.client();
        spawn_local(async move {
            match client.export_contact(contact).await {
                Ok(text) => {
                    client::download::save(
                        &text,
                        "application/json",
                        &format!("contact-{contact}.json"),
                    );
                }
                Err(e) => {
                    error.try_set(Some(e.message()));
                }
            }
            exporting.try_set(false);
        });
    };
    let erase = move || {
        busy.set(true);
        let client = d.api.client();
        let who = name.get_untracked();
        spawn_local(async move {
            match client.erase_contact(contact).await {
                Ok(_) => {
                    // The server's event may have come first, with the words for everyone
                    // else: the administrator who erased them is told by name.
                    d.contacts.erased(contact);
                    d.interactions.erased(contact);
                    d.notices.withdraw(crate::events::ERASED);
                    d.notices.push(format!("{who} was erased."));
                    d.nav.replace(Place::Communication {
                        contact: None,
                        public: d.contacts.public.get_untracked(),
                    });
                }
                Err(e) => {
                    error.try_set(Some(e.message()));
                    busy.try_set(false);
                }
            }
        });
    };
    view! {
        <Show when=administrator>
            <button type="button" disabled=move || exporting.get() on:click=export>"Export contact data"</button>
            <button type="button" class="danger" disabled=move || busy.get()
                on:click=move |_| { error.set(None); confirming.set(true); }>"Erase contact"</button>
            {move || confirming.get().then(|| {
                let who = name.get();
                let question = format!(
                    "Erase {who} at their request? Their details, identities, conversations and pictures are deleted for good, and their chats leave the reports."
                );
                view! {
                    <Confirm label=format!("Erase {who}") question=question action="Erase" busy=busy
                        on_yes=Callback::new(move |()| erase())
                        on_no=Callback::new(move |()| confirming.set(false))/>
                }
            })}
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
        </Show>
    }
}
