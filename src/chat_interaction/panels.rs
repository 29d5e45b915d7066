//! The side panels: `Contact Information`, `Contact History`, `Standard Responses`.

use crate::browser::date_time;
use crate::contacts::state::ContactsState;
use crate::session::{Phase, SessionState};
use crate::shell::state::{Api, Notices};
use leptos::prelude::*;
use leptos::task::spawn_local;
use wire::api::ResponseTree;
use wire::model::field_codes;
use wire::{ContactId, Identity, InteractionView};

/// Name, email, phone, notes and identities.
#[component]
pub fn ContactInformation(contact: ContactId) -> impl IntoView {
    let api = expect_context::<Api>();
    let contacts = expect_context::<ContactsState>();
    let notices = expect_context::<Notices>();
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
                    <dt>"Identities"</dt>
                    <dd><ul>{c.identities.iter().map(|i| view! { <li>{identity_text(i)}</li> }).collect_view()}</ul></dd>
                </dl>
            }.into_any(),
        }}
    }
}

fn identity_text(identity: &Identity) -> String {
    match identity {
        Identity::WebVisitor(v) => format!("Web visitor {v}"),
        Identity::WebCustomer(v) => format!("Customer {v}"),
        Identity::MessengerPsid(v) => format!("Facebook Messenger {v}"),
        Identity::TwitterUser(v) => format!("Twitter/X {v}"),
    }
}

/// Earlier interactions with the contact.
#[component]
pub fn ContactHistory(contact: ContactId) -> impl IntoView {
    let api = expect_context::<Api>();
    let notices = expect_context::<Notices>();
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
    let api = expect_context::<Api>();
    let notices = expect_context::<Notices>();
    let contacts = expect_context::<ContactsState>();
    let session = expect_context::<SessionState>();
    let tree = RwSignal::new(None::<ResponseTree>);
    let filter = RwSignal::new(String::new());
    let client = api.client();
    spawn_local(async move {
        match client.responses().await {
            Ok(t) => tree.set(Some(t)),
            Err(e) => notices.error("Loading Standard Responses", &e),
        }
    });
    if contacts
        .details
        .with_untracked(|d| !d.contains_key(&contact))
    {
        let client = api.client();
        spawn_local(async move {
            match client.contact(contact).await {
                Ok(c) => contacts.updated(c),
                Err(e) => notices.error("Loading Contact Information", &e),
            }
        });
    }
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
    view! {
        <h3>"Standard Responses"</h3>
        <label for=format!("responses-filter-{contact}")>"Find a response"</label>
        <input id=format!("responses-filter-{contact}") type="search" bind:value=filter/>
        {move || match tree.get() {
            None => view! { <p role="status">"Loading…"</p> }.into_any(),
            Some(t) => {
                let needle = filter.get().to_lowercase();
                let shown: Vec<_> = t.responses.iter().filter(|r| needle.is_empty()
                    || r.title.to_lowercase().contains(&needle)
                    || r.body.to_lowercase().contains(&needle)).cloned().collect();
                view! {
                    <ul class="responses">
                        {shown.into_iter().map(|r| {
                            let category = t.categories.iter().find(|c| c.id == r.category_id)
                                .map(|c| c.name.clone()).unwrap_or_default();
                            let body = r.body.clone();
                            view! {
                                <li>
                                    <div class="response-title">{r.title.clone()} <span class="category">{category}</span></div>
                                    <p class="response-body">{r.body.clone()}</p>
                                    <button type="button" aria-label=format!("Use {}", r.title)
                                        on:click=move |_| use_response(body.clone())>"Use"</button>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any()
            }
        }}
    }
}
