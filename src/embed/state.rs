//! The embedding host's state: which origins may command the desktop, where events go, the
//! shell's [`Desk`] while someone is logged in (commands other than `login` need it), and what
//! it has seen of the agent's work (which server events are news for the portal).

use crate::shell::state::Desk;
use leptos::prelude::*;
use wasm_bindgen::JsValue;
use wire::api::MyWork;
use wire::embed::host::events::Seen;
use wire::embed::host::HostMessage;
use wire::Event;

/// An origin (`scheme://host[:port]`) as the browser reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin(pub String);

/// The host, as a context (provided only inside a frame).
#[derive(Debug, Clone, Copy)]
pub struct Host {
    /// `GET /api/embed/config`: the only origins whose messages are read.
    pub origins: StoredValue<Vec<String>>,
    /// Where events go: the parent's origin when it is on the list (Chromium reports it in
    /// `location.ancestorOrigins`), else the origin of the first command from the list.
    pub parent: StoredValue<Option<Origin>>,
    /// The logged-in shell's state; `None` while logged out.
    pub desk: RwSignal<Option<Desk>>,
    /// The agent's interactions and offers as last seen, so each server event becomes the
    /// portal events it means ([`Seen::event`]); `None` until the agent's work has loaded.
    pub seen: StoredValue<Option<Seen>>,
}

impl Host {
    /// Before the configuration has loaded: nothing is allowed.
    pub fn new() -> Self {
        Host {
            origins: StoredValue::new(Vec::new()),
            parent: StoredValue::new(None),
            desk: RwSignal::new(None),
            seen: StoredValue::new(None),
        }
    }

    /// The agent's work was loaded (start-up, after a gap): what it holds is not news.
    pub fn work_loaded(self, work: &MyWork) {
        let mut seen = Seen::new(work.agent.id);
        seen.reset(work);
        self.seen.set_value(Some(seen));
    }

    /// Posts the portal events a server event means.
    pub fn server_event(self, event: &Event) {
        let messages = self
            .seen
            .try_update_value(|s| s.as_mut().map(|s| s.event(event)))
            .flatten()
            .unwrap_or_default();
        for m in &messages {
            self.post(m);
        }
    }

    /// Whether messages from `origin` are read.
    pub fn allows(self, origin: &str) -> bool {
        self.origins.with_value(|o| o.iter().any(|a| a == origin))
    }

    /// Posts `message` to the parent, at `origin` exactly (never `"*"`).
    pub fn post_to(self, origin: &Origin, message: &HostMessage) {
        let Some(parent) = window().parent().ok().flatten() else {
            return;
        };
        let Ok(data) = js_sys::JSON::parse(&message.to_message()) else {
            return;
        };
        if let Err(e) = parent.post_message(&data, &origin.0) {
            leptos::logging::warn!("could not post to the portal: {e:?}");
        }
    }

    /// Posts an event to the parent, when its origin is known and allowed.
    pub fn post(self, message: &HostMessage) {
        if let Some(origin) = self.parent.get_value() {
            self.post_to(&origin, message);
        }
    }
}

impl Default for Host {
    fn default() -> Self {
        Self::new()
    }
}

/// A posted message's data as JSON text (`null` for anything that is not plain data).
pub fn data_of(data: &JsValue) -> String {
    js_sys::JSON::stringify(data)
        .ok()
        .and_then(|s| s.as_string())
        .unwrap_or_else(|| "null".to_owned())
}
