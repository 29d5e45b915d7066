//! The Conversation tab's search: matches in what is loaded, and loading older pages up to a
//! match the server found beyond them.

use crate::api::ClientError;
use crate::chat_interaction::state::InteractionsState;
use crate::chat_interaction::transcript::Entry;
use crate::shell::state::Api;
use leptos::prelude::*;
use wire::{ContactId, MessageId};

/// Every message's text in lower case, in list order, in one string: made once per change of
/// the list, so a search per keystroke is one scan of it (one searcher for the needle, where a
/// search of each text apart set one up per message).
#[derive(Debug, Default, PartialEq)]
pub struct Lowered {
    /// The lowered texts one after the other, each followed by a NUL. No needle holds one
    /// (see [`hits`]), so no match runs from one text into the next.
    text: String,
    /// Where each text's NUL is in `text`, in order: a match belongs to the first text
    /// ending after it.
    ends: Vec<usize>,
    /// Each text's message, in the same order as `ends`.
    ids: Vec<MessageId>,
}

/// The messages' texts of `list`, lowered, for [`hits`].
pub fn lowered(list: &[Entry]) -> Lowered {
    let mut out = Lowered::default();
    for e in list {
        if let Entry::Message(m) = e {
            // Lowered text by text: lowering can change a text's length.
            out.text.push_str(&m.text.to_lowercase());
            out.ends.push(out.text.len());
            out.text.push('\0');
            out.ids.push(m.id);
        }
    }
    out
}

/// The messages whose text contains `needle` (case-insensitive), in order, each once.
pub fn hits(lowered: &Lowered, needle: &str) -> Vec<MessageId> {
    let needle = needle.trim().to_lowercase();
    // A NUL is what separates the texts (no text holds one: the server refuses control
    // characters), so a needle with one finds nothing.
    if needle.is_empty() || needle.contains('\0') {
        return Vec::new();
    }
    let mut found: Vec<MessageId> = Vec::new();
    let mut last = None;
    for (at, _) in lowered.text.match_indices(needle.as_str()) {
        let i = lowered.ends.partition_point(|&end| end <= at);
        if last != Some(i) {
            last = Some(i);
            found.extend(lowered.ids.get(i));
        }
    }
    found
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

#[cfg(test)]
mod tests {
    use super::{hits, lowered};
    use crate::chat_interaction::transcript::Entry;
    use wire::{MessageId, MessageView};

    fn message(id: i64, text: &str) -> Entry {
        Entry::Message(MessageView {
            text: text.to_owned(),
            ..MessageView::sample(id)
        })
    }

    fn ids(found: &[MessageId]) -> Vec<i64> {
        found.iter().map(|m| m.0).collect()
    }

    #[test]
    fn each_message_with_the_needle_once_in_order_whatever_the_case() {
        let list = [
            message(1, "Refund please"),
            message(2, "no"),
            message(3, "REFUND, refund, refund"),
            message(4, ""),
            message(5, "a refund"),
        ];
        let l = lowered(&list);
        assert_eq!(ids(&hits(&l, "refund")), [1, 3, 5]);
        assert_eq!(ids(&hits(&l, "  ReFuNd ")), [1, 3, 5]);
        assert_eq!(ids(&hits(&l, "please")), [1]);
        assert!(hits(&l, "hovercraft").is_empty());
        assert!(hits(&l, "   ").is_empty());
    }

    #[test]
    fn no_match_runs_from_one_message_into_the_next() {
        let l = lowered(&[message(1, "abc"), message(2, "def")]);
        assert!(hits(&l, "cd").is_empty());
        assert!(hits(&l, "c\0d").is_empty());
        assert!(hits(&l, "\0").is_empty());
        assert_eq!(ids(&hits(&l, "def")), [2]);
        assert_eq!(ids(&hits(&l, "abc")), [1]);
    }

    #[test]
    fn a_text_whose_length_changes_when_lowered_keeps_its_place() {
        // "İ" lowers to two characters (i and a combining dot): the next text still starts
        // where its own NUL says.
        let l = lowered(&[message(1, "İİİ"), message(2, "x"), message(3, "İx")]);
        assert_eq!(ids(&hits(&l, "x")), [2, 3]);
        assert_eq!(ids(&hits(&l, "İ")), [1, 3]);
    }
}
