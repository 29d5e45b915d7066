//! `Totals` and the `Queue`: the chats waiting for an agent, the longest waiting first, with
//! how long each has waited and whom it is offered or kept for.

use super::reassign::ReassignButton;
use super::state::BoardState;
use crate::monitor::MonitorButton;
use crate::time::duration;
use crate::window::WindowedTable;
use leptos::prelude::*;
use wire::board::WaitingChat;
use wire::{Channel, InteractionState};

/// The counts at the top of the board.
#[component]
pub fn Totals() -> impl IntoView {
    let board = expect_context::<BoardState>();
    let total = move |f: fn(&wire::board::BoardTotals) -> u32| {
        move || board.board.with(|b| b.as_ref().map_or(0, |b| f(&b.totals)))
    };
    view! {
        <section class="totals" aria-labelledby="totals-title">
            <h2 id="totals-title">"Totals"</h2>
            <dl>
                <div><dt>"Waiting"</dt><dd>{total(|t| t.waiting)}</dd></div>
                <div><dt>"Active"</dt><dd>{total(|t| t.active)}</dd></div>
                <div><dt>"Ended, not Done"</dt><dd>{total(|t| t.ended_not_done)}</dd></div>
                <div><dt>"Contact responded"</dt><dd>{total(|t| t.contact_responded)}</dd></div>
            </dl>
        </section>
    }
}

/// Waiting chats per channel, in the UI's channel order: "Web Chat 3 · Messenger 1".
pub fn per_channel(queue: &[WaitingChat]) -> String {
    let parts: Vec<String> = Channel::ALL
        .iter()
        .filter_map(|c| {
            let n = queue.iter().filter(|w| w.channel == *c).count();
            (n > 0).then(|| format!("{} {n}", c.label()))
        })
        .collect();
    if parts.is_empty() {
        "Nobody is waiting.".to_owned()
    } else {
        parts.join(" · ")
    }
}

/// The queue table.
#[component]
pub fn Queue() -> impl IntoView {
    let board = expect_context::<BoardState>();
    let rows = Signal::derive(move || {
        board
            .board
            .with(|b| b.as_ref().map(|b| b.queue.clone()).unwrap_or_default())
    });
    let cells = move |w: WaitingChat| {
        let waited = move || duration(board.server_now() - w.waiting_since);
        let state = match (&w.offered_to, &w.reserved_for, w.state) {
            (Some(a), _, InteractionState::Offered) => format!("Offered to {a}"),
            (_, Some(a), _) => format!("Kept for {a}"),
            (_, _, s) => s.label().to_owned(),
        };
        view! {
            <span role="cell">{w.contact_name.clone()}</span>
            <span role="cell">{w.channel.label()}</span>
            <span role="cell">{waited}</span>
            <span role="cell">{state}</span>
            <span role="cell">
                <MonitorButton id=w.id contact=w.contact_name.clone()/>
                <ReassignButton id=w.id contact=w.contact_name.clone()/>
            </span>
        }
    };
    view! {
        <section class="queue" aria-labelledby="queue-title">
            <h2 id="queue-title">"Queue"</h2>
            <p class="by-channel">{move || rows.with(|q| per_channel(q))}</p>
            <WindowedTable label="Queue"
                headers=&["Contact", "Channel", "Waiting", "State", "Actions"]
                rows=rows cells=cells/>
        </section>
    }
}
