//! Who is logged in. The token lives in `sessionStorage` (no cookies: the desktop may run in a
//! cross-origin iframe), so a reload keeps the agent logged in and a closed tab does not.

use crate::api::{ApiClient, LoggedIn};
use crate::browser::{self, Store};
use leptos::prelude::*;
use leptos::task::spawn_local;
use wire::AgentView;

const TOKEN_KEY: &str = "threadline.token";

/// A logged-in agent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// The client holding the token.
    pub client: ApiClient<LoggedIn>,
    /// The agent, as the server described them at login.
    pub agent: AgentView,
}

/// Where the app is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Phase {
    /// A kept token is being checked.
    Checking,
    /// Nobody is logged in.
    LoggedOut,
    /// Someone is.
    LoggedIn(Session),
}

/// The session, as a context.
#[derive(Debug, Clone, Copy)]
pub struct SessionState {
    /// The phase.
    pub phase: RwSignal<Phase>,
    /// A message for the login screen (why the agent was sent back to it).
    pub notice: RwSignal<Option<String>>,
}

impl SessionState {
    /// Starts the session: with a kept token it is checked against `GET /api/me`.
    pub fn restore() -> Self {
        let state = SessionState {
            phase: RwSignal::new(Phase::LoggedOut),
            notice: RwSignal::new(None),
        };
        if let Some(token) = browser::load(Store::Session, TOKEN_KEY) {
            state.phase.set(Phase::Checking);
            let client = ApiClient::with_token(token);
            spawn_local(async move {
                match client.me().await {
                    Ok(agent) => state.phase.set(Phase::LoggedIn(Session { client, agent })),
                    Err(e) if e.is_unauthorized() => state.expired(),
                    Err(e) => {
                        state.notice.set(Some(e.message()));
                        state.phase.set(Phase::LoggedOut);
                    }
                }
            });
        }
        state
    }

    /// A login succeeded.
    pub fn logged_in(self, client: ApiClient<LoggedIn>, agent: AgentView) {
        if browser::save(Store::Session, TOKEN_KEY, client.token()) {
            self.notice.set(None);
        } else {
            self.notice.set(Some(
                "This browser does not keep the session: a reload will ask you to log in again."
                    .to_owned(),
            ));
        }
        self.phase.set(Phase::LoggedIn(Session { client, agent }));
    }

    /// The agent logged out (or the server no longer knows the token).
    pub fn logged_out(self, notice: Option<String>) {
        browser::remove(Store::Session, TOKEN_KEY);
        self.notice.set(notice);
        self.phase.set(Phase::LoggedOut);
    }

    /// The server refused the token.
    pub fn expired(self) {
        self.logged_out(Some(
            "Your session has ended. Please log in again.".to_owned(),
        ));
    }
}
