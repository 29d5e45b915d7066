//! The conversation as data: the widget's reads of the wire types, and the transcript, whose
//! messages are a `client::Thread` (keyed by seq, with the one receipt rule both clients share).

pub use client::Change;
use client::{Receipted, Thread};
use serde::Deserialize;
use wire::{
    ClientMessageId, ContactId, InteractionId, InteractionState, MessageId, Millis, Party,
    SystemLine,
};

/// Who wrote a message (`wire::Author`'s `kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// An agent.
    Agent,
    /// The visitor.
    Contact,
    /// A system line.
    System,
}

/// `wire::Author` read flat (`{"kind": "agent", "id": 7, "name": "Ann"}`): a tagged enum
/// would pull serde's buffering machinery into the bundle.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Who {
    /// Which side.
    pub kind: Kind,
    /// An agent's display name.
    #[serde(default)]
    pub name: Option<String>,
}

impl Who {
    /// The side, if a person wrote it.
    pub fn party(&self) -> Option<Party> {
        match self.kind {
            Kind::Agent => Some(Party::Agent),
            Kind::Contact => Some(Party::Contact),
            Kind::System => None,
        }
    }
}

/// The fields of a `wire::AttachmentView` the panel shows.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Image {
    /// Where to fetch it.
    pub url: String,
    /// The uploader's file name.
    pub file_name: String,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels (with the width, the size its row keeps before it arrives).
    pub height: u32,
}

/// The fields of a `wire::Message` the widget reads (serde skips the rest; the JSON is
/// the same, see the tests).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Message {
    /// The message's id.
    pub id: MessageId,
    /// Whose conversation.
    pub contact_id: ContactId,
    /// Position in the conversation.
    pub seq: i64,
    /// Who wrote it.
    pub author: Who,
    /// The text (never HTML).
    pub text: String,
    /// An image.
    pub attachment: Option<Image>,
    /// When the server stored it.
    pub created_at: Millis,
    /// When the other side received it.
    pub delivered_at: Option<Millis>,
    /// When the other side saw it.
    pub read_at: Option<Millis>,
    /// For system lines: what happened.
    pub system: Option<SystemLine>,
    /// The id this browser sent it with (the visitor's own messages only): how a message
    /// kept on its way through a reload is found stored.
    #[serde(default)]
    pub client_id: Option<ClientMessageId>,
}

impl Receipted for Message {
    fn seq(&self) -> i64 {
        self.seq
    }
    fn party(&self) -> Option<Party> {
        self.author.party()
    }
    fn delivered_at(&self) -> Option<Millis> {
        self.delivered_at
    }
    fn read_at(&self) -> Option<Millis> {
        self.read_at
    }
    fn set_marks(&mut self, delivered_at: Option<Millis>, read_at: Option<Millis>) {
        self.delivered_at = delivered_at;
        self.read_at = read_at;
    }
}

/// The fields of a `wire::InteractionView` the widget reads. Deserializing only these (serde
/// skips the rest) keeps the bundle small; the JSON is the same.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Interaction {
    /// The interaction's id.
    pub id: InteractionId,
    /// The contact.
    pub contact_id: ContactId,
    /// Where it is in its life.
    pub state: InteractionState,
    /// The agent's display name.
    pub agent_name: Option<String>,
}

impl Interaction {
    /// Open: a chat is going on or waiting for an agent.
    pub fn is_open(&self) -> bool {
        matches!(
            self.state,
            InteractionState::Queued | InteractionState::Offered | InteractionState::Active
        )
    }
}

/// Reads the visitor events of wire's table with the widget's [`Message`] and [`Interaction`].
#[derive(Debug, Clone, PartialEq)]
pub struct Narrowed;

impl wire::event::Narrowing for Narrowed {
    type Message = Message;
    type Interaction = Interaction;
}

/// The events the widget acts on: the visitor rows of wire's event table, with messages and
/// interactions read as [`Message`] and [`Interaction`] (the same JSON, a smaller bundle).
pub type Live = wire::event::VisitorEvent<Narrowed>;

/// A `wire::api::ConversationPage`, with the interactions read as [`Interaction`].
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Page {
    /// Messages, oldest first.
    pub messages: Vec<Message>,
    /// The interactions they belong to.
    pub interactions: Vec<Interaction>,
    /// Whether older messages exist.
    pub has_more: bool,
}

/// The delivery state shown under one of the visitor's own messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    /// Stored by the server.
    Sent,
    /// The agent's desktop received it.
    Delivered,
    /// The agent saw it.
    Read,
}

impl Mark {
    /// The words shown.
    pub fn label(self) -> &'static str {
        match self {
            Mark::Sent => "Sent",
            Mark::Delivered => "Delivered",
            Mark::Read => "Read",
        }
    }
}

/// The messages loaded so far and the interaction the visitor is in.
#[derive(Debug, Default)]
pub struct Transcript {
    /// Every loaded message, by seq.
    pub messages: Thread<Message>,
    /// Whether older messages exist on the server.
    pub has_more: bool,
    /// The newest interaction seen (the one the header and the ended state describe).
    pub current: Option<Interaction>,
}

impl Transcript {
    /// Whether `page` numbers the conversation differently from what is held: a held seq with
    /// another message, or another contact's (the conversation was rewritten because the
    /// contact was linked to another while the stream was down).
    pub fn renumbered(&self, page: &Page) -> bool {
        page.messages.iter().any(|m| {
            self.messages
                .get(m.seq)
                .is_some_and(|held| held.id != m.id || held.contact_id != m.contact_id)
        })
    }

    /// Merges one page; returns the seqs that are new or changed.
    pub fn merge_page(&mut self, page: Page, older: bool) -> Vec<i64> {
        if older || self.messages.is_empty() {
            self.has_more = page.has_more;
        }
        for interaction in page.interactions {
            self.note_interaction(interaction);
        }
        self.messages.merge_page(page.messages)
    }

    /// Inserts or merges one message.
    pub fn insert(&mut self, message: Message) -> Change {
        self.messages.insert(message)
    }

    /// Keeps the newest interaction; returns whether it is the current one now.
    pub fn note_interaction(&mut self, interaction: Interaction) -> bool {
        let newer = self.current.as_ref().is_none_or(|c| interaction.id >= c.id);
        if newer {
            self.current = Some(interaction);
        }
        newer
    }

    /// Applies a receipt for the messages of `author`; returns the seqs whose mark changed.
    pub fn apply_receipt(
        &mut self,
        author: Party,
        up_to_seq: i64,
        read: bool,
        at: i64,
    ) -> Vec<i64> {
        self.messages.receipt(author, up_to_seq, read, at)
    }

    /// The lowest loaded seq (for `before_seq`).
    pub fn first_seq(&self) -> Option<i64> {
        self.messages.first_seq()
    }

    /// The highest seq of an agent's message.
    pub fn last_agent_seq(&self) -> Option<i64> {
        self.messages.last_seq_of(Party::Agent)
    }

    /// The name of the agent to show: the current interaction's, else the latest writer's.
    pub fn agent_name(&self) -> Option<String> {
        if let Some(name) = self.current.as_ref().and_then(|c| c.agent_name.clone()) {
            return Some(name);
        }
        self.messages
            .iter()
            .rev()
            .filter(|m| m.author.kind == Kind::Agent)
            .find_map(|m| m.author.name.clone())
    }

    /// Whether a loaded message was sent with `id`.
    pub fn holds(&self, id: &ClientMessageId) -> bool {
        self.messages
            .iter()
            .any(|m| m.client_id.as_ref() == Some(id))
    }

    /// Whether the visitor's last chat is over (there was one, and it is not open).
    pub fn ended(&self) -> bool {
        self.current.as_ref().is_some_and(|c| !c.is_open())
    }
}

/// Values kept in seq order (the transcript's lines): a sorted `Vec`, smaller in the bundle
/// than a `BTreeMap`, and conversations are appended to at the end almost always.
#[derive(Debug)]
pub struct SeqMap<V>(Vec<(i64, V)>);

impl<V> Default for SeqMap<V> {
    fn default() -> Self {
        SeqMap(Vec::new())
    }
}

impl<V> SeqMap<V> {
    /// Where `seq` is, or would go.
    fn find(&self, seq: i64) -> Result<usize, usize> {
        self.0.binary_search_by_key(&seq, |(s, _)| *s)
    }

    /// The value at `seq`.
    pub fn get(&self, seq: i64) -> Option<&V> {
        self.find(seq).ok().map(|i| &self.0[i].1)
    }

    /// Inserts or replaces the value at `seq`.
    pub fn insert(&mut self, seq: i64, value: V) {
        match self.find(seq) {
            Ok(i) => self.0[i].1 = value,
            Err(i) => self.0.insert(i, (seq, value)),
        }
    }

    /// The first value after `seq`.
    pub fn next_after(&self, seq: i64) -> Option<&V> {
        let i = match self.find(seq) {
            Ok(i) => i + 1,
            Err(i) => i,
        };
        self.0.get(i).map(|(_, v)| v)
    }

    /// Removes everything.
    pub fn clear(&mut self) {
        self.0.clear();
    }
}

/// The mark for one of the visitor's messages.
pub fn mark(message: &Message) -> Mark {
    if message.read_at.is_some() {
        Mark::Read
    } else if message.delivered_at.is_some() {
        Mark::Delivered
    } else {
        Mark::Sent
    }
}

#[cfg(test)]
mod tests;
