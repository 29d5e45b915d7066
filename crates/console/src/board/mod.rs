//! The supervisor's board: totals, the queue and the agents, live. The board stream (a ticket
//! from `/api/supervisor/board/ticket`, every event of the log) only says that something
//! changed; the board is then read again (one read at a time, see [`state::BoardState`]), and
//! every 10 s when nothing else did, since agents go offline with no event.
//!
//! # Layout
//! - `mod.rs`: the page: starts the stream and the clock, lays out the parts.
//! - `state.rs`: the snapshot and its refresh.
//! - `queue.rs`: `Totals` and the `Queue` table.
//! - `agents.rs`: the `Agents` table with `Set Not Ready` and `Log out` per agent.
//! - `reassign.rs`: `Reassign` a chat to an agent or the queue, with a note.
//!
//! `Monitor` on a chat opens the monitor view (`crate::monitor`) above the tables; the board
//! stream's events also go to it.

mod agents;
mod queue;
mod reassign;
pub mod state;

pub use reassign::Reassigning;

use crate::monitor::state::MonitorState;
use crate::monitor::MonitorView;
use crate::session::{Session, SessionState};
use crate::time::now;
use client::{Stream, StreamConfig, Update};
use leptos::prelude::*;
use state::BoardState;
use std::rc::Rc;
use std::time::Duration;

/// How old the board may get when nothing is logged (presence changes with time alone).
const REREAD_MS: wire::Millis = 10_000;

/// The board page.
#[component]
pub fn BoardPage(
    /// Who is looking at it.
    session: Session,
) -> impl IntoView {
    let board = BoardState::new();
    provide_context(board);
    provide_context(reassign::Reassigning(RwSignal::new(None)));
    let monitor = MonitorState::new(session.api.clone());
    provide_context(monitor);
    start_stream(&session, board, monitor);
    let api = session.api.clone();
    let tick_api = api.clone();
    let tick = move || {
        board.now.set(now());
        board.refresh_if_older(&tick_api, REREAD_MS);
    };
    if let Ok(tick) = set_interval_with_handle(tick, Duration::from_secs(1)) {
        on_cleanup(move || tick.clear());
    }
    view! {
        <h1 class="page-title">"Board"</h1>
        {move || board.error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
        <MonitorView/>
        <queue::Totals/>
        <queue::Queue/>
        <agents::Agents api=api.clone()/>
        <reassign::ReassignDialog api=api.clone()/>
    }
}

/// Opens the board stream for the page's lifetime: before it opens (and after each gap) the
/// board and the reasons are read; each event asks for a fresh board.
fn start_stream(session: &Session, board: BoardState, monitor: MonitorState) {
    let sessions = expect_context::<SessionState>();
    let (prepare_api, sink_api) = (session.api.clone(), session.api.clone());
    let stream = Stream::start(StreamConfig {
        ticket_url: "/api/supervisor/board/ticket".to_owned(),
        stream_url: "/api/events".to_owned(),
        token: session.api.token().to_owned(),
        decode: wire::Event::decode,
        prepare: Box::new(move || {
            let api = prepare_api.clone();
            Box::pin(async move {
                if let Ok(config) = api.config().await {
                    board.reasons.set(config.not_ready_reasons);
                }
                monitor.refresh();
                board.load(&api).await
            })
        }),
        sink: Rc::new(move |update: Update<wire::Event>| match update {
            Update::Event(_, event) => {
                monitor.event(&event);
                board.refresh(&sink_api);
            }
            Update::Refused(e) if e.is_unauthorized() => sessions.ended(),
            Update::Refused(e) => board.error.set(Some(e.to_string())),
            Update::Link(_) | Update::Unreadable(_) => {}
        }),
    });
    let keep = StoredValue::new_local(Some(stream));
    on_cleanup(move || {
        let _ = keep.try_update_value(Option::take);
    });
}
