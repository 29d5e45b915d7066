//! Request and response bodies, one pair per operation. Paths are in the comments; the
//! server's OpenAPI document (`/api/openapi.json`) is the full reference.

use crate::ids::{
    AgentId, AttachmentId, ClientMessageId, ContactId, DispositionCode, EventId, InteractionId,
    MessageId,
};
use crate::model::{
    AgentView, CategoryView, Channel, ChatStatus, ContactSummary, Disposition, InteractionView,
    MessageView, NotReadyReason, StandardResponse,
};
use crate::Millis;
use serde::{Deserialize, Serialize};

/// `POST /api/auth/login`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LoginRequest {
    /// The agent's login name.
    pub login: String,
    /// Their password.
    pub password: String,
}

/// The answer to a successful login.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LoginResponse {
    /// The bearer token for `Authorization: Bearer …`. Opaque; the server keeps only its hash.
    pub token: String,
    /// When it expires.
    pub expires_at: Millis,
    /// The agent who logged in.
    pub agent: AgentView,
}

/// `POST /api/auth/password`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChangePasswordRequest {
    /// The password now.
    pub current_password: String,
    /// The new one ([`crate::accounts::check_password`]: at least 10 characters).
    pub new_password: String,
}

/// `PUT /api/me/status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SetStatusRequest {
    /// Ready, or Not Ready with a reason code from the configuration.
    pub status: ChatStatus,
}

/// `GET /api/config`: what the desktop needs to draw its choices.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DesktopConfig {
    /// `Not Ready` reasons.
    pub not_ready_reasons: Vec<NotReadyReason>,
    /// Disposition codes for `Mark Done`.
    pub dispositions: Vec<Disposition>,
    /// Whether `Mark Done` needs a disposition code.
    pub disposition_required: bool,
    /// Longest message text, in characters.
    pub max_message_chars: u32,
    /// Largest image, in bytes.
    pub max_image_bytes: u64,
    /// How long an offer stays open, in milliseconds.
    pub offer_timeout_ms: u64,
    /// Channels whose chat is not asynchronous (`ChannelSettings::async_chat` off): there an
    /// agent writes only into an open chat.
    #[serde(default)]
    pub synchronous_channels: Vec<Channel>,
}

/// `POST /api/events/ticket` and `POST /api/visitor/events/ticket`: a short-lived, single-use
/// ticket that opens one event stream, so no long-lived credential goes into a URL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StreamTicket {
    /// Pass as `?ticket=` to the stream.
    pub ticket: String,
    /// It must be used before this.
    pub expires_at: Millis,
    /// The newest event id when the ticket was made: load state, then stream from here.
    pub head: EventId,
}

/// `POST /api/interactions/{id}/done`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MarkDoneRequest {
    /// The disposition code (required where the configuration says so).
    pub disposition: Option<DispositionCode>,
}

/// `POST /api/interactions/{id}/handle-time`: one stretch of time the interaction view was open.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HandleTimeSegment {
    /// When the view was shown.
    pub started_at: Millis,
    /// When it was hidden or closed.
    pub ended_at: Millis,
}

/// `POST /api/interactions/{id}/typing` and `POST /api/visitor/typing`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TypingRequest {
    /// Typing now, or stopped.
    pub typing: bool,
}

/// Where an agent's message was written; decides what a send into a conversation with no open
/// interaction does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SendSource {
    /// The Chat Interaction view (Transcript or Conversation tab): reactivates the chat.
    #[default]
    InteractionView,
    /// `Write a Message` in the Communication tab: stores the message for the contact's next
    /// visit without opening an interaction view.
    CommunicationTab,
}

/// `POST /api/contacts/{id}/messages`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AgentSendRequest {
    /// The sender's id for this message; a retry with the same id stores nothing new.
    pub client_id: ClientMessageId,
    /// The text (may be empty when an image is attached).
    #[serde(default)]
    pub text: String,
    /// An uploaded image.
    pub attachment_id: Option<AttachmentId>,
    /// Where it was written.
    #[serde(default)]
    pub source: SendSource,
    /// A public reply: the contact's comment, post or Tweet it answers. The reply goes out on
    /// that item's channel (a comment reply on Facebook, a reply Tweet on X) through the outbox;
    /// without it a message goes to the contact's private conversation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<MessageId>,
}

/// The answer to a send: the message as stored, and the interaction it went into (which may
/// be a new one, if the send reactivated the conversation).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SendResponse {
    /// The stored message.
    pub message: MessageView,
    /// Its interaction.
    pub interaction: InteractionView,
}

/// `POST /api/visitor/messages`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VisitorSendRequest {
    /// The sender's id for this message.
    pub client_id: ClientMessageId,
    /// The text (may be empty when an image is attached).
    #[serde(default)]
    pub text: String,
    /// An uploaded image.
    pub attachment_id: Option<AttachmentId>,
}

/// `POST /api/contacts/{id}/receipts` and `POST /api/visitor/receipts`: the other side's
/// messages up to `up_to_seq` were received (and, if `read`, shown).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReceiptRequest {
    /// Highest seq covered.
    pub up_to_seq: i64,
    /// Shown to the person (otherwise only received).
    pub read: bool,
}

/// `PATCH /api/contacts/{id}`: fields left out stay as they are.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ContactPatch {
    /// First name.
    pub first_name: Option<String>,
    /// Last name.
    pub last_name: Option<String>,
    /// Email (empty string clears it).
    pub email: Option<String>,
    /// Phone (empty string clears it).
    pub phone: Option<String>,
    /// Notes.
    pub notes: Option<String>,
}

/// `POST /api/contacts/{id}/link`: this contact is the same person as `into`, an existing
/// contact: its identities and conversations move there, and it is gone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LinkRequest {
    /// The contact that keeps everything.
    pub into: crate::ContactId,
}

/// `GET /api/admin/contacts/{id}/export`: everything the contact center holds of a contact,
/// for their request to see it (or to take it elsewhere). Pictures are named by their
/// messages' `attachment.url`, each downloaded with the same token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ContactExport {
    /// When it was read.
    pub exported_at: Millis,
    /// Their details and identities.
    pub contact: crate::ContactView,
    /// Every chat and thread with them, oldest first.
    pub interactions: Vec<InteractionView>,
    /// Every message of their conversations, both sides' and system lines, in order.
    pub messages: Vec<MessageView>,
}

/// `DELETE /api/admin/contacts/{id}`: what erasing the contact removed. Only counts: nothing
/// of the person is kept, not even here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErasedContact {
    /// The contact that was erased (the id is not given again).
    pub contact_id: crate::ContactId,
    /// Their chats, threads and reactivations, each one interaction.
    pub interactions: u64,
    /// Messages of their conversations, both sides' and system lines.
    pub messages: u64,
    /// Pictures they or agents sent in them, and their own uploads not yet sent.
    pub pictures: u64,
}

/// `POST /api/contacts/{id}/unlink`: the identity is someone else: it becomes a contact of
/// its own, with its channels' conversations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UnlinkRequest {
    /// One of the contact's identities.
    pub identity: crate::Identity,
}

/// `POST /api/contacts/{id}/unlink`: both contacts as they are now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UnlinkResult {
    /// The contact the identity left.
    pub contact: crate::ContactView,
    /// The new contact holding the identity.
    pub new_contact: crate::ContactView,
}

/// `GET /api/contacts`: one page of the Contacts list, newest activity first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ContactPage {
    /// The contacts.
    pub contacts: Vec<ContactSummary>,
    /// Pass as `?cursor=` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

/// `GET /api/contacts/{id}/conversation` and `GET /api/visitor/conversation`: messages from
/// the newest back, with the interactions they belong to (the boundaries).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConversationPage {
    /// The contact.
    pub contact_id: ContactId,
    /// Messages, oldest first within the page.
    pub messages: Vec<MessageView>,
    /// Every interaction a message of the page belongs to.
    pub interactions: Vec<InteractionView>,
    /// Whether older messages exist (ask again with `before_seq` = the first seq here).
    pub has_more: bool,
}

/// One search hit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SearchHit {
    /// The message that matched.
    pub message: MessageView,
    /// Its contact's name.
    pub contact_name: String,
}

/// `GET /api/search`: matches, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SearchResults {
    /// The hits.
    pub hits: Vec<SearchHit>,
    /// Whether more exist (ask again with `before_id` = the last hit's message id).
    pub has_more: bool,
}

/// `GET /api/responses`: the standard responses tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ResponseTree {
    /// Every category.
    pub categories: Vec<CategoryView>,
    /// Every response.
    pub responses: Vec<StandardResponse>,
}

/// `GET /api/interactions`: the agent's open work.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MyWork {
    /// Interactions the agent owns that are not Done.
    pub interactions: Vec<InteractionView>,
    /// Offers waiting for the agent's answer.
    pub offers: Vec<crate::event::OfferView>,
    /// The agent as they are now.
    pub agent: AgentView,
    /// Supervisors watching the agent's open interactions now (the "… is monitoring this
    /// chat" notice after a reload).
    #[serde(default)]
    pub monitors: Vec<crate::monitor::Monitor>,
}

/// `POST /api/visitor/session`: start or resume a visitor's conversation.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VisitorSessionRequest {
    /// The token this browser was given before, to resume.
    pub visitor_token: Option<String>,
    /// A customer identity signed by the company website (`customer_id.expires.signature`).
    pub identity: Option<String>,
    /// Optional name.
    pub name: Option<String>,
    /// Optional email.
    pub email: Option<String>,
    /// Optional: the path of the page the visitor started from (`/pricing`), at most
    /// [`crate::MAX_START_PAGE_CHARS`] characters; kept on the contact the first time it is
    /// given.
    pub page: Option<String>,
}

/// The visitor's session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VisitorSession {
    /// Keep this (the widget stores it) and send it as `Authorization: Bearer …`.
    pub visitor_token: String,
    /// The visitor's contact.
    pub contact_id: ContactId,
    /// The name the visitor gave (or that the company knows).
    pub name: String,
    /// Messages from agents the visitor has not read yet.
    pub unread: u32,
    /// The visitor's open interaction, if a chat is going on.
    pub open_interaction: Option<InteractionId>,
}

/// Where a transfer hands the chat: a named colleague, or back to the queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TransferTarget {
    /// `{"agent": 2}`: offered to this colleague.
    Agent(AgentId),
    /// `"queue"`: back to the queue, for routing to offer to the next Ready agent.
    Queue,
}

/// `POST /api/interactions/{id}/transfer`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TransferRequest {
    /// Where the chat goes.
    pub to: TransferTarget,
    /// A note to the next agent (at most [`MAX_TRANSFER_NOTE_CHARS`] characters, may have
    /// line breaks); shown in their offer.
    #[serde(default)]
    pub note: Option<String>,
}

/// The longest note a transfer may carry, in characters.
pub const MAX_TRANSFER_NOTE_CHARS: usize = 500;

/// `GET /api/agents`: a colleague as the Transfer dialog lists them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Colleague {
    /// Their id (the transfer's target).
    pub id: AgentId,
    /// The name the dialog shows.
    pub display_name: String,
    /// Ready or Not Ready: a transfer is offered only to a Ready colleague.
    pub status: ChatStatus,
    /// Chats holding a slot of their capacity now (the "N" of "N of M").
    pub open_interactions: u32,
    /// How many chats they may hold (the "M").
    pub capacity: u32,
    /// Whether their desktop is connected (a transfer to someone away would only time out).
    pub connected: bool,
}

/// `GET /api/health`: the instance can serve, its database having answered just now. A
/// failing check is a 503 with the error body instead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Health {
    /// `"ok"`.
    pub status: String,
}
