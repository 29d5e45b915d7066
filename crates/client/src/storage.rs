//! `localStorage` and `sessionStorage`, for values whose loss costs continuity, not
//! correctness: a browser that refuses storage (private modes, blocked third-party storage)
//! gets `None` and `false`, never an error.

/// Where a value is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Store {
    /// `sessionStorage`: survives a reload, not a closed tab.
    Session,
    /// `localStorage`: survives everything.
    Local,
}

/// The storage, if the browser allows it.
fn storage(store: Store) -> Option<web_sys::Storage> {
    let window = web_sys::window()?;
    match store {
        Store::Session => window.session_storage().ok().flatten(),
        Store::Local => window.local_storage().ok().flatten(),
    }
}

/// Reads a key (an empty value reads as none).
pub fn load(store: Store, key: &str) -> Option<String> {
    storage(store)?
        .get_item(key)
        .ok()
        .flatten()
        .filter(|v| !v.is_empty())
}

/// Writes a key; false when the browser refused (storage full or disabled).
pub fn save(store: Store, key: &str, value: &str) -> bool {
    storage(store).is_some_and(|s| s.set_item(key, value).is_ok())
}

/// Removes a key.
pub fn remove(store: Store, key: &str) {
    if let Some(s) = storage(store) {
        // Removing only fails when storage is disabled, and then there is nothing to remove.
        let _ = s.remove_item(key);
    }
}
