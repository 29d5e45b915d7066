//! The Public view's threads: how far a comment sits under its post, and the `Reply to
//! <author>` button that picks the item a public reply answers.

use crate::chat_interaction::state::InteractionsState;
use crate::chat_interaction::transcript::{author_name, thread_depth, Entry};
use leptos::prelude::*;
use wire::{Author, ContactId, MessageId};

/// The row's indentation in its thread (none for anything but a message).
pub fn indent(entry: &Entry, interactions: InteractionsState, contact: ContactId) -> String {
    let Entry::Message(m) = entry else {
        return String::new();
    };
    let depth = interactions.conversations.with_untracked(|c| {
        c.get(&contact)
            .map_or(0, |conv| thread_depth(&conv.messages, m.id))
    });
    if depth == 0 {
        String::new()
    } else {
        format!("margin-left: {}em", 2 * depth.min(4))
    }
}

/// `Reply to <author>` on a contact's item: makes it the one the public reply answers.
pub fn reply_button(
    entry: &Entry,
    contact_name: &str,
    chosen: RwSignal<Option<MessageId>>,
) -> Option<AnyView> {
    let Entry::Message(m) = entry else {
        return None;
    };
    if m.author != Author::Contact {
        return None;
    }
    let id = m.id;
    let label = format!("Reply to {}", author_name(m, contact_name));
    Some(
        view! {
            <div class="actions">
                <button type="button" aria-pressed=move || (chosen.get() == Some(id)).to_string()
                    on:click=move |_| chosen.set(Some(id))>{label}</button>
            </div>
        }
        .into_any(),
    )
}
