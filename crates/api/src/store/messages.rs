//! Writing one message into a conversation: the next `seq`, the Contacts list's summary, the
//! `message` event. Every send and every system line goes through [`insert_message_in`].

use super::rows::load_message;
use super::{Audience, Tx};
use super::{AuthorKey, StoreError};
use crate::util::now_ms;
use sqlx::Row;
use wire::{
    AgentId, AttachmentId, Author, ClientMessageId, ContactId, Event, InteractionId,
    InteractionView, MessageId, MessageView, SystemLine,
};

/// A message about to be written.
#[derive(Debug, Clone)]
pub(super) struct NewMessage {
    pub(super) contact: ContactId,
    pub(super) interaction: InteractionId,
    pub(super) agent: Option<AgentId>,
    pub(super) author: AuthorKey,
    pub(super) client_id: Option<ClientMessageId>,
    pub(super) text: String,
    pub(super) system_line: Option<SystemLine>,
    pub(super) attachment: Option<AttachmentId>,
    /// How an agent's message goes out through a platform (its outbox row is written with
    /// it, so the `message` event already says `waiting`); none for every other message.
    pub(super) outbound: Option<super::outbox::OutboundPlan>,
    /// On a public channel: the stored message this one answers (see `MessageView::reply_to`).
    pub(super) reply_to: Option<MessageId>,
}

impl NewMessage {
    /// A system line; `agent` names the agent it is about, if any.
    pub(super) fn system(
        contact: ContactId,
        interaction: InteractionId,
        line: SystemLine,
        agent: Option<AgentId>,
    ) -> Self {
        NewMessage {
            contact,
            interaction,
            agent,
            author: AuthorKey::System,
            client_id: None,
            text: String::new(),
            system_line: Some(line),
            attachment: None,
            outbound: None,
            reply_to: None,
        }
    }
}

/// The Contacts list's line for a contact's latest message: "[image]" for an image sent
/// without words, else the text's first 120 characters. The one rule for every writer of
/// `contacts.last_message`.
pub(super) fn summary_line(text: &str, image: bool) -> String {
    if text.is_empty() && image {
        "[image]".to_owned()
    } else {
        text.chars().take(120).collect()
    }
}

/// The contact's row gives the next `seq` (it is locked by the send, so no two messages
/// take the same one) and keeps the Contacts list's summary.
const CONTACT_UPDATE: &str = "UPDATE contacts SET last_seq = last_seq + 1, last_activity_at = $1, \
     last_message = COALESCE($2, last_message), \
     has_public = CASE WHEN $3 = 1 THEN 1 ELSE has_public END, \
     has_private = CASE WHEN $3 = 0 THEN 1 ELSE has_private END, \
     last_writer_agent_id = CASE WHEN $4 = 1 THEN $5 ELSE last_writer_agent_id END \
     WHERE id = $6";
/// What a send needs of the contact's row after [`CONTACT_UPDATE`].
macro_rules! contact_after {
    () => {
        "last_seq, channels"
    };
}
const CONTACT_AFTER: &str = contact_after!();
/// [`CONTACT_AFTER`] read back by a statement of its own.
const CONTACT_READ: &str = concat!("SELECT ", contact_after!(), " FROM contacts WHERE id = $1");
/// The columns a new message fills, in the order both forms of the insert bind them.
const MESSAGE_COLUMNS: &str = "contact_id, interaction_id, seq, author_kind, agent_id, \
     author_key, client_id, text, system_line, attachment_id, created_at, reply_to_id";

/// A statement being bound.
type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>;

/// Binds [`CONTACT_UPDATE`]'s parameters (`$1` to `$6`).
fn bind_contact_update<'q>(
    q: AnyQuery<'q>,
    m: &NewMessage,
    now: i64,
    summary: Option<String>,
    public: bool,
) -> AnyQuery<'q> {
    q.bind(now)
        .bind(summary)
        .bind(i64::from(public))
        .bind(i64::from(matches!(m.author, AuthorKey::Agent(_))))
        .bind(m.agent.map(|a| a.0))
        .bind(m.contact.0)
}

/// Binds the values of [`MESSAGE_COLUMNS`], `seq` only when given (else the statement takes
/// it from the contact's update).
fn bind_message<'q>(
    q: AnyQuery<'q>,
    m: &'q NewMessage,
    seq: Option<i64>,
    now: i64,
) -> AnyQuery<'q> {
    let q = q.bind(m.contact.0).bind(m.interaction.0);
    let q = match seq {
        Some(seq) => q.bind(seq),
        None => q,
    };
    q.bind(m.author.kind())
        .bind(m.agent.map(|a| a.0))
        .bind(m.author.stored())
        .bind(m.client_id.as_ref().map(|c| c.0.clone()))
        .bind(m.text.as_str())
        .bind(m.system_line.map(SystemLine::as_str))
        .bind(m.attachment.map(|a| a.0))
        .bind(now)
        .bind(m.reply_to.map(|r| r.0))
}

/// Writes a message into `interaction`: takes the next `seq` of the contact's conversation,
/// updates the Contacts list's summary, and emits the `message` event to the agent it concerns
/// (its author, else the interaction's agent) and, on Web Chat, the visitor.
pub(super) async fn insert_message_in(
    tx: &mut Tx,
    m: NewMessage,
    interaction: &InteractionView,
) -> Result<MessageView, StoreError> {
    debug_assert_eq!(m.interaction, interaction.id);
    let now = now_ms();
    let public = interaction.channel.is_public();
    let summary = if m.system_line.is_some() {
        None
    } else {
        Some(summary_line(&m.text, m.attachment.is_some()))
    };
    // Where one statement can do both, it does (a round trip less on PostgreSQL); the
    // message's `seq` is then the one the update returned.
    let (id, seq, channels): (i64, i64, String) = if tx.dialect().writable_ctes() {
        let sql = format!(
            "WITH c AS ({CONTACT_UPDATE} RETURNING {CONTACT_AFTER}) \
             INSERT INTO messages ({MESSAGE_COLUMNS}) \
             SELECT $7, $8, c.last_seq, $9, $10, $11, $12, $13, $14, $15, $16, $17 FROM c \
             RETURNING id, seq, (SELECT channels FROM c) AS channels"
        );
        let q = bind_contact_update(sqlx::query(&sql), &m, now, summary, public);
        let row = bind_message(q, &m, None, now)
            .fetch_optional(&mut tx.inner)
            .await?
            .ok_or_else(|| StoreError::not_found("contact"))?;
        (
            row.try_get("id")?,
            row.try_get("seq")?,
            row.try_get("channels")?,
        )
    } else {
        let row = if tx.reads_back() {
            let update = bind_contact_update(sqlx::query(CONTACT_UPDATE), &m, now, summary, public);
            let updated = update.execute(&mut tx.inner).await?.rows_affected();
            match updated {
                0 => None,
                _ => {
                    sqlx::query(CONTACT_READ)
                        .bind(m.contact.0)
                        .fetch_optional(&mut tx.inner)
                        .await?
                }
            }
        } else {
            let sql = format!("{CONTACT_UPDATE} RETURNING {CONTACT_AFTER}");
            bind_contact_update(sqlx::query(&sql), &m, now, summary, public)
                .fetch_optional(&mut tx.inner)
                .await?
        }
        .ok_or_else(|| StoreError::not_found("contact"))?;
        let seq: i64 = row.try_get("last_seq")?;
        let sql = format!(
            "INSERT INTO messages ({MESSAGE_COLUMNS}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12){}",
            tx.returning_id()
        );
        let q = bind_message(sqlx::query(&sql), &m, Some(seq), now);
        let id = tx.inserted_ids(q, 1).await?.pop();
        let id = id.ok_or_else(|| StoreError::Internal("a message insert gave no id".into()))?;
        (id, seq, row.try_get("channels")?)
    };
    if !channels
        .split(',')
        .any(|c| c == interaction.channel.as_str())
    {
        let updated = if channels.is_empty() {
            interaction.channel.as_str().to_owned()
        } else {
            format!("{channels},{}", interaction.channel.as_str())
        };
        sqlx::query("UPDATE contacts SET channels = $1 WHERE id = $2")
            .bind(updated)
            .bind(m.contact.0)
            .execute(&mut tx.inner)
            .await?;
    }
    if let Some(plan) = &m.outbound {
        super::outbox::enqueue(tx, MessageId(id), plan).await?;
    }
    // A message with neither an agent's name nor an attachment to join is known in full
    // here; the others are read back with their joins.
    let view = if !matches!(m.author, AuthorKey::Agent(_)) && m.attachment.is_none() {
        MessageView {
            id: MessageId(id),
            contact_id: m.contact,
            interaction_id: m.interaction,
            seq,
            author: if matches!(m.author, AuthorKey::Contact(_)) {
                Author::Contact
            } else {
                Author::System
            },
            text: m.text,
            attachment: None,
            client_id: m.client_id,
            created_at: now,
            delivered_at: None,
            read_at: None,
            system: m.system_line,
            outbound: None,
            reply_to: m.reply_to,
        }
    } else {
        load_message(&mut tx.inner, MessageId(id))
            .await?
            .ok_or_else(|| StoreError::not_found("message"))?
    };
    let agent = m
        .agent
        .or(interaction.agent_id)
        .or(interaction.reserved_for);
    emit_message(tx, &view, interaction, agent)?;
    Ok(view)
}

/// Sends a message, new or changed, to `agent`, to agents following the contact, and to the
/// visitor when the interaction is a Web Chat (the other channels' customers are reached
/// through their platform).
pub(super) fn emit_message(
    tx: &mut Tx,
    view: &MessageView,
    interaction: &InteractionView,
    agent: Option<AgentId>,
) -> Result<(), StoreError> {
    let visitor = (interaction.channel == wire::Channel::WebChat).then_some(view.contact_id);
    let audience = Audience {
        agent,
        all_agents: false,
        visitor,
        contact: Some(view.contact_id),
    };
    tx.emit(
        audience,
        &Event::Message {
            message: view.clone(),
        },
    )?;
    Ok(())
}

/// A contact's name as agents see it.
pub(super) async fn contact_name<'e, E>(ex: E, contact: ContactId) -> Result<String, sqlx::Error>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let r = sqlx::query("SELECT first_name, last_name FROM contacts WHERE id = $1")
        .bind(contact.0)
        .fetch_one(ex)
        .await?;
    Ok(wire::display_name(
        contact,
        &r.try_get::<String, _>("first_name")?,
        &r.try_get::<String, _>("last_name")?,
    ))
}
