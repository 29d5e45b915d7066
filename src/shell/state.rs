//! The shell's own state: where the agent is (following the URL), the API client, the clock,
//! and notices.

use crate::api::{ApiClient, ClientError, LoggedIn};
use crate::chat_interaction::handle_time::Viewing;
use crate::chat_interaction::state::InteractionsState;
use crate::contacts::state::ContactsState;
use crate::notifications::state::NotificationsState;
use crate::presence::state::PresenceState;
use crate::session::SessionState;
use leptos::prelude::*;
use leptos_router::location::{BrowserUrl, LocationProvider, Url};
use std::time::Duration;
use wasm_bindgen::JsValue;
use wire::Millis;

pub use super::place::{Panel, Place};

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

/// Every part's state, as one context: the shell provides it once, and each view takes what it
/// needs from it (one lookup code path instead of one per state type).
#[derive(Debug, Clone, Copy)]
pub struct Desk {
    /// The API client.
    pub api: Api,
    /// The ticking clock.
    pub clock: Clock,
    /// Errors for the agent.
    pub notices: Notices,
    /// Where the agent is.
    pub nav: Nav,
    /// Chat channel status, load and configuration.
    pub presence: PresenceState,
    /// Offers and contact-responded notifications.
    pub notifications: NotificationsState,
    /// Open interactions and conversations.
    pub interactions: InteractionsState,
    /// The Contacts list.
    pub contacts: ContactsState,
    /// Handle time of the view shown.
    pub viewing: Viewing,
    /// The session.
    pub session: SessionState,
}

/// The shell's [`Desk`].
pub fn desk() -> Desk {
    expect_context::<Desk>()
}

/// Where the agent is, as a context: the place follows the URL ([`super::place`]), and going
/// somewhere navigates (`pushState`, or `replaceState`). The URL is read and parsed by
/// `leptos_router`'s browser location (its `Url` and query map), without the `<Router>`
/// component: the desktop has no links to intercept and no route tree to match, and leaving
/// those out keeps the bundle in its budget.
#[derive(Debug, Clone, Copy)]
pub struct Nav {
    /// The place of the current URL.
    place: Memo<Place>,
    /// The current URL, as `leptos_router` reads it.
    url: RwSignal<Url>,
}

impl Nav {
    /// Follows the browser's URL: the one the page was opened at, then each navigation and
    /// each Back or Forward (`popstate`), until the shell goes.
    pub fn start() -> Self {
        let url = RwSignal::new(BrowserUrl::current().unwrap_or_default());
        let place = Memo::new(move |_| {
            url.with(|u| Place::parse(u.path(), u.search_params().get_str("view")))
        });
        let popstate = window_event_listener(leptos::ev::popstate, move |_| {
            if let Ok(now) = BrowserUrl::current() {
                url.try_set(now);
            }
        });
        on_cleanup(move || popstate.remove());
        Nav { place, url }
    }

    /// The place (tracked).
    pub fn place(self) -> Place {
        self.place.get()
    }

    /// The place, without tracking it.
    pub fn place_untracked(self) -> Place {
        self.place.get_untracked()
    }

    /// Goes to a place (a new history entry). Does nothing once the shell is gone (a task that
    /// finishes after logging out).
    pub fn go(self, place: Place) {
        self.to(place, false);
    }

    /// Goes to a place in place of the current one (Back skips it: it no longer exists).
    pub fn replace(self, place: Place) {
        self.to(place, true);
    }

    fn to(self, place: Place, replace: bool) {
        // Already there, or the shell is gone.
        if self
            .place
            .try_get_untracked()
            .is_none_or(|now| now == place)
        {
            return;
        }
        let value = place.url();
        let Ok(parsed) = BrowserUrl::parse(&value) else {
            return;
        };
        if let Ok(history) = window().history() {
            let done = if replace {
                history.replace_state_with_url(&JsValue::NULL, "", Some(&value))
            } else {
                history.push_state_with_url(&JsValue::NULL, "", Some(&value))
            };
            if done.is_err() {
                return;
            }
        }
        self.url.try_set(parsed);
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
    pub fn error(self, doing: &str, error: &ClientError) {
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

/// A line that shows `text` while `when` is true (`role="status"`), or an error while one is
/// set (`role="alert"`): one component instead of a closure per screen.
#[component]
pub fn Line(
    /// The message, when there is one.
    #[prop(into)]
    text: Signal<Option<String>>,
    /// `error` (an alert) or anything else (a status).
    #[prop(default = "")]
    class: &'static str,
) -> impl IntoView {
    let alert = class == "error";
    move || {
        text.get().map(|t| {
            view! { <p class=class role=if alert { "alert" } else { "status" }>{t}</p> }
        })
    }
}
