//! The Conversation tab: the current transcript and every earlier interaction with the
//! contact, `Refresh`, and `Search` (hits highlighted, counted, `Previous` / `Next`).

use crate::chat_interaction::load_conversation;
use crate::chat_interaction::send::Sender;
use crate::chat_interaction::state::InteractionsState;
use crate::chat_interaction::transcript::{entries, entry_view, Entry};
use crate::shell::state::{Api, Notices};
use leptos::prelude::*;
use leptos::task::spawn_local;
use wire::{ContactId, MessageId};

/// The messages whose text contains `needle` (case-insensitive), in order.
pub fn hits(list: &[Entry], needle: &str) -> Vec<MessageId> {
    let needle = needle.trim().to_lowercase();
    if needle.is_empty() {
        return Vec::new();
    }
    list.iter()
        .filter_map(|e| match e {
            Entry::Message(m) if m.text.to_lowercase().contains(&needle) => Some(m.id),
            _ => None,
        })
        .collect()
}

/// The whole conversation with one contact.
#[component]
pub fn ConversationTab(
    contact: ContactId,
    #[prop(into)] contact_name: Signal<String>,
    sender: Sender,
    /// Only public (true) or private (false) channels; all when absent.
    #[prop(optional)]
    public: Option<bool>,
) -> impl IntoView {
    let api = expect_context::<Api>();
    let notices = expect_context::<Notices>();
    let interactions = expect_context::<InteractionsState>();
    let query = RwSignal::new(String::new());
    let current = RwSignal::new(0usize);
    let list = Memo::new(move |_| entries(interactions, contact, None));
    let found = Memo::new(move |_| list.with(|l| hits(l, &query.get())));
    let current_hit = move || found.with(|f| f.get(current.get()).copied());
    let has_more = move || {
        interactions
            .conversations
            .with(|c| c.get(&contact).is_some_and(|c| c.has_more))
    };

    let scroll_to_hit = move || {
        if let Some(id) = current_hit() {
            request_animation_frame(move || {
                if let Some(el) = document().get_element_by_id(&format!("conv-{contact}-{id}")) {
                    el.scroll_into_view();
                }
            });
        }
    };
    let step = move |forward: bool| {
        let n = found.with(Vec::len);
        if n == 0 {
            return;
        }
        current.update(|c| {
            *c = if forward {
                (*c + 1) % n
            } else {
                (*c + n - 1) % n
            }
        });
        scroll_to_hit();
    };
    let refresh = { move |_| load_conversation(api, interactions, notices, contact, public) };
    let older = move |_| {
        let before = interactions.conversations.with_untracked(|c| {
            c.get(&contact)
                .and_then(|c| c.messages.first().map(|m| m.seq))
        });
        let client = api.client();
        spawn_local(async move {
            match client.conversation(contact, before, public).await {
                Ok(page) => interactions.page(page, false),
                Err(e) => notices.error("Loading earlier messages", &e),
            }
        });
    };
    let search_id = format!("conversation-search-{contact}");

    view! {
        <div class="conversation-tab">
            <div class="conversation-tools">
                <button type="button" on:click=refresh>"Refresh"</button>
                <label for=search_id.clone()>"Search"</label>
                <input id=search_id type="search" bind:value=query
                    on:input=move |_| { current.set(0); scroll_to_hit(); }
                    on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                        if ev.key() == "Enter" { ev.prevent_default(); step(!ev.shift_key()); }
                    }/>
                <span class="hit-count" role="status">
                    {move || {
                        let n = found.with(Vec::len);
                        if query.with(|q| q.trim().is_empty()) { String::new() }
                        else if n == 0 { "No matches".to_owned() }
                        else { format!("{} of {n}", current.get() + 1) }
                    }}
                </span>
                <button type="button" on:click=move |_| step(false)
                    disabled=move || found.with(Vec::is_empty)>"Previous"</button>
                <button type="button" on:click=move |_| step(true)
                    disabled=move || found.with(Vec::is_empty)>"Next"</button>
            </div>
            <div class="transcript conversation" role="log" aria-label="Conversation" tabindex="0">
                <Show when=has_more>
                    <button type="button" class="link" on:click=older>"Load earlier messages"</button>
                </Show>
                <For each=move || {
                        let needle = query.get();
                        let hit = current_hit();
                        list.get().into_iter().map(|e| (e, needle.clone(), hit)).collect::<Vec<_>>()
                    }
                    key=|(e, needle, hit)| (e.key(), needle.clone(), *hit)
                    let:item>
                    {
                        let (entry, needle, hit) = item;
                        let dom_id = match &entry {
                            Entry::Message(m) => format!("conv-{contact}-{}", m.id),
                            _ => String::new(),
                        };
                        let is_hit = matches!(&entry, Entry::Message(m) if Some(m.id) == hit);
                        view! {
                            <div id=dom_id class:current-hit=is_hit>
                                {entry_view(entry, contact_name.get_untracked(), needle, sender)}
                            </div>
                        }
                    }
                </For>
            </div>
        </div>
    }
}
