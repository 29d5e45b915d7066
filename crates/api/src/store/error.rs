//! [`StoreError`]: why a store operation failed, in the store's own terms. The HTTP layer maps
//! it to a status in one place (`From<StoreError> for ApiError`); the store never picks one.

use wire::lifecycle::Refused;

/// A failed store operation.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The thing does not exist (or is not visible to the caller); names what.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The thing exists but someone else holds it (another agent's chat, an offer gone).
    #[error("{0}")]
    Conflict(String),
    /// The chat is offered or reserved to another agent, who alone may take it.
    #[error("{0}")]
    HeldByColleague(String),
    /// Asynchronous chat is off for the chat's channel: an ended chat stays ended.
    #[error("{0}")]
    AsyncChatOff(String),
    /// The interaction lifecycle does not allow the action in the state the interaction is in.
    #[error("{0}")]
    InvalidState(Refused),
    /// The caller may not act on it (an interaction owned by another agent).
    #[error("{0}")]
    NotYours(String),
    /// The request is well-formed but refused by a rule of the data (an unknown code).
    #[error("{0}")]
    Rejected(String),
    /// The platform's messaging window for the contact is closed (Messenger after 7 days).
    #[error("{0}")]
    OutsideWindow(String),
    /// The text is longer than the channel's platform takes.
    #[error("{0}")]
    TooLong(String),
    /// A public reply longer than the platform takes (a Tweet's weighted 280).
    #[error("{0}")]
    TooLongForPlatform(String),
    /// The agent a valid session names no longer exists.
    #[error("no such agent")]
    NoSuchAgent,
    /// The database failed; its text is for the log, never for a client.
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// Something of the store's own machinery failed (a send task stopped).
    #[error("{0}")]
    Internal(String),
}

impl StoreError {
    /// Shorthand for [`StoreError::NotFound`].
    pub fn not_found(what: &'static str) -> Self {
        StoreError::NotFound(what)
    }

    /// Shorthand for [`StoreError::Conflict`].
    pub fn conflict(msg: impl Into<String>) -> Self {
        StoreError::Conflict(msg.into())
    }
}

impl From<Refused> for StoreError {
    fn from(r: Refused) -> Self {
        StoreError::InvalidState(r)
    }
}
