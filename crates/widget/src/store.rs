//! The visitor token in `localStorage` of the widget's own origin (inside the iframe; the
//! company's page never sees it). Reading is free; the only write happens when the visitor
//! starts a chat (or sends their first message), so a visitor who never chats leaves nothing
//! behind. Browsers that refuse storage (private modes, blocked third-party storage) get a
//! chat that lasts as long as the page.

use client::storage::{self, Store};

/// The key the token is kept under.
const TOKEN_KEY: &str = "threadline.visitor_token";

/// The stored token, if a chat was started in this browser before.
pub fn load() -> Option<String> {
    storage::load(Store::Local, TOKEN_KEY)
}

/// Keeps the token for the next visit (a full or refused storage only costs continuity).
pub fn save(token: &str) {
    storage::save(Store::Local, TOKEN_KEY, token);
}

/// Forgets the token (the server no longer knows it).
pub fn clear() {
    storage::remove(Store::Local, TOKEN_KEY);
}
