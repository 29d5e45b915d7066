//! Messages: agent and visitor sends (idempotent by client id), the merged conversation,
//! search, typing and delivered/read receipts.

use super::interactions::{
    activate, latest_interaction, lock_contact, open_interaction, take_or_reactivate,
    write_a_message_record,
};
use super::rows::{
    interaction, load_interaction, load_message, message, INTERACTION_SELECT, MESSAGE_SELECT,
};
use super::sql::{Arg, SqlBuilder};
use super::StoreError;
use super::{Audience, Store, Tx};
use crate::util::now_ms;
use sqlx::Row;
use std::collections::BTreeMap;
use wire::api::{ConversationPage, SearchHit, SearchResults, SendSource};
use wire::{
    AgentId, AttachmentId, Author, ClientMessageId, ContactId, Event, InteractionId,
    InteractionState, InteractionView, MessageId, MessageView, Party, Reactivation, SystemLine,
};

/// Who sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sender {
    /// An agent.
    Agent(AgentId),
    /// The contact (a visitor, or a social channel's webhook).
    Contact(ContactId),
}

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

/// A message about to be written.
#[derive(Debug, Clone)]
pub(super) struct NewMessage {
    contact: ContactId,
    interaction: InteractionId,
    author_kind: &'static str,
    agent: Option<AgentId>,
    author_key: String,
    client_id: Option<ClientMessageId>,
    text: String,
    system_line: Option<SystemLine>,
    attachment: Option<AttachmentId>,
}

impl NewMessage {
    /// A system line; `agent` names the agent it is about (0 for none).
    pub(super) fn system(
        contact: ContactId,
        interaction: InteractionId,
        line: SystemLine,
        agent: AgentId,
    ) -> Self {
        NewMessage {
            contact,
            interaction,
            author_kind: "system",
            agent: (agent.0 != 0).then_some(agent),
            author_key: "system".to_owned(),
            client_id: None,
            text: String::new(),
            system_line: Some(line),
            attachment: None,
        }
    }
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
            } => agent_send(tx, *agent, *contact, client_id, text, *attachment, *source).await,
            SendJob::Contact {
                contact,
                client_id,
                text,
                attachment,
                opts,
            } => contact_send(tx, *contact, client_id, text, *attachment, *opts).await,
        }
    }
}

/// Locks the conversation, finds a retry's stored message, checks the attachment.
async fn start_send(
    tx: &mut Tx,
    contact: ContactId,
    author_key: &str,
    client_id: &ClientMessageId,
    attachment: Option<AttachmentId>,
) -> Result<Option<StoredMessage>, StoreError> {
    lock_contact(tx, contact).await?;
    if let Some(existing) = find_by_client_id(tx, author_key, client_id).await? {
        return Ok(Some(existing));
    }
    check_attachment(tx, attachment, author_key).await?;
    Ok(None)
}

/// Options of a visitor send that come from configuration.
#[derive(Debug, Clone, Copy)]
pub struct VisitorSendOptions {
    /// How long a reply stays reserved for the agent who last wrote, in ms.
    pub reservation_ms: i64,
}

impl Store {
    /// An agent writes into a contact's conversation (see [`SendSource`]). Answers once the
    /// message is committed (possibly in one transaction with other sends, see `sends`).
    pub async fn send_as_agent(
        &self,
        agent: AgentId,
        contact: ContactId,
        client_id: ClientMessageId,
        text: String,
        attachment: Option<AttachmentId>,
        source: SendSource,
    ) -> Result<StoredMessage, StoreError> {
        self.submit_send(SendJob::Agent {
            agent,
            contact,
            client_id,
            text,
            attachment,
            source,
        })
        .await
    }

    /// A visitor writes. With no open chat this starts one: reserved for the agent who last
    /// wrote to them (who gets `contact_responded`) while that agent is logged in, otherwise
    /// queued for routing. Answers once the message is committed (possibly in one transaction
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
    /// One page of a contact's conversation, newest back: messages before `before_seq`
    /// (oldest first in the page) with the interactions they belong to.
    pub async fn conversation(
        &self,
        contact: ContactId,
        before_seq: Option<i64>,
        limit: u32,
        filter: ChannelFilter,
    ) -> Result<ConversationPage, StoreError> {
        let mut b = SqlBuilder::default();
        b.push(MESSAGE_SELECT);
        b.push(" JOIN interactions i ON i.id = m.interaction_id WHERE m.contact_id = ");
        let c = b.arg(Arg::Int(contact.0));
        b.push(&c);
        if let Some(before) = before_seq {
            let p = b.arg(Arg::Int(before));
            b.push(&format!(" AND m.seq < {p}"));
        }
        b.push(filter.sql());
        let lim = b.arg(Arg::Int(i64::from(limit) + 1));
        b.push(&format!(" ORDER BY m.seq DESC LIMIT {lim}"));
        let rows = b.fetch_all(self.pool()).await?;
        let has_more = rows.len() > limit as usize;
        let mut messages = rows
            .iter()
            .take(limit as usize)
            .map(message)
            .collect::<Result<Vec<_>, _>>()?;
        messages.reverse();
        let interactions = self.interactions_of(&messages).await?;
        Ok(ConversationPage {
            contact_id: contact,
            messages,
            interactions,
            has_more,
        })
    }

    async fn interactions_of(
        &self,
        messages: &[MessageView],
    ) -> Result<Vec<InteractionView>, StoreError> {
        let mut ids: Vec<InteractionId> = messages.iter().map(|m| m.interaction_id).collect();
        ids.sort_unstable();
        ids.dedup();
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(v) = load_interaction(self.pool(), id).await? {
                out.push(v);
            }
        }
        Ok(out)
    }

    /// Messages matching keywords, newest first; within one contact or across all.
    pub async fn search(
        &self,
        q: &str,
        contact: Option<ContactId>,
        before: Option<MessageId>,
        limit: u32,
        filter: ChannelFilter,
    ) -> Result<SearchResults, StoreError> {
        let Some(param) = self.dialect().search_param(q) else {
            return Ok(SearchResults {
                hits: Vec::new(),
                has_more: false,
            });
        };
        let mut b = SqlBuilder::default();
        b.plan_every_run();
        b.push(MESSAGE_SELECT);
        b.push(" JOIN interactions i ON i.id = m.interaction_id");
        let newest = self.dialect().push_message_search(&mut b, param, contact);
        if let Some(before) = before {
            let p = b.arg(Arg::Int(before.0));
            b.push(&format!(" AND {newest} < {p}"));
        }
        b.push(filter.sql());
        let lim = b.arg(Arg::Int(i64::from(limit) + 1));
        b.push(&format!(" ORDER BY {newest} DESC LIMIT {lim}"));
        let rows = b.fetch_all(self.pool()).await?;
        let has_more = rows.len() > limit as usize;
        let mut names: BTreeMap<ContactId, String> = BTreeMap::new();
        let mut hits = Vec::new();
        for row in rows.iter().take(limit as usize) {
            let message = message(row)?;
            let contact_name = if let Some(n) = names.get(&message.contact_id) {
                n.clone()
            } else {
                let n = contact_name(self.pool(), message.contact_id).await?;
                names.insert(message.contact_id, n.clone());
                n
            };
            hits.push(SearchHit {
                message,
                contact_name,
            });
        }
        Ok(SearchResults { hits, has_more })
    }

    /// The visitor received (or read) agent messages up to `up_to_seq`.
    pub async fn visitor_receipt(
        &self,
        contact: ContactId,
        up_to_seq: i64,
        read: bool,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        let changed = mark(&mut tx, contact, "agent", up_to_seq, read).await?;
        if changed > 0 {
            let col = if read {
                "visitor_read_seq"
            } else {
                "visitor_delivered_seq"
            };
            sqlx::query(&format!("UPDATE contacts SET {col} = CASE WHEN {col} < $1 THEN $1 ELSE {col} END WHERE id = $2"))
                .bind(up_to_seq)
                .bind(contact.0)
                .execute(&mut *tx.inner)
                .await?;
            let agent = conversation_agent(&mut tx, contact).await?;
            if let Some(agent) = agent {
                tx.emit(
                    Audience::agent(agent),
                    &Event::Receipt {
                        contact_id: contact,
                        author_party: Party::Agent,
                        up_to_seq,
                        read,
                        at: now_ms(),
                    },
                )?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// An agent received (or read) the contact's messages up to `up_to_seq`; clears the
    /// agent's unread mark for the contact when read.
    pub async fn agent_receipt(
        &self,
        agent: AgentId,
        contact: ContactId,
        up_to_seq: i64,
        read: bool,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        lock_contact(&mut tx, contact).await?;
        let changed = mark(&mut tx, contact, "contact", up_to_seq, read).await?;
        if read {
            sqlx::query(
                "INSERT INTO agent_contact_reads (agent_id, contact_id, read_seq) VALUES ($1, $2, $3) \
                 ON CONFLICT (agent_id, contact_id) DO UPDATE SET read_seq = CASE WHEN agent_contact_reads.read_seq < excluded.read_seq \
                 THEN excluded.read_seq ELSE agent_contact_reads.read_seq END",
            )
            .bind(agent.0)
            .bind(contact.0)
            .bind(up_to_seq)
            .execute(&mut *tx.inner)
            .await?;
        }
        if changed > 0 {
            tx.emit(
                Audience::visitor(contact),
                &Event::Receipt {
                    contact_id: contact,
                    author_party: Party::Contact,
                    up_to_seq,
                    read,
                    at: now_ms(),
                },
            )?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The visitor is typing (or stopped); tells the agent handling the conversation.
    pub async fn visitor_typing(&self, contact: ContactId, typing: bool) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        if let Some(agent) = conversation_agent(&mut tx, contact).await? {
            tx.emit(
                Audience::agent(agent),
                &Event::Typing {
                    contact_id: contact,
                    party: Party::Contact,
                    typing,
                },
            )?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Agent messages the visitor has not read yet.
    pub async fn visitor_unread(&self, contact: ContactId) -> Result<u32, StoreError> {
        let n: i64 = sqlx::query(
            "SELECT COUNT(*) AS n FROM messages m JOIN interactions i ON i.id = m.interaction_id \
             WHERE m.contact_id = $1 AND m.author_kind = 'agent' AND m.read_at IS NULL AND i.channel = 'web_chat'",
        )
        .bind(contact.0)
        .fetch_one(self.pool())
        .await?
        .try_get("n")?;
        Ok(u32::try_from(n).unwrap_or(u32::MAX))
    }

    /// The visitor's open interaction, if any.
    pub async fn visitor_open_interaction(
        &self,
        contact: ContactId,
    ) -> Result<Option<InteractionId>, StoreError> {
        let sql = format!(
            "{INTERACTION_SELECT} WHERE i.contact_id = $1 AND i.state IN ('queued', 'offered', 'active') ORDER BY i.id DESC LIMIT 1"
        );
        let row = sqlx::query(&sql)
            .bind(contact.0)
            .fetch_optional(self.pool())
            .await?;
        Ok(row.as_ref().map(interaction).transpose()?.map(|i| i.id))
    }
}

/// An agent's send, written in `tx`.
async fn agent_send(
    tx: &mut Tx,
    agent: AgentId,
    contact: ContactId,
    client_id: &ClientMessageId,
    text: &str,
    attachment: Option<AttachmentId>,
    source: SendSource,
) -> Result<StoredMessage, StoreError> {
    let author_key = format!("agent:{}", agent.0);
    if let Some(existing) = start_send(tx, contact, &author_key, client_id, attachment).await? {
        return Ok(existing);
    }
    let target = match source {
        SendSource::InteractionView => {
            take_or_reactivate(tx, agent, contact, Reactivation::AgentMessage).await?
        }
        SendSource::CommunicationTab => match open_interaction(tx, contact).await? {
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
            Some(open) => activate(tx, &open, agent, Some(Reactivation::WriteAMessage)).await?,
            None => write_a_message_record(tx, agent, contact).await?,
        },
    };
    let msg = NewMessage {
        contact,
        interaction: target.id,
        author_kind: "agent",
        agent: Some(agent),
        author_key,
        client_id: Some(client_id.clone()),
        text: text.to_owned(),
        system_line: None,
        attachment,
    };
    let message = insert_message_in(tx, msg, &target).await?;
    Ok(StoredMessage {
        message,
        interaction: target,
        queued: false,
    })
}

/// A visitor's send, written in `tx`.
async fn contact_send(
    tx: &mut Tx,
    contact: ContactId,
    client_id: &ClientMessageId,
    text: &str,
    attachment: Option<AttachmentId>,
    opts: VisitorSendOptions,
) -> Result<StoredMessage, StoreError> {
    let author_key = format!("contact:{}", contact.0);
    if let Some(existing) = start_send(tx, contact, &author_key, client_id, attachment).await? {
        return Ok(existing);
    }
    let mut queued = false;
    let mut responded_to = None;
    let target = if let Some(open) = open_interaction(tx, contact).await? {
        open
    } else {
        let latest = latest_interaction(tx, contact).await?;
        let writer: Option<i64> =
            sqlx::query("SELECT last_writer_agent_id FROM contacts WHERE id = $1")
                .bind(contact.0)
                .fetch_one(&mut *tx.inner)
                .await?
                .try_get("last_writer_agent_id")?;
        let now = now_ms();
        let reserve = match writer {
            Some(a) if latest.is_some() && agent_logged_in(tx, AgentId(a), now).await? => {
                Some(AgentId(a))
            }
            _ => None,
        };
        let id: i64 = sqlx::query(
                "INSERT INTO interactions (contact_id, channel, state, created_at, queued_at, reactivated_from, reactivated_by, reserved_for, reserved_until) \
                 VALUES ($1, 'web_chat', 'queued', $2, $2, $3, $4, $5, $6) RETURNING id",
            )
            .bind(contact.0)
            .bind(now)
            .bind(latest.as_ref().map(|l| l.id.0))
            .bind(latest.as_ref().map(|_| Reactivation::ContactReply.as_str()))
            .bind(reserve.map(|a| a.0))
            .bind(reserve.map(|_| now + opts.reservation_ms))
            .fetch_one(&mut *tx.inner)
            .await?
            .try_get("id")?;
        queued = reserve.is_none();
        responded_to = reserve;
        super::interactions::emit_interaction(tx, InteractionId(id)).await?
    };
    let msg = NewMessage {
        contact,
        interaction: target.id,
        author_kind: "contact",
        agent: None,
        author_key,
        client_id: Some(client_id.clone()),
        text: text.to_owned(),
        system_line: None,
        attachment,
    };
    let message = insert_message_in(tx, msg, &target).await?;
    if let Some(agent) = responded_to {
        let name = contact_name(&mut *tx.inner, contact).await?;
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

/// Which channels a conversation or search covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChannelFilter {
    /// Every channel.
    All,
    /// Web Chat, Messenger and Twitter DMs (`Private`).
    Private,
    /// Facebook posts and Tweets (`Public`).
    Public,
    /// Web Chat only (what the visitor widget shows).
    WebChat,
}

impl ChannelFilter {
    fn sql(self) -> &'static str {
        match self {
            ChannelFilter::All => "",
            ChannelFilter::Private => " AND i.channel NOT IN ('facebook_post', 'tweet')",
            ChannelFilter::Public => " AND i.channel IN ('facebook_post', 'tweet')",
            ChannelFilter::WebChat => " AND i.channel = 'web_chat'",
        }
    }
}

async fn mark(
    tx: &mut Tx,
    contact: ContactId,
    author_kind: &str,
    up_to_seq: i64,
    read: bool,
) -> Result<u64, sqlx::Error> {
    let now = now_ms();
    let sql = if read {
        "UPDATE messages SET delivered_at = COALESCE(delivered_at, $1), read_at = $1 \
         WHERE contact_id = $2 AND author_kind = $3 AND seq <= $4 AND read_at IS NULL"
    } else {
        "UPDATE messages SET delivered_at = $1 \
         WHERE contact_id = $2 AND author_kind = $3 AND seq <= $4 AND delivered_at IS NULL"
    };
    Ok(sqlx::query(sql)
        .bind(now)
        .bind(contact.0)
        .bind(author_kind)
        .bind(up_to_seq)
        .execute(&mut *tx.inner)
        .await?
        .rows_affected())
}

/// The agent who should hear about the conversation: the owner of the open interaction, else
/// the one it is reserved for, else the agent who last wrote.
async fn conversation_agent(
    tx: &mut Tx,
    contact: ContactId,
) -> Result<Option<AgentId>, StoreError> {
    if let Some(open) = open_interaction(tx, contact).await? {
        if let Some(a) = open.agent_id.or(open.reserved_for) {
            return Ok(Some(a));
        }
    }
    let writer: Option<i64> =
        sqlx::query("SELECT last_writer_agent_id FROM contacts WHERE id = $1")
            .bind(contact.0)
            .fetch_one(&mut *tx.inner)
            .await?
            .try_get("last_writer_agent_id")?;
    Ok(writer.map(AgentId))
}

async fn agent_logged_in(tx: &mut Tx, agent: AgentId, now: i64) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query("SELECT 1 AS one FROM agent_sessions WHERE agent_id = $1 AND revoked_at IS NULL AND expires_at > $2")
        .bind(agent.0)
        .bind(now)
        .fetch_optional(&mut *tx.inner)
        .await?
        .is_some())
}

/// A contact's name as agents see it.
async fn contact_name<'e, E>(ex: E, contact: ContactId) -> Result<String, sqlx::Error>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let r = sqlx::query("SELECT first_name, last_name FROM contacts WHERE id = $1")
        .bind(contact.0)
        .fetch_one(ex)
        .await?;
    Ok(wire::display_name(
        &r.try_get::<String, _>("first_name")?,
        &r.try_get::<String, _>("last_name")?,
    ))
}

async fn find_by_client_id(
    tx: &mut Tx,
    author_key: &str,
    client_id: &ClientMessageId,
) -> Result<Option<StoredMessage>, StoreError> {
    let row = sqlx::query("SELECT id FROM messages WHERE author_key = $1 AND client_id = $2")
        .bind(author_key)
        .bind(&client_id.0)
        .fetch_optional(&mut *tx.inner)
        .await?;
    let Some(row) = row else { return Ok(None) };
    let message = load_message(&mut *tx.inner, MessageId(row.try_get("id")?))
        .await?
        .ok_or_else(|| StoreError::not_found("message"))?;
    let interaction = load_interaction(&mut *tx.inner, message.interaction_id)
        .await?
        .ok_or_else(|| StoreError::not_found("interaction"))?;
    Ok(Some(StoredMessage {
        message,
        interaction,
        queued: false,
    }))
}

async fn check_attachment(
    tx: &mut Tx,
    attachment: Option<AttachmentId>,
    author_key: &str,
) -> Result<(), StoreError> {
    let Some(id) = attachment else { return Ok(()) };
    let row = sqlx::query("SELECT owner FROM attachments WHERE id = $1")
        .bind(id.0)
        .fetch_optional(&mut *tx.inner)
        .await?
        .ok_or_else(|| StoreError::not_found("attachment"))?;
    let owner: String = row.try_get("owner")?;
    if owner != author_key {
        return Err(StoreError::not_found("attachment"));
    }
    Ok(())
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
    } else if m.text.is_empty() && m.attachment.is_some() {
        Some("[image]".to_owned())
    } else {
        Some(m.text.chars().take(120).collect::<String>())
    };
    let row = sqlx::query(
        "UPDATE contacts SET last_seq = last_seq + 1, last_activity_at = $1, \
         last_message = COALESCE($2, last_message), \
         has_public = CASE WHEN $3 = 1 THEN 1 ELSE has_public END, \
         has_private = CASE WHEN $3 = 0 THEN 1 ELSE has_private END, \
         last_writer_agent_id = CASE WHEN $4 = 1 THEN $5 ELSE last_writer_agent_id END \
         WHERE id = $6 RETURNING last_seq, channels",
    )
    .bind(now)
    .bind(summary)
    .bind(i64::from(public))
    .bind(i64::from(m.author_kind == "agent"))
    .bind(m.agent.map(|a| a.0))
    .bind(m.contact.0)
    .fetch_one(&mut *tx.inner)
    .await?;
    let seq: i64 = row.try_get("last_seq")?;
    let channels: String = row.try_get("channels")?;
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
            .execute(&mut *tx.inner)
            .await?;
    }
    let id: i64 = sqlx::query(
        "INSERT INTO messages (contact_id, interaction_id, seq, author_kind, agent_id, author_key, client_id, text, system_line, attachment_id, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
    )
    .bind(m.contact.0)
    .bind(m.interaction.0)
    .bind(seq)
    .bind(m.author_kind)
    .bind(m.agent.map(|a| a.0))
    .bind(&m.author_key)
    .bind(m.client_id.as_ref().map(|c| c.0.clone()))
    .bind(&m.text)
    .bind(m.system_line.map(SystemLine::as_str))
    .bind(m.attachment.map(|a| a.0))
    .bind(now)
    .fetch_one(&mut *tx.inner)
    .await?
    .try_get("id")?;
    // A message with neither an agent's name nor an attachment to join is known in full
    // here; the others are read back with their joins.
    let view = if m.author_kind != "agent" && m.attachment.is_none() {
        MessageView {
            id: MessageId(id),
            contact_id: m.contact,
            interaction_id: m.interaction,
            seq,
            author: if m.author_kind == "contact" {
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
        }
    } else {
        load_message(&mut *tx.inner, MessageId(id))
            .await?
            .ok_or_else(|| StoreError::not_found("message"))?
    };
    let agent = m
        .agent
        .or(interaction.agent_id)
        .or(interaction.reserved_for);
    let visitor = (interaction.channel == wire::Channel::WebChat).then_some(m.contact);
    let audience = Audience {
        agent,
        all_agents: false,
        visitor,
        contact: Some(m.contact),
    };
    tx.emit(
        audience,
        &Event::Message {
            message: view.clone(),
        },
    )?;
    Ok(view)
}
