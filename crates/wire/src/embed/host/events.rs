//! Which portal events ([`HostMessage`]) an event of the agent's stream means: the one place
//! that decides it. [`Seen`] keeps the state each interaction was last seen in, since the same
//! server event can be news or not (an `interaction` event in `active` opens a chat only when
//! it was not active before; after an offer it also means the offer was accepted).
//!
//! # Layout
//! - [`Seen`]: the states seen so far, [`Seen::reset`] from the agent's work as loaded, and
//!   [`Seen::event`], the portal events of one server event.

use super::{first_words, HostMessage};
use crate::api::MyWork;
use crate::event::WithdrawReason;
use crate::{AgentId, Event, InteractionId, InteractionState, InteractionView};
use std::collections::HashMap;

/// What the desktop has seen of the agent's interactions and offers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    /// The logged-in agent: only their interactions open, end and are done for the portal.
    me: AgentId,
    /// The state each interaction of this agent (or offered to them) was last seen in.
    states: HashMap<InteractionId, InteractionState>,
}

impl Seen {
    /// Nothing seen yet, for agent `me`.
    pub fn new(me: AgentId) -> Self {
        Seen {
            me,
            states: HashMap::new(),
        }
    }

    /// The agent's work as loaded (start-up, after a gap): what is open now is not news, and
    /// nothing else is remembered.
    pub fn reset(&mut self, work: &MyWork) {
        self.states.clear();
        for i in &work.interactions {
            self.states.insert(i.id, i.state);
        }
        for o in &work.offers {
            self.states
                .insert(o.interaction.id, InteractionState::Offered);
        }
    }

    /// The portal events `event` means, in the order they are posted.
    pub fn event(&mut self, event: &Event) -> Vec<HostMessage> {
        match event {
            Event::Offer { offer } => {
                let i = &offer.interaction;
                let before = self.states.insert(i.id, InteractionState::Offered);
                if before == Some(InteractionState::Offered) {
                    return Vec::new();
                }
                vec![HostMessage::OfferReceived {
                    interaction_id: i.id,
                    contact_id: i.contact_id,
                    contact_name: i.contact_name.clone(),
                    channel: i.channel,
                    first_words: offer.first_message.as_deref().and_then(first_words),
                    expires_at: offer.expires_at,
                }]
            }
            Event::OfferWithdrawn {
                interaction_id,
                reason,
            } => {
                let before = self.states.get(interaction_id).copied();
                if before.is_some_and(|s| s != InteractionState::Offered) {
                    // Already past the offer (accepted here): nothing new.
                    return Vec::new();
                }
                self.states.remove(interaction_id);
                vec![withdrawn(*interaction_id, *reason)]
            }
            Event::Interaction { interaction } => self.interaction(interaction),
            Event::ContactResponded {
                contact_id,
                contact_name,
                message,
                ..
            } => vec![HostMessage::ContactResponded {
                contact_id: *contact_id,
                contact_name: contact_name.clone(),
                first_words: first_words(&message.text),
            }],
            // Every agent hears these: a portal may keep any contact's id.
            Event::ContactLinked {
                contact_id,
                contact,
            } => vec![HostMessage::ContactLinked {
                contact_id: *contact_id,
                into_contact_id: contact.id,
            }],
            Event::ContactUnlinked {
                contact,
                new_contact,
            } => vec![HostMessage::ContactUnlinked {
                contact_id: contact.id,
                new_contact_id: new_contact.id,
            }],
            Event::ContactErased { contact_id } => vec![HostMessage::ContactErased {
                contact_id: *contact_id,
            }],
            _ => Vec::new(),
        }
    }

    /// An interaction changed state.
    fn interaction(&mut self, i: &InteractionView) -> Vec<HostMessage> {
        if i.agent_id != Some(self.me) {
            // Not (or no longer) this agent's: forgotten.
            self.states.remove(&i.id);
            return Vec::new();
        }
        if i.state == InteractionState::Offered {
            // The `offer` event says it (the server sends this one first).
            return Vec::new();
        }
        let before = self.states.insert(i.id, i.state);
        if before == Some(i.state) {
            return Vec::new();
        }
        match i.state {
            InteractionState::Active => {
                let mut out = Vec::new();
                if before == Some(InteractionState::Offered) {
                    out.push(HostMessage::OfferAccepted {
                        interaction_id: i.id,
                    });
                }
                out.push(HostMessage::InteractionOpened {
                    interaction_id: i.id,
                    contact_id: i.contact_id,
                    contact_name: i.contact_name.clone(),
                    channel: i.channel,
                });
                out
            }
            InteractionState::Ended => vec![HostMessage::InteractionEnded {
                interaction_id: i.id,
            }],
            InteractionState::Done => vec![HostMessage::InteractionDone {
                interaction_id: i.id,
                disposition: i.disposition.clone(),
            }],
            InteractionState::Queued | InteractionState::Offered => Vec::new(),
        }
    }
}

/// The event for an offer that went away for `reason`.
fn withdrawn(interaction_id: InteractionId, reason: WithdrawReason) -> HostMessage {
    match reason {
        WithdrawReason::Accepted => HostMessage::OfferAccepted { interaction_id },
        WithdrawReason::Rejected => HostMessage::OfferRejected { interaction_id },
        WithdrawReason::TimedOut => HostMessage::OfferTimedOut { interaction_id },
        WithdrawReason::ContactLeft | WithdrawReason::Reassigned => HostMessage::OfferWithdrawn {
            interaction_id,
            reason,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::OfferView;
    use crate::model::Channel;
    use crate::{ContactId, DispositionCode, MessageView};

    const ME: AgentId = AgentId(7);
    const ID: InteractionId = InteractionId(4);

    fn interaction(state: InteractionState, agent: Option<AgentId>) -> InteractionView {
        InteractionView {
            agent_id: agent,
            ..InteractionView::new(ID, (ContactId(3), "Priya Nair"), Channel::WebChat, state, 1)
        }
    }

    fn changed(state: InteractionState, agent: Option<AgentId>) -> Event {
        Event::Interaction {
            interaction: interaction(state, agent),
        }
    }

    fn offer(first: Option<&str>) -> Event {
        Event::Offer {
            offer: OfferView {
                interaction: interaction(InteractionState::Offered, Some(ME)),
                first_message: first.map(str::to_owned),
                expires_at: 30_000,
                transfer: None,
            },
        }
    }

    fn withdrawn_for(reason: WithdrawReason) -> Event {
        Event::OfferWithdrawn {
            interaction_id: ID,
            reason,
        }
    }

    fn opened() -> HostMessage {
        HostMessage::InteractionOpened {
            interaction_id: ID,
            contact_id: ContactId(3),
            contact_name: "Priya Nair".into(),
            channel: Channel::WebChat,
        }
    }

    #[test]
    fn an_offer_accepted_opens_the_chat_then_it_ends_and_is_done() {
        let mut seen = Seen::new(ME);
        let long = "é".repeat(150);
        // The server reports the interaction in `offered` before the offer itself.
        assert_eq!(
            seen.event(&changed(InteractionState::Offered, Some(ME))),
            vec![]
        );
        assert_eq!(
            seen.event(&offer(Some(&long))),
            vec![HostMessage::OfferReceived {
                interaction_id: ID,
                contact_id: ContactId(3),
                contact_name: "Priya Nair".into(),
                channel: Channel::WebChat,
                first_words: Some("é".repeat(crate::embed::host::MAX_FIRST_WORDS)),
                expires_at: 30_000,
            }]
        );
        // The same offer again (a replay, an `interaction` event in `offered`): nothing new.
        assert_eq!(seen.event(&offer(None)), vec![]);
        assert_eq!(
            seen.event(&changed(InteractionState::Offered, Some(ME))),
            vec![]
        );
        assert_eq!(
            seen.event(&changed(InteractionState::Active, Some(ME))),
            vec![HostMessage::OfferAccepted { interaction_id: ID }, opened()]
        );
        // An update of an active chat is not news.
        assert_eq!(
            seen.event(&changed(InteractionState::Active, Some(ME))),
            vec![]
        );
        assert_eq!(
            seen.event(&changed(InteractionState::Ended, Some(ME))),
            vec![HostMessage::InteractionEnded { interaction_id: ID }]
        );
        let mut done = interaction(InteractionState::Done, Some(ME));
        done.disposition = Some(DispositionCode("resolved".into()));
        assert_eq!(
            seen.event(&Event::Interaction { interaction: done }),
            vec![HostMessage::InteractionDone {
                interaction_id: ID,
                disposition: Some(DispositionCode("resolved".into())),
            }]
        );
    }

    #[test]
    fn a_chat_started_or_transferred_in_opens_without_an_offer_event() {
        let mut seen = Seen::new(ME);
        assert_eq!(
            seen.event(&changed(InteractionState::Active, Some(ME))),
            vec![opened()]
        );
    }

    #[test]
    fn withdrawals_name_their_reason() {
        let cases = [
            (
                WithdrawReason::Accepted,
                HostMessage::OfferAccepted { interaction_id: ID },
            ),
            (
                WithdrawReason::Rejected,
                HostMessage::OfferRejected { interaction_id: ID },
            ),
            (
                WithdrawReason::TimedOut,
                HostMessage::OfferTimedOut { interaction_id: ID },
            ),
            (
                WithdrawReason::ContactLeft,
                HostMessage::OfferWithdrawn {
                    interaction_id: ID,
                    reason: WithdrawReason::ContactLeft,
                },
            ),
            (
                WithdrawReason::Reassigned,
                HostMessage::OfferWithdrawn {
                    interaction_id: ID,
                    reason: WithdrawReason::Reassigned,
                },
            ),
        ];
        for (reason, expected) in cases {
            let mut seen = Seen::new(ME);
            seen.event(&offer(Some("hello")));
            assert_eq!(seen.event(&withdrawn_for(reason)), vec![expected]);
            // Back in the queue, then offered again: a new offer.
            assert_eq!(seen.event(&changed(InteractionState::Queued, None)), vec![]);
            assert_eq!(seen.event(&offer(Some("hello"))).len(), 1, "{reason:?}");
        }
    }

    #[test]
    fn other_agents_chats_and_loaded_work_are_not_news() {
        let mut seen = Seen::new(ME);
        assert_eq!(
            seen.event(&changed(InteractionState::Active, Some(AgentId(8)))),
            vec![]
        );
        assert_eq!(
            seen.event(&changed(InteractionState::Ended, Some(AgentId(8)))),
            vec![]
        );
        seen.reset(&MyWork {
            interactions: vec![interaction(InteractionState::Active, Some(ME))],
            offers: vec![],
            agent: crate::AgentView {
                id: ME,
                login: "ann".into(),
                display_name: "Ann".into(),
                capacity: 3,
                role: crate::Role::Agent,
                status: crate::ChatStatus::Ready,
                open_interactions: 1,
            },
            monitors: vec![],
        });
        assert_eq!(
            seen.event(&changed(InteractionState::Active, Some(ME))),
            vec![]
        );
        // A withdrawal of something already past its offer says nothing.
        assert_eq!(seen.event(&withdrawn_for(WithdrawReason::Accepted)), vec![]);
        // Transferred away: forgotten, so coming back opens it again.
        assert_eq!(
            seen.event(&changed(InteractionState::Active, Some(AgentId(8)))),
            vec![]
        );
        assert_eq!(
            seen.event(&changed(InteractionState::Active, Some(ME))),
            vec![opened()]
        );
    }

    #[test]
    fn a_contact_responding_quotes_their_first_words() {
        let mut seen = Seen::new(ME);
        let message = MessageView {
            contact_id: ContactId(3),
            interaction_id: ID,
            seq: 5,
            text: "  Is my order on its way?  ".into(),
            created_at: 9,
            ..MessageView::sample(1)
        };
        assert_eq!(
            seen.event(&Event::ContactResponded {
                agent_id: ME,
                contact_id: ContactId(3),
                contact_name: "Priya Nair".into(),
                message,
            }),
            vec![HostMessage::ContactResponded {
                contact_id: ContactId(3),
                contact_name: "Priya Nair".into(),
                first_words: Some("Is my order on its way?".into()),
            }]
        );
    }

    #[test]
    fn contacts_linked_unlinked_and_erased_are_told_by_their_ids() {
        let mut seen = Seen::new(ME);
        let contact = |id: i64| crate::ContactView {
            id: ContactId(id),
            first_name: "Priya".into(),
            last_name: "Nair".into(),
            email: None,
            phone: None,
            notes: String::new(),
            identities: Vec::new(),
            last_agent_id: None,
            page: None,
        };
        assert_eq!(
            seen.event(&Event::ContactLinked {
                contact_id: ContactId(5),
                contact: contact(3),
            }),
            vec![HostMessage::ContactLinked {
                contact_id: ContactId(5),
                into_contact_id: ContactId(3),
            }]
        );
        assert_eq!(
            seen.event(&Event::ContactUnlinked {
                contact: contact(3),
                new_contact: contact(6),
            }),
            vec![HostMessage::ContactUnlinked {
                contact_id: ContactId(3),
                new_contact_id: ContactId(6),
            }]
        );
        let erased = seen.event(&Event::ContactErased {
            contact_id: ContactId(6),
        });
        assert_eq!(
            erased,
            vec![HostMessage::ContactErased {
                contact_id: ContactId(6),
            }]
        );
        assert_eq!(
            erased[0].to_message(),
            r#"{"protocol":"threadline/1","type":"contact_erased","contact_id":6}"#
        );
    }
}
