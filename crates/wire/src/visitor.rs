//! What a visitor (the customer in the widget) may see: the one visitor-facing form of a
//! message, an interaction, a conversation page and a live event. Every visitor route and the
//! visitor stream send these, never the agent views: those carry the desktop's working data
//! (disposition, handle time, reservations, offers, the agent's id, the contact's start page).
//!
//! # Layout
//! - [`VisitorAuthor`], [`VisitorMessage`], [`VisitorInteraction`], [`VisitorConversationPage`]:
//!   the views, each built from its agent view by `From` (the only place fields are chosen).
//! - [`Public`]: the narrowing of the event table to these views; [`PublicEvent`] is the
//!   visitor rows of [`crate::event::event_table`] with them, and [`PublicEnvelope`] what a
//!   visitor stream's `data:` holds.

use crate::api::ConversationPage;
use crate::event::{Narrowing, VisitorEvent};
use crate::ids::{AttachmentId, ClientMessageId, ContactId, EventId, InteractionId, MessageId};
use crate::model::{
    AttachmentView, Author, InteractionState, InteractionView, MessageView, Party, SystemLine,
};
use crate::Millis;
use serde::{Deserialize, Serialize};

/// Who wrote a message, as the customer sees it: an agent only by the name they show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VisitorAuthor {
    /// Which side (the same words as [`Author`]'s `kind`).
    pub kind: AuthorKind,
    /// An agent's display name (absent for the contact and system lines).
    pub name: Option<String>,
}

/// The side a message's author is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AuthorKind {
    /// An agent.
    Agent,
    /// The contact (the visitor).
    Contact,
    /// A system line.
    System,
}

impl From<Author> for VisitorAuthor {
    fn from(a: Author) -> Self {
        match a {
            Author::Agent { name, .. } => VisitorAuthor {
                kind: AuthorKind::Agent,
                name: Some(name),
            },
            Author::Contact => VisitorAuthor {
                kind: AuthorKind::Contact,
                name: None,
            },
            Author::System => VisitorAuthor {
                kind: AuthorKind::System,
                name: None,
            },
        }
    }
}

/// An image on a message, as the customer sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VisitorAttachment {
    /// The attachment's id (the visitor sends it with a message after uploading).
    pub id: AttachmentId,
    /// The sniffed image type.
    pub content_type: String,
    /// Size in bytes.
    pub size: u64,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// The uploader's file name, for display.
    pub file_name: String,
    /// Where to fetch it.
    pub url: String,
}

impl From<AttachmentView> for VisitorAttachment {
    fn from(a: AttachmentView) -> Self {
        VisitorAttachment {
            id: a.id,
            content_type: a.content_type,
            size: a.size,
            width: a.width,
            height: a.height,
            file_name: a.file_name,
            url: a.url,
        }
    }
}

/// One message of the customer's conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VisitorMessage {
    /// The message's id.
    pub id: MessageId,
    /// The visitor's contact.
    pub contact_id: ContactId,
    /// The chat it belongs to (the transcript's boundaries).
    pub interaction_id: InteractionId,
    /// Position in the conversation (merge key).
    pub seq: i64,
    /// Who wrote it.
    pub author: VisitorAuthor,
    /// The text (never HTML).
    pub text: String,
    /// An image, if one was attached.
    pub attachment: Option<VisitorAttachment>,
    /// The id the visitor's own client gave it (absent on agent and system lines).
    pub client_id: Option<ClientMessageId>,
    /// When the server stored it.
    pub created_at: Millis,
    /// When the other side received it.
    pub delivered_at: Option<Millis>,
    /// When the other side showed it.
    pub read_at: Option<Millis>,
    /// For system lines: what happened.
    pub system: Option<SystemLine>,
}

impl From<MessageView> for VisitorMessage {
    fn from(m: MessageView) -> Self {
        let own = matches!(m.author, Author::Contact);
        VisitorMessage {
            id: m.id,
            contact_id: m.contact_id,
            interaction_id: m.interaction_id,
            seq: m.seq,
            author: m.author.into(),
            // A transfer's line names colleagues and is for agents; the visitor's widget says
            // in its own words that another agent is coming.
            text: if m.system == Some(SystemLine::Transferred) {
                String::new()
            } else {
                m.text
            },
            attachment: m.attachment.map(Into::into),
            client_id: m.client_id.filter(|_| own),
            created_at: m.created_at,
            delivered_at: m.delivered_at,
            read_at: m.read_at,
            system: m.system,
        }
    }
}

/// One chat of the customer's conversation: its state and who is helping.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VisitorInteraction {
    /// The interaction's id.
    pub id: InteractionId,
    /// The visitor's contact.
    pub contact_id: ContactId,
    /// Where it is in its life (waiting, being offered, going on, over).
    pub state: InteractionState,
    /// The helping agent's display name, once one accepted.
    pub agent_name: Option<String>,
    /// When it started.
    pub created_at: Millis,
    /// When it ended.
    pub ended_at: Option<Millis>,
    /// Who ended it.
    pub ended_by: Option<Party>,
}

impl From<InteractionView> for VisitorInteraction {
    fn from(i: InteractionView) -> Self {
        // An offered chat's agent has not joined yet: the customer learns a name on Accept.
        let agent_name = i
            .agent_name
            .filter(|_| i.state != InteractionState::Offered);
        VisitorInteraction {
            id: i.id,
            contact_id: i.contact_id,
            state: i.state,
            agent_name,
            created_at: i.created_at,
            ended_at: i.ended_at,
            ended_by: i.ended_by,
        }
    }
}

/// `GET /api/visitor/conversation`: the customer's messages from the newest back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VisitorConversationPage {
    /// The visitor's contact.
    pub contact_id: ContactId,
    /// Messages, oldest first within the page.
    pub messages: Vec<VisitorMessage>,
    /// The chats those messages belong to.
    pub interactions: Vec<VisitorInteraction>,
    /// Whether older messages exist.
    pub has_more: bool,
}

impl From<ConversationPage> for VisitorConversationPage {
    fn from(p: ConversationPage) -> Self {
        VisitorConversationPage {
            contact_id: p.contact_id,
            messages: p.messages.into_iter().map(Into::into).collect(),
            interactions: p.interactions.into_iter().map(Into::into).collect(),
            has_more: p.has_more,
        }
    }
}

/// The event table's visitor rows read (and written) with the visitor views.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Public;

impl Narrowing for Public {
    type Message = VisitorMessage;
    type Interaction = VisitorInteraction;
}

/// A live event as a visitor's stream sends it.
pub type PublicEvent = VisitorEvent<Public>;

/// What a visitor stream's `data:` holds (the same shape as [`crate::EventEnvelope`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PublicEnvelope {
    /// The log id (also the SSE `id:`).
    pub id: EventId,
    /// When it was written.
    pub at: Millis,
    /// What happened, in its visitor form.
    pub event: PublicEvent,
}
