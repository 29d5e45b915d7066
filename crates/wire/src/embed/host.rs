//! The `postMessage` protocol between a portal and the desktop it frames (`threadline/1`).
//! The portal sends [`Command`]s, each with an id it chooses; the desktop answers every one
//! with a [`HostMessage::Result`] carrying that id, and posts events ([`HostMessage`]) when
//! something happens. Every message, both ways, carries `"protocol": "threadline/1"`. Parsing
//! never panics: anything that is not a command comes back as [`Invalid`], with the id when
//! one could be read, so the desktop can answer it with the error code `invalid`.

use crate::flat::{required, unknown};
use crate::limits::MAX_MESSAGE_CHARS;
use crate::{AgentId, Channel, ContactId, DispositionCode, InteractionId, Millis, ReasonCode};
use serde::{Deserialize, Serialize};

pub mod events;

/// The protocol every message names.
pub const PROTOCOL: &str = "threadline/1";

/// The longest command id a portal may choose.
pub const MAX_ID_LEN: usize = 64;

/// The most characters of a message an event quotes (`first_words`).
pub const MAX_FIRST_WORDS: usize = 100;

/// A command id the portal chose; the result carries it back. 1 to 64 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CommandId(pub String);

/// The status a portal may set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HostStatus {
    /// Offers may arrive.
    Ready,
    /// No new offers.
    NotReady,
}

/// What a portal asks the desktop to do. Written as an object tagged by `type`; read through
/// [`CommandFields`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", try_from = "CommandFields")]
pub enum Command {
    /// Log in with a login token from `POST /api/embed/login-token`.
    Login {
        /// The token, as the portal's back end received it.
        token: String,
    },
    /// Log out (the session ends on the server too).
    Logout,
    /// Set the agent's Chat channel status.
    SetStatus {
        /// `ready` or `not_ready`.
        status: HostStatus,
        /// For `not_ready`: a configured reason code (the first configured one when absent).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<ReasonCode>,
    },
    /// Show a contact in the Communication tab: by Threadline id or by the portal's customer
    /// id (exactly one of them).
    OpenContact {
        /// The Threadline contact id.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        contact_id: Option<ContactId>,
        /// The portal's own customer id (a `web_customer` identity of the contact).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        customer_id: Option<String>,
    },
    /// Accept an offer, as its `Accept` button does: this one, or the oldest open one.
    AcceptOffer {
        /// The interaction offered; the oldest open offer when absent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        interaction_id: Option<InteractionId>,
    },
    /// Reject an offer, as its `Reject` button does: this one, or the oldest open one.
    RejectOffer {
        /// The interaction offered; the oldest open offer when absent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        interaction_id: Option<InteractionId>,
    },
    /// Show one of the agent's open interactions in its Chat Interaction view.
    OpenInteraction {
        /// The interaction.
        interaction_id: InteractionId,
    },
    /// Start a chat with a contact, as the `Chat` button does: by Threadline id or by the
    /// portal's customer id (exactly one of them).
    StartChat {
        /// The Threadline contact id.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        contact_id: Option<ContactId>,
        /// The portal's own customer id (a `web_customer` identity of the contact).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        customer_id: Option<String>,
    },
    /// Put text into an interaction's message field, unsent (the agent reads, edits and sends
    /// it).
    Compose {
        /// The text: not empty, at most [`MAX_MESSAGE_CHARS`] characters.
        text: String,
        /// The interaction; the one shown when absent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        interaction_id: Option<InteractionId>,
    },
}

/// A command as posted: its `type` and every field any command has, each optional; which
/// ones a command needs is said once, in its `TryFrom` (read flat, see `crate::flat`).
#[derive(Deserialize)]
pub struct CommandFields {
    /// The command's name.
    #[serde(rename = "type")]
    kind: String,
    /// `login`.
    token: Option<String>,
    /// `set_status`.
    status: Option<HostStatus>,
    /// `set_status`.
    reason: Option<ReasonCode>,
    /// `open_contact`, `start_chat`.
    contact_id: Option<ContactId>,
    /// `open_contact`, `start_chat`.
    customer_id: Option<String>,
    /// `accept_offer`, `reject_offer`, `open_interaction`, `compose`.
    interaction_id: Option<InteractionId>,
    /// `compose`.
    text: Option<String>,
}

impl TryFrom<CommandFields> for Command {
    type Error = String;

    fn try_from(f: CommandFields) -> Result<Command, String> {
        Ok(match f.kind.as_str() {
            "login" => Command::Login {
                token: required(f.token, "token")?,
            },
            "logout" => Command::Logout,
            "set_status" => Command::SetStatus {
                status: required(f.status, "status")?,
                reason: f.reason,
            },
            "open_contact" => Command::OpenContact {
                contact_id: f.contact_id,
                customer_id: f.customer_id,
            },
            "accept_offer" => Command::AcceptOffer {
                interaction_id: f.interaction_id,
            },
            "reject_offer" => Command::RejectOffer {
                interaction_id: f.interaction_id,
            },
            "open_interaction" => Command::OpenInteraction {
                interaction_id: required(f.interaction_id, "interaction_id")?,
            },
            "start_chat" => Command::StartChat {
                contact_id: f.contact_id,
                customer_id: f.customer_id,
            },
            "compose" => Command::Compose {
                text: required(f.text, "text")?,
                interaction_id: f.interaction_id,
            },
            other => return Err(unknown("command type", other)),
        })
    }
}

/// A message that is not a command the desktop understands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    /// Its id, when it had a usable one (then it gets an `invalid` result; otherwise it is
    /// ignored).
    pub id: Option<CommandId>,
    /// What is wrong with it, for the result's message.
    pub why: String,
}

/// Reads a message a portal posted, as JSON text (`JSON.stringify` of its data). Never panics.
pub fn parse_command(data: &str) -> Result<(CommandId, Command), Invalid> {
    let head: Head = serde_json::from_str(data).unwrap_or_default();
    let id = head
        .id
        .0
        .filter(|id| !id.is_empty() && id.len() <= MAX_ID_LEN)
        .map(CommandId);
    let invalid = |why: String| Invalid {
        id: id.clone(),
        why,
    };
    if head.protocol.0.as_deref() != Some(PROTOCOL) {
        return Err(invalid(format!("the protocol must be {PROTOCOL:?}")));
    }
    let Some(found) = id.clone() else {
        return Err(invalid(format!(
            "the id must be a string of 1 to {MAX_ID_LEN} characters"
        )));
    };
    // The command's own fields beside `protocol` and `id` (other fields are ignored).
    let command: Command = serde_json::from_str(data).map_err(|e| invalid(e.to_string()))?;
    check(&command).map_err(invalid)?;
    Ok((found, command))
}

/// The rules serde cannot say: one of two ids, a text a message could carry.
fn check(command: &Command) -> Result<(), String> {
    match command {
        Command::OpenContact {
            contact_id,
            customer_id,
        }
        | Command::StartChat {
            contact_id,
            customer_id,
        } if contact_id.is_some() == customer_id.is_some() => Err(format!(
            "{} takes exactly one of contact_id and customer_id",
            command.name()
        )),
        Command::Compose { text, .. } => {
            crate::checks::message_text(text, MAX_MESSAGE_CHARS, false)
                .map_err(|e| e.describe("the text"))
        }
        _ => Ok(()),
    }
}

impl Command {
    /// The command's `type`.
    pub fn name(&self) -> &'static str {
        match self {
            Command::Login { .. } => "login",
            Command::Logout => "logout",
            Command::SetStatus { .. } => "set_status",
            Command::OpenContact { .. } => "open_contact",
            Command::AcceptOffer { .. } => "accept_offer",
            Command::RejectOffer { .. } => "reject_offer",
            Command::OpenInteraction { .. } => "open_interaction",
            Command::StartChat { .. } => "start_chat",
            Command::Compose { .. } => "compose",
        }
    }
}

/// The two fields read from any message, whatever else is wrong with it (so a bad command can
/// still be answered by its id). Read without `serde_json::Value`, which the browser bundle
/// would otherwise carry.
#[derive(Default, Deserialize)]
struct Head {
    /// `protocol`, when a string.
    #[serde(default)]
    protocol: Loose,
    /// `id`, when a string.
    #[serde(default)]
    id: Loose,
}

/// A string, or nothing for a value of any other kind.
#[derive(Default)]
struct Loose(Option<String>);

impl<'de> Deserialize<'de> for Loose {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(LooseVisitor)
    }
}

/// Takes a string; skips anything else.
struct LooseVisitor;

impl<'de> serde::de::Visitor<'de> for LooseVisitor {
    type Value = Loose;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any value")
    }

    fn visit_str<E>(self, v: &str) -> Result<Loose, E> {
        Ok(Loose(Some(v.to_owned())))
    }

    fn visit_bool<E>(self, _: bool) -> Result<Loose, E> {
        Ok(Loose(None))
    }

    fn visit_i64<E>(self, _: i64) -> Result<Loose, E> {
        Ok(Loose(None))
    }

    fn visit_u64<E>(self, _: u64) -> Result<Loose, E> {
        Ok(Loose(None))
    }

    fn visit_f64<E>(self, _: f64) -> Result<Loose, E> {
        Ok(Loose(None))
    }

    fn visit_unit<E>(self) -> Result<Loose, E> {
        Ok(Loose(None))
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut a: A) -> Result<Loose, A::Error> {
        while a.next_element::<serde::de::IgnoredAny>()?.is_some() {}
        Ok(Loose(None))
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut a: A) -> Result<Loose, A::Error> {
        while a
            .next_entry::<serde::de::IgnoredAny, serde::de::IgnoredAny>()?
            .is_some()
        {}
        Ok(Loose(None))
    }
}

/// Why a command failed: a stable code and words for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostError {
    /// One of the `ERROR_*` codes.
    pub code: String,
    /// What went wrong (for a refused login token, the server's reason).
    pub message: String,
}

/// Not a command (bad protocol or id, unknown type, missing or wrongly typed fields).
pub const ERROR_INVALID: &str = "invalid";
/// The command needs a logged-in agent.
pub const ERROR_NOT_LOGGED_IN: &str = "not_logged_in";
/// The server refused it for this agent, or the desktop is in a state that does not allow it
/// (a login while someone is logged in, an unknown Not Ready reason).
pub const ERROR_NOT_ALLOWED: &str = "not_allowed";
/// No contact has that id or customer id.
pub const ERROR_UNKNOWN_CONTACT: &str = "unknown_contact";
/// The login token was refused (unknown, used, expired, another portal's).
pub const ERROR_LOGIN_REFUSED: &str = "login_refused";
/// Anything else (the server cannot be reached, a server error).
pub const ERROR_FAILED: &str = "failed";
/// `accept_offer`, `reject_offer`: no open offer to this agent (with that id).
pub const ERROR_NO_OFFER: &str = "no_offer";
/// `open_interaction`: the interaction is not one of the agent's open interactions.
pub const ERROR_UNKNOWN_INTERACTION: &str = "unknown_interaction";
/// `compose`: no such open interaction (or none is shown).
pub const ERROR_NO_INTERACTION: &str = "no_interaction";

impl HostError {
    /// An error with `code` and `message`.
    pub fn new(code: &str, message: impl Into<String>) -> Self {
        HostError {
            code: code.to_owned(),
            message: message.into(),
        }
    }
}

/// What the desktop posts to the portal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum HostMessage {
    /// The answer to one command.
    Result {
        /// The command's id.
        id: CommandId,
        /// Whether it was done.
        ok: bool,
        /// Why not.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error: Option<HostError>,
        /// The interaction accepted (`accept_offer`) or started (`start_chat`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        interaction_id: Option<InteractionId>,
    },
    /// The desktop is listening (posted once, when it has loaded inside the portal).
    Ready,
    /// An agent is logged in (by a `login` command, a kept session, or the login form).
    LoggedIn {
        /// The agent's id.
        agent_id: AgentId,
        /// The agent's display name.
        name: String,
    },
    /// Nobody is logged in any more.
    LoggedOut,
    /// The agent's Chat channel status changed, by any means.
    StatusChanged {
        /// `ready` or `not_ready`.
        status: HostStatus,
        /// The Not Ready reason code.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<ReasonCode>,
    },
    /// The desktop's URL changed (path and query, relative to the desktop's origin).
    PlaceChanged {
        /// The new URL.
        url: String,
    },
    /// A chat is offered to the agent.
    OfferReceived {
        /// The interaction offered.
        interaction_id: InteractionId,
        /// Its contact.
        contact_id: ContactId,
        /// The contact's name as the desktop shows it.
        contact_name: String,
        /// Where the chat happens.
        channel: Channel,
        /// The start of the contact's message, at most [`MAX_FIRST_WORDS`] characters.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        first_words: Option<String>,
        /// When the offer goes to the next agent.
        expires_at: Millis,
    },
    /// The agent accepted the offer (here, or in another window).
    OfferAccepted {
        /// The interaction.
        interaction_id: InteractionId,
    },
    /// The agent rejected the offer.
    OfferRejected {
        /// The interaction.
        interaction_id: InteractionId,
    },
    /// Nobody answered the offer in time; it went to the next agent.
    OfferTimedOut {
        /// The interaction.
        interaction_id: InteractionId,
    },
    /// The offer went away for another reason.
    OfferWithdrawn {
        /// The interaction.
        interaction_id: InteractionId,
        /// Why (`contact_left`, `reassigned`, ...).
        reason: crate::event::WithdrawReason,
    },
    /// The agent now handles the interaction: accepted, started with `Chat`, transferred to
    /// them.
    InteractionOpened {
        /// The interaction.
        interaction_id: InteractionId,
        /// Its contact.
        contact_id: ContactId,
        /// The contact's name as the desktop shows it.
        contact_name: String,
        /// Where the chat happens.
        channel: Channel,
    },
    /// The chat ended, by either side; wrap-up begins.
    InteractionEnded {
        /// The interaction.
        interaction_id: InteractionId,
    },
    /// The agent marked the interaction Done.
    InteractionDone {
        /// The interaction.
        interaction_id: InteractionId,
        /// The disposition code chosen, if any.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        disposition: Option<DispositionCode>,
    },
    /// A contact answered a conversation that had no open interaction.
    ContactResponded {
        /// The contact.
        contact_id: ContactId,
        /// Their name.
        contact_name: String,
        /// The start of what they wrote, at most [`MAX_FIRST_WORDS`] characters.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        first_words: Option<String>,
    },
    /// Two contacts were linked as one person: `contact_id` is gone, and its identities,
    /// chats and messages are `into_contact_id`'s (a portal that keeps contact ids moves its
    /// own records over).
    ContactLinked {
        /// The contact that was merged away.
        contact_id: ContactId,
        /// The contact that holds everything now.
        into_contact_id: ContactId,
    },
    /// An identity of `contact_id` turned out to be someone else: it is now the new contact
    /// `new_contact_id`, with the chats on its channels (`contact_id` stays).
    ContactUnlinked {
        /// The contact the identity left.
        contact_id: ContactId,
        /// The new contact.
        new_contact_id: ContactId,
    },
    /// The contact was erased at their request (or their retention period ended): Threadline
    /// holds nothing of them any more, and a portal that keeps their contact id should forget
    /// it too.
    ContactErased {
        /// The contact that was erased.
        contact_id: ContactId,
    },
    /// The unread count across the Contacts list changed (as the unread mark shows it).
    UnreadChanged {
        /// Unread messages in all.
        count: u32,
    },
}

/// The start of `text` for an event: at most [`MAX_FIRST_WORDS`] characters, nothing for an
/// empty text.
pub fn first_words(text: &str) -> Option<String> {
    let words: String = text.trim().chars().take(MAX_FIRST_WORDS).collect();
    (!words.is_empty()).then_some(words)
}

impl HostMessage {
    /// The result of command `id`: done (with the interaction it accepted or started, where
    /// there is one), or why not.
    pub fn result(id: CommandId, outcome: Result<Option<InteractionId>, HostError>) -> Self {
        match outcome {
            Ok(interaction_id) => HostMessage::Result {
                id,
                ok: true,
                error: None,
                interaction_id,
            },
            Err(e) => HostMessage::Result {
                id,
                ok: false,
                error: Some(e),
                interaction_id: None,
            },
        }
    }

    /// The status event for `status`.
    pub fn status(status: &crate::ChatStatus) -> Self {
        match status {
            crate::ChatStatus::Ready => HostMessage::StatusChanged {
                status: HostStatus::Ready,
                reason: None,
            },
            crate::ChatStatus::NotReady { reason } => HostMessage::StatusChanged {
                status: HostStatus::NotReady,
                reason: Some(reason.clone()),
            },
        }
    }

    /// The message as posted (JSON text): `"protocol": "threadline/1"`, then its fields.
    pub fn to_message(&self) -> String {
        let fields = serde_json::to_string(self).unwrap_or_default();
        // Every message is an object with at least `type`: the protocol goes in front of its
        // fields (cheaper in the browser bundle than a flattened wrapper).
        match fields.strip_prefix('{') {
            Some(rest) => format!("{{\"protocol\":\"{PROTOCOL}\",{rest}"),
            None => fields,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    /// What a message posts, read back.
    fn posted(m: &HostMessage) -> Value {
        serde_json::from_str(&m.to_message()).expect("JSON")
    }

    #[test]
    fn commands_parse() {
        let cases = [
            (
                json!({"protocol": PROTOCOL, "id": "1", "type": "login", "token": "tle_x"}),
                Command::Login {
                    token: "tle_x".into(),
                },
            ),
            (
                json!({"protocol": PROTOCOL, "id": "1", "type": "logout"}),
                Command::Logout,
            ),
            (
                json!({"protocol": PROTOCOL, "id": "1", "type": "set_status", "status": "not_ready", "reason": "break"}),
                Command::SetStatus {
                    status: HostStatus::NotReady,
                    reason: Some(ReasonCode("break".into())),
                },
            ),
            (
                json!({"protocol": PROTOCOL, "id": "1", "type": "open_contact", "customer_id": "c-9"}),
                Command::OpenContact {
                    contact_id: None,
                    customer_id: Some("c-9".into()),
                },
            ),
            (
                json!({"protocol": PROTOCOL, "id": "1", "type": "accept_offer"}),
                Command::AcceptOffer {
                    interaction_id: None,
                },
            ),
            (
                json!({"protocol": PROTOCOL, "id": "1", "type": "accept_offer", "interaction_id": 12}),
                Command::AcceptOffer {
                    interaction_id: Some(InteractionId(12)),
                },
            ),
            (
                json!({"protocol": PROTOCOL, "id": "1", "type": "reject_offer", "interaction_id": 12}),
                Command::RejectOffer {
                    interaction_id: Some(InteractionId(12)),
                },
            ),
            (
                json!({"protocol": PROTOCOL, "id": "1", "type": "open_interaction", "interaction_id": 12}),
                Command::OpenInteraction {
                    interaction_id: InteractionId(12),
                },
            ),
            (
                json!({"protocol": PROTOCOL, "id": "1", "type": "start_chat", "contact_id": 5}),
                Command::StartChat {
                    contact_id: Some(ContactId(5)),
                    customer_id: None,
                },
            ),
            (
                json!({"protocol": PROTOCOL, "id": "1", "type": "start_chat", "customer_id": "c-9"}),
                Command::StartChat {
                    contact_id: None,
                    customer_id: Some("c-9".into()),
                },
            ),
            (
                json!({"protocol": PROTOCOL, "id": "1", "type": "compose", "text": "Hello!\nHow can I help?"}),
                Command::Compose {
                    text: "Hello!\nHow can I help?".into(),
                    interaction_id: None,
                },
            ),
            (
                json!({"protocol": PROTOCOL, "id": "1", "type": "compose", "text": "é".repeat(MAX_MESSAGE_CHARS), "interaction_id": 12}),
                Command::Compose {
                    text: "é".repeat(MAX_MESSAGE_CHARS),
                    interaction_id: Some(InteractionId(12)),
                },
            ),
        ];
        for (data, command) in cases {
            assert_eq!(
                parse_command(&data.to_string()),
                Ok((CommandId("1".into()), command.clone())),
                "{data}"
            );
            // Written as the enum says and read through its fields: the same command.
            let mut written = serde_json::to_value(&command).expect("JSON");
            written["protocol"] = json!(PROTOCOL);
            written["id"] = json!("1");
            assert_eq!(
                parse_command(&written.to_string()),
                Ok((CommandId("1".into()), command)),
                "{written}"
            );
        }
    }

    #[test]
    fn nonsense_is_invalid_with_the_id_when_there_is_one() {
        let with_id = [
            json!({"protocol": PROTOCOL, "id": "a", "type": "fly"}),
            json!({"protocol": "threadline/2", "id": "a", "type": "logout"}),
            json!({"protocol": PROTOCOL, "id": "a", "type": "login"}),
            json!({"protocol": PROTOCOL, "id": "a", "type": "open_contact"}),
            json!({"protocol": PROTOCOL, "id": "a", "type": "open_contact", "contact_id": 1, "customer_id": "x"}),
            json!({"protocol": PROTOCOL, "id": "a", "type": "set_status", "status": "away"}),
            json!({"protocol": PROTOCOL, "id": "a", "type": "start_chat"}),
            json!({"protocol": PROTOCOL, "id": "a", "type": "start_chat", "contact_id": 1, "customer_id": "x"}),
            json!({"protocol": PROTOCOL, "id": "a", "type": "open_interaction"}),
            json!({"protocol": PROTOCOL, "id": "a", "type": "open_interaction", "interaction_id": "twelve"}),
            json!({"protocol": PROTOCOL, "id": "a", "type": "accept_offer", "interaction_id": "x"}),
            json!({"protocol": PROTOCOL, "id": "a", "type": "compose"}),
            json!({"protocol": PROTOCOL, "id": "a", "type": "compose", "text": ""}),
            json!({"protocol": PROTOCOL, "id": "a", "type": "compose", "text": "  \n "}),
            json!({"protocol": PROTOCOL, "id": "a", "type": "compose", "text": "x".repeat(MAX_MESSAGE_CHARS + 1)}),
            json!({"protocol": PROTOCOL, "id": "a", "type": "compose", "text": 5}),
        ];
        for data in with_id {
            let e = parse_command(&data.to_string()).expect_err("invalid");
            assert_eq!(e.id, Some(CommandId("a".into())), "{data}");
        }
        let long = "x".repeat(MAX_ID_LEN + 1);
        for data in [
            json!(null),
            json!("login"),
            json!([1, 2]),
            json!({"protocol": PROTOCOL, "type": "logout"}),
            json!({"protocol": PROTOCOL, "id": 5, "type": "logout"}),
            json!({"protocol": PROTOCOL, "id": "", "type": "logout"}),
            json!({"protocol": PROTOCOL, "id": long, "type": "logout"}),
            json!({"protocol": PROTOCOL, "id": {"nested": [1, {"a": null}]}, "type": "logout"}),
        ] {
            assert_eq!(
                parse_command(&data.to_string()).expect_err("invalid").id,
                None,
                "{data}"
            );
        }
    }

    #[test]
    fn text_that_is_not_json_is_ignored() {
        for text in ["", "not json", "{", "{\"id\": \"a\"", "undefined"] {
            assert_eq!(parse_command(text).expect_err("invalid").id, None, "{text}");
        }
    }

    #[test]
    fn messages_carry_the_protocol() {
        let result = HostMessage::result(
            CommandId("7".into()),
            Err(HostError::new(ERROR_UNKNOWN_CONTACT, "no such contact")),
        );
        assert_eq!(
            posted(&result),
            json!({"protocol": PROTOCOL, "type": "result", "id": "7", "ok": false,
                "error": {"code": "unknown_contact", "message": "no such contact"}})
        );
        assert_eq!(
            posted(&HostMessage::Ready),
            json!({"protocol": PROTOCOL, "type": "ready"})
        );
        assert_eq!(
            posted(&HostMessage::status(&crate::ChatStatus::Ready)),
            json!({"protocol": PROTOCOL, "type": "status_changed", "status": "ready"})
        );
    }

    #[test]
    fn results_carry_the_interaction_where_there_is_one() {
        assert_eq!(
            posted(&HostMessage::result(
                CommandId("8".into()),
                Ok(Some(InteractionId(12)))
            )),
            json!({"protocol": PROTOCOL, "type": "result", "id": "8", "ok": true, "interaction_id": 12})
        );
        assert_eq!(
            posted(&HostMessage::result(CommandId("9".into()), Ok(None))),
            json!({"protocol": PROTOCOL, "type": "result", "id": "9", "ok": true})
        );
        assert_eq!(
            posted(&HostMessage::result(
                CommandId("10".into()),
                Err(HostError::new(ERROR_NO_OFFER, "no offer is open"))
            )),
            json!({"protocol": PROTOCOL, "type": "result", "id": "10", "ok": false,
                "error": {"code": "no_offer", "message": "no offer is open"}})
        );
    }

    #[test]
    fn events_post_the_agreed_names_and_fields() {
        let cases = [
            (
                HostMessage::OfferReceived {
                    interaction_id: InteractionId(12),
                    contact_id: ContactId(5),
                    contact_name: "Priya Nair".into(),
                    channel: Channel::WebChat,
                    first_words: Some("Hello".into()),
                    expires_at: 1_700_000_000_000,
                },
                json!({"type": "offer_received", "interaction_id": 12, "contact_id": 5,
                    "contact_name": "Priya Nair", "channel": "web_chat", "first_words": "Hello",
                    "expires_at": 1_700_000_000_000_i64}),
            ),
            (
                HostMessage::OfferAccepted {
                    interaction_id: InteractionId(12),
                },
                json!({"type": "offer_accepted", "interaction_id": 12}),
            ),
            (
                HostMessage::OfferRejected {
                    interaction_id: InteractionId(12),
                },
                json!({"type": "offer_rejected", "interaction_id": 12}),
            ),
            (
                HostMessage::OfferTimedOut {
                    interaction_id: InteractionId(12),
                },
                json!({"type": "offer_timed_out", "interaction_id": 12}),
            ),
            (
                HostMessage::OfferWithdrawn {
                    interaction_id: InteractionId(12),
                    reason: crate::event::WithdrawReason::ContactLeft,
                },
                json!({"type": "offer_withdrawn", "interaction_id": 12, "reason": "contact_left"}),
            ),
            (
                HostMessage::InteractionOpened {
                    interaction_id: InteractionId(12),
                    contact_id: ContactId(5),
                    contact_name: "Priya Nair".into(),
                    channel: Channel::Messenger,
                },
                json!({"type": "interaction_opened", "interaction_id": 12, "contact_id": 5,
                    "contact_name": "Priya Nair", "channel": "messenger"}),
            ),
            (
                HostMessage::InteractionEnded {
                    interaction_id: InteractionId(12),
                },
                json!({"type": "interaction_ended", "interaction_id": 12}),
            ),
            (
                HostMessage::InteractionDone {
                    interaction_id: InteractionId(12),
                    disposition: Some(DispositionCode("resolved".into())),
                },
                json!({"type": "interaction_done", "interaction_id": 12, "disposition": "resolved"}),
            ),
            (
                HostMessage::InteractionDone {
                    interaction_id: InteractionId(12),
                    disposition: None,
                },
                json!({"type": "interaction_done", "interaction_id": 12}),
            ),
            (
                HostMessage::ContactResponded {
                    contact_id: ContactId(5),
                    contact_name: "Priya Nair".into(),
                    first_words: None,
                },
                json!({"type": "contact_responded", "contact_id": 5, "contact_name": "Priya Nair"}),
            ),
            (
                HostMessage::UnreadChanged { count: 3 },
                json!({"type": "unread_changed", "count": 3}),
            ),
        ];
        for (message, mut expected) in cases {
            expected["protocol"] = json!(PROTOCOL);
            assert_eq!(posted(&message), expected);
        }
    }

    #[test]
    fn first_words_are_at_most_a_hundred_characters() {
        assert_eq!(first_words("  "), None);
        assert_eq!(first_words(" hi "), Some("hi".into()));
        let long = "ü".repeat(MAX_FIRST_WORDS + 20);
        assert_eq!(
            first_words(&long).map(|w| w.chars().count()),
            Some(MAX_FIRST_WORDS)
        );
    }
}
