//! The Public view's composer: a public reply to one of the contact's comments, posts or
//! Tweets — the one picked with `Reply to <author>`, else their latest — sent on that item's
//! channel. It says so in its label ("Reply publicly to Lena Park's comment"), and counts a
//! Tweet as X does before anything is sent.

use crate::chat_interaction::send::{self, Sender};
use leptos::prelude::*;
use wire::limits::{tweet_weight, TWEET_MAX_WEIGHT};
use wire::{Author, Channel, ContactId, MessageId, MessageView};

/// The contact's item a reply answers: `chosen`, else their latest public item loaded.
fn target(
    sender: Sender,
    contact: ContactId,
    chosen: Option<MessageId>,
) -> Option<(MessageView, Channel)> {
    sender.interactions.conversations.with(|c| {
        let conv = c.get(&contact)?;
        let channel_of = |m: &MessageView| {
            conv.interactions
                .iter()
                .find(|i| i.id == m.interaction_id)
                .map(|i| i.channel)
                .filter(|ch| ch.is_public())
        };
        conv.messages
            .iter()
            .rev()
            .filter(|m| m.author == Author::Contact)
            .filter(|m| chosen.is_none_or(|id| id == m.id))
            .find_map(|m| channel_of(m).map(|ch| (m.clone(), ch)))
    })
}

/// What the field is called for `name`'s item on `channel`.
fn label(name: &str, channel: Channel) -> String {
    let item = if channel == Channel::Tweet {
        "Tweet"
    } else {
        "comment"
    };
    format!("Reply publicly to {name}'s {item}")
}

/// The composer.
#[component]
pub fn PublicReply(
    sender: Sender,
    #[prop(into)] contact_name: Signal<String>,
    /// The item picked with `Reply to <author>` (none: the latest).
    chosen: RwSignal<Option<MessageId>>,
) -> impl IntoView {
    let contact = sender.contact;
    let text = RwSignal::new(String::new());
    let answered = Memo::new(move |_| target(sender, contact, chosen.get()));
    let field_label = move || {
        answered.with(|a| match a {
            Some((_, ch)) => label(&contact_name.get(), *ch),
            None => "Reply publicly".to_owned(),
        })
    };
    // A Tweet's length as X counts it; other channels are checked by the server.
    let too_long = move || {
        answered.with(|a| matches!(a, Some((_, Channel::Tweet))))
            && text.with(|t| tweet_weight(t)) > TWEET_MAX_WEIGHT
    };
    let count = move || {
        answered
            .with(|a| matches!(a, Some((_, Channel::Tweet))))
            .then(|| format!("{} of {TWEET_MAX_WEIGHT}", text.with(|t| tweet_weight(t))))
    };
    let submit = move || {
        let body = text.get_untracked();
        let Some((item, _)) = answered.get_untracked() else {
            return;
        };
        if body.trim().is_empty() || too_long() {
            return;
        }
        send::send_reply(sender, item.id, body);
        text.set(String::new());
        chosen.set(None);
    };
    let field_id = format!("public-reply-{contact}");
    view! {
        <form class="composer public-reply" on:submit=move |ev| { ev.prevent_default(); submit(); }>
            <label for=field_id.clone()>{field_label}</label>
            {move || answered.with(|a| a.as_ref().map(|(m, _)| {
                let quoted: String = m.text.chars().take(80).collect();
                view! { <p class="replying-to">{format!("Replying to: {quoted}")}</p> }
            }))}
            <textarea id=field_id bind:value=text rows="3"
                aria-invalid=move || too_long().to_string()
                disabled=move || answered.with(Option::is_none)
                on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                    if ev.key() == "Enter" && !ev.shift_key() { ev.prevent_default(); submit(); }
                }></textarea>
            <div class="composer-tools">
                <span class="hint" class:error=too_long role="status">{count}</span>
                <button type="submit" class="primary"
                    disabled=move || answered.with(Option::is_none) || too_long()
                        || text.with(|t| t.trim().is_empty())>"Send"</button>
            </div>
        </form>
    }
}
