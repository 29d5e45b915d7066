//! Every place an agent can be, and its URL. The URL is the one source of truth: a click
//! navigates (a new history entry), the place follows the URL, so Back and Forward move between
//! places, a reload keeps the place, and a deep link opened while logged out lands there after
//! login.
//!
//! | URL                                         | Place                                   |
//! |---------------------------------------------|-----------------------------------------|
//! | `/`                                         | the desk (nothing chosen)               |
//! | `/communication`                            | the Communication tab                   |
//! | `/communication/<contact id>`               | … at a contact (`?view=public`: Public) |
//! | `/contacts`, `/contacts/<contact id>`       | the same as `/communication…`           |
//! | `/interactions/<id>`                        | a Chat Interaction view (Conversation)  |
//! | `/interactions/<id>/conversation`           | … its Conversation tab                  |
//! | `/interactions/<id>/contact-information`    | … its Contact Information tab           |
//! | `/interactions/<id>/history`                | … its Contact History tab               |
//! | `/interactions/<id>/responses`              | … its Standard Responses tab            |
//!
//! Anything else is [`Place::Unknown`], which says so.

use wire::{ContactId, InteractionId};

/// The side panel tabs of a Chat Interaction view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Panel {
    /// The whole conversation with the contact.
    Conversation,
    /// Name, email, phone, notes, identities.
    ContactInformation,
    /// Earlier interactions.
    ContactHistory,
    /// Canned texts.
    StandardResponses,
}

impl Panel {
    /// In the order of the tabs.
    pub const ALL: [Panel; 4] = [
        Panel::Conversation,
        Panel::ContactInformation,
        Panel::ContactHistory,
        Panel::StandardResponses,
    ];

    /// The tab's words.
    pub fn label(self) -> &'static str {
        match self {
            Panel::Conversation => "Conversation",
            Panel::ContactInformation => "Contact Information",
            Panel::ContactHistory => "Contact History",
            Panel::StandardResponses => "Standard Responses",
        }
    }

    /// Its last URL segment.
    pub fn slug(self) -> &'static str {
        match self {
            Panel::Conversation => "conversation",
            Panel::ContactInformation => "contact-information",
            Panel::ContactHistory => "history",
            Panel::StandardResponses => "responses",
        }
    }

    fn from_slug(slug: &str) -> Option<Panel> {
        Panel::ALL.into_iter().find(|p| p.slug() == slug)
    }

    /// The id of its tab in the view of interaction `id`.
    pub fn tab_id(self, id: InteractionId) -> String {
        format!("panel-tab-{}-{id}", self.label().replace(' ', "-"))
    }
}

/// What the main area shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// Nothing chosen yet.
    Home,
    /// The Connect group's Communication tab.
    Communication {
        /// The contact whose conversation shows, if one is chosen.
        contact: Option<ContactId>,
        /// `Public` (true) or `Private`.
        public: bool,
    },
    /// A Chat Interaction view, at one of its side panels.
    Interaction(InteractionId, Panel),
    /// A URL that leads nowhere in the desktop.
    Unknown,
}

impl Place {
    /// The Chat Interaction view of `id`, at its Conversation tab.
    pub fn interaction(id: InteractionId) -> Place {
        Place::Interaction(id, Panel::Conversation)
    }

    /// The place's URL (path and query).
    pub fn url(self) -> String {
        match self {
            Place::Home | Place::Unknown => "/".to_owned(),
            Place::Communication { contact, public } => {
                let mut url = match contact {
                    Some(c) => format!("/communication/{c}"),
                    None => "/communication".to_owned(),
                };
                if public {
                    url.push_str("?view=public");
                }
                url
            }
            Place::Interaction(id, Panel::Conversation) => format!("/interactions/{id}"),
            Place::Interaction(id, panel) => format!("/interactions/{id}/{}", panel.slug()),
        }
    }

    /// The place at `path`, with the query's `view` value.
    pub fn parse(path: &str, view: Option<&str>) -> Place {
        let parts: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        let public = match view {
            None | Some("private") => false,
            Some("public") => true,
            Some(_) => return Place::Unknown,
        };
        match parts.as_slice() {
            [] => Place::Home,
            ["communication" | "contacts"] => Place::Communication {
                contact: None,
                public,
            },
            ["communication" | "contacts", id] => match id.parse() {
                Ok(c) => Place::Communication {
                    contact: Some(c),
                    public,
                },
                Err(_) => Place::Unknown,
            },
            ["interactions", id, rest @ ..] => {
                let Ok(id) = id.parse() else {
                    return Place::Unknown;
                };
                match rest {
                    [] => Place::interaction(id),
                    [slug] => {
                        Panel::from_slug(slug).map_or(Place::Unknown, |p| Place::Interaction(id, p))
                    }
                    _ => Place::Unknown,
                }
            }
            _ => Place::Unknown,
        }
    }

    /// The interaction shown, if any.
    pub fn shown_interaction(self) -> Option<InteractionId> {
        match self {
            Place::Interaction(id, _) => Some(id),
            Place::Home | Place::Communication { .. } | Place::Unknown => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Panel, Place};
    use wire::{ContactId, InteractionId};

    #[test]
    fn every_place_round_trips_through_its_url() {
        let mut places = vec![
            Place::Home,
            Place::Communication {
                contact: None,
                public: false,
            },
            Place::Communication {
                contact: None,
                public: true,
            },
            Place::Communication {
                contact: Some(ContactId(7)),
                public: false,
            },
            Place::Communication {
                contact: Some(ContactId(7)),
                public: true,
            },
        ];
        places.extend(
            Panel::ALL
                .into_iter()
                .map(|p| Place::Interaction(InteractionId(12), p)),
        );
        for place in places {
            let url = place.url();
            let (path, query) = url.split_once('?').unwrap_or((&url, ""));
            let view = query.strip_prefix("view=");
            assert_eq!(Place::parse(path, view), place, "{url}");
        }
    }

    #[test]
    fn other_spellings_and_nonsense() {
        assert_eq!(
            Place::parse("/interactions/12/conversation", None),
            Place::interaction(InteractionId(12))
        );
        assert_eq!(
            Place::parse("/contacts/3", Some("public")),
            Place::Communication {
                contact: Some(ContactId(3)),
                public: true
            }
        );
        assert_eq!(
            Place::parse("/communication/", None).url(),
            "/communication"
        );
        for bad in [
            "/nowhere",
            "/interactions",
            "/interactions/x",
            "/interactions/1/nope",
            "/interactions/1/history/2",
            "/communication/abc",
        ] {
            assert_eq!(Place::parse(bad, None), Place::Unknown, "{bad}");
        }
        assert_eq!(Place::parse("/communication", Some("odd")), Place::Unknown);
    }
}
