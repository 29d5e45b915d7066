//! The live stream's updates and the conversation pages: the stream reports into the sink
//! made here, and this is the only place that reads it.

use super::{with, App, Mode};
use crate::api;
use crate::transcript::Live;
use client::{Stream, StreamConfig, Update};
use std::rc::Rc;
use wasm_bindgen_futures::spawn_local;
use wire::Party;

/// The stream of a session: it reports into [`receive`], and loads the newest page with
/// [`first_page`] before it opens.
pub(super) fn stream(epoch: u32, token: String) -> Stream<Option<Live>> {
    let page_token = token.clone();
    Stream::start(StreamConfig {
        ticket_url: "/api/visitor/events/ticket".to_owned(),
        stream_url: "/api/visitor/events".to_owned(),
        token,
        decode: Live::decode,
        prepare: Box::new(move || Box::pin(first_page(epoch, page_token.clone()))),
        sink: Rc::new(move |update| {
            with(|a| {
                if a.epoch == epoch {
                    a.receive(update);
                }
            });
        }),
    })
}

/// Loads the newest page and shows the chat (or the start form); the stream opens after it.
async fn first_page(epoch: u32, token: String) -> bool {
    let page = api::conversation(&token, None).await;
    with(|a| {
        if a.epoch != epoch {
            return false;
        }
        match page {
            Ok(page) if a.transcript.renumbered(&page) => a.replace(page),
            Ok(page) => {
                a.merge(page, false);
                // A chat that ended before this visit is history, not news: show the composer
                // (writing starts a new chat), not "The chat has ended".
                if a.transcript.ended() {
                    a.dismissed = a.transcript.current.as_ref().map(|c| c.id);
                }
            }
            Err(e) => a.alert(&api::message(&e)),
        }
        let mode = if a.stored || !a.transcript.messages.is_empty() {
            Mode::Chat
        } else {
            Mode::Start
        };
        a.set_mode(mode);
        if mode == Mode::Chat {
            a.put_back_unsent();
            a.put_back_picture();
        }
        a.ack();
        a.scroll_to_end();
        a.focus_if_open();
        true
    })
    .unwrap_or(false)
}

/// "Show earlier messages": loads the page before the oldest one shown.
pub(super) async fn load_earlier() {
    let Some(Some((epoch, token, before))) =
        with(|a| Some((a.epoch, a.token()?, a.transcript.first_seq()?)))
    else {
        return;
    };
    let result = api::conversation(&token, Some(before)).await;
    with(|a| {
        if a.epoch != epoch {
            return;
        }
        match result {
            Ok(page) => {
                let log = a.ui.log.clone();
                let from_bottom = log.scroll_height() - log.scroll_top();
                a.merge(page, true);
                log.set_scroll_top(log.scroll_height() - from_bottom);
                a.render();
            }
            Err(e) => a.alert(&api::message(&e)),
        }
    });
}

/// Reloads the newest page in place of what shows (after a `resync`).
pub(super) async fn reload(epoch: u32, token: String) {
    let result = api::conversation(&token, None).await;
    with(|a| {
        if a.epoch == epoch {
            if let Ok(page) = result {
                a.replace(page);
                a.ack();
            }
        }
    });
}

impl App {
    /// Reads one update of the stream.
    fn receive(&mut self, update: Update<Option<Live>>) {
        match update {
            Update::Event(_, Some(live)) => self.on_event(live),
            Update::Refused(_) => self.session_lost(),
            // The stream reconnects by itself; events not meant for visitors only move its id.
            Update::Event(_, None) | Update::Link(_) | Update::Unreadable(_) => {}
        }
    }

    /// Handles one stream event.
    fn on_event(&mut self, live: Live) {
        let me = self.session.as_ref().map(|s| s.contact_id);
        match live {
            Live::Message { message } if Some(message.contact_id) == me => {
                self.add_message(message, true);
                self.ack();
                self.render();
            }
            Live::Interaction { interaction } if Some(interaction.contact_id) == me => {
                self.transcript.note_interaction(interaction);
                self.render();
            }
            Live::Typing {
                contact_id,
                party: Party::Agent,
                typing,
            } if Some(contact_id) == me => self.set_agent_typing(typing),
            Live::Receipt {
                contact_id,
                author_party: Party::Contact,
                up_to_seq,
                read,
                at,
            } if Some(contact_id) == me => {
                for seq in self
                    .transcript
                    .apply_receipt(Party::Contact, up_to_seq, read, at)
                {
                    self.draw(seq);
                }
            }
            Live::Resync => {
                if let Some(token) = self.token() {
                    spawn_local(reload(self.epoch, token));
                }
            }
            _ => {}
        }
    }
}
