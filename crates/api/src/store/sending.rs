//! Sends: an agent's or a visitor's message, idempotent by client id, into the right
//! interaction (taking, reactivating or queueing one). `sends` batches them for group commit.

use super::agents::live_sessions;
use super::channel_settings::async_chat_on;
use super::interaction_steps::{
    activate, held_by_colleague, public_reply_target, take_or_reactivate_from,
    write_a_message_record,
};
use super::interactions::{
    latest_interaction, lock_contact_for_send, open_condition, OPEN_PRIVATE,
};
use super::messages::{contact_name, insert_message_in, NewMessage};
use super::rows::{load_interaction, load_message};
use super::{Audience, Store, Tx};
use super::{AuthorKey, StoreError};
use crate::util::now_ms;
use sqlx::Row;
use wire::api::SendSource;
use wire::{
    AgentId, AttachmentId, Author, Channel, ClientMessageId, ContactId, Event, InteractionId,
    InteractionState, InteractionView, MessageId, MessageView, Reactivation,
};

/// The result of a send.
#[derive(Debug, Clone)]
pub struct StoredMessage {
    /// The message as stored (the earlier one, on a retry).
    pub message: MessageView,
    /// Its interaction.
    pub interaction: InteractionView,
    /// Whether the send queued a new chat (routing should look at it now).
    pub queued: bool,
}

/// A send, as queued for group commit (see `sends`).
#[derive(Debug, Clone)]
pub(super) enum SendJob {
    /// [`Store::send_as_agent`].
    Agent {
        agent: AgentId,
        contact: ContactId,
        client_id: ClientMessageId,
        text: String,
        attachment: Option<AttachmentId>,
        source: SendSource,
        reply_to: Option<MessageId>,
    },
    /// [`Store::send_as_contact`].
    Contact {
        contact: ContactId,
        client_id: ClientMessageId,
        text: String,
        attachment: Option<AttachmentId>,
        opts: VisitorSendOptions,
    },
}

impl SendJob {
    /// The contact whose conversation it writes to.
    pub(super) fn contact(&self) -> ContactId {
        match self {
            SendJob::Agent { contact, .. } | SendJob::Contact { contact, .. } => *contact,
        }
    }

    /// Writes the send in `tx` (which the caller commits, or rolls back on an error).
    pub(super) async fn write(&self, tx: &mut Tx) -> Result<StoredMessage, StoreError> {
        match self {
            SendJob::Agent {
                agent,
                contact,
                client_id,
                text,
                attachment,
                source,
                reply_to,
            } => {
                let how = AgentSend {
                    attachment: *attachment,
                    source: *source,
                    reply_to: *reply_to,
                };
                agent_send(tx, *agent, *contact, client_id, text, how).await
            }
            SendJob::Contact {
                contact,
                client_id,
                text,
                attachment,
                opts,
            } => contact_send(tx, *contact, client_id, text, *attachment, *opts, None).await,
        }
    }
}

/// What a send finds when it starts.
struct Started {
    /// What an earlier attempt with the same client id stored (the send is a retry).
    retry: Option<StoredMessage>,
    /// The contact's open interaction, when asked for.
    open: Option<InteractionView>,
}

/// Locks the conversation, finds a retry's stored message and, when `open` is given (see
/// [`open_condition`]), the open interaction the message would go into; checks the attachment.
async fn start_send(
    tx: &mut Tx,
    contact: ContactId,
    author: AuthorKey,
    client_id: &ClientMessageId,
    attachment: Option<AttachmentId>,
    open: Option<&'static str>,
) -> Result<Started, StoreError> {
    let locked = lock_contact_for_send(tx, contact, &author.stored(), &client_id.0, open).await?;
    if let Some(id) = locked.existing {
        return Ok(Started {
            retry: Some(stored_message(tx, id).await?),
            open: None,
        });
    }
    check_attachment(tx, attachment, author).await?;
    Ok(Started {
        retry: None,
        open: locked.open,
    })
}

/// Options of a contact's send: the channel it came in on, and what comes from configuration.
#[derive(Debug, Clone, Copy)]
pub struct VisitorSendOptions {
    /// The channel the message came in on (Web Chat from the widget, Messenger from its
    /// webhook): a new chat is opened on it, and its asynchronous-chat setting decides whether
    /// the reply is reserved for the agent who last wrote.
    pub channel: Channel,
    /// How long a reply stays reserved for the agent who last wrote, in ms.
    pub reservation_ms: i64,
}

impl Store {
    /// An agent writes into a contact's conversation (see [`SendSource`]), or answers one of
    /// the contact's public items (`how.reply_to`). Answers once the message is committed
    /// (possibly in one transaction with other sends, see `sends`).
    pub async fn send_as_agent(
        &self,
        agent: AgentId,
        contact: ContactId,
        client_id: ClientMessageId,
        text: String,
        how: AgentSend,
    ) -> Result<StoredMessage, StoreError> {
        self.submit_send(SendJob::Agent {
            agent,
            contact,
            client_id,
            text,
            attachment: how.attachment,
            source: how.source,
            reply_to: how.reply_to,
        })
        .await
    }

    /// A visitor writes. With no open chat this starts one: reserved for the agent who last
    /// wrote to them (who gets `contact_responded`) while that agent is logged in and chat on
    /// the channel is asynchronous, otherwise queued for routing. Answers once the message is committed (possibly in one transaction
    /// with other sends, see `sends`).
    pub async fn send_as_contact(
        &self,
        contact: ContactId,
        client_id: ClientMessageId,
        text: String,
        attachment: Option<AttachmentId>,
        opts: VisitorSendOptions,
    ) -> Result<StoredMessage, StoreError> {
        self.submit_send(SendJob::Contact {
            contact,
            client_id,
            text,
            attachment,
            opts,
        })
        .await
    }
}

/// How an agent's message is sent, besides its text.
#[derive(Debug, Clone, Copy, Default)]
pub struct AgentSend {
    /// An uploaded image.
    pub attachment: Option<AttachmentId>,
    /// Where it was written: decides what a send with no open chat does.
    pub source: SendSource,
    /// A public reply: the contact's comment, post or Tweet it answers (see
    /// `AgentSendRequest::reply_to`).
    pub reply_to: Option<MessageId>,
}

/// An agent's send, written in `tx`.
async fn agent_send(
    tx: &mut Tx,
    agent: AgentId,
    contact: ContactId,
    client_id: &ClientMessageId,
    text: &str,
    how: AgentSend,
) -> Result<StoredMessage, StoreError> {
    let AgentSend {
        attachment,
        source,
        reply_to,
    } = how;
    let author = AuthorKey::Agent(agent);
    let open = Some(OPEN_PRIVATE);
    let started = start_send(tx, contact, author, client_id, attachment, open).await?;
    if let Some(existing) = started.retry {
        return Ok(existing);
    }
    let open = started.open;
    let reply_to = match (reply_to, source) {
        (None, SendSource::InteractionView) => {
            held_public_item(tx, agent, contact, open.as_ref()).await?
        }
        (given, _) => given,
    };
    let answered = match reply_to {
        Some(id) => Some(public_item(tx, contact, id).await?),
        None => None,
    };
    let target = match (&answered, source) {
        (Some((_, channel)), _) => public_reply_target(tx, agent, contact, *channel).await?,
        (None, source) => private_target(tx, agent, contact, source, open).await?,
    };
    // Refused here (the send's savepoint undone) when the platform would refuse it.
    let outbound = super::outbox::plan(
        tx,
        contact,
        target.channel,
        text,
        attachment,
        answered.as_ref().map(|(m, _)| m),
    )
    .await?;
    let msg = NewMessage {
        contact,
        interaction: target.id,
        agent: Some(agent),
        author,
        client_id: Some(client_id.clone()),
        text: text.to_owned(),
        system_line: None,
        attachment,
        outbound,
        reply_to,
    };
    let message = insert_message_in(tx, msg, &target).await?;
    Ok(StoredMessage {
        message,
        interaction: target,
        queued: false,
    })
}

/// The contact's item on a public channel that an agent answers, and its channel: a
/// contact's own comment, post or Tweet in their conversation, nothing else.
async fn public_item(
    tx: &mut Tx,
    contact: ContactId,
    id: MessageId,
) -> Result<(MessageView, Channel), StoreError> {
    let item = load_message(&mut tx.inner, id)
        .await?
        .filter(|m| m.contact_id == contact)
        .ok_or_else(|| StoreError::not_found("message"))?;
    let channel = load_interaction(&mut tx.inner, item.interaction_id)
        .await?
        .ok_or_else(|| StoreError::not_found("interaction"))?
        .channel;
    if !channel.is_public() || item.author != Author::Contact {
        return Err(StoreError::Rejected(
            "only the contact's own comment, post or Tweet can be answered publicly".to_owned(),
        ));
    }
    Ok((item, channel))
}

/// What a message from a Chat Interaction view answers when it names nothing: with no private
/// chat open and a public one (an offered comment or Tweet the agent accepted) held by this
/// agent, the contact's latest item in it — that view's messages are public replies.
async fn held_public_item(
    tx: &mut Tx,
    agent: AgentId,
    contact: ContactId,
    open_private: Option<&InteractionView>,
) -> Result<Option<MessageId>, StoreError> {
    if open_private.is_some() {
        return Ok(None);
    }
    let row = sqlx::query(
        "SELECT m.id FROM messages m JOIN interactions i ON i.id = m.interaction_id \
         WHERE i.contact_id = $1 AND i.state = 'active' AND i.agent_id = $2 \
         AND i.channel IN ('facebook_post', 'tweet') AND m.author_kind = 'contact' \
         ORDER BY m.seq DESC LIMIT 1",
    )
    .bind(contact.0)
    .bind(agent.0)
    .fetch_optional(&mut tx.inner)
    .await?;
    Ok(row.map(|r| r.try_get("id")).transpose()?.map(MessageId))
}

/// The interaction an agent's private message goes into (see [`SendSource`]); `open` is the
/// contact's open private interaction, read under the contact's lock.
async fn private_target(
    tx: &mut Tx,
    agent: AgentId,
    contact: ContactId,
    source: SendSource,
    open: Option<InteractionView>,
) -> Result<InteractionView, StoreError> {
    Ok(match source {
        SendSource::InteractionView => {
            take_or_reactivate_from(tx, agent, contact, Reactivation::AgentMessage, open).await?
        }
        SendSource::CommunicationTab => match open {
            Some(open)
                if open.state == InteractionState::Active && open.agent_id == Some(agent) =>
            {
                open
            }
            Some(open) if open.state == InteractionState::Active => {
                return Err(StoreError::conflict(format!(
                    "{} is chatting with this contact",
                    open.agent_name.as_deref().unwrap_or("another agent")
                )))
            }
            Some(open) => {
                held_by_colleague(&open, agent)?;
                activate(tx, &open, agent, Some(Reactivation::WriteAMessage)).await?
            }
            None => write_a_message_record(tx, agent, contact, None).await?,
        },
    })
}

/// A contact's send (a visitor's, or a message from a platform's webhook), written in `tx`.
/// A public item (a comment, a Tweet) goes into the contact's open interaction on its own
/// channel, or a new one there; `reply_to` is the stored message it answers.
pub(super) async fn contact_send(
    tx: &mut Tx,
    contact: ContactId,
    client_id: &ClientMessageId,
    text: &str,
    attachment: Option<AttachmentId>,
    opts: VisitorSendOptions,
    reply_to: Option<MessageId>,
) -> Result<StoredMessage, StoreError> {
    let author = AuthorKey::Contact(contact);
    let condition = Some(open_condition(opts.channel));
    let started = start_send(tx, contact, author, client_id, attachment, condition).await?;
    if let Some(existing) = started.retry {
        return Ok(existing);
    }
    let mut queued = false;
    let mut responded_to = None;
    let target = if let Some(open) = started.open {
        open
    } else {
        let latest = latest_interaction(tx, contact).await?;
        let writer: Option<i64> =
            sqlx::query("SELECT last_writer_agent_id FROM contacts WHERE id = $1")
                .bind(contact.0)
                .fetch_one(&mut tx.inner)
                .await?
                .try_get("last_writer_agent_id")?;
        let now = now_ms();
        // "Contact responded" is asynchronous chat's: without it, a new chat is anyone's.
        let reserve = match writer {
            Some(a)
                if latest.is_some()
                    && live_sessions(tx, AgentId(a), now).await? > 0
                    && async_chat_on(tx, opts.channel).await? =>
            {
                Some(AgentId(a))
            }
            _ => None,
        };
        let id: i64 = sqlx::query(
                "INSERT INTO interactions (contact_id, channel, state, created_at, queued_at, reactivated_from, reactivated_by, reserved_for, reserved_until) \
                 VALUES ($1, $2, 'queued', $3, $3, $4, $5, $6, $7) RETURNING id",
            )
            .bind(contact.0)
            .bind(opts.channel.as_str())
            .bind(now)
            .bind(latest.as_ref().map(|l| l.id.0))
            .bind(latest.as_ref().map(|_| Reactivation::ContactReply.as_str()))
            .bind(reserve.map(|a| a.0))
            .bind(reserve.map(|_| now + opts.reservation_ms))
            .fetch_one(&mut tx.inner)
            .await?
            .try_get("id")?;
        queued = reserve.is_none();
        responded_to = reserve;
        super::interactions::emit_interaction(tx, InteractionId(id)).await?
    };
    let msg = NewMessage {
        contact,
        interaction: target.id,
        agent: None,
        author,
        client_id: Some(client_id.clone()),
        text: text.to_owned(),
        system_line: None,
        attachment,
        outbound: None,
        reply_to,
    };
    let message = insert_message_in(tx, msg, &target).await?;
    if let Some(agent) = responded_to {
        let name = contact_name(&mut tx.inner, contact).await?;
        tx.emit(
            Audience::agent(agent),
            &Event::ContactResponded {
                agent_id: agent,
                contact_id: contact,
                contact_name: name,
                message: message.clone(),
            },
        )?;
    }
    Ok(StoredMessage {
        message,
        interaction: target,
        queued,
    })
}

/// The message stored earlier by a send that is retried, with its interaction.
async fn stored_message(tx: &mut Tx, id: MessageId) -> Result<StoredMessage, StoreError> {
    let message = load_message(&mut tx.inner, id)
        .await?
        .ok_or_else(|| StoreError::not_found("message"))?;
    let interaction = load_interaction(&mut tx.inner, message.interaction_id)
        .await?
        .ok_or_else(|| StoreError::not_found("interaction"))?;
    Ok(StoredMessage {
        message,
        interaction,
        queued: false,
    })
}

async fn check_attachment(
    tx: &mut Tx,
    attachment: Option<AttachmentId>,
    author: AuthorKey,
) -> Result<(), StoreError> {
    let Some(id) = attachment else { return Ok(()) };
    let row = sqlx::query("SELECT owner FROM attachments WHERE id = $1")
        .bind(id.0)
        .fetch_optional(&mut tx.inner)
        .await?
        .ok_or_else(|| StoreError::not_found("attachment"))?;
    let owner: String = row.try_get("owner")?;
    if owner != author.stored() {
        return Err(StoreError::not_found("attachment"));
    }
    Ok(())
}
