//! The interaction state machine: queued → offered → active → ended → done, and which states
//! hold a slot of an agent's capacity. Pure, so it can be property-tested; the server's store
//! applies it inside its transactions (its `transitions` module is the only code that writes an
//! interaction's state), and the desktop may use it to know which buttons make sense.

use crate::model::{InteractionState, Party};

/// Something that happens to an interaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Routing offers it to an agent.
    Offer,
    /// The offered agent accepts.
    Accept,
    /// The offered agent rejects.
    Reject,
    /// The offer expires.
    Timeout,
    /// An agent takes a waiting chat directly (`Chat`, or writing into it).
    Claim,
    /// One side ends the chat session.
    End(Party),
    /// The agent marks it Done.
    Done,
    /// Its agent leaves for good (their account is deactivated): the chat, in progress or
    /// ended but not Done, waits in the queue for someone else.
    Requeue,
    /// It is handed to a named colleague (a transfer, or a supervisor's reassign): it becomes
    /// an offer to them, whether it was waiting, offered to someone else or being worked on.
    Transfer,
    /// The agent working on it (or a supervisor) puts it back in the queue.
    TransferToQueue,
    /// A transfer offer that was rejected or timed out goes back to the agent who transferred
    /// it, who carries on where they left off.
    Return,
    /// The contact left a waiting chat on a channel without asynchronous chat: nobody could
    /// answer them any more, so it leaves the queue closed (ended and Done, by nobody).
    Abandon,
}

/// Why an action is refused in a state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refused {
    /// The state it was in.
    pub state: InteractionState,
    /// The action refused.
    pub action: Action,
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "cannot {:?} an interaction that is {:?}",
            self.action, self.state
        )
    }
}

impl std::error::Error for Refused {}

/// The state after `action`, or why it is not allowed.
pub fn next(state: InteractionState, action: Action) -> Result<InteractionState, Refused> {
    use InteractionState::{Active, Done, Ended, Offered, Queued};
    let to = match (state, action) {
        // Routing's offer, or a transfer (and a supervisor's reassign) to a named colleague,
        // whether the chat was waiting, offered to someone else or being worked on. An ended
        // chat is not handed on: it is Marked Done, or reactivated by whoever writes next.
        (Queued, Action::Offer) | (Queued | Offered | Active, Action::Transfer) => Offered,
        // Accepting an offer, taking a waiting chat, or a transfer nobody took going back to
        // the agent who made it.
        (Offered, Action::Accept | Action::Return) | (Queued | Offered, Action::Claim) => Active,
        // Back to the queue: an offer declined or unanswered; a chat handed to the queue; a
        // chat whose agent left for good.
        (Offered, Action::Reject | Action::Timeout)
        | (Offered | Active, Action::TransferToQueue)
        | (Active | Ended, Action::Requeue) => Queued,
        // A contact who leaves before anyone accepted still gets an answer: the chat stays in
        // the queue, and the agent who takes it can write asynchronously.
        (Queued | Offered, Action::End(Party::Contact)) => state,
        (Active, Action::End(_)) => Ended,
        (Active | Ended, Action::Done) | (Queued | Offered, Action::Abandon) => Done,
        _ => return Err(Refused { state, action }),
    };
    Ok(to)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use InteractionState::{Active, Done, Ended, Offered, Queued};

    fn action() -> impl Strategy<Value = Action> {
        prop_oneof![
            Just(Action::Offer),
            Just(Action::Accept),
            Just(Action::Reject),
            Just(Action::Timeout),
            Just(Action::Claim),
            Just(Action::End(Party::Agent)),
            Just(Action::End(Party::Contact)),
            Just(Action::Done),
            Just(Action::Requeue),
            Just(Action::Transfer),
            Just(Action::TransferToQueue),
            Just(Action::Return),
            Just(Action::Abandon),
        ]
    }

    proptest! {
        /// Whatever happens, in any order: Done is final, an agent only gets a chat by
        /// accepting an offer, claiming it or getting back a transfer nobody took, an offer
        /// comes from routing or a transfer, nothing ends before it was active (except a
        /// contact leaving a waiting chat, which keeps it waiting), an ended chat is never
        /// transferred, and only ended or active chats are marked Done (a waiting chat whose
        /// contact left a channel without asynchronous chat is closed unanswered).
        #[test]
        fn any_sequence_keeps_the_rules(actions in proptest::collection::vec(action(), 0..60)) {
            let mut state = Queued;
            for a in actions {
                match next(state, a) {
                    Ok(to) => {
                        prop_assert_ne!(state, Done, "Done must be final");
                        match to {
                            Active if state != Active => prop_assert!(matches!(a, Action::Accept | Action::Claim | Action::Return)),
                            Offered if state != Offered => prop_assert!(matches!((state, a), (Queued, Action::Offer) | (_, Action::Transfer))),
                            Ended => prop_assert_eq!(state, Active),
                            Done => prop_assert!(
                                (matches!(state, Active | Ended) && a == Action::Done)
                                    || (matches!(state, Queued | Offered) && a == Action::Abandon)
                            ),
                            Queued if state == Active => prop_assert!(matches!(a, Action::Requeue | Action::TransferToQueue)),
                            Queued if state == Ended => prop_assert_eq!(a, Action::Requeue),
                            Queued if state == Offered => prop_assert!(matches!(a, Action::Reject | Action::Timeout | Action::End(Party::Contact) | Action::TransferToQueue)),
                            _ => {}
                        }
                        state = to;
                    }
                    Err(r) => {
                        prop_assert_eq!(r.state, state);
                        if matches!(a, Action::Transfer | Action::TransferToQueue) {
                            prop_assert!(matches!(state, Ended | Done | Queued));
                        }
                    }
                }
            }
        }

        /// An accepted chat can always be ended and then marked Done.
        #[test]
        fn every_accepted_chat_can_be_closed(prefix in proptest::collection::vec(action(), 0..20)) {
            let mut state = Queued;
            for a in prefix {
                if let Ok(to) = next(state, a) { state = to; }
            }
            if state == Active {
                let ended = next(state, Action::End(Party::Agent)).unwrap();
                prop_assert_eq!(next(ended, Action::Done).unwrap(), Done);
            }
        }
    }

    #[test]
    fn offer_cycle() {
        assert_eq!(next(Queued, Action::Offer), Ok(Offered));
        assert_eq!(next(Offered, Action::Timeout), Ok(Queued));
        assert_eq!(next(Offered, Action::Accept), Ok(Active));
        assert!(next(Queued, Action::Accept).is_err());
        assert!(next(Done, Action::Claim).is_err());
        assert_eq!(next(Ended, Action::Done), Ok(Done));
        assert_eq!(next(Active, Action::Requeue), Ok(Queued));
        assert!(next(Offered, Action::Requeue).is_err());
    }

    #[test]
    fn only_a_waiting_chat_is_abandoned() {
        assert_eq!(next(Queued, Action::Abandon), Ok(Done));
        assert_eq!(next(Offered, Action::Abandon), Ok(Done));
        assert!(next(Active, Action::Abandon).is_err());
        assert!(next(Ended, Action::Abandon).is_err());
        assert!(next(Done, Action::Abandon).is_err());
    }

    #[test]
    fn transfer_cycle() {
        assert_eq!(next(Active, Action::Transfer), Ok(Offered));
        assert_eq!(next(Offered, Action::Return), Ok(Active));
        assert_eq!(next(Active, Action::TransferToQueue), Ok(Queued));
        assert_eq!(next(Offered, Action::Transfer), Ok(Offered));
        assert!(next(Ended, Action::Transfer).is_err());
        assert!(next(Queued, Action::TransferToQueue).is_err());
        assert!(next(Active, Action::Return).is_err());
    }
}
