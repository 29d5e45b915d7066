//! The Conversation tab's search: matches in what is loaded, and loading older pages up to a
//! match the server found beyond them.

use crate::api::ClientError;
use crate::chat_interaction::state::InteractionsState;
use crate::chat_interaction::transcript::Entry;
use crate::shell::state::Api;
use leptos::prelude::*;
use wire::{ContactId, MessageId};

/// Every message's text in lower case, in order: made once per change of the list, so a
/// search per keystroke only compares.
pub fn lowered(list: &[Entry]) -> Vec<(MessageId, String)> {
    list.iter()
        .filter_map(|e| match e {
            Entry::Message(m) => Some((m.id, m.text.to_lowercase())),
            _ => None,
        })
        .collect()
}

/// The messages whose text contains `needle` (case-insensitive), in order.
pub fn hits(lowered: &[(MessageId, String)], needle: &str) -> Vec<MessageId> {
    let needle = needle.trim().to_lowercase();
    if needle.is_empty() {
        return Vec::new();
    }
    lowered
        .iter()
        .filter(|(_, text)| text.contains(&needle))
        .map(|(id, _)| *id)
        .collect()
}

/// Loads older pages of a contact's conversation until `seq` is loaded (a search hit beyond
/// what was loaded), or there is nothing older.
pub async fn load_until(
    api: Api,
    interactions: InteractionsState,
    contact: ContactId,
    seq: i64,
    public: Option<bool>,
) -> Result<(), ClientError> {
    let client = api.client();
    // At most 10,000 messages' worth of pages for one search.
    for _ in 0..20 {
        let (first, more) = interactions.conversations.with_untracked(|c| {
            c.get(&contact).map_or((None, true), |c| {
                (c.oldest(public), c.view(public).has_more)
            })
        });
        if first.is_some_and(|f| f <= seq) || !more {
            break;
        }
        let page = client.conversation(contact, first, public).await?;
        interactions.page(page, first.is_none(), public);
    }
    Ok(())
}
