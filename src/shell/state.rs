//! The shell's own state: where the agent is, the API client, the clock, and notices.

use crate::api::{ApiClient, ApiError, LoggedIn};
use crate::session::SessionState;
use leptos::prelude::*;
use std::time::Duration;
use wire::{InteractionId, Millis};

/// The logged-in API client, as a context for every part of the shell.
#[derive(Debug, Clone, Copy)]
pub struct Api(StoredValue<ApiClient<LoggedIn>>);

impl Api {
    /// Keeps the client.
    pub fn new(client: ApiClient<LoggedIn>) -> Self {
        Api(StoredValue::new(client))
    }

    /// The client, for one request.
    pub fn client(self) -> ApiClient<LoggedIn> {
        self.0.get_value()
    }
}

/// What the main area shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// Nothing chosen yet.
    Home,
    /// A Chat Interaction view.
    Interaction(InteractionId),
    /// The Connect group's Communication tab.
    Communication,
}

/// Navigation, as a context.
#[derive(Debug, Clone, Copy)]
pub struct Nav(pub RwSignal<Place>);

impl Nav {
    /// Shows a place.
    pub fn go(self, place: Place) {
        self.0.set(place);
    }
}

/// The time now, ticking once a second (countdowns, handle time).
#[derive(Debug, Clone, Copy)]
pub struct Clock(pub ReadSignal<Millis>);

impl Clock {
    /// Starts ticking.
    pub fn start() -> Self {
        let (now, set_now) = signal(crate::browser::now());
        if let Ok(handle) = set_interval_with_handle(
            move || set_now.set(crate::browser::now()),
            Duration::from_secs(1),
        ) {
            on_cleanup(move || handle.clear());
        }
        Clock(now)
    }
}

/// One thing the agent should read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// For the list.
    pub id: u64,
    /// The words.
    pub text: String,
}

/// Errors and messages that belong to no one screen, as a context.
#[derive(Debug, Clone, Copy)]
pub struct Notices {
    list: RwSignal<Vec<Notice>>,
    next: StoredValue<u64>,
    session: SessionState,
}

impl Notices {
    /// An empty list.
    pub fn new(session: SessionState) -> Self {
        Notices {
            list: RwSignal::new(Vec::new()),
            next: StoredValue::new(0),
            session,
        }
    }

    /// The notices.
    pub fn list(self) -> Signal<Vec<Notice>> {
        self.list.into()
    }

    /// Shows a message.
    pub fn push(self, text: impl Into<String>) {
        let id = self.next.get_value();
        self.next.set_value(id + 1);
        let text = text.into();
        self.list.update(|l| {
            l.retain(|n| n.text != text);
            l.push(Notice { id, text });
        });
    }

    /// Shows an error, with what was being done; an expired session goes back to login.
    pub fn error(self, doing: &str, error: &ApiError) {
        if error.is_unauthorized() {
            self.session.expired();
        } else {
            self.push(format!("{doing}: {}", error.message()));
        }
    }

    /// Removes one.
    pub fn dismiss(self, id: u64) {
        self.list.update(|l| l.retain(|n| n.id != id));
    }
}
