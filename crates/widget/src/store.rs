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

use client::storage::{self, Store};

/// The key the token is kept under.
const TOKEN_KEY: &str = "threadline.visitor_token";

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

/// Forgets the token (the server no longer knows it).
pub fn clear() {
    storage::remove(Store::Local, TOKEN_KEY);
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
}
