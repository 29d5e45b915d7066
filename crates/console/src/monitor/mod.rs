//! Monitor: from the board's Agents table and Queue, a supervisor opens any live chat
//! read-only ("Monitoring: <contact>"): the transcript, new messages as the board stream brings
//! them, who else watches, `Reassign` and `Stop monitoring`. There is no message box. Starting
//! tells the agent holding the chat ("… is monitoring this chat"); stopping, closing the
//! console's session or the chat's end stops it.
//!
//! # Layout
//! - `mod.rs`: the `Monitor` button and the view (its `Reassign` opens the board's dialog).
//! - `state.rs`: the watched chat, its messages and the board stream's events for it.

pub mod state;

use crate::board::Reassigning;
use crate::time::duration;
use leptos::prelude::*;
use state::MonitorState;
use wire::{Author, InteractionId, MessageView};

/// The `Monitor` button of one chat.
#[component]
pub fn MonitorButton(
    /// The chat.
    id: InteractionId,
    /// Its contact's name (the button's name says whose chat it is).
    contact: String,
) -> impl IntoView {
    let monitor = expect_context::<MonitorState>();
    let label = format!("Monitor the chat with {contact}");
    view! {
        <button type="button" class="small" aria-label=label
            on:click=move |_| {
                monitor.open(id);
                focus_later("monitor-title");
            }>
            "Monitor"
        </button>
    }
}

/// The read-only view of the watched chat (nothing while none is watched).
#[component]
pub fn MonitorView() -> impl IntoView {
    let monitor = expect_context::<MonitorState>();
    // The board's `Reassign` dialog, opened for the watched chat.
    let reassigning = expect_context::<Reassigning>().0;
    move || {
        monitor.watching.get().map(move |id| {
            let contact = move || {
                monitor
                    .interaction
                    .with(|i| i.as_ref().map(|i| i.contact_name.clone()))
                    .unwrap_or_default()
            };
            let status = move || {
                monitor.interaction.with(|i| {
                    i.as_ref().map(|i| match &i.agent_name {
                        Some(agent) => format!("{} · {agent}", i.state.label()),
                        None => i.state.label().to_owned(),
                    })
                })
            };
            let others = move || {
                let names: Vec<String> = monitor
                    .monitors
                    .with(|m| m.iter().map(|m| m.by_name.clone()).collect());
                (!names.is_empty()).then(|| format!("Monitored by {}", names.join(", ")))
            };
            view! {
                <section class="monitor" aria-labelledby="monitor-title">
                    <h2 id="monitor-title" tabindex="-1">{move || format!("Monitoring: {}", contact())}</h2>
                    <p class="monitor-state">{status}</p>
                    <p class="monitor-by">{others}</p>
                    {move || monitor.error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
                    <div class="transcript" role="log" aria-label="Transcript">
                        {move || monitor.messages.with(|t| {
                            t.iter().filter(|m| m.interaction_id == id).map(line).collect_view()
                        })}
                    </div>
                    <div class="monitor-actions">
                        {move || monitor.interaction.with(|i| i.as_ref().filter(|i| i.is_open()).map(|i| {
                            let chat = (i.id, i.contact_name.clone());
                            view! {
                                <button type="button" aria-label="Reassign this chat"
                                    on:click=move |_| reassigning.set(Some(chat.clone()))>
                                    "Reassign"
                                </button>
                            }
                        }))}
                        <button type="button" on:click=move |_| monitor.close()>
                            "Stop monitoring"
                        </button>
                    </div>
                </section>
            }
        })
    }
}

/// One transcript line: who, what, when.
fn line(m: &MessageView) -> impl IntoView {
    let who = match &m.author {
        Author::Agent { name, .. } => name.clone(),
        Author::Contact => "Contact".to_owned(),
        Author::System => String::new(),
    };
    let at = duration(crate::time::now() - m.created_at);
    let text = match &m.attachment {
        Some(a) if m.text.is_empty() => format!("[image {}]", a.file_name),
        Some(a) => format!("{} [image {}]", m.text, a.file_name),
        None => m.text.clone(),
    };
    view! {
        <p class:system=matches!(m.author, Author::System)>
            <strong>{who}</strong>" "<span>{text}</span>" "<small>{format!("{at} ago")}</small>
        </p>
    }
}

/// Focuses an element by id after the view has drawn it.
fn focus_later(id: &'static str) {
    request_animation_frame(move || {
        if let Some(el) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.get_element_by_id(id))
        {
            use wasm_bindgen::JsCast;
            if let Ok(el) = el.dyn_into::<web_sys::HtmlElement>() {
                let _ = el.focus();
            }
        }
    });
}
