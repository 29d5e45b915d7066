//! The Conversation tab: the current transcript and every earlier interaction with the
//! contact, `Refresh`, and `Search` (hits highlighted, counted, `Previous` / `Next`; matches
//! beyond the loaded pages are found by the server and loaded up to).

pub mod state;
mod thread;

use crate::chat_interaction::log::WindowedLog;
use crate::chat_interaction::send::Sender;
use crate::chat_interaction::transcript::{entries, entry_view, Entry};
use crate::chat_interaction::{load_conversation, older_pages};
use crate::shell::state::desk;
use leptos::prelude::*;
use leptos::task::spawn_local;
use state::{hits, load_until, lowered};
use wire::{ContactId, MessageId};

/// The whole conversation with one contact.
#[component]
pub fn ConversationTab(
    contact: ContactId,
    #[prop(into)] contact_name: Signal<String>,
    sender: Sender,
    /// Only public (true) or private (false) channels; all when absent.
    #[prop(optional)]
    public: Option<bool>,
    /// In the Public view: the item a public reply answers, picked with `Reply to <author>`;
    /// its rows are indented in their threads.
    #[prop(optional)]
    reply: Option<RwSignal<Option<MessageId>>>,
) -> impl IntoView {
    let api = desk().api;
    let notices = desk().notices;
    let interactions = desk().interactions;
    let query = RwSignal::new(String::new());
    let current = RwSignal::new(0usize);
    let searching = RwSignal::new(false);
    let list = Memo::new(move |_| entries(interactions, contact, None, public));
    let lower = Memo::new(move |_| list.with(|l| lowered(l)));
    let found = Memo::new(move |_| lower.with(|l| hits(l, &query.get())));
    let current_hit = move || found.with(|f| f.get(current.get()).copied());
    // Derived, not memoised: the log brings the hit to the middle each time this is read
    // again (a keystroke, `Previous` / `Next` even on the only hit, the server's older
    // matches loaded), so a hit the agent scrolled away from comes back. The list is read
    // untracked: a message added (one the agent sends, one that comes in) or an older page
    // the agent scrolled to leaves the log where it is.
    let hit_index = Signal::derive(move || {
        query.track();
        let id = found.with_untracked(|f| f.get(current.get()).copied())?;
        list.with_untracked(|l| {
            l.iter()
                .position(|e| matches!(e, Entry::Message(m) if m.id == id))
        })
    });
    let has_more = move || {
        interactions
            .conversations
            .with(|c| c.get(&contact).is_some_and(|c| c.view(public).has_more))
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
    };
    // Matches beyond the loaded pages: ask the server, load up to the oldest, show the newest.
    let generation = StoredValue::new(0u32);
    let search_history = move || {
        let q = query.get_untracked().trim().to_owned();
        let g = generation.get_value().wrapping_add(1);
        generation.set_value(g);
        // What the server would refuse (control or invisible characters) is not sent.
        if q.is_empty() || wire::checks::characters(&q, wire::checks::Lines::One).is_err() {
            return;
        }
        set_timeout(
            move || {
                if generation.try_get_value() != Some(g) {
                    return;
                }
                searching.set(true);
                let client = api.client();
                spawn_local(async move {
                    let result = match client.search(&q, Some(contact)).await {
                        Ok(r) => match r.hits.iter().map(|h| h.message.seq).min() {
                            Some(oldest) => {
                                load_until(api, interactions, contact, oldest, public).await
                            }
                            None => Ok(()),
                        },
                        Err(e) => Err(e),
                    };
                    if let Err(e) = result {
                        notices.error("Search", &e);
                    }
                    searching.set(false);
                    if generation.try_get_value() == Some(g) {
                        // The newest match is the last in the list.
                        current.set(found.with_untracked(|f| f.len().saturating_sub(1)));
                    }
                });
            },
            std::time::Duration::from_millis(250),
        );
    };
    let refresh = move |_| load_conversation(api, interactions, notices, contact, public);
    let older = older_pages(api, interactions, notices, contact, public, || true);
    let render = Callback::new(move |entry: Entry| {
        let needle = query.get_untracked();
        let hit = found.with_untracked(|f| f.get(current.get_untracked()).copied());
        let (dom_id, is_hit) = match &entry {
            Entry::Message(m) => (Some(format!("conv-{contact}-{}", m.id)), Some(m.id) == hit),
            _ => (None, false),
        };
        let name = contact_name.get_untracked();
        let indent = reply
            .map(|_| thread::indent(&entry, interactions, contact))
            .filter(|i| !i.is_empty());
        let button = reply.and_then(|r| thread::reply_button(&entry, &name, r));
        entry_view(entry, &name, &needle, sender).wrapped(
            &[
                ("id", dom_id.as_deref()),
                (
                    "class",
                    Some(if is_hit {
                        "conv-row current-hit"
                    } else {
                        "conv-row"
                    }),
                ),
                ("style", indent.as_deref()),
            ],
            button,
        )
    });
    // Only rows with a hit are drawn again when the search changes.
    let redraw = Callback::new(move |entry: Entry| match entry {
        Entry::Message(m) => {
            let needle = query.with(|q| q.trim().to_lowercase());
            if needle.is_empty() || !m.text.to_lowercase().contains(&needle) {
                String::new()
            } else {
                format!("{needle}\u{1}{}", current_hit() == Some(m.id))
            }
        }
        _ => String::new(),
    });
    let search_id = format!("conversation-search-{contact}");
    let place = format!("c-{contact}-{public:?}");

    view! {
        <div class="conversation-tab">
            <div class="conversation-tools">
                <button type="button" on:click=refresh>"Refresh"</button>
                <label for=search_id.clone()>"Search"</label>
                <input id=search_id type="search" bind:value=query
                    on:input=move |_| { current.set(found.with_untracked(|f| f.len().saturating_sub(1))); search_history(); }
                    on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                        if ev.key() == "Enter" { ev.prevent_default(); step(!ev.shift_key()); }
                    }/>
                <span class="hit-count" role="status">
                    {move || {
                        let n = found.with(Vec::len);
                        if query.with(|q| q.trim().is_empty()) { String::new() }
                        else if n == 0 && searching.get() { "Searching…".to_owned() }
                        else if n == 0 { "No matches".to_owned() }
                        else { format!("{} of {n}", current.get() + 1) }
                    }}
                </span>
                <button type="button" on:click=move |_| step(false)
                    disabled=move || found.with(Vec::is_empty)>"Previous"</button>
                <button type="button" on:click=move |_| step(true)
                    disabled=move || found.with(Vec::is_empty)>"Next"</button>
            </div>
            <WindowedLog list=list place=place label="Conversation" render=render redraw=redraw
                reveal=hit_index older=older>
                <Show when=has_more>
                    <button type="button" class="link" on:click=move |_| older.run(())>"Load earlier messages"</button>
                </Show>
            </WindowedLog>
        </div>
    }
}
