//! `Transfer` in the Chat Interaction view: the button, and the dialog that lists colleagues
//! with their status and load ("Ben Brooks — Ready — 1 of 3"), the `Queue`, a `Note to the
//! next agent`, and `Transfer` / `Cancel`. A colleague who cannot take the chat now (Not Ready,
//! full, not connected) is listed but cannot be chosen; the server refuses the same cases. On
//! success the chat leaves this agent's work and the view goes to the next one.

use super::state::TransferForm;
use crate::browser;
use crate::shell::state::{desk, Line};
use leptos::prelude::*;
use leptos::task::spawn_local;
use wire::api::{Colleague, TransferTarget};
use wire::{ChatStatus, InteractionId, TransferOutcome};

/// What the agent who transferred a chat is told when the colleague answered.
pub fn outcome_text(outcome: TransferOutcome, to_name: &str) -> String {
    match outcome {
        TransferOutcome::Accepted => format!("{to_name} accepted the chat you transferred."),
        TransferOutcome::Rejected => {
            format!("{to_name} rejected the transfer; the chat is back with you (or in the queue).")
        }
        TransferOutcome::TimedOut => format!(
            "{to_name} did not answer the transfer in time; the chat is back with you (or in the queue)."
        ),
    }
}

/// A colleague as the dialog lists them: name, status, load, and why they cannot take it.
pub fn colleague_label(c: &Colleague) -> String {
    let status = match c.status {
        ChatStatus::Ready => "Ready",
        ChatStatus::NotReady { .. } => "Not Ready",
    };
    let mut label = format!(
        "{} — {status} — {} of {}",
        c.display_name, c.open_interactions, c.capacity
    );
    if !c.connected {
        label.push_str(" — not connected");
    }
    label
}

/// Whether a transfer can be offered to the colleague now.
fn can_take(c: &Colleague) -> bool {
    c.connected && c.status.is_ready() && c.open_interactions < c.capacity
}

fn button_id(id: InteractionId) -> String {
    format!("transfer-{id}")
}

/// The `Transfer` button; while the dialog is open it takes the button's place (so the
/// dialog's own `Transfer` is the only one).
#[component]
pub fn TransferButton(id: InteractionId) -> impl IntoView {
    let open = RwSignal::new(false);
    view! {
        <Show when=move || open.get() fallback=move || view! {
            <button type="button" id=button_id(id) aria-haspopup="dialog"
                on:click=move |_| open.set(true)>"Transfer"</button>
        }>
            <TransferDialog id=id open=open/>
        </Show>
    }
}

#[component]
fn TransferDialog(id: InteractionId, open: RwSignal<bool>) -> impl IntoView {
    let api = desk().api;
    let form = TransferForm::new();
    let colleagues = RwSignal::new(None::<Vec<Colleague>>);
    let client = api.client();
    spawn_local(async move {
        match client.colleagues().await {
            Ok(list) => {
                colleagues.try_set(Some(list));
            }
            Err(e) => {
                form.error
                    .try_set(Some(format!("Loading colleagues: {}", e.message())));
                colleagues.try_set(Some(Vec::new()));
            }
        }
    });
    let close = move || {
        open.set(false);
        browser::focus_later(button_id(id));
    };
    let title_id = format!("transfer-title-{id}");
    let labelled_by = title_id.clone();
    view! {
        <div class="transfer-dialog" role="dialog" aria-labelledby=labelled_by
            on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                if ev.key() == "Escape" {
                    ev.prevent_default();
                    close();
                }
            }>
            <h3 id=title_id>"Transfer"</h3>
            <Targets id=id form=form colleagues=colleagues/>
            <label for=format!("transfer-note-{id}")>"Note to the next agent"</label>
            <textarea id=format!("transfer-note-{id}") rows="3"
                maxlength=wire::api::MAX_TRANSFER_NOTE_CHARS.to_string()
                prop:value=move || form.note.get()
                on:input=move |ev| form.note.set(event_target_value(&ev))></textarea>
            <Line text=form.error class="error"/>
            <div class="actions">
                <SendTransfer id=id form=form/>
                <button type="button" on:click=move |_| close()>"Cancel"</button>
            </div>
        </div>
    }
}

/// The choices: each colleague, then the queue.
#[component]
fn Targets(
    id: InteractionId,
    form: TransferForm,
    colleagues: RwSignal<Option<Vec<Colleague>>>,
) -> impl IntoView {
    let name = format!("transfer-to-{id}");
    let first_id = format!("transfer-choice-{id}-0");
    Effect::new({
        let first_id = first_id.clone();
        move |_| {
            if colleagues.with(Option::is_some) {
                browser::focus_later(first_id.clone());
            }
        }
    });
    let choice = move |to: TransferTarget, label: String, enabled: bool, n: usize| {
        let name = name.clone();
        view! {
            <label class="transfer-choice" class:unavailable=!enabled>
                <input type="radio" name=name id=format!("transfer-choice-{id}-{n}") disabled=!enabled
                    prop:checked=move || form.to.get() == Some(to)
                    on:change=move |_| form.to.set(Some(to))/>
                {label}
            </label>
        }
    };
    view! {
        <fieldset class="transfer-targets">
            <legend>"Transfer to"</legend>
            {move || match colleagues.get() {
                None => view! { <p role="status">"Loading colleagues…"</p> }.into_any(),
                Some(list) => {
                    let queue_n = list.len();
                    let mut items: Vec<AnyView> = list
                        .iter()
                        .enumerate()
                        .map(|(n, c)| {
                            choice(TransferTarget::Agent(c.id), colleague_label(c), can_take(c), n)
                                .into_any()
                        })
                        .collect();
                    items.push(choice(TransferTarget::Queue, "Queue".to_owned(), true, queue_n).into_any());
                    items.into_any()
                }
            }}
        </fieldset>
    }
}

/// The dialog's `Transfer` button: sends it, then leaves the chat.
#[component]
fn SendTransfer(id: InteractionId, form: TransferForm) -> impl IntoView {
    let api = desk().api;
    let interactions = desk().interactions;
    let notices = desk().notices;
    let nav = desk().nav;
    let send = move |_| {
        let body = match form.request() {
            Ok(body) => body,
            Err(why) => {
                form.error.set(Some(why));
                return;
            }
        };
        form.busy.set(true);
        form.error.set(None);
        let client = api.client();
        spawn_local(async move {
            match client.transfer(id, &body).await {
                Ok(view) => {
                    let to = view
                        .agent_name
                        .clone()
                        .unwrap_or_else(|| "the queue".to_owned());
                    notices.push(format!(
                        "The chat with {} was transferred to {to}.",
                        view.contact_name
                    ));
                    interactions.interaction_changed(view);
                    super::leave_for_next(interactions, nav);
                }
                Err(e) => {
                    form.error.try_set(Some(e.message()));
                    form.busy.try_set(false);
                }
            }
        });
    };
    view! {
        <button type="button" class="primary" on:click=send disabled=move || form.busy.get()>
            "Transfer"
        </button>
    }
}
