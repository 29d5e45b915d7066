//! Administration of what agents choose from: `Standard Responses` (categories, responses with
//! field codes and a live preview, search), `Disposition codes` and `Not Ready reasons`. For
//! administrators only: the console shows the `Administration` link to them alone, these pages
//! turn anyone else away, and the server refuses the changes anyway.
//!
//! # Layout
//! - `mod.rs`: the area: its own navigation and the page of the URL.
//! - `api.rs`: the API operations these pages call.
//! - `responses.rs`: the `Standard Responses` page (tree, search, category and response forms).
//! - `codes.rs`: the `Disposition codes` and `Not Ready reasons` pages (one list page, two kinds).

mod api;
mod codes;
mod responses;

use crate::session::Session;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_location;
use wire::Role;

/// Where the area starts (the console's navigation links here).
pub const HOME: &str = "/console/admin/responses";

/// Which list of codes a page manages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Disposition codes, chosen at `Mark Done`.
    Disposition,
    /// Not Ready reasons.
    NotReadyReason,
}

impl Kind {
    /// The API collection.
    fn path(self) -> &'static str {
        match self {
            Kind::Disposition => "/api/admin/dispositions",
            Kind::NotReadyReason => "/api/admin/not-ready-reasons",
        }
    }

    /// The page's title (and the list's name).
    fn title(self) -> &'static str {
        match self {
            Kind::Disposition => "Disposition codes",
            Kind::NotReadyReason => "Not Ready reasons",
        }
    }
}

/// Whether the account may use these pages (the console's navigation asks too).
pub fn allowed(session: &Session) -> bool {
    session.me.role.allows(Role::Administrator)
}

/// The `Administration` area: its navigation and the page the URL names.
#[component]
pub fn AdminPage(
    /// Who is logged in.
    session: Session,
) -> impl IntoView {
    if !allowed(&session) {
        return view! {
            <p class="error" role="alert">"These pages are for administrators."</p>
        }
        .into_any();
    }
    let location = use_location();
    let page = move || {
        let path = location.pathname.get();
        match path.trim_end_matches('/').rsplit('/').next() {
            Some("dispositions") => Some(Kind::Disposition),
            Some("not-ready-reasons") => Some(Kind::NotReadyReason),
            _ => None,
        }
    };
    view! {
        <nav class="sub-nav" aria-label="Administration">
            <A href=HOME>"Standard Responses"</A>
            <A href="/console/admin/dispositions">"Disposition codes"</A>
            <A href="/console/admin/not-ready-reasons">"Not Ready reasons"</A>
        </nav>
        {move || match page() {
            None => view! { <responses::ResponsesPage session=session.clone()/> }.into_any(),
            Some(kind) => view! { <codes::CodesPage api=session.api.clone() kind=kind/> }.into_any(),
        }}
    }
    .into_any()
}
