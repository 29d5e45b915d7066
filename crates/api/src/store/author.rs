//! [`AuthorKey`]: who wrote a message or uploaded a file, as the database stores it
//! (`agent:ID`, `contact:ID`, `system`). A retry is recognised by (author key, client id), and
//! only a file's uploader may attach it to a message.

use std::fmt;
use wire::{AgentId, ContactId};

/// Who wrote a message or uploaded a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuthorKey {
    /// An agent.
    Agent(AgentId),
    /// The contact (a visitor, or a social channel's webhook).
    Contact(ContactId),
    /// A system line.
    System,
}

impl AuthorKey {
    /// The stored `author_kind` of a message by this author.
    pub fn kind(self) -> &'static str {
        match self {
            AuthorKey::Agent(_) => "agent",
            AuthorKey::Contact(_) => "contact",
            AuthorKey::System => "system",
        }
    }

    /// The stored key (`author_key` of a message, `owner` of an attachment).
    pub fn stored(self) -> String {
        self.to_string()
    }
}

impl fmt::Display for AuthorKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AuthorKey::Agent(a) => write!(f, "agent:{}", a.0),
            AuthorKey::Contact(c) => write!(f, "contact:{}", c.0),
            AuthorKey::System => f.write_str("system"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_keys_are_the_ones_in_the_database() {
        assert_eq!(AuthorKey::Agent(AgentId(3)).stored(), "agent:3");
        assert_eq!(AuthorKey::Contact(ContactId(12)).stored(), "contact:12");
        assert_eq!(AuthorKey::System.stored(), "system");
        assert_eq!(AuthorKey::Agent(AgentId(3)).kind(), "agent");
    }
}
