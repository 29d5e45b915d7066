//! The SELECTs that build the wire views, and their row mappers, used by every store module.

use sqlx::any::AnyRow;
use sqlx::{Executor, Row};
use wire::{
    AgentId, AgentView, AttachmentId, AttachmentView, Author, Channel, ChatStatus, ClientMessageId,
    ContactId, ContactView, DispositionCode, Identity, InteractionId, InteractionState,
    InteractionView, MessageId, MessageView, OutboundState, OutboundStatus, Party, Reactivation,
    ReasonCode, SystemLine,
};

/// The columns [`interaction`] reads, from an interaction `i`, its contact `c` and its agent
/// `a` (see [`INTERACTION_SELECT`]).
macro_rules! interaction_columns {
    () => {
        "i.id, i.contact_id, i.channel, i.state, i.agent_id, \
         i.created_at, i.accepted_at, i.ended_at, i.ended_by, i.done_at, i.disposition, \
         i.reactivated_from, i.reactivated_by, i.continued_as, i.handle_time_ms, \
         i.offer_expires_at, i.reserved_for, c.first_name, c.last_name, c.start_page, \
         a.display_name AS agent_name, \
         CASE WHEN i.channel = 'messenger' THEN (SELECT MAX(m.created_at) FROM interactions mi \
         JOIN messages m ON m.interaction_id = mi.id AND m.author_kind = 'contact' \
         WHERE mi.contact_id = i.contact_id AND mi.channel = 'messenger') END AS contact_wrote_at"
    };
}

/// [`INTERACTION_SELECT`]'s columns, for a statement that joins `i`, `c` and `a` its own way.
pub(crate) const INTERACTION_COLUMNS: &str = interaction_columns!();

/// Columns of an interaction with its contact's and agent's names.
pub const INTERACTION_SELECT: &str = concat!(
    "SELECT ",
    interaction_columns!(),
    " FROM interactions i JOIN contacts c ON c.id = i.contact_id \
     LEFT JOIN agents a ON a.id = i.agent_id"
);

/// Columns of a message with its author's name and attachment.
pub const MESSAGE_SELECT: &str = "SELECT m.id, m.contact_id, m.interaction_id, m.seq, \
    m.author_kind, m.agent_id, a.display_name AS agent_name, m.client_id, m.text, m.system_line, \
    m.created_at, m.delivered_at, m.read_at, f.id AS att_id, f.file_key, f.content_type, f.size, \
    f.width, f.height, f.file_name, ob.state AS ob_state, ob.last_error AS ob_error, \
    m.reply_to_id \
    FROM messages m LEFT JOIN agents a ON a.id = m.agent_id \
    LEFT JOIN attachments f ON f.id = m.attachment_id \
    LEFT JOIN outbox ob ON ob.message_id = m.id";

pub(super) fn decode_err(what: &str) -> sqlx::Error {
    sqlx::Error::Decode(format!("unexpected value in column {what}").into())
}

/// Maps an [`INTERACTION_SELECT`] row.
pub fn interaction(row: &AnyRow) -> Result<InteractionView, sqlx::Error> {
    let channel: String = row.try_get("channel")?;
    let state: String = row.try_get("state")?;
    let ended_by: Option<String> = row.try_get("ended_by")?;
    let reactivated_by: Option<String> = row.try_get("reactivated_by")?;
    let first: String = row.try_get("first_name")?;
    let last: String = row.try_get("last_name")?;
    let contact_id = ContactId(row.try_get("contact_id")?);
    Ok(InteractionView {
        id: InteractionId(row.try_get("id")?),
        contact_id,
        contact_name: wire::display_name(contact_id, &first, &last),
        contact_page: row.try_get("start_page")?,
        channel: Channel::parse(&channel).ok_or_else(|| decode_err("channel"))?,
        state: InteractionState::parse(&state).ok_or_else(|| decode_err("state"))?,
        agent_id: row.try_get::<Option<i64>, _>("agent_id")?.map(AgentId),
        agent_name: row.try_get("agent_name")?,
        created_at: row.try_get("created_at")?,
        accepted_at: row.try_get("accepted_at")?,
        ended_at: row.try_get("ended_at")?,
        ended_by: match ended_by.as_deref() {
            Some("agent") => Some(Party::Agent),
            Some("contact") => Some(Party::Contact),
            _ => None,
        },
        done_at: row.try_get("done_at")?,
        disposition: row
            .try_get::<Option<String>, _>("disposition")?
            .map(DispositionCode),
        reactivated_from: row
            .try_get::<Option<i64>, _>("reactivated_from")?
            .map(InteractionId),
        reactivated_by: reactivated_by.as_deref().and_then(Reactivation::parse),
        handle_time_ms: row.try_get("handle_time_ms")?,
        offer_expires_at: row.try_get("offer_expires_at")?,
        reserved_for: row.try_get::<Option<i64>, _>("reserved_for")?.map(AgentId),
        continued_as: row
            .try_get::<Option<i64>, _>("continued_as")?
            .map(InteractionId),
        contact_wrote_at: row.try_get("contact_wrote_at")?,
    })
}

/// Maps a [`MESSAGE_SELECT`] row.
pub fn message(row: &AnyRow) -> Result<MessageView, sqlx::Error> {
    let kind: String = row.try_get("author_kind")?;
    let author = match kind.as_str() {
        "agent" => Author::Agent {
            id: AgentId(
                row.try_get::<Option<i64>, _>("agent_id")?
                    .ok_or_else(|| decode_err("agent_id"))?,
            ),
            name: row
                .try_get::<Option<String>, _>("agent_name")?
                .unwrap_or_default(),
        },
        "contact" => Author::Contact,
        _ => Author::System,
    };
    let attachment = match row.try_get::<Option<i64>, _>("att_id")? {
        Some(id) => {
            let key: String = row.try_get("file_key")?;
            Some(AttachmentView {
                id: AttachmentId(id),
                content_type: row.try_get("content_type")?,
                size: u64::try_from(row.try_get::<i64, _>("size")?).unwrap_or(0),
                width: u32::try_from(row.try_get::<i64, _>("width")?).unwrap_or(0),
                height: u32::try_from(row.try_get::<i64, _>("height")?).unwrap_or(0),
                file_name: row.try_get("file_name")?,
                url: format!("/api/files/{key}"),
            })
        }
        None => None,
    };
    Ok(MessageView {
        id: MessageId(row.try_get("id")?),
        contact_id: ContactId(row.try_get("contact_id")?),
        interaction_id: InteractionId(row.try_get("interaction_id")?),
        seq: row.try_get("seq")?,
        author,
        text: row.try_get("text")?,
        attachment,
        client_id: row
            .try_get::<Option<String>, _>("client_id")?
            .map(ClientMessageId),
        created_at: row.try_get("created_at")?,
        delivered_at: row.try_get("delivered_at")?,
        read_at: row.try_get("read_at")?,
        system: row
            .try_get::<Option<String>, _>("system_line")?
            .as_deref()
            .and_then(SystemLine::parse),
        outbound: match row.try_get::<Option<String>, _>("ob_state")? {
            Some(state) => Some(OutboundStatus {
                state: OutboundState::parse(&state).ok_or_else(|| decode_err("outbox.state"))?,
                error: row.try_get("ob_error")?,
            }),
            None => None,
        },
        reply_to: row.try_get::<Option<i64>, _>("reply_to_id")?.map(MessageId),
    })
}

/// Loads one interaction view.
pub async fn load_interaction<'e, E>(
    ex: E,
    id: InteractionId,
) -> Result<Option<InteractionView>, sqlx::Error>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    let sql = format!("{INTERACTION_SELECT} WHERE i.id = $1");
    let row = sqlx::query(&sql).bind(id.0).fetch_optional(ex).await?;
    row.as_ref().map(interaction).transpose()
}

/// Loads one message view.
pub async fn load_message<'e, E>(ex: E, id: MessageId) -> Result<Option<MessageView>, sqlx::Error>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    let sql = format!("{MESSAGE_SELECT} WHERE m.id = $1");
    let row = sqlx::query(&sql).bind(id.0).fetch_optional(ex).await?;
    row.as_ref().map(message).transpose()
}

/// Loads an agent view (status and load included).
pub async fn load_agent<'e, E>(ex: E, id: AgentId) -> Result<Option<AgentView>, sqlx::Error>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    let sql = format!(
        "SELECT a.id, a.login, a.display_name, a.capacity, a.role, a.ready, a.not_ready_reason, \
         (SELECT COUNT(*) FROM interactions i WHERE i.agent_id = a.id \
            AND i.state IN ({})) AS open_count \
         FROM agents a WHERE a.id = $1",
        super::transitions::holding_capacity_sql()
    );
    let row = sqlx::query(&sql).bind(id.0).fetch_optional(ex).await?;
    row.as_ref().map(agent).transpose()
}

pub(super) fn agent(row: &AnyRow) -> Result<AgentView, sqlx::Error> {
    let ready: i64 = row.try_get("ready")?;
    Ok(AgentView {
        id: AgentId(row.try_get("id")?),
        login: row.try_get("login")?,
        display_name: row.try_get("display_name")?,
        capacity: u32::try_from(row.try_get::<i64, _>("capacity")?).unwrap_or(0),
        role: stored_role(&row.try_get::<String, _>("role")?)?,
        status: if ready == 1 {
            ChatStatus::Ready
        } else {
            ChatStatus::NotReady {
                reason: ReasonCode(row.try_get("not_ready_reason")?),
            }
        },
        open_interactions: u32::try_from(row.try_get::<i64, _>("open_count")?).unwrap_or(0),
    })
}

/// Reads a stored role; an unknown one is a decode error, never a silent downgrade or upgrade.
pub(crate) fn stored_role(s: &str) -> Result<wire::Role, sqlx::Error> {
    wire::Role::parse(s).ok_or_else(|| sqlx::Error::Decode(format!("unknown role {s:?}").into()))
}

/// Loads a contact view with identities.
pub async fn load_contact<C>(
    conn: &mut C,
    id: ContactId,
) -> Result<Option<ContactView>, sqlx::Error>
where
    for<'c> &'c mut C: sqlx::Executor<'c, Database = sqlx::Any>,
{
    let Some(row) = sqlx::query(
        "SELECT id, first_name, last_name, email, phone, notes, last_agent_id, start_page FROM contacts WHERE id = $1",
    )
    .bind(id.0)
    .fetch_optional(&mut *conn)
    .await?
    else {
        return Ok(None);
    };
    let idents = sqlx::query(
        "SELECT kind, value FROM contact_identities WHERE contact_id = $1 ORDER BY kind, value",
    )
    .bind(id.0)
    .fetch_all(&mut *conn)
    .await?;
    let identities = idents
        .iter()
        .filter_map(|r| {
            let kind: String = r.try_get("kind").ok()?;
            let value: String = r.try_get("value").ok()?;
            identity(&kind, value)
        })
        .collect();
    Ok(Some(ContactView {
        id,
        first_name: row.try_get("first_name")?,
        last_name: row.try_get("last_name")?,
        email: row.try_get("email")?,
        phone: row.try_get("phone")?,
        notes: row.try_get("notes")?,
        identities,
        last_agent_id: row.try_get::<Option<i64>, _>("last_agent_id")?.map(AgentId),
        page: row.try_get("start_page")?,
    }))
}

/// An identity from its stored kind and value.
pub fn identity(kind: &str, value: String) -> Option<Identity> {
    Some(match kind {
        "web_visitor" => Identity::WebVisitor(value),
        "web_customer" => Identity::WebCustomer(value),
        "messenger_psid" => Identity::MessengerPsid(value),
        "twitter_user" => Identity::TwitterUser(value),
        "facebook_user" => Identity::FacebookUser(value),
        _ => return None,
    })
}

/// The stored kind and value of an identity.
pub fn identity_parts(identity: &Identity) -> (&'static str, &str) {
    match identity {
        Identity::WebVisitor(v) => ("web_visitor", v),
        Identity::WebCustomer(v) => ("web_customer", v),
        Identity::MessengerPsid(v) => ("messenger_psid", v),
        Identity::TwitterUser(v) => ("twitter_user", v),
        Identity::FacebookUser(v) => ("facebook_user", v),
    }
}
