//! The Contacts list of the Communication tab, and contact details.

use leptos::prelude::*;
use std::collections::HashMap;
use wire::{ContactId, ContactSummary, ContactView, Millis};

/// Contacts, as a context.
#[derive(Debug, Clone, Copy)]
pub struct ContactsState {
    /// The list as last loaded.
    pub list: RwSignal<Vec<ContactSummary>>,
    /// The search box.
    pub query: RwSignal<String>,
    /// `Public` (true) or `Private`.
    pub public: RwSignal<bool>,
    /// The list is hidden.
    pub hidden: RwSignal<bool>,
    /// The contact whose conversation shows.
    pub selected: RwSignal<Option<ContactId>>,
    /// Contact details loaded so far.
    pub details: RwSignal<HashMap<ContactId, ContactView>>,
    /// A load is on its way.
    pub loading: RwSignal<bool>,
    /// Where the next page starts; none when the last page is loaded.
    pub next_cursor: RwSignal<Option<String>>,
    /// Counts rewrites of conversations (contacts linked or unlinked): views of a
    /// conversation are built again when it changes, after the agent's work has reloaded.
    pub rewrites: RwSignal<u32>,
    /// Counts loads, so an answer to an older search is dropped.
    pub generation: StoredValue<u32>,
    /// Counts messages from contacts not in the loaded list: each asks for the newest page
    /// again, which has them at the top.
    pub missed: RwSignal<u32>,
    /// Contacts already asked for since the list was last loaded (a contact the search or the
    /// `Private`/`Public` choice leaves out is asked for once, not on every event).
    pub asked: StoredValue<Vec<ContactId>>,
}

impl Default for ContactsState {
    fn default() -> Self {
        Self::new()
    }
}

impl ContactsState {
    /// Unread messages across the list: the number the Connect group's unread mark shows (and
    /// the portal's `unread_changed` posts). Tracked.
    pub fn unread_total(self) -> u32 {
        self.list.with(|l| l.iter().map(|c| c.unread).sum())
    }

    /// Nothing loaded.
    pub fn new() -> Self {
        ContactsState {
            list: RwSignal::new(Vec::new()),
            query: RwSignal::new(String::new()),
            public: RwSignal::new(false),
            hidden: RwSignal::new(false),
            selected: RwSignal::new(None),
            details: RwSignal::new(HashMap::new()),
            loading: RwSignal::new(false),
            rewrites: RwSignal::new(0),
            next_cursor: RwSignal::new(None),
            generation: StoredValue::new(0),
            missed: RwSignal::new(0),
            asked: StoredValue::new(Vec::new()),
        }
    }

    /// A contact's details changed.
    pub fn updated(self, contact: ContactView) {
        let name = contact.display_name();
        let id = contact.id;
        self.details.update(|d| {
            d.insert(id, contact);
        });
        self.list.update(|l| {
            if let Some(s) = l.iter_mut().find(|s| s.id == id) {
                s.name = name;
            }
        });
    }

    /// `gone` was linked into `into`: its row leaves the list, a view of it shows `into`, and
    /// the newest page is asked for again (`into`'s line changed).
    pub fn linked(self, gone: ContactId, into: ContactView) {
        let into_id = into.id;
        self.details.update(|d| {
            d.remove(&gone);
        });
        self.updated(into);
        self.list.update(|l| l.retain(|s| s.id != gone));
        if self.selected.get_untracked() == Some(gone) {
            self.selected.set(Some(into_id));
        }
        self.ask_newest();
    }

    /// The contact was erased: gone from the list and the details held; whether the
    /// Communication tab was showing them (it shows no contact now).
    pub fn erased(self, gone: ContactId) -> bool {
        self.details.update(|d| {
            d.remove(&gone);
        });
        self.list.update(|l| l.retain(|s| s.id != gone));
        let shown = self.selected.get_untracked() == Some(gone);
        if shown {
            self.selected.set(None);
        }
        shown
    }

    /// An identity of `contact` became `new_contact`: both as they are now, and the newest
    /// page asked for again (both lines changed).
    pub fn unlinked(self, contact: ContactView, new_contact: ContactView) {
        self.updated(contact);
        self.updated(new_contact);
        self.ask_newest();
    }

    /// The newest page of the list is asked for again (it holds what changed at the top).
    pub fn ask_newest(self) {
        self.missed.update(|n| *n = n.wrapping_add(1));
    }

    /// The agent's work has reloaded after a rewrite: views of conversations build again.
    pub fn rewritten(self) {
        self.rewrites.update(|n| *n = n.wrapping_add(1));
    }

    /// A message arrived in a contact's conversation: move them up, count it unread. A contact
    /// the list has not loaded is fetched with the newest page ([`ContactsState::missed`]).
    pub fn activity(self, contact: ContactId, text: &str, at: Millis, from_contact: bool) {
        let open = self.selected.get_untracked() == Some(contact);
        if !self.noticed(contact) {
            return;
        }
        self.list.update(|l| {
            if let Some(pos) = l.iter().position(|s| s.id == contact) {
                let mut s = l.remove(pos);
                s.last_activity_at = at;
                s.last_message = Some(text.chars().take(120).collect());
                if from_contact && !open {
                    s.unread += 1;
                }
                l.insert(0, s);
            }
        });
    }

    /// Something happened with a contact (an offer, an interaction changed): one the list has
    /// not loaded is fetched with the newest page. Whether the list has them.
    pub fn noticed(self, contact: ContactId) -> bool {
        let known = self
            .list
            .with_untracked(|l| l.iter().any(|s| s.id == contact));
        if !known && !self.asked.with_value(|a| a.contains(&contact)) {
            self.asked.update_value(|a| a.push(contact));
            self.ask_newest();
        }
        known
    }

    /// The newest page arrived again: its contacts go first (as the server has them now), the
    /// older ones loaded so far stay below in their order.
    pub fn merge_newest(self, page: Vec<ContactSummary>) {
        self.list.update(|l| {
            l.retain(|s| !page.iter().any(|p| p.id == s.id));
            let older = std::mem::replace(l, page);
            l.extend(older);
        });
    }

    /// The agent opened a contact's conversation.
    pub fn mark_read(self, contact: ContactId) {
        let marked = self
            .list
            .with_untracked(|l| l.iter().any(|s| s.id == contact && s.unread > 0));
        if !marked {
            return;
        }
        self.list.update(|l| {
            if let Some(s) = l.iter_mut().find(|s| s.id == contact) {
                s.unread = 0;
            }
        });
    }
}
