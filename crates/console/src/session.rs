//! Who is logged in. The token lives in `sessionStorage` under the desktop's key: a supervisor
//! who opens the console from the desktop in the same tab is already logged in, and a closed
//! tab forgets it.

use crate::api::Api;
use client::storage::{load, remove, save, Store};
use leptos::prelude::*;
use leptos::task::spawn_local;
use wire::AgentView;

const TOKEN_KEY: &str = "threadline.token";

/// A logged-in account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// Calls the API with the token.
    pub api: Api,
    /// The account (its role decides what the console shows).
    pub me: AgentView,
}

/// Where the console is.
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
    /// Why the login screen is shown again (an ended session), if it is.
    pub notice: RwSignal<Option<String>>,
}

impl SessionState {
    /// Starts the session: a kept token is checked with `GET /api/me`.
    pub fn restore() -> Self {
        let state = SessionState {
            phase: RwSignal::new(Phase::LoggedOut),
            notice: RwSignal::new(None),
        };
        if let Some(token) = load(Store::Session, TOKEN_KEY) {
            state.phase.set(Phase::Checking);
            let api = Api::new(token);
            spawn_local(async move {
                match api.me().await {
                    Ok(me) => state.phase.set(Phase::LoggedIn(Session { api, me })),
                    Err(e) if e.is_unauthorized() => state.ended(),
                    Err(e) => {
                        state.notice.set(Some(e.to_string()));
                        state.phase.set(Phase::LoggedOut);
                    }
                }
            });
        }
        state
    }

    /// A login succeeded.
    pub fn logged_in(self, token: String, me: AgentView) {
        save(Store::Session, TOKEN_KEY, &token);
        self.notice.set(None);
        self.phase.set(Phase::LoggedIn(Session {
            api: Api::new(token),
            me,
        }));
    }

    /// Logged out here.
    pub fn logged_out(self) {
        remove(Store::Session, TOKEN_KEY);
        self.phase.set(Phase::LoggedOut);
    }

    /// The server no longer knows the session (logged out elsewhere, expired, deactivated).
    pub fn ended(self) {
        remove(Store::Session, TOKEN_KEY);
        self.notice
            .set(Some("Your session has ended. Log in again.".to_owned()));
        self.phase.set(Phase::LoggedOut);
    }
}
