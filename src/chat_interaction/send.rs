//! Sending: optimistic, with a client id so a retry never stores a message twice.

use super::state::{InteractionsState, Pending};
use crate::browser;
use crate::shell::state::Api;
use leptos::prelude::*;
use leptos::task::spawn_local;
use wire::api::{AgentSendRequest, SendSource};
use wire::{AttachmentView, ContactId, InteractionId, InteractionView, MessageId};

/// Everything a send needs, small enough to copy into every button.
#[derive(Debug, Clone, Copy)]
pub struct Sender {
    /// Where the conversation lives.
    pub interactions: InteractionsState,
    /// The client.
    pub api: Api,
    /// Whose conversation.
    pub contact: ContactId,
    /// Where the message is written.
    pub source: SendSource,
    /// Told the interaction the message went into (it may be a new one).
    pub on_sent: Option<Callback<InteractionView>>,
}

/// Shows the message at once as pending, and sends it.
pub fn send(
    sender: Sender,
    interaction: Option<InteractionId>,
    text: String,
    attachment: Option<AttachmentView>,
) {
    let pending = Pending {
        client_id: browser::new_client_id(),
        interaction_id: interaction,
        text,
        attachment,
        written_at: browser::now(),
        failed: None,
        retryable: false,
        reply_to: None,
    };
    deliver(sender, pending);
}

/// Shows a public reply to the contact's item `reply_to` at once as pending, and sends it
/// (it goes out on that item's channel, see `AgentSendRequest::reply_to`).
pub fn send_reply(sender: Sender, reply_to: MessageId, text: String) {
    let pending = Pending {
        client_id: browser::new_client_id(),
        interaction_id: None,
        text,
        attachment: None,
        written_at: browser::now(),
        failed: None,
        retryable: false,
        reply_to: Some(reply_to),
    };
    deliver(sender, pending);
}

/// Sends (or sends again) a pending message.
pub fn deliver(sender: Sender, mut pending: Pending) {
    pending.failed = None;
    sender
        .interactions
        .add_pending(sender.contact, pending.clone());
    let client = sender.api.client();
    let request = AgentSendRequest {
        client_id: pending.client_id.clone(),
        text: pending.text.clone(),
        attachment_id: pending.attachment.as_ref().map(|a| a.id),
        source: sender.source,
        reply_to: pending.reply_to,
    };
    spawn_local(async move {
        match client.send(sender.contact, &request).await {
            Ok(answer) => {
                sender.interactions.answered(answer.message);
                sender
                    .interactions
                    .interaction_changed(answer.interaction.clone());
                // The view that sent may be gone by now (Mark Done, another place): then
                // there is nobody to tell.
                if let Some(cb) = sender.on_sent {
                    let _ = cb.try_run(answer.interaction);
                }
            }
            Err(e) => sender.interactions.pending_failed(
                sender.contact,
                &request.client_id,
                e.to_string(),
                e.is_retryable(),
            ),
        }
    });
}

/// `Retry` on a message the platform refused: it goes back in the outbox, and the row shows
/// its state as the server reports it. Why the retry itself was refused goes to `problem`.
pub fn retry_outbound(sender: Sender, id: MessageId, problem: RwSignal<Option<String>>) {
    problem.set(None);
    let client = sender.api.client();
    spawn_local(async move {
        match client.retry_message(id).await {
            Ok(message) => sender.interactions.answered(message),
            Err(e) => {
                problem.try_set(Some(e.to_string()));
            }
        }
    });
}
