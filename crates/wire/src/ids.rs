//! Newtype ids. Each is a database row id; the type keeps an agent id from being passed where a
//! contact id belongs.

use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! row_id {
    ($(#[$doc:meta] $name:ident),* $(,)?) => {$(
        #[$doc]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = std::num::ParseIntError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                s.parse().map(Self)
            }
        }
    )*};
}

row_id! {
    /// An agent of the contact center.
    AgentId,
    /// A contact (customer), across all the channels they use.
    ContactId,
    /// One chat session with a contact on one channel.
    InteractionId,
    /// One message in a conversation.
    MessageId,
    /// An uploaded image.
    AttachmentId,
    /// A category in the standard responses tree.
    CategoryId,
    /// A standard response (canned text).
    ResponseId,
    /// A position in the event log; what `Last-Event-ID` carries.
    EventId,
}

/// The id a client gives a message before sending it. Sending twice with the same id stores
/// one message: this is what makes retries safe. 8 to 64 characters of `[A-Za-z0-9_-]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(transparent)]
pub struct ClientMessageId(pub String);

impl ClientMessageId {
    /// Whether the id has the allowed shape.
    pub fn is_valid(&self) -> bool {
        (8..=64).contains(&self.0.len())
            && self
                .0
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    }
}

impl fmt::Display for ClientMessageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A disposition code chosen on `Mark Done` (for example `resolved`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(transparent)]
pub struct DispositionCode(pub String);

/// A reason code for `Not Ready` (for example `break`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(transparent)]
pub struct ReasonCode(pub String);

impl ReasonCode {
    /// The reason the server gives an agent who logs out or is logged out; it stays their
    /// status until they choose another. It cannot be retired, nor given by a supervisor.
    pub const LOGGED_OUT: &'static str = "logged_out";

    /// [`Self::LOGGED_OUT`].
    pub fn logged_out() -> Self {
        ReasonCode(Self::LOGGED_OUT.to_owned())
    }

    /// Whether this is [`Self::LOGGED_OUT`].
    pub fn is_logged_out(&self) -> bool {
        self.0 == Self::LOGGED_OUT
    }
}
