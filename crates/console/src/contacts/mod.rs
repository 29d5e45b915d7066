//! `Contact data`, for administrators: a contact's requests about what is kept of them. Find
//! the contact (name, email or words they wrote), then `Export contact data` saves everything
//! kept of them as a JSON file, and `Erase contact`, after a confirmation that names them,
//! erases it (refused, with the server's reason, while a chat of theirs is not Done). Every
//! desktop drops an erased contact by itself (`contact_erased`).

use crate::api::Api;
use crate::session::Session;
use leptos::prelude::*;
use leptos::task::spawn_local;
use serde::Deserialize;
use wire::{Channel, ContactId};

/// A contact found, read narrowed from the Contacts list's row (`wire::ContactSummary`): what
/// this page shows, so the console carries no reader for the rest.
#[derive(Debug, Clone, Deserialize)]
pub struct Found {
    /// Their id.
    pub id: ContactId,
    /// Their name as agents see it.
    pub name: String,
    /// The channels they reached us on.
    pub channels: Vec<Channel>,
}

/// A page of the Contacts list (`wire::api::ContactPage`), narrowed to [`Found`].
#[derive(Debug, Clone, Deserialize)]
pub struct FoundPage {
    /// The contacts found.
    pub contacts: Vec<Found>,
}

/// The page.
#[component]
pub fn ContactDataPage(
    /// Who asks (an administrator).
    session: Session,
) -> impl IntoView {
    let api = StoredValue::new(session.api);
    let words = RwSignal::new(String::new());
    let found = RwSignal::new(None::<Vec<Found>>);
    let error = RwSignal::new(None::<String>);
    let done = RwSignal::new(None::<String>);
    let find = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        error.set(None);
        done.set(None);
        let text = words.get_untracked().trim().to_owned();
        let api = api.get_value();
        spawn_local(async move {
            match api.find_contacts(&text).await {
                Ok(page) => {
                    found.try_set(Some(page.contacts));
                }
                Err(e) => {
                    error.try_set(Some(e.to_string()));
                }
            }
        });
    };
    view! {
        <h1 class="page-title">"Contact data"</h1>
        <p>"A contact may ask to see what is kept of them, or to have it erased."</p>
        <form role="search" on:submit=find>
            <label>"Find a contact"
                <input type="search" prop:value=move || words.get()
                    on:input=move |ev| words.set(event_target_value(&ev))/>
            </label>
            " "
            <button type="submit">"Find"</button>
        </form>
        {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
        <p role="status">{move || done.get()}</p>
        {move || found.get().map(|list| if list.is_empty() {
            view! { <p>"No contact matches."</p> }.into_any()
        } else {
            let rows = list
                .into_iter()
                .map(|contact| view! { <ContactRow contact=contact api=api.get_value() found=found done=done/> })
                .collect_view();
            view! { <ul class="contact-data" aria-label="Contacts found">{rows}</ul> }.into_any()
        })}
    }
}

/// One contact found, with its two actions.
#[component]
fn ContactRow(
    /// The contact.
    contact: Found,
    /// The calls.
    api: Api,
    /// The list (an erased contact leaves it).
    found: RwSignal<Option<Vec<Found>>>,
    /// What the page says was done.
    done: RwSignal<Option<String>>,
) -> impl IntoView {
    let id = contact.id;
    let name = contact.name.clone();
    let channels = contact
        .channels
        .iter()
        .map(|c| c.label())
        .collect::<Vec<_>>()
        .join(", ");
    let confirming = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let api = StoredValue::new(api);
    let export = {
        let name = name.clone();
        move |_| {
            error.set(None);
            let api = api.get_value();
            let name = name.clone();
            spawn_local(async move {
                match api.export_contact(id).await {
                    Ok(text) => {
                        client::download::save(
                            &text,
                            "application/json",
                            &format!("contact-{id}.json"),
                        );
                        done.try_set(Some(format!("The data of {name} was saved.")));
                    }
                    Err(e) => {
                        error.try_set(Some(e.to_string()));
                    }
                }
            });
        }
    };
    let erase = {
        let name = name.clone();
        move |_| {
            busy.set(true);
            let api = api.get_value();
            let name = name.clone();
            spawn_local(async move {
                match api.erase_contact(id).await {
                    Ok(_) => {
                        found.try_update(|l| {
                            if let Some(l) = l {
                                l.retain(|c| c.id != id);
                            }
                        });
                        done.try_set(Some(format!("{name} was erased.")));
                    }
                    Err(e) => {
                        error.try_set(Some(e.to_string()));
                        busy.try_set(false);
                    }
                }
            });
        }
    };
    let question = format!(
        "Erase {name} at their request? Their details, identities, conversations and pictures are deleted for good, and their chats leave the reports."
    );
    view! {
        <li>
            <span class="contact-name">{name.clone()}</span>
            " " <span class="contact-channels">{channels}</span> " "
            <button type="button" aria-label=format!("Export contact data: {name}") on:click=export>
                "Export contact data"
            </button>
            " "
            <button type="button" class="danger" aria-label=format!("Erase contact: {name}")
                on:click=move |_| { error.set(None); confirming.set(true); }>"Erase contact"</button>
            {move || confirming.get().then(|| view! {
                <div class="confirm" role="group" aria-label=format!("Erase {name}")>
                    <p>{question.clone()}</p>
                    <button type="button" class="danger" disabled=move || busy.get() on:click=erase.clone()>"Erase"</button>
                    " "
                    <button type="button" on:click=move |_| confirming.set(false)>"Cancel"</button>
                </div>
            })}
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
        </li>
    }
}
