//! Monitor: a supervisor watches a live chat read-only. `GET /api/supervisor/interactions/{id}`
//! reads it ([`MonitorView`]), `POST`/`DELETE …/{id}/monitor` start and stop watching; the agent
//! holding the chat hears both (the `monitoring` event) and reads the current monitors with
//! their work ([`crate::api::MyWork::monitors`]).

use crate::api::ConversationPage;
use crate::{AgentId, InteractionId, InteractionView, Millis};
use serde::{Deserialize, Serialize};

/// One supervisor watching one interaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Monitor {
    /// The interaction watched.
    pub interaction_id: InteractionId,
    /// The supervisor (or administrator) watching.
    pub by_id: AgentId,
    /// Their display name, as the agent's notice shows it.
    pub by_name: String,
    /// Since when.
    pub since: Millis,
}

/// What a supervisor's monitor view reads: the interaction, the newest page of its contact's
/// conversation (the same read as the desktop's), and who watches it now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MonitorView {
    /// The interaction as it is now.
    pub interaction: InteractionView,
    /// The newest page of the contact's conversation (messages of earlier interactions too).
    pub page: ConversationPage,
    /// Every supervisor watching it now.
    pub monitors: Vec<Monitor>,
}

/// The text the agent's Chat Interaction view shows while `name` watches the chat.
pub fn monitoring_text(name: &str) -> String {
    format!("{name} is monitoring this chat")
}
