//! The conversation as data. Messages are keyed by `seq` (strictly increasing per contact), so
//! a page, the answer to a send and the same message replayed by the live stream after a
//! reconnect all land in one place: nothing is shown twice and nothing is lost.

use serde::Deserialize;
use wire::{ContactId, InteractionId, InteractionState, MessageId, Millis, Party, SystemLine};

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

/// What inserting a message did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// The message is new.
    New,
    /// A message already known changed (a receipt, for example).
    Updated,
    /// Nothing changed.
    Same,
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
    pub messages: SeqMap<Message>,
    /// Whether older messages exist on the server.
    pub has_more: bool,
    /// The newest interaction seen (the one the header and the ended state describe).
    pub current: Option<Interaction>,
}

impl Transcript {
    /// Merges one page; returns the seqs that are new or changed.
    pub fn merge_page(&mut self, page: Page, older: bool) -> Vec<i64> {
        if older || self.messages.is_empty() {
            self.has_more = page.has_more;
        }
        for interaction in page.interactions {
            self.note_interaction(interaction);
        }
        page.messages
            .into_iter()
            .filter_map(|m| {
                let seq = m.seq;
                (self.insert(m) != Change::Same).then_some(seq)
            })
            .collect()
    }

    /// Inserts or updates one message.
    pub fn insert(&mut self, message: Message) -> Change {
        match self.messages.get_mut(message.seq) {
            None => {
                self.messages.insert(message.seq, message);
                Change::New
            }
            Some(known) if *known == message => Change::Same,
            Some(known) => {
                // A later copy never loses a receipt an earlier one had.
                let delivered = known.delivered_at.or(message.delivered_at);
                let read = known.read_at.or(message.read_at);
                *known = message;
                known.delivered_at = delivered;
                known.read_at = read;
                Change::Updated
            }
        }
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
        let mut changed = Vec::new();
        for (seq, m) in self.messages.up_to_mut(up_to_seq) {
            if m.author.party() != Some(author) {
                continue;
            }
            let mut touched = false;
            if m.delivered_at.is_none() {
                m.delivered_at = Some(at);
                touched = true;
            }
            if read && m.read_at.is_none() {
                m.read_at = Some(at);
                touched = true;
            }
            if touched {
                changed.push(*seq);
            }
        }
        changed
    }

    /// The lowest loaded seq (for `before_seq`).
    pub fn first_seq(&self) -> Option<i64> {
        self.messages.first_seq()
    }

    /// The highest seq of an agent's message.
    pub fn last_agent_seq(&self) -> Option<i64> {
        self.messages
            .values()
            .rev()
            .find(|m| m.author.kind == Kind::Agent)
            .map(|m| m.seq)
    }

    /// The name of the agent to show: the current interaction's, else the latest writer's.
    pub fn agent_name(&self) -> Option<String> {
        if let Some(name) = self.current.as_ref().and_then(|c| c.agent_name.clone()) {
            return Some(name);
        }
        self.messages
            .values()
            .rev()
            .filter(|m| m.author.kind == Kind::Agent)
            .find_map(|m| m.author.name.clone())
    }

    /// Whether the visitor's last chat is over (there was one, and it is not open).
    pub fn ended(&self) -> bool {
        self.current.as_ref().is_some_and(|c| !c.is_open())
    }
}

/// Values kept in seq order: a sorted `Vec` (smaller in the bundle than a `BTreeMap`, and
/// conversations are appended to at the end almost always).
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

    /// The value at `seq`, to change.
    pub fn get_mut(&mut self, seq: i64) -> Option<&mut V> {
        self.find(seq).ok().map(|i| &mut self.0[i].1)
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

    /// Every value with a seq up to `seq`, to change.
    pub fn up_to_mut(&mut self, seq: i64) -> impl Iterator<Item = (&i64, &mut V)> {
        let end = match self.find(seq) {
            Ok(i) => i + 1,
            Err(i) => i,
        };
        self.0[..end].iter_mut().map(|(s, v)| (&*s, v))
    }

    /// The values in seq order.
    pub fn values(&self) -> impl DoubleEndedIterator<Item = &V> {
        self.0.iter().map(|(_, v)| v)
    }

    /// The lowest seq.
    pub fn first_seq(&self) -> Option<i64> {
        self.0.first().map(|(s, _)| *s)
    }

    /// How many values.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
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
mod tests {
    use super::*;
    use wire::{AgentId, Author};

    /// A message as the server sends it, read the way the widget reads it.
    fn msg(seq: i64, author: Author) -> Message {
        let view = wire::MessageView {
            id: MessageId(seq * 10),
            contact_id: ContactId(1),
            interaction_id: InteractionId(1),
            seq,
            author,
            text: format!("m{seq}"),
            attachment: None,
            client_id: None,
            created_at: 0,
            delivered_at: None,
            read_at: None,
            system: None,
        };
        serde_json::from_str(&serde_json::to_string(&view).unwrap()).unwrap()
    }

    fn agent() -> Author {
        Author::Agent {
            id: AgentId(7),
            name: "Ann".into(),
        }
    }

    #[test]
    fn replays_do_not_duplicate() {
        let mut t = Transcript::default();
        assert_eq!(t.insert(msg(1, Author::Contact)), Change::New);
        assert_eq!(t.insert(msg(2, agent())), Change::New);
        assert_eq!(t.insert(msg(2, agent())), Change::Same);
        assert_eq!(t.messages.len(), 2);
        assert_eq!(t.last_agent_seq(), Some(2));
        assert_eq!(t.agent_name().as_deref(), Some("Ann"));
    }

    #[test]
    fn pages_merge_and_keep_has_more_of_the_oldest() {
        let mut t = Transcript::default();
        let page = |seqs: &[i64], has_more| Page {
            messages: seqs.iter().map(|s| msg(*s, Author::Contact)).collect(),
            interactions: vec![],
            has_more,
        };
        assert_eq!(t.merge_page(page(&[3, 4], true), false), vec![3, 4]);
        assert!(t.has_more);
        assert_eq!(t.merge_page(page(&[1, 2, 3], false), true), vec![1, 2]);
        assert!(!t.has_more);
        assert_eq!(t.first_seq(), Some(1));
    }

    #[test]
    fn receipts_mark_only_that_side_and_never_regress() {
        let mut t = Transcript::default();
        t.insert(msg(1, Author::Contact));
        t.insert(msg(2, agent()));
        t.insert(msg(3, Author::Contact));
        assert_eq!(t.apply_receipt(Party::Contact, 2, false, 5), vec![1]);
        assert_eq!(mark(t.messages.get(1).unwrap()), Mark::Delivered);
        assert_eq!(mark(t.messages.get(3).unwrap()), Mark::Sent);
        assert_eq!(t.apply_receipt(Party::Contact, 3, true, 6), vec![1, 3]);
        assert_eq!(mark(t.messages.get(3).unwrap()), Mark::Read);
        // A stale copy from a replay keeps the receipt.
        assert_eq!(t.insert(msg(3, Author::Contact)), Change::Updated);
        assert_eq!(mark(t.messages.get(3).unwrap()), Mark::Read);
    }

    #[test]
    fn a_wire_page_reads_as_a_page() {
        let interaction = wire::InteractionView {
            id: InteractionId(4),
            contact_id: ContactId(1),
            contact_name: "Visitor".into(),
            channel: wire::Channel::WebChat,
            state: InteractionState::Active,
            agent_id: Some(AgentId(7)),
            agent_name: Some("Ann".into()),
            created_at: 1,
            accepted_at: Some(2),
            ended_at: None,
            ended_by: None,
            done_at: None,
            disposition: None,
            reactivated_from: None,
            reactivated_by: None,
            handle_time_ms: 0,
            offer_expires_at: None,
            reserved_for: None,
            continued_as: None,
        };
        let message = wire::MessageView {
            id: MessageId(1),
            contact_id: ContactId(1),
            interaction_id: InteractionId(4),
            seq: 1,
            author: agent(),
            text: "hello".into(),
            attachment: Some(wire::AttachmentView {
                id: wire::AttachmentId(2),
                content_type: "image/png".into(),
                size: 10,
                width: 300,
                height: 200,
                file_name: "a.png".into(),
                url: "/api/files/k".into(),
            }),
            client_id: None,
            created_at: 5,
            delivered_at: Some(6),
            read_at: None,
            system: None,
        };
        let page = wire::api::ConversationPage {
            contact_id: ContactId(1),
            messages: vec![message],
            interactions: vec![interaction],
            has_more: true,
        };
        let read: Page = serde_json::from_str(&serde_json::to_string(&page).unwrap()).unwrap();
        let m = &read.messages[0];
        assert_eq!(
            (m.seq, m.author.kind, m.author.name.as_deref()),
            (1, Kind::Agent, Some("Ann"))
        );
        assert_eq!(m.attachment.as_ref().map(|a| a.width), Some(300));
        assert_eq!(mark(m), Mark::Delivered);
        assert_eq!(read.interactions[0].agent_name.as_deref(), Some("Ann"));
        assert!(read.interactions[0].is_open());
    }
}
