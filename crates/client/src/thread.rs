//! One conversation's messages as data, keyed by `seq` (strictly increasing per contact): a
//! page, the answer to a send and the same message replayed by the stream after a reconnect all
//! land in one place, so nothing is shown twice and nothing is lost.
//!
//! The receipt rule lives here and only here: receipts never regress, and a late copy of a
//! message (a page loaded before a receipt arrived, a replayed event) never drops a delivered or
//! read mark an earlier copy had.

use std::ops::Deref;
use wire::{Millis, Party};

/// A message as a [`Thread`] needs to see it. The desktop stores `wire::MessageView`; the widget
/// its smaller read of the same JSON.
pub trait Receipted {
    /// Its position in the conversation.
    fn seq(&self) -> i64;
    /// The side that wrote it (`None` for system lines).
    fn party(&self) -> Option<Party>;
    /// When the other side received it.
    fn delivered_at(&self) -> Option<Millis>;
    /// When the other side saw it.
    fn read_at(&self) -> Option<Millis>;
    /// Sets both marks.
    fn set_marks(&mut self, delivered_at: Option<Millis>, read_at: Option<Millis>);
}

impl Receipted for wire::MessageView {
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

/// What merging one message did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// The message is new.
    New,
    /// A message already known changed (its text was edited by a system line, a mark arrived).
    Updated,
    /// Nothing changed.
    Same,
}

/// The messages loaded so far, in seq order (a sorted `Vec`: smaller in the bundle than a
/// `BTreeMap`, and conversations almost always grow at the end). Reads as a slice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Thread<M> {
    /// The messages, by seq, no two with the same seq.
    messages: Vec<M>,
}

impl<M> Default for Thread<M> {
    fn default() -> Self {
        Thread {
            messages: Vec::new(),
        }
    }
}

impl<M> Deref for Thread<M> {
    type Target = [M];
    fn deref(&self) -> &[M] {
        &self.messages
    }
}

impl<'a, M> IntoIterator for &'a Thread<M> {
    type Item = &'a M;
    type IntoIter = std::slice::Iter<'a, M>;
    fn into_iter(self) -> Self::IntoIter {
        self.messages.iter()
    }
}

/// The first mark of two copies: a mark once seen stays, at the time first seen.
fn keep(known: Option<Millis>, new: Option<Millis>) -> Option<Millis> {
    known.or(new)
}

impl<M: Receipted + PartialEq> Thread<M> {
    /// Where `seq` is, or would go.
    fn find(&self, seq: i64) -> Result<usize, usize> {
        self.messages.binary_search_by_key(&seq, Receipted::seq)
    }

    /// The message at `seq`.
    pub fn get(&self, seq: i64) -> Option<&M> {
        self.find(seq).ok().map(|i| &self.messages[i])
    }

    /// Puts `new` in the place of `known`, keeping the marks either copy has.
    fn replace(known: &mut M, mut new: M) -> Change {
        let delivered = keep(known.delivered_at(), new.delivered_at());
        let read = keep(known.read_at(), new.read_at());
        // A read message was delivered, whatever a copy says.
        let delivered = delivered.or(read);
        new.set_marks(delivered, read);
        if *known == new {
            Change::Same
        } else {
            *known = new;
            Change::Updated
        }
    }

    /// Adds a message or merges it with the known copy.
    pub fn insert(&mut self, message: M) -> Change {
        match self.find(message.seq()) {
            Ok(i) => Self::replace(&mut self.messages[i], message),
            Err(i) => {
                self.messages.insert(i, message);
                Change::New
            }
        }
    }

    /// Merges many messages at once (a page, oldest first) and returns the seqs that are new or
    /// changed. A sorted page is merged in one pass instead of an insertion per message, which
    /// would shift a long conversation once per message.
    pub fn merge_page(&mut self, page: Vec<M>) -> Vec<i64> {
        if !page.is_sorted_by_key(Receipted::seq) {
            return page
                .into_iter()
                .filter_map(|m| {
                    let seq = m.seq();
                    (self.insert(m) != Change::Same).then_some(seq)
                })
                .collect();
        }
        let mut changed = Vec::new();
        let old = std::mem::take(&mut self.messages);
        let mut merged: Vec<M> = Vec::with_capacity(old.len() + page.len());
        let mut old = old.into_iter().peekable();
        for new in page {
            let seq = new.seq();
            while old.peek().is_some_and(|a| a.seq() <= seq) {
                merged.extend(old.next());
            }
            match merged.last_mut() {
                // A known message (or the same one twice in the page): merge the copies.
                Some(known) if known.seq() == seq => {
                    if Self::replace(known, new) != Change::Same && changed.last() != Some(&seq) {
                        changed.push(seq);
                    }
                }
                _ => {
                    merged.push(new);
                    changed.push(seq);
                }
            }
        }
        merged.extend(old);
        self.messages = merged;
        changed
    }

    /// The other side received (or saw, `read`) every message of `author` up to `up_to_seq`;
    /// returns the seqs whose marks changed. A mark already set keeps its time.
    pub fn receipt(&mut self, author: Party, up_to_seq: i64, read: bool, at: Millis) -> Vec<i64> {
        let end = match self.find(up_to_seq) {
            Ok(i) => i + 1,
            Err(i) => i,
        };
        let mut changed = Vec::new();
        for m in self.messages[..end]
            .iter_mut()
            .filter(|m| m.party() == Some(author))
        {
            let delivered = m.delivered_at().or(Some(at));
            let read_at = if read {
                m.read_at().or(Some(at))
            } else {
                m.read_at()
            };
            if delivered != m.delivered_at() || read_at != m.read_at() {
                m.set_marks(delivered, read_at);
                changed.push(m.seq());
            }
        }
        changed
    }

    /// The lowest loaded seq (for `before_seq`).
    pub fn first_seq(&self) -> Option<i64> {
        self.messages.first().map(Receipted::seq)
    }

    /// The highest seq written by `party`.
    pub fn last_seq_of(&self, party: Party) -> Option<i64> {
        self.messages
            .iter()
            .rev()
            .find(|m| m.party() == Some(party))
            .map(Receipted::seq)
    }

    /// Forgets every message.
    pub fn clear(&mut self) {
        self.messages.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small message for the tests: seq, side, text, marks.
    #[derive(Debug, Clone, PartialEq)]
    struct M {
        seq: i64,
        party: Option<Party>,
        text: &'static str,
        delivered: Option<Millis>,
        read: Option<Millis>,
    }

    impl Receipted for M {
        fn seq(&self) -> i64 {
            self.seq
        }
        fn party(&self) -> Option<Party> {
            self.party
        }
        fn delivered_at(&self) -> Option<Millis> {
            self.delivered
        }
        fn read_at(&self) -> Option<Millis> {
            self.read
        }
        fn set_marks(&mut self, delivered_at: Option<Millis>, read_at: Option<Millis>) {
            self.delivered = delivered_at;
            self.read = read_at;
        }
    }

    fn m(seq: i64) -> M {
        M {
            seq,
            party: Some(Party::Contact),
            text: "hi",
            delivered: None,
            read: None,
        }
    }

    fn seqs(t: &Thread<M>) -> Vec<i64> {
        t.iter().map(|m| m.seq).collect()
    }

    #[test]
    fn inserts_keep_seq_order_without_duplicates() {
        let mut t = Thread::default();
        assert_eq!(t.insert(m(3)), Change::New);
        assert_eq!(t.insert(m(1)), Change::New);
        assert_eq!(t.insert(m(2)), Change::New);
        assert_eq!(t.insert(m(3)), Change::Same);
        assert_eq!(t.insert(m(1)), Change::Same);
        assert_eq!(seqs(&t), vec![1, 2, 3]);
        assert_eq!(t.first_seq(), Some(1));
    }

    #[test]
    fn a_late_copy_never_drops_a_mark() {
        let mut t = Thread::default();
        t.insert(m(1));
        assert_eq!(t.receipt(Party::Contact, 1, true, 5), vec![1]);
        // The same message from a page loaded before the receipt, or replayed by the stream.
        assert_eq!(t.insert(m(1)), Change::Same);
        assert_eq!((t[0].delivered, t[0].read), (Some(5), Some(5)));
        // Nor through a page merge.
        assert!(t.merge_page(vec![m(1), m(2)]) == vec![2]);
        assert_eq!((t[0].delivered, t[0].read), (Some(5), Some(5)));
        // A newer copy with other content replaces the content and keeps the marks.
        let mut edited = m(1);
        edited.text = "edited";
        assert_eq!(t.insert(edited), Change::Updated);
        assert_eq!((t[0].text, t[0].read), ("edited", Some(5)));
    }

    #[test]
    fn a_copy_can_add_marks() {
        let mut t = Thread::default();
        t.insert(m(1));
        let mut read = m(1);
        read.read = Some(7);
        assert_eq!(t.insert(read), Change::Updated);
        // Read implies delivered.
        assert_eq!((t[0].delivered, t[0].read), (Some(7), Some(7)));
    }

    #[test]
    fn receipts_never_regress_and_mark_only_that_side() {
        let mut t = Thread::default();
        t.insert(m(1));
        let mut agent = m(2);
        agent.party = Some(Party::Agent);
        t.insert(agent);
        t.insert(m(3));
        assert_eq!(t.receipt(Party::Contact, 2, false, 5), vec![1]);
        assert_eq!((t[0].delivered, t[0].read), (Some(5), None));
        assert_eq!(
            t[1].delivered, None,
            "the other side's messages are untouched"
        );
        assert_eq!(t.receipt(Party::Contact, 3, true, 6), vec![1, 3]);
        assert_eq!((t[0].delivered, t[0].read), (Some(5), Some(6)));
        // An older "delivered" receipt after "read" changes nothing.
        assert_eq!(t.receipt(Party::Contact, 3, false, 9), Vec::<i64>::new());
        assert_eq!((t[2].delivered, t[2].read), (Some(6), Some(6)));
        assert_eq!(t.last_seq_of(Party::Agent), Some(2));
        assert_eq!(t.last_seq_of(Party::Contact), Some(3));
    }

    #[test]
    fn pages_merge_in_one_pass_and_report_what_changed() {
        let mut t = Thread::default();
        for seq in [501, 502, 503] {
            t.insert(m(seq));
        }
        let mut newer = m(501);
        newer.read = Some(9);
        let mut page: Vec<M> = (1..=500).map(m).collect();
        page.push(newer);
        let changed = t.merge_page(page);
        assert_eq!(seqs(&t), (1..=503).collect::<Vec<_>>());
        assert_eq!(changed.len(), 501);
        assert_eq!(changed.last(), Some(&501));
        assert_eq!((t[500].delivered, t[500].read), (Some(9), Some(9)));
        // An unsorted page (and one with a message twice) merges too.
        let mut u = Thread::default();
        assert_eq!(u.merge_page(vec![m(3), m(1), m(3)]), vec![3, 1]);
        assert_eq!(seqs(&u), vec![1, 3]);
        let mut twice = Thread::default();
        assert_eq!(twice.merge_page(vec![m(1), m(1), m(2)]), vec![1, 2]);
        assert_eq!(seqs(&twice), vec![1, 2]);
    }
}
