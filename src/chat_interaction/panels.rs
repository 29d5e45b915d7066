//! The side panels: `Contact Information`, `Contact History`, `Standard Responses`.

use crate::browser::date_time;
use crate::contacts::links::{Identities, LinkContact};
use crate::session::Phase;
use crate::shell::state::desk;
use leptos::prelude::*;
use leptos::task::spawn_local;
use wire::api::ResponseTree;
use wire::model::field_codes;
use wire::{CategoryId, ContactId, InteractionView, StandardResponse};

/// Name, email, phone, notes and identities.
#[component]
pub fn ContactInformation(contact: ContactId) -> impl IntoView {
    let api = desk().api;
    let contacts = desk().contacts;
    let notices = desk().notices;
    let client = api.client();
    spawn_local(async move {
        match client.contact(contact).await {
            Ok(c) => contacts.updated(c),
            Err(e) => notices.error("Loading Contact Information", &e),
        }
    });
    let details = move || contacts.details.with(|d| d.get(&contact).cloned());
    view! {
        <h3>"Contact Information"</h3>
        {move || match details() {
            None => view! { <p role="status">"Loading…"</p> }.into_any(),
            Some(c) => view! {
                <dl class="contact-info">
                    <dt>"Name"</dt><dd>{c.display_name()}</dd>
                    <dt>"Email"</dt><dd>{c.email.clone().unwrap_or_else(|| "—".to_owned())}</dd>
                    <dt>"Phone"</dt><dd>{c.phone.clone().unwrap_or_else(|| "—".to_owned())}</dd>
                    <dt>"Notes"</dt><dd>{if c.notes.is_empty() { "—".to_owned() } else { c.notes.clone() }}</dd>
                    <dt>"Started on"</dt><dd>{c.page.clone().unwrap_or_else(|| "—".to_owned())}</dd>
                    <dt>"Identities"</dt>
                    <dd><Identities contact=c.clone()/></dd>
                </dl>
                <LinkContact contact=c.clone()/>
            }.into_any(),
        }}
    }
}

/// Earlier interactions with the contact.
#[component]
pub fn ContactHistory(contact: ContactId) -> impl IntoView {
    let api = desk().api;
    let notices = desk().notices;
    let history = RwSignal::new(None::<Vec<InteractionView>>);
    let client = api.client();
    spawn_local(async move {
        match client.contact_history(contact).await {
            Ok(list) => history.set(Some(list)),
            Err(e) => notices.error("Loading Contact History", &e),
        }
    });
    view! {
        <h3>"Contact History"</h3>
        {move || match history.get() {
            None => view! { <p role="status">"Loading…"</p> }.into_any(),
            Some(list) if list.is_empty() => view! { <p class="empty">"No earlier interactions."</p> }.into_any(),
            Some(list) => view! {
                <ul class="history">
                    {list.into_iter().map(|i| view! {
                        <li>
                            <span class="when">{date_time(i.created_at)}</span> " · "
                            {i.channel.label()} " · " {i.state.label()}
                            {i.agent_name.map(|a| format!(" · {a}"))}
                        </li>
                    }).collect_view()}
                </ul>
            }.into_any(),
        }}
    }
}

/// Canned texts; `Use` puts one (with its field codes filled) into the message.
#[component]
pub fn StandardResponses(contact: ContactId, text: RwSignal<String>) -> impl IntoView {
    let api = desk().api;
    let notices = desk().notices;
    let contacts = desk().contacts;
    let session = desk().session;
    let tree = RwSignal::new(None::<ResponseTree>);
    let filter = RwSignal::new(String::new());
    let client = api.client();
    spawn_local(async move {
        match client.responses().await {
            Ok(t) => tree.set(Some(t)),
            Err(e) => notices.error("Loading Standard Responses", &e),
        }
    });
    crate::contacts::ensure_details(
        api,
        contacts,
        notices,
        contact,
        "Loading Contact Information",
    );
    let use_response = move |body: String| {
        let (first, last) = contacts
            .details
            .with_untracked(|d| {
                d.get(&contact)
                    .map(|c| (c.first_name.clone(), c.last_name.clone()))
            })
            .unwrap_or_default();
        let agent = match session.phase.get_untracked() {
            Phase::LoggedIn(s) => s.agent.display_name,
            Phase::Checking | Phase::LoggedOut => String::new(),
        };
        let filled = field_codes::fill(&body, &first, &last, &agent);
        text.update(|t| {
            if !t.is_empty() && !t.ends_with(' ') {
                t.push(' ');
            }
            t.push_str(&filled);
        });
    };
    let use_response = Callback::new(use_response);
    view! {
        <h3>"Standard Responses"</h3>
        <label for=format!("responses-filter-{contact}")>"Search responses"</label>
        <input id=format!("responses-filter-{contact}") type="search" bind:value=filter/>
        {move || match tree.get() {
            None => view! { <p role="status">"Loading…"</p> }.into_any(),
            Some(t) => {
                let needle = filter.get().trim().to_lowercase();
                let shown = category_list(&t, None, &needle, use_response);
                if shown.is_empty() {
                    view! { <p class="empty">"No responses found."</p> }.into_any()
                } else {
                    view! { <ul class="response-tree">{shown}</ul> }.into_any()
                }
            }
        }}
    }
}

/// Whether a response matches the search.
fn matches(r: &StandardResponse, needle: &str) -> bool {
    needle.is_empty()
        || r.title.to_lowercase().contains(needle)
        || r.body.to_lowercase().contains(needle)
}

/// The categories under `parent` that hold a matching response (at any depth), each with its
/// sub-categories and responses; empty when nothing under `parent` matches.
fn category_list(
    tree: &ResponseTree,
    parent: Option<CategoryId>,
    needle: &str,
    use_response: Callback<String>,
) -> Vec<AnyView> {
    let mut out = Vec::new();
    for c in tree.categories.iter().filter(|c| c.parent_id == parent) {
        let children = category_list(tree, Some(c.id), needle, use_response);
        let responses: Vec<AnyView> = tree
            .responses
            .iter()
            .filter(|r| r.category_id == c.id && matches(r, needle))
            .map(|r| response_item(r, use_response))
            .collect();
        if children.is_empty() && responses.is_empty() {
            continue;
        }
        out.push(
            view! {
                <li>
                    <details open>
                        <summary>{c.name.clone()}</summary>
                        <ul>{children}{responses}</ul>
                    </details>
                </li>
            }
            .into_any(),
        );
    }
    out
}

fn response_item(r: &StandardResponse, use_response: Callback<String>) -> AnyView {
    let body = r.body.clone();
    view! {
        <li class="response">
            <div class="response-title">{r.title.clone()}</div>
            <p class="response-body">{r.body.clone()}</p>
            <button type="button" aria-label=format!("Insert {}", r.title)
                on:click=move |_| use_response.run(body.clone())>"Insert"</button>
        </li>
    }
    .into_any()
}
