//! Contacts: who the contact center talks to, their identities per channel, and the name the
//! desktop shows for them.

use crate::ids::{AgentId, ContactId};
use crate::model::Channel;
use crate::Millis;
use serde::{Deserialize, Serialize};

/// A contact's identity on one channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum Identity {
    /// An anonymous web visitor (the widget's visitor id).
    WebVisitor(String),
    /// A customer the company website vouched for (its own customer id).
    WebCustomer(String),
    /// A Facebook Messenger page-scoped id.
    MessengerPsid(String),
    /// A Twitter/X user id.
    TwitterUser(String),
}

/// A contact with everything the Contact Information panel shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ContactView {
    /// The contact's id.
    pub id: ContactId,
    /// First name (used by the `{contact.first_name}` field code).
    pub first_name: String,
    /// Last name.
    pub last_name: String,
    /// Email address, if known.
    pub email: Option<String>,
    /// Phone number, if known.
    pub phone: Option<String>,
    /// Free notes agents keep about the contact.
    pub notes: String,
    /// The contact's identities per channel.
    pub identities: Vec<Identity>,
    /// The agent who last handled the contact (preferred by routing).
    pub last_agent_id: Option<AgentId>,
}

impl ContactView {
    /// "First Last", or a fallback when no name is known.
    pub fn display_name(&self) -> String {
        display_name(&self.first_name, &self.last_name)
    }
}

/// "First Last", or "Visitor" when both are empty.
pub fn display_name(first: &str, last: &str) -> String {
    let full = format!("{first} {last}");
    let full = full.trim();
    if full.is_empty() {
        "Visitor".to_owned()
    } else {
        full.to_owned()
    }
}

/// One line of the Contacts list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ContactSummary {
    /// The contact's id.
    pub id: ContactId,
    /// Their name as shown.
    pub name: String,
    /// Email, if known.
    pub email: Option<String>,
    /// The channels they have used.
    pub channels: Vec<Channel>,
    /// When anything last happened in their conversation.
    pub last_activity_at: Millis,
    /// The latest message's text (shortened).
    pub last_message: Option<String>,
    /// Messages from the contact this agent has not opened yet.
    pub unread: u32,
}
