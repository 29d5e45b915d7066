//! The visitor token in `localStorage` of the widget's own origin (inside the iframe; the
//! company's page never sees it). Reading is free; the only write happens when the visitor
//! starts a chat (or sends their first message), so a visitor who never chats leaves nothing
//! behind. Browsers that refuse storage (private modes, blocked third-party storage) get a
//! chat that lasts as long as the page.
//!
//! Only an anonymous visitor's token is kept. An identified customer's conversation opens only
//! while the company's page vouches for them (its signed identity is present and matches), so
//! their token is never written, and a stored token is dropped as soon as a page identifies
//! someone: the next anonymous person on a shared computer starts fresh.
//!
//! Beside the token, and under the same rule, the text of the message on its way (with its
//! client id) until the server has it: a page closed or reloaded while the send failed or was
//! still going gives it back to the visitor. It goes with the token.

use client::storage::{self, Store};
use wire::ClientMessageId;

/// The key the token is kept under.
const TOKEN_KEY: &str = "threadline.visitor_token";
/// The key the message on its way is kept under.
const UNSENT_KEY: &str = "threadline.visitor_unsent";
/// Between the client id and the text: a client id never holds it.
const SEP: char = '\u{1f}';

/// The stored token, if a chat was started in this browser before.
pub fn load() -> Option<String> {
    storage::load(Store::Local, TOKEN_KEY)
}

/// How a boot starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resume {
    /// Nothing to resume: show the start form.
    Start,
    /// Resume the anonymous visitor's stored token.
    Token(String),
    /// Open the conversation of the customer the page vouches for, with its identity only
    /// (any stored token is dropped first, never sent along).
    Identity(String),
}

/// Decides how to start from the stored token and the page's signed identity.
pub fn plan(stored: Option<String>, identity: Option<String>) -> Resume {
    match (identity, stored) {
        (Some(identity), _) => Resume::Identity(identity),
        (None, Some(token)) => Resume::Token(token),
        (None, None) => Resume::Start,
    }
}

/// Whether a session's token may be kept for the next visit: only an anonymous one.
pub fn keeps(identified: bool) -> bool {
    !identified
}

/// Keeps the token for the next visit if [`keeps`] allows (a full or refused storage only
/// costs continuity).
pub fn save(token: &str, identified: bool) {
    if keeps(identified) {
        storage::save(Store::Local, TOKEN_KEY, token);
    }
}

/// Forgets the token (the server no longer knows it) and the message on its way with it.
pub fn clear() {
    storage::remove(Store::Local, TOKEN_KEY);
    drop_unsent();
}

/// Keeps the message on its way if [`keeps`] allows (as the token).
pub fn keep_unsent(text: &str, id: &ClientMessageId, identified: bool) {
    if keeps(identified) {
        storage::save(Store::Local, UNSENT_KEY, &unsent_record(text, id));
    }
}

/// The message kept on its way, if any.
pub fn unsent() -> Option<(String, ClientMessageId)> {
    read_unsent(&storage::load(Store::Local, UNSENT_KEY)?)
}

/// Forgets the message kept on its way (the server has it, or the visitor changed it).
pub fn drop_unsent() {
    storage::remove(Store::Local, UNSENT_KEY);
}

/// The record of a message on its way: its client id, [`SEP`], its text.
fn unsent_record(text: &str, id: &ClientMessageId) -> String {
    format!("{id}{SEP}{text}")
}

/// Reads [`unsent_record`]; `None` for anything else (a record of another version, or
/// changed by hand).
fn read_unsent(record: &str) -> Option<(String, ClientMessageId)> {
    let (id, text) = record.split_once(SEP)?;
    let id = ClientMessageId(id.to_owned());
    (id.is_valid() && !text.trim().is_empty()).then(|| (text.to_owned(), id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_identified_page_never_sends_or_keeps_a_stored_token() {
        let stored = Some("tlv_anon".to_owned());
        assert_eq!(
            plan(stored.clone(), Some("cust.9.sig".into())),
            Resume::Identity("cust.9.sig".into())
        );
        assert_eq!(plan(stored, None), Resume::Token("tlv_anon".into()));
        assert_eq!(plan(None, None), Resume::Start);
        assert_eq!(
            plan(None, Some("cust.9.sig".into())),
            Resume::Identity("cust.9.sig".into())
        );
        assert!(keeps(false));
        assert!(!keeps(true));
    }

    #[test]
    fn a_message_on_its_way_reads_back_as_written() {
        let id = ClientMessageId("w-0123456789ab".into());
        for text in ["Where is my order?", "two\nlines", "a \u{1f} in the text"] {
            let record = unsent_record(text, &id);
            assert_eq!(read_unsent(&record), Some((text.to_owned(), id.clone())));
        }
        // Anything else is nothing to put back.
        for record in [
            "",
            "no separator",
            "\u{1f}text",
            "bad id!\u{1f}text",
            "w-0123456789ab\u{1f}  ",
        ] {
            assert_eq!(read_unsent(record), None, "{record:?}");
        }
    }
}
