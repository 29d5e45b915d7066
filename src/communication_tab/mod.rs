//! The Communication tab: the `Contacts` list (hideable), `Private` / `Public`, the selected
//! contact's whole conversation, `Write a Message` with `Send` (in the Public view a public
//! reply, see `public_reply`), and the `Chat` button.

mod public_reply;

use crate::chat_interaction::composer::Composer;
use crate::chat_interaction::send::Sender;
use crate::chat_interaction::{load_conversation, mark_read_while_shown};
use crate::contacts::ContactsList;
use crate::conversation_tab::ConversationTab;
use crate::shell::state::Place;
use crate::shell::state::{desk, Desk};
use leptos::prelude::*;
use leptos::task::spawn_local;
use wire::api::SendSource;
use wire::ContactId;

/// The tab.
#[component]
pub fn CommunicationTab() -> impl IntoView {
    let contacts = desk().contacts;
    let nav = desk().nav;
    let choose = move |public: bool| {
        nav.go(Place::Communication {
            contact: contacts.selected.get_untracked(),
            public,
        });
    };
    view! {
        <section class="communication" aria-label="Communication">
            <div class="communication-tools">
                <button type="button" aria-pressed=move || (!contacts.hidden.get()).to_string()
                    on:click=move |_| contacts.hidden.update(|h| *h = !*h)>
                    {move || if contacts.hidden.get() { "Show contacts" } else { "Hide contacts" }}
                </button>
                <div class="switch" role="group" aria-label="Private or Public">
                    <button type="button" aria-pressed=move || (!contacts.public.get()).to_string()
                        on:click=move |_| choose(false)>"Private"</button>
                    <button type="button" aria-pressed=move || contacts.public.get().to_string()
                        on:click=move |_| choose(true)>"Public"</button>
                </div>
            </div>
            <div class="communication-body">
                <Show when=move || !contacts.hidden.get()>
                    <ContactsList/>
                </Show>
                {move || {
                    // A rewritten conversation (contacts linked) is shown afresh.
                    contacts.rewrites.track();
                    match contacts.selected.get() {
                    None => view! {
                        <div class="home"><p>"Select a contact to see their conversations."</p></div>
                    }.into_any(),
                    Some(id) => view! { <ContactConversation contact=id public=contacts.public.get()/> }.into_any(),
                }}}
            </div>
        </section>
    }
}

/// Starts a chat with `contact`, as the `Chat` button does (and the portal's `start_chat`): the
/// new interaction opens in its Chat Interaction view.
pub async fn start_chat(
    d: Desk,
    contact: ContactId,
) -> Result<wire::InteractionView, crate::api::ClientError> {
    let i = d.api.client().chat(contact).await?;
    d.interactions.interaction_changed(i.clone());
    d.nav.go(Place::interaction(i.id));
    Ok(i)
}

#[component]
fn ContactConversation(contact: ContactId, public: bool) -> impl IntoView {
    let api = desk().api;
    let notices = desk().notices;
    let interactions = desk().interactions;
    let contacts = desk().contacts;
    load_conversation(api, interactions, notices, contact, Some(public));
    mark_read_while_shown(api, interactions, notices, contact);
    // From the list, or (a contact the list does not show: the other of `Private` /
    // `Public`, or a search that leaves them out) from their details.
    let listed = move || {
        contacts
            .list
            .with_untracked(|l| l.iter().any(|c| c.id == contact))
    };
    if !listed() {
        crate::contacts::ensure_details(api, contacts, notices, contact, "Loading the contact");
    }
    let name = Signal::derive(move || {
        contacts
            .list
            .with(|l| l.iter().find(|c| c.id == contact).map(|c| c.name.clone()))
            .or_else(|| {
                contacts
                    .details
                    .with(|d| d.get(&contact).map(wire::ContactView::display_name))
            })
            .unwrap_or_default()
    });
    let sender = Sender {
        interactions,
        api,
        contact,
        source: SendSource::CommunicationTab,
        on_sent: None,
    };
    let text = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let refusal = crate::chat_interaction::write_refusal(contact, name);
    let d = desk();
    let chat = move |_| {
        busy.set(true);
        spawn_local(async move {
            if let Err(e) = start_chat(d, contact).await {
                notices.error("Chat", &e);
            }
            busy.try_set(false);
        });
    };
    view! {
        <div class="contact-conversation">
            <header class="conversation-head">
                <h3>{name}</h3>
                <button type="button" class="primary" on:click=chat
                    disabled=move || busy.get() || refusal.with(Option::is_some)>"Chat"</button>
            </header>
            {if public {
                public_view(contact, name, sender)
            } else {
                view! {
                    <ConversationTab contact=contact contact_name=name sender=sender public=false/>
                    <Composer sender=sender text=text label="Write a Message"
                        draft_key=format!("threadline.draft.contact.{contact}") refusal=refusal
                        terms=crate::chat_interaction::reply_terms(contact, name)/>
                }.into_any()
            }}
        </div>
    }
}

/// The Public view's transcript (threads, `Reply to <author>`) and its public reply composer.
fn public_view(contact: ContactId, name: Signal<String>, sender: Sender) -> AnyView {
    let chosen = RwSignal::new(None::<wire::MessageId>);
    view! {
        <ConversationTab contact=contact contact_name=name sender=sender public=true reply=chosen/>
        <public_reply::PublicReply sender=sender contact_name=name chosen=chosen/>
    }
    .into_any()
}
