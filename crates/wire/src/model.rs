//! The nouns of the product, as both sides see them.

use crate::flat::{required, unknown};
use crate::ids::{
    AgentId, AttachmentId, ClientMessageId, ContactId, DispositionCode, InteractionId, MessageId,
    ReasonCode,
};
use crate::Millis;
use serde::{Deserialize, Serialize};

pub use crate::contact::{
    display_name, valid_start_page, ContactSummary, ContactView, Identity, MAX_START_PAGE_CHARS,
};

/// Where a conversation happens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// The widget on the company's website.
    WebChat,
    /// Facebook Messenger.
    Messenger,
    /// Twitter/X direct messages.
    TwitterDm,
    /// A public Facebook post or comment that involves the company.
    FacebookPost,
    /// A public Tweet that involves the company.
    Tweet,
}

impl Channel {
    /// Every channel, in the order the UI lists them.
    pub const ALL: [Channel; 5] = [
        Channel::WebChat,
        Channel::Messenger,
        Channel::TwitterDm,
        Channel::FacebookPost,
        Channel::Tweet,
    ];

    /// Public channels show under `Public` in the Communication tab; the rest under `Private`.
    pub fn is_public(self) -> bool {
        matches!(self, Channel::FacebookPost | Channel::Tweet)
    }

    /// The name the UI shows.
    pub fn label(self) -> &'static str {
        match self {
            Channel::WebChat => "Web Chat",
            Channel::Messenger => "Facebook Messenger",
            Channel::TwitterDm => "Twitter Direct Message",
            Channel::FacebookPost => "Facebook post",
            Channel::Tweet => "Tweet",
        }
    }

    /// The name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::WebChat => "web_chat",
            Channel::Messenger => "messenger",
            Channel::TwitterDm => "twitter_dm",
            Channel::FacebookPost => "facebook_post",
            Channel::Tweet => "tweet",
        }
    }

    /// The channel a chat an agent starts goes on, given the channel of the conversation's
    /// latest interaction: the same, unless that was public (a reply to a post is not a
    /// private chat) or there was none — then Web Chat.
    pub fn of_reply(latest: Option<Channel>) -> Channel {
        latest
            .filter(|c| !c.is_public())
            .unwrap_or(Channel::WebChat)
    }

    /// The inverse of [`Channel::as_str`].
    pub fn parse(s: &str) -> Option<Channel> {
        Channel::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// The life of an interaction: queued → offered → active → ended → done. An offer that is
/// rejected or times out goes back to queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum InteractionState {
    /// Waiting for a Ready agent.
    Queued,
    /// Offered to one agent, who may Accept or Reject until the offer expires.
    Offered,
    /// An agent owns it and is chatting.
    Active,
    /// The chat session ended (by either side) but the agent has not marked it Done.
    Ended,
    /// Closed and marked Done.
    Done,
}

impl InteractionState {
    /// The name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            InteractionState::Queued => "queued",
            InteractionState::Offered => "offered",
            InteractionState::Active => "active",
            InteractionState::Ended => "ended",
            InteractionState::Done => "done",
        }
    }

    /// The inverse of [`InteractionState::as_str`].
    pub fn parse(s: &str) -> Option<InteractionState> {
        [
            InteractionState::Queued,
            InteractionState::Offered,
            InteractionState::Active,
            InteractionState::Ended,
            InteractionState::Done,
        ]
        .into_iter()
        .find(|st| st.as_str() == s)
    }

    /// The states in which an interaction holds a slot of its agent's capacity: offered (the
    /// agent may accept it, so routing must not give that slot to another chat), active, and
    /// ended but not yet Done. The one definition: routing's queries, the header's "N of M
    /// chats" ([`AgentView::open_interactions`]) and the API all use it.
    pub const HOLDING_CAPACITY: [InteractionState; 3] = [
        InteractionState::Offered,
        InteractionState::Active,
        InteractionState::Ended,
    ];

    /// Whether an interaction in this state holds a slot of its agent's capacity (see
    /// [`InteractionState::HOLDING_CAPACITY`]).
    pub fn holds_capacity(self) -> bool {
        Self::HOLDING_CAPACITY.contains(&self)
    }

    /// The words the UI shows.
    pub fn label(self) -> &'static str {
        match self {
            InteractionState::Queued => "Queued",
            InteractionState::Offered => "Offered",
            InteractionState::Active => "Active",
            InteractionState::Ended => "Ended",
            InteractionState::Done => "Done",
        }
    }
}

/// Who ended a chat session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Party {
    /// The agent.
    Agent,
    /// The contact.
    Contact,
}

/// What brought an ended or done conversation back to life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Reactivation {
    /// The agent sent a message (Conversation tab or Transcript) after the chat ended.
    AgentMessage,
    /// The agent used `Write a Message` in the Communication tab.
    WriteAMessage,
    /// The agent pressed `Chat` in the Communication tab.
    ChatButton,
    /// The contact wrote into a conversation with no open interaction.
    ContactReply,
}

impl Reactivation {
    /// The name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Reactivation::AgentMessage => "agent_message",
            Reactivation::WriteAMessage => "write_a_message",
            Reactivation::ChatButton => "chat_button",
            Reactivation::ContactReply => "contact_reply",
        }
    }

    /// The inverse of [`Reactivation::as_str`].
    pub fn parse(s: &str) -> Option<Reactivation> {
        [
            Reactivation::AgentMessage,
            Reactivation::WriteAMessage,
            Reactivation::ChatButton,
            Reactivation::ContactReply,
        ]
        .into_iter()
        .find(|r| r.as_str() == s)
    }
}

/// An agent's state on the Chat channel.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(
    tag = "state",
    rename_all = "snake_case",
    try_from = "ChatStatusFields"
)]
pub enum ChatStatus {
    /// Offers may arrive (while under capacity).
    Ready,
    /// No new offers; chats in progress go on.
    NotReady {
        /// Why the agent is not ready.
        reason: ReasonCode,
    },
}

/// A [`ChatStatus`] as written: its `state` and the reason (read flat, see `crate::flat`).
#[derive(Deserialize)]
pub struct ChatStatusFields {
    /// `ready` or `not_ready`.
    state: String,
    /// Why the agent is not ready.
    reason: Option<ReasonCode>,
}

impl TryFrom<ChatStatusFields> for ChatStatus {
    type Error = String;

    fn try_from(f: ChatStatusFields) -> Result<ChatStatus, String> {
        Ok(match f.state.as_str() {
            "ready" => ChatStatus::Ready,
            "not_ready" => ChatStatus::NotReady {
                reason: required(f.reason, "reason")?,
            },
            other => return Err(unknown("state", other)),
        })
    }
}

impl ChatStatus {
    /// Whether offers may arrive.
    pub fn is_ready(&self) -> bool {
        matches!(self, ChatStatus::Ready)
    }
}

/// A `Not Ready` reason the agent can pick.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NotReadyReason {
    /// The stored code.
    pub code: ReasonCode,
    /// The words the UI shows.
    pub label: String,
}

/// What an account may do. Each role may do everything the ones before it may.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Answers chats.
    Agent,
    /// Also sees and manages agents' work: the live board, monitoring, reassigning, reports.
    Supervisor,
    /// Also configures: accounts, standard responses, codes, channel settings, the audit log.
    Administrator,
}

impl Role {
    /// Every role, lowest first.
    pub const ALL: [Role; 3] = [Role::Agent, Role::Supervisor, Role::Administrator];

    /// The stored and wire form.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Agent => "agent",
            Role::Supervisor => "supervisor",
            Role::Administrator => "administrator",
        }
    }

    /// Reads the stored form.
    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// The words the UI shows.
    pub fn label(self) -> &'static str {
        match self {
            Role::Agent => "Agent",
            Role::Supervisor => "Supervisor",
            Role::Administrator => "Administrator",
        }
    }

    /// Whether this role may do what `needed` may.
    pub fn allows(self, needed: Role) -> bool {
        self >= needed
    }
}

/// An agent as the desktop sees themself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AgentView {
    /// The agent's id.
    pub id: AgentId,
    /// The login name.
    pub login: String,
    /// The name contacts and colleagues see.
    pub display_name: String,
    /// How many chats the agent may hold at once (not Done).
    pub capacity: u32,
    /// What the account may do; the desktop shows supervisor and administrator screens by it.
    pub role: Role,
    /// Ready or Not Ready.
    pub status: ChatStatus,
    /// Interactions that hold a slot of the capacity right now (offers included, see
    /// [`InteractionState::HOLDING_CAPACITY`]).
    pub open_interactions: u32,
}

/// Who wrote a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case", try_from = "AuthorFields")]
pub enum Author {
    /// An agent; the name is the one the contact sees.
    Agent {
        /// Who.
        id: AgentId,
        /// Their display name.
        name: String,
    },
    /// The contact.
    Contact,
    /// A system line (joined, left, ended, reactivated).
    System,
}

/// An [`Author`] as written: its `kind` and the agent's fields (read flat, see `crate::flat`).
#[derive(Deserialize)]
pub struct AuthorFields {
    /// `agent`, `contact` or `system`.
    kind: String,
    /// The agent's id.
    id: Option<AgentId>,
    /// The agent's display name.
    name: Option<String>,
}

impl TryFrom<AuthorFields> for Author {
    type Error = String;

    fn try_from(f: AuthorFields) -> Result<Author, String> {
        Ok(match f.kind.as_str() {
            "agent" => Author::Agent {
                id: required(f.id, "id")?,
                name: required(f.name, "name")?,
            },
            "contact" => Author::Contact,
            "system" => Author::System,
            other => return Err(unknown("author kind", other)),
        })
    }
}

impl Author {
    /// The side the author is on, if a person wrote it.
    pub fn party(&self) -> Option<Party> {
        match self {
            Author::Agent { .. } => Some(Party::Agent),
            Author::Contact => Some(Party::Contact),
            Author::System => None,
        }
    }
}

/// An image attached to a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AttachmentView {
    /// The attachment's id.
    pub id: AttachmentId,
    /// The image type, as sniffed from its bytes (`image/png`, …).
    pub content_type: String,
    /// Size in bytes.
    pub size: u64,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// The file name the uploader gave, for display only.
    pub file_name: String,
    /// Where to fetch it (relative to the API's origin).
    pub url: String,
}

/// The size an image of `width` × `height` pixels is shown at inside a box of `max_width` ×
/// `max_height` (never larger than itself, its proportions kept), given to the page before the
/// image arrives so that its row has its height from the start: a row that grows when the
/// image loads moves everything under it, the newest message out of view. `None` for an image
/// whose size is not known (0).
pub fn shown_size(width: u32, height: u32, max_width: u32, max_height: u32) -> Option<(u32, u32)> {
    if width == 0 || height == 0 {
        return None;
    }
    let scale = (f64::from(max_width) / f64::from(width))
        .min(f64::from(max_height) / f64::from(height))
        .min(1.0);
    // At most the image's own size, so the cast cannot overflow; at least a pixel.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let side = |px: u32| ((f64::from(px) * scale).round() as u32).max(1);
    Some((side(width), side(height)))
}

/// One message of a conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MessageView {
    /// The message's id.
    pub id: MessageId,
    /// The contact whose conversation this is.
    pub contact_id: ContactId,
    /// The interaction it belongs to.
    pub interaction_id: InteractionId,
    /// Position in the contact's conversation; strictly increasing, so a client can merge
    /// pages and live events without duplicates.
    pub seq: i64,
    /// Who wrote it.
    pub author: Author,
    /// The text as written (never interpreted as HTML).
    pub text: String,
    /// An image, if one was attached.
    pub attachment: Option<AttachmentView>,
    /// The id the sender gave it (absent on system lines).
    pub client_id: Option<ClientMessageId>,
    /// When the server committed it.
    pub created_at: Millis,
    /// When the other side's client received it.
    pub delivered_at: Option<Millis>,
    /// When the other side's client showed it.
    pub read_at: Option<Millis>,
    /// For system lines: what happened.
    pub system: Option<SystemLine>,
    /// For an agent's message to a Messenger or X contact: where its delivery through the
    /// platform stands (absent on every other message, and from older servers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outbound: Option<OutboundStatus>,
    /// On a public channel (a Facebook post or comment, a Tweet): the stored message this one
    /// answers (the platform's parent comment, post or Tweet), so the desktop can thread
    /// comments under their post; absent on a top-level item, on private channels and when the
    /// parent was never stored here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<MessageId>,
}

#[cfg(any(test, feature = "test-support"))]
impl MessageView {
    /// For tests: a contact's message `id` in interaction 1 of contact 1, with `seq` equal to
    /// its id and the text `m<id>`; a test changes what it needs with struct update syntax.
    #[must_use]
    pub fn sample(id: i64) -> Self {
        Self {
            id: MessageId(id),
            contact_id: ContactId(1),
            interaction_id: InteractionId(1),
            seq: id,
            author: Author::Contact,
            text: format!("m{id}"),
            attachment: None,
            client_id: None,
            created_at: 0,
            delivered_at: None,
            read_at: None,
            system: None,
            outbound: None,
            reply_to: None,
        }
    }
}

/// Where an agent's message to a platform (Messenger, X) stands in the outbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OutboundStatus {
    /// Waiting, being sent, sent, or failed.
    pub state: OutboundState,
    /// Why it failed (the platform's reason), on `failed`; the last transient error while
    /// it waits for another attempt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The states of an outbound message (see the README's outbox notes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum OutboundState {
    /// Committed; not sent yet (or waiting for another attempt after a transient error).
    Waiting,
    /// A worker holds it and is calling the platform.
    Sending,
    /// The platform accepted it (its id is stored).
    Sent,
    /// The platform refused it, or every attempt failed; an agent may retry it.
    Failed,
}

impl OutboundState {
    /// The name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            OutboundState::Waiting => "waiting",
            OutboundState::Sending => "sending",
            OutboundState::Sent => "sent",
            OutboundState::Failed => "failed",
        }
    }

    /// Reads a stored name.
    pub fn parse(s: &str) -> Option<OutboundState> {
        match s {
            "waiting" => Some(OutboundState::Waiting),
            "sending" => Some(OutboundState::Sending),
            "sent" => Some(OutboundState::Sent),
            "failed" => Some(OutboundState::Failed),
            _ => None,
        }
    }
}

/// What a system line in a transcript says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SystemLine {
    /// An agent joined the chat.
    Joined,
    /// The contact left (closed the chat).
    Left,
    /// The chat was ended (by the agent).
    Ended,
    /// The conversation was reactivated.
    Reactivated,
    /// The chat was transferred to a colleague or the queue. Agents read who handed it to whom
    /// in the line's text; the visitor sees only that another agent is coming (their copy of
    /// the line has no text, see [`crate::visitor::VisitorMessage`]).
    Transferred,
}

impl SystemLine {
    /// The name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            SystemLine::Joined => "joined",
            SystemLine::Left => "left",
            SystemLine::Ended => "ended",
            SystemLine::Reactivated => "reactivated",
            SystemLine::Transferred => "transferred",
        }
    }

    /// The inverse of [`SystemLine::as_str`].
    pub fn parse(s: &str) -> Option<SystemLine> {
        [
            SystemLine::Joined,
            SystemLine::Left,
            SystemLine::Ended,
            SystemLine::Reactivated,
            SystemLine::Transferred,
        ]
        .into_iter()
        .find(|l| l.as_str() == s)
    }
}

/// A transfer an offer comes from: who handed the chat on, and their note to the next agent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TransferView {
    /// Who transferred it (the agent who had it, or a supervisor who reassigned it).
    pub from_id: AgentId,
    /// Their display name, for the offer notification.
    pub from_name: String,
    /// The note to the next agent, if they wrote one.
    pub note: Option<String>,
}

/// How a transfer offer ended, as the agent who made it hears.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TransferOutcome {
    /// The colleague accepted: the chat is theirs now.
    Accepted,
    /// The colleague rejected it: it is back with the sender (or in the queue).
    Rejected,
    /// Nobody answered in time: it is back with the sender (or in the queue).
    TimedOut,
}

/// One interaction, without its messages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InteractionView {
    /// The interaction's id.
    pub id: InteractionId,
    /// The contact.
    pub contact_id: ContactId,
    /// The contact's name as the desktop shows it ("Visitor {id}" until they give one).
    pub contact_name: String,
    /// The page the visitor started from, if known (see [`ContactView::page`]).
    pub contact_page: Option<String>,
    /// Where the chat happens.
    pub channel: Channel,
    /// Where it is in its life.
    pub state: InteractionState,
    /// The agent who owns (or is offered) it.
    pub agent_id: Option<AgentId>,
    /// That agent's display name.
    pub agent_name: Option<String>,
    /// When the interaction was created.
    pub created_at: Millis,
    /// When an agent accepted it or it was reactivated to an agent.
    pub accepted_at: Option<Millis>,
    /// When the chat session ended.
    pub ended_at: Option<Millis>,
    /// Who ended it.
    pub ended_by: Option<Party>,
    /// When it was marked Done.
    pub done_at: Option<Millis>,
    /// The disposition chosen on Mark Done.
    pub disposition: Option<DispositionCode>,
    /// The interaction this one continues, if it was a reactivation.
    pub reactivated_from: Option<InteractionId>,
    /// What reactivated it.
    pub reactivated_by: Option<Reactivation>,
    /// Handle time recorded so far, in milliseconds.
    pub handle_time_ms: i64,
    /// While offered: when the offer expires.
    pub offer_expires_at: Option<Millis>,
    /// While queued for one agent (the contact answered them): that agent.
    pub reserved_for: Option<AgentId>,
    /// If the agent's send continued this ended interaction in a new one: the new one.
    pub continued_as: Option<InteractionId>,
    /// On Messenger: when the contact last wrote there (in this interaction or an earlier
    /// one); the platform's reply window counts from it ([`crate::platforms`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_wrote_at: Option<Millis>,
}

impl InteractionView {
    /// An interaction with `contact` on `channel`, in `state`, created at `created_at`, and
    /// nothing else set yet (no agent, no other times): what the other fields start from.
    pub fn new(
        id: InteractionId,
        contact: (ContactId, &str),
        channel: Channel,
        state: InteractionState,
        created_at: Millis,
    ) -> Self {
        InteractionView {
            id,
            contact_id: contact.0,
            contact_name: contact.1.to_owned(),
            contact_page: None,
            channel,
            state,
            agent_id: None,
            agent_name: None,
            created_at,
            accepted_at: None,
            ended_at: None,
            ended_by: None,
            done_at: None,
            disposition: None,
            reactivated_from: None,
            reactivated_by: None,
            handle_time_ms: 0,
            offer_expires_at: None,
            reserved_for: None,
            continued_as: None,
            contact_wrote_at: None,
        }
    }

    /// Open: a chat session is going on or waiting for an agent.
    pub fn is_open(&self) -> bool {
        matches!(
            self.state,
            InteractionState::Queued | InteractionState::Offered | InteractionState::Active
        )
    }
}

/// A standard response's category.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CategoryView {
    /// The category's id.
    pub id: crate::CategoryId,
    /// The parent category (none for the top level).
    pub parent_id: Option<crate::CategoryId>,
    /// Its name.
    pub name: String,
}

/// A standard response: canned text with field codes such as `{contact.first_name}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StandardResponse {
    /// The response's id.
    pub id: crate::ResponseId,
    /// The category it is filed under.
    pub category_id: crate::CategoryId,
    /// Its title.
    pub title: String,
    /// The text with field codes.
    pub body: String,
}

/// A disposition code agents choose from on `Mark Done`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Disposition {
    /// The stored code.
    pub code: DispositionCode,
    /// The words the UI shows.
    pub label: String,
}

/// The field codes a standard response may contain, and how to fill them.
pub mod field_codes {
    /// The contact's first name.
    pub const CONTACT_FIRST_NAME: &str = "{contact.first_name}";
    /// The contact's last name.
    pub const CONTACT_LAST_NAME: &str = "{contact.last_name}";
    /// The agent's display name.
    pub const AGENT_NAME: &str = "{agent.name}";
    /// Every field code [`fill`] knows; a standard response may use only these.
    pub const ALL: [&str; 3] = [CONTACT_FIRST_NAME, CONTACT_LAST_NAME, AGENT_NAME];

    /// Replaces every known field code in `body`.
    pub fn fill(body: &str, contact_first: &str, contact_last: &str, agent_name: &str) -> String {
        body.replace(CONTACT_FIRST_NAME, contact_first)
            .replace(CONTACT_LAST_NAME, contact_last)
            .replace(AGENT_NAME, agent_name)
    }
}

#[cfg(test)]
mod tests {
    use super::shown_size;

    #[test]
    fn an_image_is_shown_inside_its_box_with_its_proportions() {
        assert_eq!(shown_size(40, 30, 192, 160), Some((40, 30)));
        assert_eq!(shown_size(1920, 1080, 192, 160), Some((192, 108)));
        assert_eq!(shown_size(1000, 2000, 192, 160), Some((80, 160)));
        assert_eq!(shown_size(5000, 1, 192, 160), Some((192, 1)));
        assert_eq!(
            shown_size(u32::MAX, u32::MAX, 240, u32::MAX),
            Some((240, 240))
        );
        assert_eq!(shown_size(0, 30, 192, 160), None);
        assert_eq!(shown_size(30, 0, 192, 160), None);
    }
}
