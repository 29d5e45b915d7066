//! The supervisor's board: the queue, every agent and the totals, as one snapshot. The console
//! reads it with `GET /api/supervisor/board` and reads it again when its board stream (every
//! event agents see) says something changed.

use crate::{
    AgentId, Channel, ChatStatus, ContactId, InteractionId, InteractionState, Millis, Role,
};
use serde::{Deserialize, Serialize};

/// The whole board.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Board {
    /// When the server read it: waits and times in status are counted from this clock, not
    /// the browser's.
    pub at: Millis,
    /// Chats waiting for an agent (queued, offered, or reserved for the agent the contact
    /// answered), the longest waiting first.
    pub queue: Vec<WaitingChat>,
    /// Every active account, by display name.
    pub agents: Vec<BoardAgent>,
    /// The counts at the top of the board.
    pub totals: BoardTotals,
}

/// A chat no agent is working on yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WaitingChat {
    /// The interaction.
    pub id: InteractionId,
    /// Its contact.
    pub contact: ContactId,
    /// The contact's name as the desktop shows it.
    pub contact_name: String,
    /// Where it came from.
    pub channel: Channel,
    /// Queued or Offered.
    pub state: InteractionState,
    /// Since when it waits (it entered the queue).
    pub waiting_since: Millis,
    /// The agent it is offered to right now, if any.
    pub offered_to: Option<String>,
    /// The agent it is kept for (the contact answered them), if any.
    pub reserved_for: Option<String>,
}

/// One agent's line on the board.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BoardAgent {
    /// The account.
    pub id: AgentId,
    /// The name colleagues see.
    pub display_name: String,
    /// Agent, supervisor or administrator.
    pub role: Role,
    /// Ready, or Not Ready with the reason.
    pub status: ChatStatus,
    /// When the status last changed (none before the first change).
    pub status_since: Option<Millis>,
    /// Whether a desktop of theirs is connected (offers only go to connected agents).
    pub connected: bool,
    /// Whether they are logged in: a session of theirs is live (its desktop may be closed).
    /// A supervisor can set Not Ready or log out only an agent who is.
    pub signed_in: bool,
    /// Most chats they hold at once.
    pub capacity: u32,
    /// The chats they hold now (offered, active, ended but not Done).
    pub chats: Vec<BoardChat>,
}

/// A chat an agent holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BoardChat {
    /// The interaction.
    pub id: InteractionId,
    /// Its contact.
    pub contact: ContactId,
    /// The contact's name.
    pub contact_name: String,
    /// The channel.
    pub channel: Channel,
    /// Offered, Active or Ended.
    pub state: InteractionState,
    /// When it started (was created).
    pub since: Millis,
}

/// The board's counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BoardTotals {
    /// Chats waiting for an agent (queued or offered), reserved ones included.
    pub waiting: u32,
    /// Chats an agent is working on.
    pub active: u32,
    /// Chats ended but not yet marked Done.
    pub ended_not_done: u32,
    /// Chats kept for the agent the contact answered ("contact responded"), not yet taken.
    pub contact_responded: u32,
}
