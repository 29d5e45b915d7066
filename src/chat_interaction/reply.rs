//! What the composer is told about the agent's next message before it is typed: whether it
//! can be sent at all (Messenger's reply window, asynchronous chat off), which channel it goes
//! to, and how long it may be there. The rules are `wire::platforms`' and
//! `wire::channels`', shared with the server; this only reads the conversation and the clock.

use crate::browser::date_time;
use crate::shell::state::desk;
use leptos::prelude::*;
use wire::platforms::{self, ReplyWindow};
use wire::{Channel, ContactId};

/// What the composer says about the reply and the length it allows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReplyTerms {
    /// Where the reply goes and what the platform allows, in words (none for Web Chat: the
    /// ordinary case needs no note).
    pub note: Option<String>,
    /// The longest text the channel's platform takes, when it sets one.
    pub max_chars: Option<usize>,
}

/// Why the agent cannot write to `contact` now ([`super::state::Conversation::write_refusal`]),
/// with the channels whose chat is not asynchronous from the desktop's configuration and the
/// ticking clock (a window closes while the view is open).
pub fn write_refusal(contact: ContactId, name: Signal<String>) -> Signal<Option<String>> {
    let interactions = desk().interactions;
    let config = desk().presence.config;
    let clock = desk().clock;
    Signal::derive(move || {
        let synchronous = config.with(|c| {
            c.as_ref()
                .map(|c| c.synchronous_channels.clone())
                .unwrap_or_default()
        });
        let now = clock.0.get();
        interactions.conversations.with(|all| {
            all.get(&contact)
                .and_then(|c| c.write_refusal(&synchronous, &name.get(), now))
        })
    })
}

/// Where the agent's next message to `contact` goes and what its platform allows.
pub fn reply_terms(contact: ContactId, name: Signal<String>) -> Signal<ReplyTerms> {
    let interactions = desk().interactions;
    let clock = desk().clock;
    let config = desk().presence.config;
    // Recomputed each second with the clock, but only a changed note re-renders.
    let terms = Memo::new(move |_| {
        let ours = config
            .with(|c| c.as_ref().map(|c| c.max_message_chars as usize))
            .unwrap_or(wire::limits::MAX_MESSAGE_CHARS);
        let now = clock.0.get();
        interactions.conversations.with(|all| {
            let Some(conv) = all.get(&contact) else {
                return ReplyTerms::default();
            };
            let channel = conv.reply_channel();
            let Some(theirs) = platforms::max_chars(channel) else {
                return ReplyTerms::default();
            };
            let max = theirs.min(ours);
            let who = name.get();
            let note = match channel {
                Channel::Messenger => {
                    match platforms::messenger_window(conv.contact_wrote_at(channel), now) {
                        ReplyWindow::Standard { .. } => format!(
                            "Replies go to {who} on Facebook Messenger, up to {max} characters."
                        ),
                        ReplyWindow::HumanAgent { until } => format!(
                            "Messenger's 24-hour window has passed: this reply goes to {who} as \
                             a human agent's answer, possible until {}; up to {max} characters.",
                            date_time(until)
                        ),
                        // The refusal says it, and the field is closed.
                        ReplyWindow::Closed => return ReplyTerms::default(),
                    }
                }
                other => format!(
                    "Replies go to {who} as a {}, up to {max} characters.",
                    other.label()
                ),
            };
            ReplyTerms {
                note: Some(note),
                max_chars: Some(max),
            }
        })
    });
    terms.into()
}
