//! Linking in Contact Information: the contact's identities, each with `Unlink` where it can
//! be told apart, and `Link to another contact` (find the contact who is the same person).
//! Both ask to confirm; the server's event rebuilds every view of the conversations after.

use crate::shell::state::desk;
use leptos::prelude::*;
use leptos::task::spawn_local;
use wire::contact::unlink_refusal;
use wire::{ContactSummary, ContactView, Identity};

/// The identities, each with `Unlink <identity>` where that is allowed.
#[component]
pub fn Identities(
    /// The contact as loaded.
    contact: ContactView,
) -> impl IntoView {
    let confirming = RwSignal::new(None::<Identity>);
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let notices = desk().notices;
    let api = desk().api;
    let id = contact.id;
    let name = contact.display_name();
    let rows = contact
        .identities
        .iter()
        .map(|identity| {
            let text = identity.text();
            let allowed = unlink_refusal(&contact, identity).is_none();
            let ask = identity.clone();
            view! {
                <li>
                    {text.clone()}
                    {allowed.then(|| view! {
                        " "
                        <button type="button" aria-label=format!("Unlink {text}")
                            on:click=move |_| { error.set(None); confirming.set(Some(ask.clone())); }>"Unlink"</button>
                    })}
                </li>
            }
        })
        .collect_view();
    let confirm = move |identity: Identity| {
        busy.set(true);
        let client = api.client();
        spawn_local(async move {
            match client.unlink_identity(id, identity.clone()).await {
                Ok(_) => {
                    confirming.try_set(None);
                    notices.push(format!("{} is a contact of its own now.", identity.text()));
                }
                Err(e) => {
                    error.try_set(Some(e.message()));
                }
            }
            busy.try_set(false);
        });
    };
    view! {
        <ul class="identities">{rows}</ul>
        {move || confirming.get().map(|identity| {
            let text = identity.text();
            let channels = identity.channels().iter().map(|c| c.label()).collect::<Vec<_>>().join(" and ");
            let question = format!(
                "Unlink {text} from {name}? It becomes a new contact, with the {channels} conversations."
            );
            view! {
                <Confirm label=format!("Unlink {text}") question=question action="Unlink" busy=busy
                    on_yes=Callback::new(move |()| confirm(identity.clone()))
                    on_no=Callback::new(move |()| confirming.set(None))/>
            }
        })}
        {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
    }
}

/// `Find the contact to link to`: a search among contacts, each hit with `Link to <name>`,
/// then a question to confirm: this contact's channels and conversations move there.
#[component]
pub fn LinkContact(
    /// The contact the panel shows (the one that is linked away).
    contact: ContactView,
) -> impl IntoView {
    let api = desk().api;
    let notices = desk().notices;
    let query = RwSignal::new(String::new());
    let hits = RwSignal::new(Vec::<ContactSummary>::new());
    let chosen = RwSignal::new(None::<ContactSummary>);
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let from = contact.id;
    let field = format!("link-search-{from}");
    let search = move || {
        let words = query.get_untracked().trim().to_owned();
        error.set(None);
        chosen.set(None);
        let client = api.client();
        spawn_local(async move {
            match client.find_contacts(&words).await {
                Ok(page) => {
                    hits.try_set(page.contacts.into_iter().filter(|c| c.id != from).collect());
                }
                Err(e) => notices.error("Finding contacts", &e),
            }
        });
    };
    // The server says why a link cannot be made (an identity of one kind on both, two chats
    // in progress): its words show below.
    let link = move |into: ContactSummary| {
        busy.set(true);
        let client = api.client();
        spawn_local(async move {
            match client.link_contact(from, into.id).await {
                Ok(_) => notices.push(format!("Linked to {}.", into.name)),
                Err(e) => {
                    error.try_set(Some(e.message()));
                }
            }
            busy.try_set(false);
        });
    };
    let name = contact.display_name();
    view! {
        <section class="link-contact" aria-label="Link to another contact">
            <h4>"Link to another contact"</h4>
            <form role="search" on:submit=move |ev| { ev.prevent_default(); search(); }>
                <label for=field.clone()>"Find the contact to link to"</label>
                <input id=field type="search" bind:value=query/>
                <button type="submit">"Find"</button>
            </form>
            <ul class="link-hits">
                {move || hits.get().into_iter().map(|hit| {
                    let label = format!("Link to {}", hit.name);
                    view! {
                        <li><button type="button" on:click=move |_| {
                            error.set(None);
                            chosen.set(Some(hit.clone()));
                        }>{label}</button></li>
                    }
                }).collect_view()}
            </ul>
            {move || chosen.get().map(|into| {
                let target = into.name.clone();
                let question = format!(
                    "Link {name} to {target}? {name}'s channels and conversations move to {target}, and {name} is no longer a separate contact."
                );
                view! {
                    <Confirm label=format!("Link to {target}") question=question action="Link" busy=busy
                        on_yes=Callback::new(move |()| link(into.clone()))
                        on_no=Callback::new(move |()| chosen.set(None))/>
                }
            })}
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
        </section>
    }
}

/// A question to confirm before a change: the group is named `label`, its buttons `action` and
/// `Cancel`.
#[component]
fn Confirm(
    /// The group's accessible name ("Unlink Facebook Messenger 2741").
    label: String,
    /// What will happen, as a question.
    question: String,
    /// The confirming button's words.
    action: &'static str,
    /// The change is on its way: the confirming button waits.
    busy: RwSignal<bool>,
    /// Confirmed.
    on_yes: Callback<()>,
    /// Cancelled.
    on_no: Callback<()>,
) -> impl IntoView {
    view! {
        <div class="confirm" role="group" aria-label=label>
            <p>{question}</p>
            <button type="button" class="primary" disabled=move || busy.get()
                on:click=move |_| on_yes.run(())>{action}</button>
            " "
            <button type="button" on:click=move |_| on_no.run(())>"Cancel"</button>
        </div>
    }
}
