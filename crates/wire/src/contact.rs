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
    /// A Facebook user's id as the Page's feed names a comment's author (`from.id`): not the
    /// Messenger page-scoped id, so the same person is a separate identity until linked.
    FacebookUser(String),
}

impl Identity {
    /// What kind of identity it is, in the UI's words ("Facebook Messenger").
    pub fn kind_label(&self) -> &'static str {
        match self {
            Identity::WebVisitor(_) => "Web visitor",
            Identity::WebCustomer(_) => "Customer",
            Identity::MessengerPsid(_) => "Facebook Messenger",
            Identity::TwitterUser(_) => "Twitter/X",
            Identity::FacebookUser(_) => "Facebook",
        }
    }

    /// The identity as Contact Information lists it ("Facebook Messenger 2741").
    pub fn text(&self) -> String {
        let value = match self {
            Identity::WebVisitor(v)
            | Identity::WebCustomer(v)
            | Identity::MessengerPsid(v)
            | Identity::TwitterUser(v)
            | Identity::FacebookUser(v) => v,
        };
        format!("{} {value}", self.kind_label())
    }

    /// The channels whose conversations this identity is how the contact is reached on: an
    /// identity unlinked from a contact takes its interactions on these channels with it.
    pub fn channels(&self) -> &'static [Channel] {
        match self {
            Identity::WebVisitor(_) | Identity::WebCustomer(_) => &[Channel::WebChat],
            Identity::MessengerPsid(_) => &[Channel::Messenger],
            Identity::TwitterUser(_) => &[Channel::TwitterDm, Channel::Tweet],
            Identity::FacebookUser(_) => &[Channel::FacebookPost],
        }
    }

    /// Whether the two are the same kind of identity (two Messenger ids, say).
    pub fn same_kind(&self, other: &Identity) -> bool {
        std::mem::discriminant(self) == std::mem::discriminant(other)
    }
}

/// Why an identity cannot be unlinked from `contact`, in the words the desktop shows; `None`
/// when it can. One rule for the server's refusal and the desktop's disabled `Unlink`.
pub fn unlink_refusal(contact: &ContactView, identity: &Identity) -> Option<String> {
    if !contact.identities.contains(identity) {
        return Some(format!(
            "{} is not one of {}'s identities.",
            identity.text(),
            contact.display_name()
        ));
    }
    if contact.identities.len() < 2 {
        return Some(format!(
            "{} is {}'s only identity.",
            identity.text(),
            contact.display_name()
        ));
    }
    let shared = contact.identities.iter().find(|other| {
        *other != identity
            && other
                .channels()
                .iter()
                .any(|c| identity.channels().contains(c))
    });
    shared.map(|other| {
        format!(
            "{} and {} share {}'s {} conversations, which cannot be told apart.",
            identity.text(),
            other.text(),
            contact.display_name(),
            identity.channels()[0].label()
        )
    })
}

/// Why `from` cannot be linked into `into`, in the desktop's words; `None` when it can. A
/// contact has at most one identity of each kind, so each identity's conversations can be
/// told apart again by `Unlink`.
pub fn link_refusal(from: &ContactView, into: &ContactView) -> Option<String> {
    if from.id == into.id {
        return Some("A contact cannot be linked to itself.".to_owned());
    }
    let clash = from.identities.iter().find_map(|a| {
        into.identities
            .iter()
            .find(|b| a.same_kind(b))
            .map(|b| (a, b))
    });
    clash.map(|(a, b)| {
        format!(
            "{} already has a {} identity ({}), so {} cannot be added.",
            into.display_name(),
            b.kind_label(),
            b.text(),
            a.text()
        )
    })
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
    /// The page (path) of the company website the visitor first started a chat session from,
    /// so an agent can tell anonymous visitors apart and see what they were looking at.
    pub page: Option<String>,
}

impl ContactView {
    /// "First Last", or "Visitor {id}" when no name is known (see [`display_name`]).
    pub fn display_name(&self) -> String {
        display_name(self.id, &self.first_name, &self.last_name)
    }
}

/// The name shown for a contact: "First Last", or "Visitor {id}" when both are empty, so that
/// anonymous visitors can be told apart until they give a name. Every display name the server
/// sends is made here.
pub fn display_name(id: ContactId, first: &str, last: &str) -> String {
    let full = format!("{first} {last}");
    let full = full.trim();
    if full.is_empty() {
        format!("Visitor {}", id.0)
    } else {
        full.to_owned()
    }
}

/// Longest start page (path) a visitor session may name, in characters.
pub const MAX_START_PAGE_CHARS: usize = 200;

/// Whether `page` is acceptable as the path a visitor started from: a path (starts with `/`),
/// at most [`MAX_START_PAGE_CHARS`] characters, no whitespace or control characters.
pub fn valid_start_page(page: &str) -> bool {
    page.starts_with('/')
        && page.chars().count() <= MAX_START_PAGE_CHARS
        && !page
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || crate::checks::is_hidden_format(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anonymous_visitors_are_told_apart_by_id() {
        assert_eq!(display_name(ContactId(4821), "", ""), "Visitor 4821");
        assert_eq!(display_name(ContactId(7), " ", ""), "Visitor 7");
        assert_eq!(display_name(ContactId(7), "Ada", ""), "Ada");
        assert_eq!(
            display_name(ContactId(7), "Ada", "Lovelace"),
            "Ada Lovelace"
        );
    }

    #[test]
    fn start_pages_are_paths_of_bounded_length() {
        assert!(valid_start_page("/pricing"));
        assert!(valid_start_page("/"));
        assert!(valid_start_page(&format!("/{}", "a".repeat(199))));
        assert!(!valid_start_page(&format!("/{}", "a".repeat(200))));
        assert!(!valid_start_page("pricing"));
        assert!(!valid_start_page("https://example.com/"));
        assert!(!valid_start_page("/a b"));
        assert!(!valid_start_page("/a\nb"));
        assert!(!valid_start_page("/a\u{202E}b"));
        assert!(!valid_start_page(""));
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
    /// The page the visitor started from, if known (see [`ContactView::page`]).
    pub page: Option<String>,
}
