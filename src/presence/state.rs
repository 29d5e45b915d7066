//! The agent's status on the Chat channel and load, and the desktop configuration.

use leptos::prelude::*;
use wire::api::DesktopConfig;
use wire::AgentView;

/// Presence, as a context.
#[derive(Debug, Clone, Copy)]
pub struct PresenceState {
    /// The agent as the server last described them (status, capacity, open interactions).
    pub agent: RwSignal<AgentView>,
    /// `GET /api/config`, once loaded.
    pub config: RwSignal<Option<DesktopConfig>>,
    /// A status change is on its way.
    pub saving: RwSignal<bool>,
}

impl PresenceState {
    /// Starts from the agent the login returned.
    pub fn new(agent: AgentView) -> Self {
        PresenceState {
            agent: RwSignal::new(agent),
            config: RwSignal::new(None),
            saving: RwSignal::new(false),
        }
    }

    /// The server sent a new form of the agent.
    pub fn agent_changed(self, agent: AgentView) {
        self.agent.set(agent);
    }
}
