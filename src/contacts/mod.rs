//! The `Contacts` list: search, unread marks, selection. Pages of 100 are loaded as the agent
//! scrolls (`cursor`), and only the rows in view are in the page, so thousands of contacts
//! scroll as lightly as ten.

pub mod links;
pub mod state;

use crate::shell::state::desk;
use crate::shell::state::{Api, Line, Notices};
use leptos::prelude::*;
use leptos::task::spawn_local;
use state::ContactsState;
use wire::{Channel, ContactId, ContactSummary};

/// Height of one row in pixels (`.contact-row` in the style sheet).
const ROW: i32 = 56;
/// Rows rendered beyond the viewport on each side.
const OVERSCAN: usize = 8;

/// Loads a contact's details unless they are already here (the Contact Information panel, a
/// conversation whose contact the list does not show); `what` names the load in a failure
/// notice.
pub fn ensure_details(
    api: Api,
    contacts: ContactsState,
    notices: Notices,
    contact: ContactId,
    what: &'static str,
) {
    if contacts
        .details
        .with_untracked(|d| d.contains_key(&contact))
    {
        return;
    }
    let client = api.client();
    spawn_local(async move {
        match client.contact(contact).await {
            Ok(c) => contacts.updated(c),
            Err(e) => notices.error(what, &e),
        }
    });
}

/// Loads the first page for the current search and `Private`/`Public` choice, or (`more`) the
/// next page.
pub fn load(api: Api, contacts: ContactsState, notices: Notices, more: bool) {
    let cursor = contacts.next_cursor.get_untracked();
    if more && (cursor.is_none() || contacts.loading.get_untracked()) {
        return;
    }
    let client = api.client();
    let (q, public) = (
        contacts.query.get_untracked(),
        contacts.public.get_untracked(),
    );
    let generation = contacts.generation.get_value().wrapping_add(1);
    contacts.generation.set_value(generation);
    contacts.loading.set(true);
    spawn_local(async move {
        let cursor = if more { cursor } else { None };
        let answer = client.contacts(q.trim(), public, cursor.as_deref()).await;
        if contacts.generation.try_get_value() != Some(generation) {
            return;
        }
        match answer {
            Ok(page) => {
                contacts.next_cursor.set(page.next_cursor);
                if more {
                    contacts.list.update(|l| {
                        // A contact may have moved up into an earlier page meanwhile.
                        let fresh: Vec<_> = page
                            .contacts
                            .into_iter()
                            .filter(|c| !l.iter().any(|s| s.id == c.id))
                            .collect();
                        l.extend(fresh);
                    });
                } else {
                    contacts.asked.update_value(Vec::clear);
                    contacts.list.set(page.contacts);
                }
            }
            Err(e) => notices.error("Loading Contacts", &e),
        }
        contacts.loading.set(false);
    });
}

/// Keeps the list complete while the desktop runs: when someone the list has not loaded writes,
/// the newest page is fetched again (a burst of such messages makes one request).
pub fn watch_new_contacts(api: Api, contacts: ContactsState, notices: Notices) {
    let asking = StoredValue::new(false);
    Effect::new(move |first: Option<()>| {
        contacts.missed.track();
        if first.is_none() || asking.get_value() {
            return;
        }
        asking.set_value(true);
        set_timeout(
            move || {
                asking.set_value(false);
                // The desktop may have logged out meanwhile.
                let (Some(q), Some(public)) = (
                    contacts.query.try_get_untracked(),
                    contacts.public.try_get_untracked(),
                ) else {
                    return;
                };
                let client = api.client();
                spawn_local(async move {
                    match client.contacts(q.trim(), public, None).await {
                        Ok(page) => contacts.merge_newest(page.contacts),
                        Err(e) => notices.error("Loading Contacts", &e),
                    }
                });
            },
            std::time::Duration::from_millis(300),
        );
    });
}

/// The list.
#[component]
pub fn ContactsList() -> impl IntoView {
    let api = desk().api;
    let notices = desk().notices;
    let contacts = desk().contacts;
    Effect::new(move |_| {
        contacts.query.track();
        contacts.public.track();
        load(api, contacts, notices, false);
    });
    let scroller = NodeRef::<leptos::html::Div>::new();
    let top = RwSignal::new(0i32);
    let height = RwSignal::new(800i32);
    #[allow(clippy::cast_sign_loss, clippy::cast_possible_truncation)] // pixel counts ≥ 0
    let range = Memo::new(move |_| {
        let n = contacts.list.with(Vec::len);
        let first = (top.get().max(0) / ROW) as usize;
        let count = (height.get().max(ROW) / ROW) as usize + 1;
        (
            first.saturating_sub(OVERSCAN).min(n),
            (first + count + OVERSCAN).min(n),
        )
    });
    let on_scroll = move |_| {
        if let Some(el) = scroller.get_untracked() {
            top.set(el.scroll_top());
            height.set(el.client_height());
        }
        let (_, end) = range.get_untracked();
        if end + 2 * OVERSCAN >= contacts.list.with_untracked(Vec::len) {
            load(api, contacts, notices, true);
        }
    };
    Effect::new(move |_| {
        if let Some(el) = scroller.get() {
            height.set(el.client_height());
        }
    });
    // Arrow keys move between rows, also to rows not rendered yet.
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        let step: isize = match ev.key().as_str() {
            "ArrowDown" => 1,
            "ArrowUp" => -1,
            _ => return,
        };
        let current = document()
            .active_element()
            .and_then(|e| e.get_attribute("data-row"))
            .and_then(|r| r.parse::<usize>().ok());
        let Some(current) = current else { return };
        ev.prevent_default();
        let n = contacts.list.with_untracked(Vec::len);
        let next = current.saturating_add_signed(step).min(n.saturating_sub(1));
        let y = i32::try_from(next).unwrap_or(i32::MAX / ROW) * ROW;
        if let Some(el) = scroller.get_untracked() {
            let (t, h) = (el.scroll_top(), el.client_height());
            if y < t || y + ROW > t + h {
                let to = if y < t { y } else { y + ROW - h };
                el.set_scroll_top(to);
                top.set(to);
            }
        }
        crate::browser::focus_later(format!("contact-row-{next}"));
    };
    let rows = move || {
        let (start, end) = range.get();
        contacts.list.with(|l| {
            l.get(start..end)
                .unwrap_or_default()
                .iter()
                .cloned()
                .enumerate()
                .map(|(i, c)| (start + i, c))
                .collect::<Vec<_>>()
        })
    };
    let total = move || contacts.list.with(Vec::len);
    view! {
        <section class="contacts" aria-labelledby="contacts-title">
            <h3 id="contacts-title">"Contacts"</h3>
            <label for="contacts-search" class="visually-hidden">"Search contacts"</label>
            <input id="contacts-search" type="search" placeholder="Search contacts"
                bind:value=contacts.query/>
            <Line text=Signal::derive(move || contacts.loading.get().then(|| "Loading…".to_owned()))/>
            <div class="contact-scroller" node_ref=scroller on:scroll=on_scroll>
                <ul class="contact-list" aria-label="Contacts" on:keydown=on_key
                    style=move || format!("height:{}px", i32::try_from(total()).unwrap_or(i32::MAX / ROW) * ROW)>
                    <For each=rows key=|(i, c)| (*i, c.id, c.unread, c.name.clone(), c.last_activity_at) let:row>
                        <ContactRow index=row.0 contact=row.1 total=Signal::derive(total)/>
                    </For>
                </ul>
            </div>
            <Show when=move || !contacts.loading.get() && contacts.list.with(Vec::is_empty)>
                <p class="empty">"No contacts found."</p>
            </Show>
        </section>
    }
}

/// The letter on a channel's icon (its colour, from the style sheet, tells the rest).
fn channel_glyph(channel: Channel) -> &'static str {
    match channel {
        Channel::WebChat => "W",
        Channel::Messenger => "M",
        Channel::TwitterDm | Channel::Tweet => "X",
        Channel::FacebookPost => "f",
    }
}

#[component]
fn ContactRow(index: usize, contact: ContactSummary, total: Signal<usize>) -> impl IntoView {
    let contacts = desk().contacts;
    let nav = desk().nav;
    let id = contact.id;
    let selected = move || contacts.selected.get() == Some(id);
    let unread = contact.unread;
    let y = i32::try_from(index).unwrap_or(i32::MAX / ROW) * ROW;
    view! {
        <li class="contact-row" style=format!("top:{y}px")
            aria-posinset=index + 1 aria-setsize=move || total.get()>
            <button type="button" class="contact-item" class:unread={unread > 0}
                id=format!("contact-row-{index}") data-row=index
                aria-current=move || if selected() { "true" } else { "false" }
                on:click=move |_| nav.go(crate::shell::communication_at(contacts, Some(id)))>
                <span class="contact-name">{contact.name.clone()}</span>
                <span class="channel-icons">
                    {contact.channels.iter().map(|c| view! {
                        <span class=format!("channel-icon ch-{}", c.as_str()) role="img"
                            aria-label=c.label() title=c.label()>{channel_glyph(*c)}</span>
                    }).collect_view()}
                </span>
                {(unread > 0).then(|| view! {
                    <span class="unread-mark" aria-label=format!("{unread} unread")>{unread}</span>
                })}
                <span class="contact-last">{contact.last_message.clone().unwrap_or_default()}</span>
            </button>
        </li>
    }
}
