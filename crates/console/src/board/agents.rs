//! The `Agents` table: each active account with status, time in it, load "N of M" and the
//! chats they hold, and what a supervisor can do with one who is logged in: `Set Not Ready`
//! (with a reason) and `Log out`.

use super::reassign::ReassignButton;
use super::state::BoardState;
use crate::api::Api;
use crate::monitor::MonitorButton;
use crate::time::duration;
use crate::window::WindowedTable;
use leptos::prelude::*;
use leptos::task::spawn_local;
use wire::board::BoardAgent;
use wire::{ChatStatus, ReasonCode};

/// The agents table.
#[component]
pub fn Agents(
    /// Calls the supervisor's actions.
    api: Api,
) -> impl IntoView {
    let board = expect_context::<BoardState>();
    let rows = Signal::derive(move || {
        board
            .board
            .with(|b| b.as_ref().map(|b| b.agents.clone()).unwrap_or_default())
    });
    let cells = move |a: BoardAgent| agent_cells(board, api.clone(), a);
    view! {
        <section class="agents" aria-labelledby="agents-title">
            <h2 id="agents-title">"Agents"</h2>
            <WindowedTable label="Agents"
                headers=&["Agent", "Status", "Time in status", "Load", "Chats", "Actions"]
                rows=rows cells=cells row_height=56.0/>
        </section>
    }
}

fn agent_cells(board: BoardState, api: Api, a: BoardAgent) -> impl IntoView {
    let status = match &a.status {
        ChatStatus::Ready => "Ready".to_owned(),
        ChatStatus::NotReady { reason } => format!("Not Ready: {}", board.reason_label(&reason.0)),
    };
    let status = if !a.signed_in {
        "Logged out".to_owned()
    } else if a.connected {
        status
    } else {
        format!("{status} (offline)")
    };
    let since = a.status_since;
    let in_status =
        move || since.map_or_else(|| "—".to_owned(), |t| duration(board.server_now() - t));
    let load = format!("{} of {}", a.chats.len(), a.capacity);
    let chats = if a.chats.is_empty() {
        view! { "—" }.into_any()
    } else {
        a.chats
            .iter()
            .map(|c| {
                view! {
                    <span class="chat">
                        {format!("{} ({})", c.contact_name, c.state.label())}
                        <MonitorButton id=c.id contact=c.contact_name.clone()/>
                        <ReassignButton id=c.id contact=c.contact_name.clone()/>
                    </span>
                }
            })
            .collect_view()
            .into_any()
    };
    let role = if a.role == wire::Role::Agent {
        String::new()
    } else {
        format!(" · {}", a.role.label())
    };
    view! {
        <span role="cell"><strong>{a.display_name.clone()}</strong><small>{role}</small></span>
        <span role="cell">{status}</span>
        <span role="cell">{in_status}</span>
        <span role="cell">{load}</span>
        <span role="cell" class="chats">{chats}</span>
        <span role="cell" class="actions">
            {if a.signed_in {
                view! { <Actions board=board api=api agent=a/> }.into_any()
            } else {
                view! { "—" }.into_any()
            }}
        </span>
    }
}

/// `Set Not Ready` with a reason, and `Log out`, for one agent.
#[component]
fn Actions(board: BoardState, api: Api, agent: BoardAgent) -> impl IntoView {
    let reason = RwSignal::new(String::new());
    let name = agent.display_name.clone();
    let id = agent.id;
    let set_api = api.clone();
    let set = move |_| {
        let code = reason.get_untracked();
        let code = if code.is_empty() {
            board
                .reasons
                .with_untracked(|r| {
                    r.iter()
                        .find(|x| !x.code.is_logged_out())
                        .map(|x| x.code.0.clone())
                })
                .unwrap_or_default()
        } else {
            code
        };
        let api = set_api.clone();
        spawn_local(async move {
            match api.set_not_ready(id, &ReasonCode(code)).await {
                Ok(_) => board.refresh(&api),
                Err(e) => board.error.set(Some(e.to_string())),
            }
        });
    };
    let log_out = move |_| {
        let api = api.clone();
        spawn_local(async move {
            match api.log_out_agent(id).await {
                Ok(()) => board.refresh(&api),
                Err(e) => board.error.set(Some(e.to_string())),
            }
        });
    };
    view! {
        <select aria-label=format!("Not Ready reason for {name}")
            on:change=move |ev| reason.set(event_target_value(&ev))>
            {move || board.reasons.get().into_iter().filter(|r| !r.code.is_logged_out()).map(|r| view! {
                <option value=r.code.0.clone()>{r.label.clone()}</option>
            }).collect_view()}
        </select>
        <button type="button" aria-label=format!("Set Not Ready: {name}") on:click=set>
            "Set Not Ready"
        </button>
        <button type="button" aria-label=format!("Log out {name}") on:click=log_out>
            "Log out"
        </button>
    }
}
