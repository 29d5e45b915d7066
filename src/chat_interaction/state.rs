//! The agent's open interactions and the conversations behind them: messages merged from
//! pages, live events and send answers by `client::Thread` (by seq, with its receipt rule: a
//! late copy never drops a mark), plus the messages this desktop is still sending.

use super::window::Window;
use client::Thread;
use leptos::prelude::*;
use std::collections::HashMap;
use wire::api::ConversationPage;
use wire::monitor::Monitor;
use wire::platforms::{self, ReplyWindow};
use wire::{
    AgentId, AttachmentView, Author, Channel, ClientMessageId, ContactId, InteractionId,
    InteractionState, InteractionView, MessageId, MessageView, Millis, Party,
};

/// A message on its way to the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    /// The id that makes a retry safe.
    pub client_id: ClientMessageId,
    /// The interaction it was written in (none from the Communication tab).
    pub interaction_id: Option<InteractionId>,
    /// The text.
    pub text: String,
    /// An uploaded image.
    pub attachment: Option<AttachmentView>,
    /// When it was written.
    pub written_at: Millis,
    /// Why it failed, if it did.
    pub failed: Option<String>,
    /// Whether a retry may help.
    pub retryable: bool,
    /// A public reply: the contact's comment, post or Tweet it answers (kept so a retry
    /// answers the same one).
    pub reply_to: Option<MessageId>,
}

/// One contact's conversation, as far as it is loaded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Conversation {
    /// Stored messages, by seq (reads as a slice).
    pub messages: Thread<MessageView>,
    /// Interactions the messages belong to.
    pub interactions: Vec<InteractionView>,
    /// Messages still being sent.
    pub pending: Vec<Pending>,
    /// How far each view (every channel, the private ones, the public ones) is loaded: the
    /// server pages each view by itself, so one view's pages say nothing of another's.
    pub views: [Loaded; 3],
}

/// How far one view of a conversation is loaded, from its newest page down.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Loaded {
    /// Whether its newest page came from the server.
    pub loaded: bool,
    /// Whether older messages of the view exist on the server.
    pub has_more: bool,
}

/// The slot of a view in [`Conversation::views`]: every channel (`None`), only the private
/// ones (`Some(false)`), only the public ones (`Some(true)`).
fn slot(public: Option<bool>) -> usize {
    match public {
        None => 0,
        Some(false) => 1,
        Some(true) => 2,
    }
}

impl Conversation {
    /// Adds or merges a message, keeping seq order, and settles its pending copy.
    pub fn merge(&mut self, message: MessageView) {
        if let Some(cid) = &message.client_id {
            self.pending.retain(|p| &p.client_id != cid);
        }
        self.messages.insert(message);
    }

    /// Adds or merges many messages at once (a page, oldest first), in one pass. Of two
    /// versions of one message, the page's content wins and every mark either had is kept.
    pub fn merge_page(&mut self, messages: Vec<MessageView>) {
        self.pending.retain(|p| {
            !messages
                .iter()
                .any(|m| m.client_id.as_ref() == Some(&p.client_id))
        });
        self.messages.merge_page(messages);
    }

    /// Adds or replaces an interaction.
    pub fn merge_interaction(&mut self, interaction: InteractionView) {
        match self
            .interactions
            .iter_mut()
            .find(|i| i.id == interaction.id)
        {
            Some(slot) => *slot = interaction,
            None => self.interactions.push(interaction),
        }
        self.interactions.sort_by_key(|i| i.created_at);
    }

    /// The other side received (or showed) messages up to `up_to_seq`.
    pub fn receipt(&mut self, author: Party, up_to_seq: i64, read: bool, at: Millis) {
        self.messages.receipt(author, up_to_seq, read, at);
    }

    /// The channel the agent's next message goes on: the open chat's, or the one a new chat
    /// would go on ([`Channel::of_reply`]).
    pub fn reply_channel(&self) -> Channel {
        if let Some(open) = self
            .interactions
            .iter()
            .filter(|i| i.is_open())
            .max_by_key(|i| i.id)
        {
            return open.channel;
        }
        Channel::of_reply(
            self.interactions
                .iter()
                .max_by_key(|i| i.id)
                .map(|i| i.channel),
        )
    }

    /// When the contact last wrote on `channel`, as far as this desktop knows: the server's
    /// figure on the interactions, or a later message that arrived since.
    pub fn contact_wrote_at(&self, channel: Channel) -> Option<Millis> {
        let on_channel = |id: InteractionId| {
            self.interactions
                .iter()
                .any(|i| i.id == id && i.channel == channel)
        };
        let told = self
            .interactions
            .iter()
            .filter(|i| i.channel == channel)
            .filter_map(|i| i.contact_wrote_at)
            .max();
        let seen = self
            .messages
            .iter()
            .rev()
            .find(|m| matches!(m.author, Author::Contact) && on_channel(m.interaction_id))
            .map(|m| m.created_at);
        told.max(seen)
    }

    /// Why the agent cannot write into this conversation now, as the server would refuse it:
    /// Messenger's reply window has closed (`outside_window`), or no chat is open and
    /// asynchronous chat is off (`synchronous`) for the channel a new one would go on
    /// (`async_chat_off`).
    pub fn write_refusal(
        &self,
        synchronous: &[Channel],
        contact_name: &str,
        now: Millis,
    ) -> Option<String> {
        let channel = self.reply_channel();
        if channel == Channel::Messenger
            && platforms::messenger_window(self.contact_wrote_at(channel), now)
                == ReplyWindow::Closed
        {
            return Some(platforms::closed_text(contact_name));
        }
        if self.interactions.iter().any(InteractionView::is_open) {
            return None;
        }
        synchronous
            .contains(&channel)
            .then(|| wire::channels::async_off_text(channel, contact_name))
    }

    /// How far the view `public` is loaded.
    pub fn view(&self, public: Option<bool>) -> Loaded {
        self.views[slot(public)]
    }

    /// The interactions whose messages the view `public` leaves out: those on a channel of
    /// the other kind (a message of an interaction not known yet is shown everywhere).
    pub fn hidden(&self, public: Option<bool>) -> Vec<InteractionId> {
        let Some(public) = public else {
            return Vec::new();
        };
        self.interactions
            .iter()
            .filter(|i| i.channel.is_public() != public)
            .map(|i| i.id)
            .collect()
    }

    /// The oldest loaded message of the view `public`: where its next older page starts.
    pub fn oldest(&self, public: Option<bool>) -> Option<i64> {
        let hidden = self.hidden(public);
        self.messages
            .iter()
            .find(|m| !hidden.contains(&m.interaction_id))
            .map(|m| m.seq)
    }

    /// The highest seq written by the contact.
    pub fn last_contact_seq(&self) -> Option<i64> {
        self.messages.last_seq_of(Party::Contact)
    }
}

/// Interactions, as a context.
#[derive(Debug, Clone, Copy)]
pub struct InteractionsState {
    /// The logged-in agent.
    pub me: AgentId,
    /// Interactions the agent owns that are not Done, in the order they arrived.
    pub open: RwSignal<Vec<InteractionView>>,
    /// Conversations by contact.
    pub conversations: RwSignal<HashMap<ContactId, Conversation>>,
    /// Contacts typing right now.
    pub typing: RwSignal<Vec<ContactId>>,
    /// Where each transcript was left (window and scroll offset), by place.
    pub positions: StoredValue<Vec<(String, (Window, i32))>>,
    /// Supervisors watching the agent's chats now (the view's "… is monitoring this chat").
    pub monitors: RwSignal<Vec<Monitor>>,
    /// Chats a supervisor reassigned away from the agent: their views leave.
    pub reassigned: RwSignal<Vec<InteractionId>>,
    /// Text handed to an interaction's message field from outside the view (the portal's
    /// `compose`), until that view's composer takes it: the agent sees it there, unsent.
    pub handed: RwSignal<Vec<(InteractionId, String)>>,
}

impl InteractionsState {
    /// Nothing open yet.
    pub fn new(me: AgentId) -> Self {
        InteractionsState {
            me,
            open: RwSignal::new(Vec::new()),
            conversations: RwSignal::new(HashMap::new()),
            typing: RwSignal::new(Vec::new()),
            positions: StoredValue::new(Vec::new()),
            monitors: RwSignal::new(Vec::new()),
            reassigned: RwSignal::new(Vec::new()),
            handed: RwSignal::new(Vec::new()),
        }
    }

    /// Replaces who watches the agent's chats with the server's (start-up, resync).
    pub fn set_monitors(self, list: Vec<Monitor>) {
        self.monitors.set(list);
    }

    /// A supervisor started (`on`) or stopped watching a chat.
    pub fn monitoring(self, monitor: Monitor, on: bool) {
        self.monitors.update(|l| {
            l.retain(|m| !(m.interaction_id == monitor.interaction_id && m.by_id == monitor.by_id));
            if on {
                l.push(monitor);
            }
        });
    }

    /// The names of those watching interaction `id`.
    pub fn watchers(self, id: InteractionId) -> Vec<String> {
        self.monitors.with(|l| {
            l.iter()
                .filter(|m| m.interaction_id == id)
                .map(|m| m.by_name.clone())
                .collect()
        })
    }

    /// A supervisor reassigned chat `id` away: the agent is told by whom and where it went,
    /// and its view leaves. The text of the notice.
    pub fn reassigned_away(self, id: InteractionId, by: &str, to: &str) -> String {
        let contact = self.conversations.with_untracked(|c| {
            c.values()
                .flat_map(|c| c.interactions.iter())
                .find(|i| i.id == id)
                .map(|i| i.contact_name.clone())
        });
        self.monitors
            .update(|l| l.retain(|m| m.interaction_id != id));
        self.reassigned.update(|l| l.push(id));
        reassigned_text(contact.as_deref(), by, to)
    }

    /// Puts `text` into interaction `id`'s message field (its view takes it when it shows).
    pub fn hand_text(self, id: InteractionId, text: String) {
        self.handed.update(|h| {
            h.retain(|(i, _)| *i != id);
            h.push((id, text));
        });
    }

    /// One open interaction.
    pub fn get(self, id: InteractionId) -> Option<InteractionView> {
        self.open.with(|l| l.iter().find(|i| i.id == id).cloned())
    }

    /// Replaces the list with the server's (start-up, resync).
    pub fn set_open(self, list: Vec<InteractionView>) {
        for i in &list {
            self.conversations.update(|c| {
                c.entry(i.contact_id)
                    .or_default()
                    .merge_interaction(i.clone());
            });
        }
        self.open.set(
            list.into_iter()
                .filter(|i| self.mine(i) && i.state != InteractionState::Done)
                .collect(),
        );
    }

    fn mine(self, i: &InteractionView) -> bool {
        i.agent_id == Some(self.me)
            && matches!(i.state, InteractionState::Active | InteractionState::Ended)
    }

    /// An interaction changed.
    pub fn interaction_changed(self, interaction: InteractionView) {
        self.conversations.update(|c| {
            c.entry(interaction.contact_id)
                .or_default()
                .merge_interaction(interaction.clone());
        });
        let keep = self.mine(&interaction);
        self.open
            .update(|l| match l.iter().position(|i| i.id == interaction.id) {
                Some(pos) if keep => l[pos] = interaction,
                Some(pos) => {
                    l.remove(pos);
                }
                None if keep => l.push(interaction),
                None => {}
            });
    }

    /// These contacts' conversations were rewritten (linked or unlinked): what is held of
    /// them goes, to be loaded again, but for the messages still being sent, which stay with
    /// `into`, the contact that remains (a retry goes to it).
    pub fn forget(self, contacts: &[ContactId], into: ContactId) {
        self.conversations.update(|c| {
            let mut pending = Vec::new();
            for id in contacts {
                if let Some(conv) = c.remove(id) {
                    pending.extend(conv.pending);
                }
            }
            if !pending.is_empty() {
                c.entry(into).or_default().pending = pending;
            }
        });
    }

    /// The contact was erased: their conversation goes, with whatever was being written to
    /// them (there is nobody left to send it to).
    pub fn erased(self, contact: ContactId) {
        self.conversations.update(|c| {
            c.remove(&contact);
        });
        self.typing.update(|t| t.retain(|c| *c != contact));
    }

    /// The stream missed events the log no longer holds (`resync`): any conversation held may
    /// lack messages, so all go, to be loaded again, but for what the agent is still sending.
    pub fn forget_all(self) {
        self.conversations.update(|c| {
            c.retain(|_, conv| !conv.pending.is_empty());
            for conv in c.values_mut() {
                *conv = Conversation {
                    pending: std::mem::take(&mut conv.pending),
                    ..Conversation::default()
                };
            }
        });
    }

    /// A message was stored.
    pub fn message(self, message: MessageView) {
        let contact = message.contact_id;
        if message.author.party() == Some(Party::Contact)
            && self.typing.with_untracked(|t| t.contains(&contact))
        {
            self.typing.update(|t| t.retain(|c| *c != contact));
        }
        self.conversations
            .update(|c| c.entry(contact).or_default().merge(message));
    }

    /// A send's or a `Retry`'s answer: stored like a live message, except that where the
    /// stream already brought the message, its outbound state stays: the outbox may have sent
    /// (or failed) the message, and said so, before the answer arrived.
    pub fn answered(self, mut message: MessageView) {
        let known = self.conversations.with_untracked(|c| {
            c.get(&message.contact_id)
                .and_then(|conv| conv.messages.get(message.seq))
                .map(|m| m.outbound.clone())
        });
        if let Some(outbound) = known {
            message.outbound = outbound;
        }
        self.message(message);
    }

    /// Someone is typing.
    pub fn typing_changed(self, contact: ContactId, party: Party, typing: bool) {
        if party != Party::Contact {
            return;
        }
        self.typing.update(|t| {
            t.retain(|c| *c != contact);
            if typing {
                t.push(contact);
            }
        });
    }

    /// A receipt.
    pub fn receipt(
        self,
        contact: ContactId,
        author: Party,
        up_to_seq: i64,
        read: bool,
        at: Millis,
    ) {
        self.conversations.update(|c| {
            if let Some(conv) = c.get_mut(&contact) {
                conv.receipt(author, up_to_seq, read, at);
            }
        });
    }

    /// A page of the view `public` of a conversation arrived (`newest`: its newest page).
    pub fn page(self, page: ConversationPage, newest: bool, public: Option<bool>) {
        self.conversations.update(|c| {
            let conv = c.entry(page.contact_id).or_default();
            for i in page.interactions {
                conv.merge_interaction(i);
            }
            conv.merge_page(page.messages);
            let view = &mut conv.views[slot(public)];
            if !newest || !view.loaded {
                view.has_more = page.has_more;
            }
            view.loaded = true;
        });
    }

    /// A message is being sent.
    pub fn add_pending(self, contact: ContactId, pending: Pending) {
        self.conversations.update(|c| {
            let conv = c.entry(contact).or_default();
            conv.pending.retain(|p| p.client_id != pending.client_id);
            conv.pending.push(pending);
        });
    }

    /// A send failed.
    pub fn pending_failed(
        self,
        contact: ContactId,
        id: &ClientMessageId,
        why: String,
        retryable: bool,
    ) {
        self.conversations.update(|c| {
            if let Some(p) = c
                .get_mut(&contact)
                .and_then(|conv| conv.pending.iter_mut().find(|p| &p.client_id == id))
            {
                p.failed = Some(why);
                p.retryable = retryable;
            }
        });
    }

    /// The agent gave up on a failed message.
    pub fn discard_pending(self, contact: ContactId, id: &ClientMessageId) {
        self.conversations.update(|c| {
            if let Some(conv) = c.get_mut(&contact) {
                conv.pending.retain(|p| &p.client_id != id);
            }
        });
    }

    /// Open interactions counting against capacity.
    pub fn open_count(self) -> usize {
        self.open.with(Vec::len)
    }
}

#[cfg(test)]
mod tests {
    use super::{Conversation, InteractionsState, Pending};
    use leptos::prelude::*;
    use wire::{ClientMessageId, ContactId, InteractionId, MessageView};

    fn msg(id: i64, seq: i64) -> MessageView {
        MessageView {
            seq,
            text: format!("m{seq}"),
            client_id: Some(ClientMessageId(format!("client-{id:04}"))),
            ..MessageView::sample(id)
        }
    }

    fn interaction(id: i64, channel: wire::Channel) -> wire::InteractionView {
        wire::InteractionView::new(
            InteractionId(id),
            (ContactId(1), "Noah Williams"),
            channel,
            wire::InteractionState::Done,
            id,
        )
    }

    #[test]
    fn private_and_public_views_keep_to_their_channels_and_page_apart() {
        let mut c = Conversation::default();
        c.merge_interaction(interaction(1, wire::Channel::Tweet));
        c.merge_interaction(interaction(2, wire::Channel::TwitterDm));
        for (id, seq, i) in [(1, 1, 1), (2, 2, 2), (3, 3, 1), (4, 4, 2)] {
            let mut m = msg(id, seq);
            m.interaction_id = InteractionId(i);
            c.merge(m);
        }
        assert_eq!(c.hidden(None), vec![]);
        assert_eq!(c.hidden(Some(false)), vec![InteractionId(1)]);
        assert_eq!(c.hidden(Some(true)), vec![InteractionId(2)]);
        assert_eq!(c.oldest(None), Some(1));
        assert_eq!(c.oldest(Some(false)), Some(2));
        assert_eq!(c.oldest(Some(true)), Some(1));
        // A page of one view leaves the others as they were.
        c.views[super::slot(Some(true))] = super::Loaded {
            loaded: true,
            has_more: true,
        };
        assert!(c.view(Some(true)).has_more);
        assert!(!c.view(Some(false)).loaded && !c.view(None).loaded);
    }

    #[test]
    fn contacts_rewritten_keep_the_messages_still_being_sent_with_the_one_that_remains() {
        let state = InteractionsState::new(wire::AgentId(1));
        let pending = |id: &str| Pending {
            client_id: ClientMessageId(id.to_owned()),
            interaction_id: None,
            text: id.to_owned(),
            attachment: None,
            written_at: 0,
            failed: Some("offline".into()),
            retryable: true,
            reply_to: None,
        };
        state.conversations.update(|c| {
            for (contact, id) in [(1, "d-from0001"), (2, "d-into0001"), (3, "d-other001")] {
                let conv = c.entry(ContactId(contact)).or_default();
                conv.merge(msg(contact, 1));
                conv.pending.push(pending(id));
            }
        });
        // Contact 1 linked into 2: both are loaded again; what was being sent stays, with 2.
        state.forget(&[ContactId(1), ContactId(2)], ContactId(2));
        state.conversations.with_untracked(|c| {
            assert!(!c.contains_key(&ContactId(1)));
            let into = &c[&ContactId(2)];
            assert!(into.messages.is_empty() && !into.view(None).loaded);
            let ids: Vec<&str> = into
                .pending
                .iter()
                .map(|p| p.client_id.0.as_str())
                .collect();
            assert_eq!(ids, ["d-from0001", "d-into0001"]);
            assert_eq!(
                c[&ContactId(3)].messages.len(),
                1,
                "another contact is untouched"
            );
        });
        // Contact 3 unlinked (an identity split off as contact 4): 3 keeps what was being
        // sent, and is loaded again.
        state.forget(&[ContactId(3), ContactId(4)], ContactId(3));
        state.conversations.with_untracked(|c| {
            assert!(!c.contains_key(&ContactId(4)));
            assert!(c[&ContactId(3)].messages.is_empty());
            assert_eq!(c[&ContactId(3)].pending.len(), 1);
        });
        // A conversation with nothing being sent goes whole.
        state
            .conversations
            .update(|c| c.entry(ContactId(5)).or_default().merge(msg(5, 1)));
        state.forget(&[ContactId(5)], ContactId(5));
        state
            .conversations
            .with_untracked(|c| assert!(!c.contains_key(&ContactId(5))));
    }

    #[test]
    fn merging_keeps_seq_order_without_duplicates() {
        let mut c = Conversation::default();
        for (id, seq) in [(3, 3), (1, 1), (2, 2), (3, 3), (1, 1)] {
            c.merge(msg(id, seq));
        }
        let seqs: Vec<i64> = c.messages.iter().map(|m| m.seq).collect();
        assert_eq!(seqs, vec![1, 2, 3]);
    }

    #[test]
    fn a_page_merges_in_order_and_its_versions_win() {
        let mut c = Conversation::default();
        for seq in [501, 502, 503] {
            c.merge(msg(seq, seq));
        }
        let mut newer = msg(501, 501);
        newer.read_at = Some(9);
        let mut page: Vec<MessageView> = (1..=500).map(|s| msg(s, s)).collect();
        page.push(newer);
        c.merge_page(page);
        let seqs: Vec<i64> = c.messages.iter().map(|m| m.seq).collect();
        assert_eq!(seqs, (1..=503).collect::<Vec<_>>());
        assert_eq!(c.messages[500].read_at, Some(9));
    }
}

/// The Transfer dialog's form: where to, the note, and what went wrong.
#[derive(Debug, Clone, Copy)]
pub struct TransferForm {
    /// The colleague or the queue chosen (none yet).
    pub to: RwSignal<Option<wire::api::TransferTarget>>,
    /// The note to the next agent.
    pub note: RwSignal<String>,
    /// The last refusal, shown in the dialog.
    pub error: RwSignal<Option<String>>,
    /// While the transfer is being sent.
    pub busy: RwSignal<bool>,
}

impl Default for TransferForm {
    fn default() -> Self {
        Self::new()
    }
}

impl TransferForm {
    /// An empty form.
    pub fn new() -> Self {
        TransferForm {
            to: RwSignal::new(None),
            note: RwSignal::new(String::new()),
            error: RwSignal::new(None),
            busy: RwSignal::new(false),
        }
    }

    /// The request the form describes, or why it cannot be sent yet (the server checks the
    /// same rules).
    pub fn request(self) -> Result<wire::api::TransferRequest, String> {
        let to = self
            .to
            .get_untracked()
            .ok_or_else(|| "Choose a colleague or the queue.".to_owned())?;
        let note = self.note.get_untracked().trim().to_owned();
        if note.chars().count() > wire::api::MAX_TRANSFER_NOTE_CHARS {
            return Err(format!(
                "The note may be at most {} characters.",
                wire::api::MAX_TRANSFER_NOTE_CHARS
            ));
        }
        wire::checks::characters(&note, wire::checks::Lines::Many)
            .map_err(|e| e.describe("The note"))?;
        Ok(wire::api::TransferRequest {
            to,
            note: (!note.is_empty()).then_some(note),
        })
    }
}

/// What the agent is told when a supervisor reassigns their chat.
pub fn reassigned_text(contact: Option<&str>, by: &str, to: &str) -> String {
    match contact {
        Some(c) => format!("The chat with {c} was reassigned by {by} to {to}."),
        None => format!("A chat was reassigned by {by} to {to}."),
    }
}
