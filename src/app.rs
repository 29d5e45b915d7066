//! The root: the login screen, or the shell once someone is logged in.

use crate::login::Login;
use crate::session::{Phase, SessionState};
use crate::shell::Shell;
use leptos::prelude::*;

/// The whole desktop.
#[component]
pub fn App() -> impl IntoView {
    let session = SessionState::restore();
    provide_context(session);
    crate::embed::start(session);
    // The URL stays what it was while logged out: after login the shell shows that place.
    move || match session.phase.get() {
        Phase::Checking => view! { <p class="boot" role="status">"Loading…"</p> }.into_any(),
        Phase::LoggedOut => view! { <Login/> }.into_any(),
        Phase::LoggedIn(s) => view! { <Shell session=s/> }.into_any(),
    }
}
