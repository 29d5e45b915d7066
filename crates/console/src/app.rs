//! The root: the login screen, a refusal for an account that is only an agent, or the console
//! with its header and sections (each at its own URL under `/console/`).

use crate::accounts::AgentsPage;
use crate::audit::AuditPage;
use crate::board::BoardPage;
use crate::channels::ChannelsPage;
use crate::contacts::ContactDataPage;
use crate::login::Login;
use crate::reports::ReportsPage;
use crate::session::{Phase, Session, SessionState};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::{Redirect, Route, Router, Routes, A};
use leptos_router::path;
use wire::Role;

/// The whole console.
#[component]
pub fn App() -> impl IntoView {
    let session = SessionState::restore();
    provide_context(session);
    move || match session.phase.get() {
        Phase::Checking => view! { <p class="boot" role="status">"Loading…"</p> }.into_any(),
        Phase::LoggedOut => view! { <Login/> }.into_any(),
        Phase::LoggedIn(s) if !s.me.role.allows(Role::Supervisor) => {
            view! { <NotForAgents/> }.into_any()
        }
        Phase::LoggedIn(s) => view! { <Console session=s/> }.into_any(),
    }
}

/// What an agent sees here.
#[component]
fn NotForAgents() -> impl IntoView {
    view! {
        <main class="login">
            <div class="login-form">
                <h1>"Threadline console"</h1>
                <p role="alert">"This console is for supervisors and administrators."</p>
                <a href="/">"Go to the agent desktop"</a>
            </div>
        </main>
    }
}

/// The header, the navigation and the section of the URL.
#[component]
fn Console(
    /// Who is logged in.
    session: Session,
) -> impl IntoView {
    let sessions = expect_context::<SessionState>();
    let api = session.api.clone();
    let log_out = move |_| {
        let api = api.clone();
        spawn_local(async move {
            // Whatever the server says, this tab forgets the session.
            let _ = api.logout().await;
            sessions.logged_out();
        });
    };
    let who = format!("{} · {}", session.me.display_name, session.me.role.label());
    let board_session = session.clone();
    let reports_session = session.clone();
    let admin_session = session.clone();
    let is_admin = crate::catalog::allowed(&session);
    let (agents_session, audit_session) = (session.clone(), session.clone());
    let channels_session = session.clone();
    let contacts_session = session.clone();
    view! {
        <Router>
            <header class="top">
                <span class="brand">"Threadline console"</span>
                <nav aria-label="Console">
                    <A href="/console/board">"Board"</A>
                    <A href="/console/reports">"Reports"</A>
                    {is_admin.then(|| view! {
                        <A href="/console/agents">"Agents"</A>
                        <A href="/console/channels">"Channels"</A>
                        <A href="/console/contacts">"Contact data"</A>
                        <A href=crate::catalog::HOME>"Administration"</A>
                        <A href="/console/audit">"Audit log"</A>
                    })}
                </nav>
                <span class="who">{who}</span>
                <a href="/">"Agent desktop"</a>
                <button type="button" on:click=log_out>"Log out"</button>
            </header>
            <main class="page">
                <Routes fallback=|| view! { <p role="alert">"There is no such page in the console."</p> }>
                    <Route path=path!("/console") view=|| view! { <Redirect path="/console/board"/> }/>
                    <Route path=path!("/console/board")
                        view=move || view! { <BoardPage session=board_session.clone()/> }/>
                    <Route path=path!("/console/reports")
                        view=move || view! { <ReportsPage session=reports_session.clone()/> }/>
                    <Route path=path!("/console/admin/*any")
                        view=move || view! { <crate::catalog::AdminPage session=admin_session.clone()/> }/>
                    <Route path=path!("/console/agents")
                        view=move || view! { <AgentsPage session=agents_session.clone()/> }/>
                    <Route path=path!("/console/audit")
                        view=move || view! { <AuditPage session=audit_session.clone()/> }/>
                    <Route path=path!("/console/channels")
                        view=move || view! { <ChannelsPage session=channels_session.clone()/> }/>
                    <Route path=path!("/console/contacts")
                        view=move || view! { <ContactDataPage session=contacts_session.clone()/> }/>
                </Routes>
            </main>
        </Router>
    }
}
