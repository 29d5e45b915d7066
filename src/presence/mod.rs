//! The `Chat channel status` control and the agent's load (`N of M chats`).

pub mod state;

use crate::api::ClientError;
use crate::shell::state::{desk, Api};
use leptos::prelude::*;
use leptos::task::spawn_local;
use state::PresenceState;
use wire::{ChatStatus, ReasonCode};

const READY: &str = "ready";
const NOT_READY_PREFIX: &str = "not_ready:";

fn value_of(status: &ChatStatus) -> String {
    match status {
        ChatStatus::Ready => READY.to_owned(),
        ChatStatus::NotReady { reason } => format!("{NOT_READY_PREFIX}{}", reason.0),
    }
}

fn status_of(value: &str) -> Option<ChatStatus> {
    if value == READY {
        Some(ChatStatus::Ready)
    } else {
        value
            .strip_prefix(NOT_READY_PREFIX)
            .map(|code| ChatStatus::NotReady {
                reason: ReasonCode(code.to_owned()),
            })
    }
}

/// Asks the server for `status` and shows what it answers; on an error the control goes back
/// to the status the agent had. The control and a framing portal's `set_status` both use it.
pub async fn change_status(
    presence: PresenceState,
    api: Api,
    status: ChatStatus,
) -> Result<(), ClientError> {
    presence.saving.set(true);
    let result = api.client().set_status(status).await;
    match &result {
        Ok(agent) => presence.agent_changed(agent.clone()),
        // Put the control back to what the server says.
        Err(_) => presence.agent.update(|_| {}),
    }
    presence.saving.try_set(false);
    result.map(|_| ())
}

/// `Ready`, or `Not Ready` with a reason.
#[component]
pub fn StatusControl() -> impl IntoView {
    let presence = desk().presence;
    let api = desk().api;
    let notices = desk().notices;
    let current = move || presence.agent.with(|a| value_of(&a.status));
    let change = move |ev: leptos::ev::Event| {
        let Some(status) = status_of(&event_target_value(&ev)) else {
            return;
        };
        spawn_local(async move {
            if let Err(e) = change_status(presence, api, status).await {
                notices.error("Changing the Chat channel status", &e);
            }
        });
    };
    let reasons = move || {
        let status = presence.agent.with(|a| a.status.clone());
        // "Logged out" is a status logging out gives, shown while it is theirs, never chosen.
        let mut list: Vec<_> = presence
            .config
            .with(|c| c.as_ref().map(|c| c.not_ready_reasons.clone()))
            .unwrap_or_default()
            .into_iter()
            .filter(|r| {
                !r.code.is_logged_out()
                    || matches!(&status, ChatStatus::NotReady { reason } if *reason == r.code)
            })
            .collect();
        // The agent's current reason shows even before the configuration has loaded.
        if let ChatStatus::NotReady { reason } = status {
            if !list.iter().any(|r| r.code == reason) {
                list.push(wire::NotReadyReason {
                    label: reason.0.clone(),
                    code: reason,
                });
            }
        }
        list
    };
    view! {
        <div class="status-control" class:ready=move || presence.agent.with(|a| a.status.is_ready())>
            <label for="chat-status">"Chat channel status"</label>
            <select id="chat-status" on:change=change prop:value=current
                aria-busy=move || presence.saving.get().to_string()>
                <option value=READY selected=move || current() == READY>"Ready"</option>
                {move || reasons().into_iter().map(|r| {
                    let value = format!("{NOT_READY_PREFIX}{}", r.code.0);
                    let v2 = value.clone();
                    view! {
                        <option value=value selected=move || current() == v2>
                            {format!("Not Ready: {}", r.label)}
                        </option>
                    }
                }).collect_view()}
            </select>
        </div>
    }
}

/// `N of M chats`.
#[component]
pub fn Capacity() -> impl IntoView {
    let presence = desk().presence;
    view! {
        <span class="capacity" title="Open chats against capacity">
            {move || presence.agent.with(|a| format!("{} of {} chats", a.open_interactions, a.capacity))}
        </span>
    }
}

#[cfg(test)]
mod tests {
    use super::{status_of, value_of};
    use wire::{ChatStatus, ReasonCode};

    #[test]
    fn status_values_round_trip() {
        let nr = ChatStatus::NotReady {
            reason: ReasonCode("break".into()),
        };
        for s in [ChatStatus::Ready, nr] {
            assert_eq!(status_of(&value_of(&s)), Some(s));
        }
        assert_eq!(status_of("nonsense"), None);
    }
}
