//! The visitor token in `localStorage` of the widget's own origin (inside the iframe; the
//! company's page never sees it). Reading is free; the only write happens when the visitor
//! starts a chat (or sends their first message), so a visitor who never chats leaves nothing
//! behind. Browsers that refuse storage (private modes, blocked third-party storage) get a
//! chat that lasts as long as the page.

use web_sys::Storage;

/// The key the token is kept under.
const TOKEN_KEY: &str = "threadline.visitor_token";

/// The frame's `localStorage`, if the browser allows it.
fn storage() -> Option<Storage> {
    web_sys::window()?.local_storage().ok()?
}

/// The stored token, if a chat was started in this browser before.
pub fn load() -> Option<String> {
    storage()?
        .get_item(TOKEN_KEY)
        .ok()?
        .filter(|t| !t.is_empty())
}

/// Keeps the token for the next visit.
pub fn save(token: &str) {
    if let Some(s) = storage() {
        // A full or refused storage only costs continuity, not the chat.
        let _ = s.set_item(TOKEN_KEY, token);
    }
}

/// Forgets the token (the server no longer knows it).
pub fn clear() {
    if let Some(s) = storage() {
        let _ = s.remove_item(TOKEN_KEY);
    }
}
