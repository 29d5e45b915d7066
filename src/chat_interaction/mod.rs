//! The Chat Interaction view: header (contact, channel, state, handle time), Transcript area,
//! typing indicator, Message Composition area, `End chat`, `Mark Done`, and the side panels
//! (`Conversation`, `Contact Information`, `Contact History`, `Standard Responses`).

pub mod composer;
pub mod handle_time;
pub mod log;
pub mod markup;
mod panels;
pub mod reply;
mod rows;
pub mod send;
pub mod state;
pub mod transcript;
pub mod transfer;
pub mod unsent;
pub mod window;

use crate::browser;
use crate::conversation_tab::ConversationTab;
use crate::shell::state::desk;
use crate::shell::state::Line;
use crate::shell::state::{Api, Notices, Panel, Place};
use crate::shell::tabs;
use composer::Composer;
use leptos::prelude::*;
use leptos::task::spawn_local;
pub use reply::{reply_terms, write_refusal};
use send::Sender;
use state::InteractionsState;
use transcript::Transcript;
use wire::api::{MarkDoneRequest, SendSource};
use wire::{ContactId, DispositionCode, InteractionId, InteractionState, InteractionView};

/// Loads the newest page of a contact's conversation.
pub fn load_conversation(
    api: Api,
    interactions: InteractionsState,
    notices: Notices,
    contact: ContactId,
    public: Option<bool>,
) {
    let client = api.client();
    spawn_local(async move {
        match client.conversation(contact, None, public).await {
            Ok(page) => interactions.page(page, true, public),
            Err(e) => notices.error("Loading the conversation", &e),
        }
    });
}

/// What a log calls when the agent nears the top of what is loaded: asks for the page of the
/// contact's conversation (of the view `public`) before its oldest loaded message, unless one
/// is on its way or nothing older is left. `wanted` says whether this log needs it at all (an
/// interaction's transcript does only while its own first message may be older).
pub fn older_pages(
    api: Api,
    interactions: InteractionsState,
    notices: Notices,
    contact: ContactId,
    public: Option<bool>,
    wanted: impl Fn() -> bool + Send + Sync + 'static,
) -> Callback<()> {
    let loading = StoredValue::new(false);
    // Called at every scroll event near the top: the cheap checks come before the oldest
    // message is looked for.
    Callback::new(move |()| {
        if loading.get_value() {
            return;
        }
        let more = interactions
            .conversations
            .with_untracked(|c| c.get(&contact).is_some_and(|c| c.view(public).has_more));
        if !more || !wanted() {
            return;
        }
        let before = interactions
            .conversations
            .with_untracked(|c| c.get(&contact).and_then(|c| c.oldest(public)));
        loading.set_value(true);
        let client = api.client();
        spawn_local(async move {
            match client.conversation(contact, before, public).await {
                Ok(page) => interactions.page(page, false, public),
                Err(e) => notices.error("Loading earlier messages", &e),
            }
            loading.try_set_value(false);
        });
    })
}

/// While a conversation shows, tells the server the contact's messages were read (which
/// clears the unread marks everywhere) and clears the Contacts list's mark at once.
pub fn mark_read_while_shown(
    api: Api,
    interactions: InteractionsState,
    notices: Notices,
    contact: ContactId,
) {
    let contacts = desk().contacts;
    let receipted = StoredValue::new(0i64);
    Effect::new(move |_| {
        let Some((seq, read)) = interactions.conversations.with(|c| {
            let m = c
                .get(&contact)?
                .messages
                .iter()
                .rev()
                .find(|m| m.author.party() == Some(wire::Party::Contact))?;
            Some((m.seq, m.read_at.is_some()))
        }) else {
            return;
        };
        contacts.mark_read(contact);
        if read || seq <= receipted.get_value() {
            return;
        }
        receipted.set_value(seq);
        let client = api.client();
        spawn_local(async move {
            if let Err(e) = client.receipts(contact, seq, true).await {
                notices.error("Marking messages read", &e);
            }
        });
    });
}

fn draft_key(id: InteractionId) -> String {
    format!("threadline.draft.{id}")
}

/// The id of an interaction view's `Message` field (focused after `Accept`).
pub fn message_field_id(id: InteractionId) -> String {
    format!("composer-{}", draft_key(id))
}

/// One Chat Interaction view. An interaction not (yet) among the open ones is looked up once
/// (a reload or a link opened before the agent's work has loaded); one that is not this
/// agent's open work says so.
#[component]
pub fn ChatInteractionView(id: InteractionId) -> impl IntoView {
    let interactions = desk().interactions;
    let api = desk().api;
    let notices = desk().notices;
    // Once shown, the view stays until the agent goes elsewhere, also when the interaction
    // leaves the open ones (Mark Done; a send that reactivates the chat as a new interaction,
    // whose answer the view still has to follow).
    let open = Memo::new(move |was: Option<&bool>| {
        was.copied().unwrap_or(false) || interactions.open.with(|l| l.iter().any(|i| i.id == id))
    });
    let checked = RwSignal::new(open.get_untracked());
    if !checked.get_untracked() {
        let client = api.client();
        spawn_local(async move {
            match client.my_work().await {
                Ok(work) => {
                    interactions.set_monitors(work.monitors);
                    if let Some(i) = work.interactions.into_iter().find(|i| i.id == id) {
                        interactions.interaction_changed(i);
                    }
                }
                Err(e) => notices.error("Loading the interaction", &e),
            }
            checked.try_set(true);
        });
    }
    let rewrites = desk().contacts.rewrites;
    move || match (open.get(), checked.get(), rewrites.get()) {
        (true, _, _) => match interactions
            .open
            .with_untracked(|l| l.iter().find(|i| i.id == id).cloned())
        {
            Some(first) => view! { <InteractionBody first=first/> }.into_any(),
            None => ().into_any(),
        },
        (false, false, _) => view! { <p class="home" role="status">"Loading…"</p> }.into_any(),
        (false, true, _) => view! {
            <div class="home"><p role="status">"This interaction is no longer open."</p></div>
        }
        .into_any(),
    }
}

#[component]
fn InteractionBody(first: InteractionView) -> impl IntoView {
    let interactions = desk().interactions;
    let api = desk().api;
    let notices = desk().notices;
    let nav = desk().nav;
    let id = first.id;
    let contact = first.contact_id;
    let interaction = Memo::new(move |_| interactions.get(id).unwrap_or_else(|| first.clone()));
    let contact_name = Signal::derive(move || interaction.with(|i| i.contact_name.clone()));

    if interactions
        .conversations
        .with_untracked(|c| !c.get(&contact).is_some_and(|c| c.view(None).loaded))
    {
        load_conversation(api, interactions, notices, contact, None);
    }
    mark_read_while_shown(api, interactions, notices, contact);

    let sender = Sender {
        interactions,
        api,
        contact,
        source: SendSource::InteractionView,
        on_sent: Some(Callback::new(move |into: InteractionView| {
            if into.id != id {
                nav.go(Place::interaction(into.id));
            }
        })),
    };
    let text = RwSignal::new(String::new());
    take_handed_text(id, text);
    // The panel is the URL's; while the view is on its way out it keeps the last one.
    let panel = Memo::new(move |last: Option<&Panel>| match nav.place() {
        Place::Interaction(shown, p) if shown == id => p,
        _ => last.copied().unwrap_or(Panel::Conversation),
    });
    let typing = move || interactions.typing.with(|t| t.contains(&contact));
    leave_when_reassigned(id);

    view! {
        <section class="interaction" aria-label=move || format!("Chat Interaction: {}", contact_name.get())>
            <InteractionHeader interaction=interaction/>
            <Monitored id=id/>
            <div class="interaction-body">
                <div class="chat-column">
                    <h3 class="area-title">"Transcript"</h3>
                    <Transcript contact=contact only=id contact_name=contact_name sender=sender
                        label="Transcript"/>
                    <p class="typing" aria-live="polite">
                        {move || typing().then(|| format!("{} is typing…", contact_name.get()))}
                    </p>
                    <Composer sender=sender interaction=id text=text label="Message"
                        draft_key=draft_key(id) refusal=write_refusal(contact, contact_name)
                        terms=reply_terms(contact, contact_name)/>
                </div>
                <aside class="side-panels" aria-label="Side panels">
                    <div role="tablist" aria-label="Side panels" on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                        let current = Panel::ALL.iter().position(|p| *p == panel.get_untracked()).unwrap_or(0);
                        if let Some(next) = tabs::moved(&ev.key(), current, Panel::ALL.len(), tabs::Orientation::Horizontal) {
                            ev.prevent_default();
                            nav.go(Place::Interaction(id, Panel::ALL[next]));
                            crate::browser::focus_later(Panel::ALL[next].tab_id(id));
                        }
                    }>
                        {Panel::ALL.into_iter().map(|p| view! {
                            <button type="button" role="tab" id=p.tab_id(id)
                                aria-controls=format!("side-panel-{id}")
                                aria-selected=move || (panel.get() == p).to_string()
                                tabindex=move || tabs::tab_index(panel.get() == p)
                                on:click=move |_| nav.go(Place::Interaction(id, p))>{p.label()}</button>
                        }).collect_view()}
                    </div>
                    <div role="tabpanel" class="panel" id=format!("side-panel-{id}") tabindex="0"
                        aria-labelledby=move || panel.get().tab_id(id)>
                        {move || match panel.get() {
                            Panel::Conversation => view! {
                                <ConversationTab contact=contact contact_name=contact_name sender=sender/>
                            }.into_any(),
                            Panel::ContactInformation => view! {
                                <panels::ContactInformation contact=contact/>
                            }.into_any(),
                            Panel::ContactHistory => view! {
                                <panels::ContactHistory contact=contact/>
                            }.into_any(),
                            Panel::StandardResponses => view! {
                                <panels::StandardResponses contact=contact text=text/>
                            }.into_any(),
                        }}
                    </div>
                </aside>
            </div>
        </section>
    }
}

/// Text handed to this interaction's message field ([`InteractionsState::hand_text`]) replaces
/// what is there, unsent.
fn take_handed_text(id: InteractionId, text: RwSignal<String>) {
    let interactions = desk().interactions;
    Effect::new(move |_| {
        let Some(handed) = interactions
            .handed
            .with(|h| h.iter().find(|(i, _)| *i == id).map(|(_, t)| t.clone()))
        else {
            return;
        };
        interactions.handed.update(|h| h.retain(|(i, _)| *i != id));
        text.set(handed);
    });
}

/// "Sam Sato is monitoring this chat" while a supervisor watches it.
#[component]
fn Monitored(id: InteractionId) -> impl IntoView {
    let interactions = desk().interactions;
    let text = move || {
        interactions
            .watchers(id)
            .iter()
            .map(|n| wire::monitor::monitoring_text(n))
            .collect::<Vec<_>>()
            .join(". ")
    };
    view! {
        <p class="monitored" role="status">{text}</p>
    }
}

/// When a supervisor reassigns the chat away, the view goes to the next interaction (or
/// Home), like after the agent's own Transfer; the notice says by whom.
fn leave_when_reassigned(id: InteractionId) {
    let interactions = desk().interactions;
    let nav = desk().nav;
    Effect::new(move |_| {
        if !interactions.reassigned.with(|l| l.contains(&id)) {
            return;
        }
        interactions.reassigned.update(|l| l.retain(|r| *r != id));
        if !matches!(nav.place_untracked(), Place::Interaction(shown, _) if shown == id) {
            return;
        }
        leave_for_next(interactions, nav);
    });
}

/// Leaves a Chat Interaction view for good (Mark Done, Transfer, a supervisor's reassign): the
/// next open interaction, or Home, replaces it (Back does not come back to it), and the focus
/// goes to that interaction in the navigation, or to the navigation.
pub(crate) fn leave_for_next(interactions: InteractionsState, nav: crate::shell::state::Nav) {
    let next = interactions
        .open
        .with_untracked(|l| l.first().map(|i| i.id));
    nav.replace(next.map_or(Place::Home, Place::interaction));
    browser::focus_later(next.map_or_else(
        || "nav-communication".to_owned(),
        |n| format!("nav-interaction-{n}"),
    ));
}

#[component]
fn InteractionHeader(interaction: Memo<InteractionView>) -> impl IntoView {
    let clock = desk().clock;
    let viewing = desk().viewing;
    let handle_time = move || {
        let (id, recorded) = interaction.with(|i| (i.id, i.handle_time_ms));
        browser::duration(recorded + viewing.current_ms(id, clock.0.get()))
    };
    let state = move || interaction.with(|i| i.state);
    view! {
        <header class="interaction-head">
            <h2>{move || interaction.with(|i| i.contact_name.clone())}</h2>
            <span class="channel">{move || interaction.with(|i| i.channel.label())}</span>
            <span class="state" class:ended=move || state() == InteractionState::Ended>
                {move || state().label()}
            </span>
            <span class="handle-time">"Handle time " <time>{handle_time}</time></span>
            <div class="head-actions">
                <Show when=move || state() == InteractionState::Active>
                    <transfer::TransferButton id=interaction.with_untracked(|i| i.id)/>
                    <EndChat id=interaction.with_untracked(|i| i.id)/>
                </Show>
                <Show when=move || state() == InteractionState::Ended>
                    <MarkDone id=interaction.with_untracked(|i| i.id)/>
                </Show>
            </div>
        </header>
    }
}

#[component]
fn EndChat(id: InteractionId) -> impl IntoView {
    let api = desk().api;
    let interactions = desk().interactions;
    let notices = desk().notices;
    let busy = RwSignal::new(false);
    let end = move |_| {
        busy.set(true);
        let client = api.client();
        spawn_local(async move {
            match client.end(id).await {
                Ok(i) => interactions.interaction_changed(i),
                Err(e) => notices.error("End chat", &e),
            }
            busy.set(false);
        });
    };
    view! { <button type="button" on:click=end disabled=move || busy.get()>"End chat"</button> }
}

#[component]
fn MarkDone(id: InteractionId) -> impl IntoView {
    let api = desk().api;
    let interactions = desk().interactions;
    let presence = desk().presence;
    let nav = desk().nav;
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let disposition = RwSignal::new(String::new());
    let dispositions = move || {
        presence
            .config
            .with(|c| c.as_ref().map(|c| c.dispositions.clone()))
            .unwrap_or_default()
    };
    let required = move || {
        presence
            .config
            .with(|c| c.as_ref().is_some_and(|c| c.disposition_required))
    };
    let done = move |_| {
        let code = disposition.get_untracked();
        if code.is_empty() && required() {
            error.set(Some(
                "Choose a disposition before marking the interaction Done.".to_owned(),
            ));
            return;
        }
        busy.set(true);
        error.set(None);
        let client = api.client();
        let body = MarkDoneRequest {
            disposition: (!code.is_empty()).then_some(DispositionCode(code)),
        };
        spawn_local(async move {
            match client.mark_done(id, &body).await {
                Ok(i) => {
                    interactions.interaction_changed(i);
                    leave_for_next(interactions, nav);
                }
                Err(e) => {
                    error.set(Some(e.to_string()));
                    busy.set(false);
                }
            }
        });
    };
    view! {
        <div class="mark-done">
            <Show when=move || !dispositions().is_empty()>
                <label for=format!("disposition-{id}")>"Disposition"</label>
                <select id=format!("disposition-{id}") on:change=move |ev| disposition.set(event_target_value(&ev))
                    prop:value=move || disposition.get()>
                    <option value="">"Choose a disposition"</option>
                    {move || dispositions().into_iter().map(|d| view! {
                        <option value=d.code.0.clone()>{d.label.clone()}</option>
                    }).collect_view()}
                </select>
            </Show>
            <button type="button" class="primary" on:click=done disabled=move || busy.get()>"Mark Done"</button>
            <Line text=error class="error"/>
        </div>
    }
}
