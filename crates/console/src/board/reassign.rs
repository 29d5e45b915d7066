//! `Reassign`: a supervisor hands a live chat (waiting, offered or being worked on) to a named
//! agent or back to the queue, with a note to the next agent. It is the agents' Transfer
//! (`POST /api/interactions/{id}/transfer`) called by a supervisor; the server checks the target
//! can take it and says why not.

use super::state::BoardState;
use crate::api::Api;
use leptos::prelude::*;
use leptos::task::spawn_local;
use wire::api::{TransferRequest, TransferTarget};
use wire::{AgentId, ChatStatus, InteractionId};

/// The chat being reassigned, as a context (none: the dialog is closed).
#[derive(Debug, Clone, Copy)]
pub struct Reassigning(pub RwSignal<Option<(InteractionId, String)>>);

/// The `Reassign` button of one chat.
#[component]
pub fn ReassignButton(
    /// The chat.
    id: InteractionId,
    /// Its contact's name (the button's and the dialog's name say whose chat it is).
    contact: String,
) -> impl IntoView {
    let open = expect_context::<Reassigning>().0;
    let label = format!("Reassign the chat with {contact}");
    view! {
        <button type="button" class="small" aria-label=label
            on:click=move |_| open.set(Some((id, contact.clone())))>
            "Reassign"
        </button>
    }
}

/// Parses the target select's value: `queue` or an agent id.
pub fn target_of(value: &str) -> Option<TransferTarget> {
    if value == "queue" {
        Some(TransferTarget::Queue)
    } else {
        value
            .parse()
            .ok()
            .map(|id| TransferTarget::Agent(AgentId(id)))
    }
}

/// The dialog, shown while a chat is being reassigned.
#[component]
pub fn ReassignDialog(
    /// Calls the transfer.
    api: Api,
) -> impl IntoView {
    let board = expect_context::<BoardState>();
    let open = expect_context::<Reassigning>().0;
    let target = RwSignal::new("queue".to_owned());
    let note = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let close = move || {
        open.set(None);
        note.set(String::new());
        target.set("queue".to_owned());
        error.set(None);
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some((id, _)) = open.get_untracked() else {
            return;
        };
        let Some(to) = target_of(&target.get_untracked()) else {
            return;
        };
        let text = note.get_untracked();
        let request = TransferRequest {
            to,
            note: (!text.trim().is_empty()).then_some(text),
        };
        let api = api.clone();
        spawn_local(async move {
            match api.transfer(id, &request).await {
                Ok(()) => {
                    close();
                    board.refresh(&api);
                }
                Err(e) => error.set(Some(e.to_string())),
            }
        });
    };
    let agents = move || {
        board.board.with(|b| {
            b.as_ref().map_or_else(Vec::new, |b| {
                b.agents
                    .iter()
                    .map(|a| {
                        let status = match &a.status {
                            ChatStatus::Ready => "Ready".to_owned(),
                            ChatStatus::NotReady { reason } => {
                                format!("Not Ready: {}", board.reason_label(&reason.0))
                            }
                        };
                        let label = format!(
                            "{} — {status} — {} of {}",
                            a.display_name,
                            a.chats.len(),
                            a.capacity
                        );
                        (a.id.0.to_string(), label)
                    })
                    .collect()
            })
        })
    };
    move || {
        let submit = submit.clone();
        open.get().map(move |(_, contact)| {
            let title = format!("Reassign the chat with {contact}");
            let label = title.clone();
            view! {
                <div class="dialog-backdrop">
                    <form class="dialog" role="dialog" aria-modal="true" aria-label=label
                        on:submit=submit>
                        <h2>{title}</h2>
                        <label>"Reassign to"
                            <select on:change=move |ev| target.set(event_target_value(&ev))>
                                <option value="queue">"Queue"</option>
                                {agents().into_iter().map(|(value, label)| view! {
                                    <option value=value>{label}</option>
                                }).collect_view()}
                            </select>
                        </label>
                        <label>"Note to the next agent"
                            <textarea maxlength=wire::api::MAX_TRANSFER_NOTE_CHARS
                                prop:value=move || note.get()
                                on:input=move |ev| note.set(event_target_value(&ev))></textarea>
                        </label>
                        {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
                        <div class="dialog-buttons">
                            <button type="submit" class="primary">"Reassign"</button>
                            <button type="button" on:click=move |_| close()>"Cancel"</button>
                        </div>
                    </form>
                </div>
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::target_of;
    use wire::api::TransferTarget;
    use wire::AgentId;

    #[test]
    fn the_select_names_the_queue_or_an_agent() {
        assert_eq!(target_of("queue"), Some(TransferTarget::Queue));
        assert_eq!(target_of("7"), Some(TransferTarget::Agent(AgentId(7))));
        assert_eq!(target_of("seven"), None);
    }
}
