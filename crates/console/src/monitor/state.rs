//! The monitor view's signals: which chat is watched, what was read of it, and the messages,
//! merged by `client::Thread` (the desktop's merge: by seq, a late copy never drops a mark)
//! from the first read and from the board stream's `message` events.

use crate::api::Api;
use client::Thread;
use leptos::prelude::*;
use leptos::task::spawn_local;
use wire::monitor::Monitor;
use wire::{ContactId, Event, InteractionId, InteractionView, MessageView};

/// The watched chat, as a context (the board page provides it).
#[derive(Debug, Clone, Copy)]
pub struct MonitorState {
    /// The chat watched (none: the view is closed).
    pub watching: RwSignal<Option<InteractionId>>,
    /// The interaction as last read or heard (state, agent).
    pub interaction: RwSignal<Option<InteractionView>>,
    /// The contact's messages, by seq.
    pub messages: RwSignal<Thread<MessageView>>,
    /// Who watches the chat (this supervisor included once started).
    pub monitors: RwSignal<Vec<Monitor>>,
    /// Why the chat could not be read or the monitor not started or stopped.
    pub error: RwSignal<Option<String>>,
    /// The page's caller, so every `Monitor` button can start one without being handed it.
    api: StoredValue<Api>,
}

impl MonitorState {
    /// Closed; `api` starts, reads and stops monitors.
    pub fn new(api: Api) -> Self {
        MonitorState {
            watching: RwSignal::new(None),
            interaction: RwSignal::new(None),
            messages: RwSignal::new(Thread::default()),
            monitors: RwSignal::new(Vec::new()),
            error: RwSignal::new(None),
            api: StoredValue::new(api),
        }
    }

    /// The contact whose conversation is shown, once read.
    fn contact(self) -> Option<ContactId> {
        self.interaction
            .with_untracked(|i| i.as_ref().map(|i| i.contact_id))
    }

    /// Starts monitoring `id` (stopping the chat watched before): the server is told (the
    /// agent sees it), then the chat is read.
    pub fn open(self, id: InteractionId) {
        let before = self.watching.get_untracked();
        if before == Some(id) {
            return;
        }
        if before.is_some() {
            // One chat at a time: the one watched so far is stopped (its agent is told).
            self.close();
        }
        self.watching.set(Some(id));
        self.interaction.set(None);
        self.messages.set(Thread::default());
        self.monitors.set(Vec::new());
        self.error.set(None);
        let api = self.api.get_value();
        spawn_local(async move {
            if let Err(e) = api.start_monitor(id).await {
                // A chat that is over can still be read; the reason shows above it.
                self.error.try_set(Some(e.to_string()));
            }
            self.reload(&api, id).await;
        });
    }

    /// Reads the chat again (first open, and after the stream was away).
    pub async fn reload(self, api: &Api, id: InteractionId) {
        self.read(api, id).await;
    }

    /// Reads the watched chat again, if one is watched (the board stream came back).
    pub fn refresh(self) {
        if let Some(id) = self.watching.get_untracked() {
            let api = self.api.get_value();
            spawn_local(async move { self.read(&api, id).await });
        }
    }

    async fn read(self, api: &Api, id: InteractionId) {
        match api.monitored(id).await {
            Ok(view) if self.watching.get_untracked() == Some(id) => {
                self.interaction.set(Some(view.interaction));
                self.messages.update(|t| {
                    t.merge_page(view.page.messages);
                });
                self.monitors.set(view.monitors);
            }
            Ok(_) => {}
            Err(e) => {
                self.error.try_set(Some(e.to_string()));
            }
        }
    }

    /// Stops monitoring and closes the view.
    pub fn close(self) {
        let Some(id) = self.watching.get_untracked() else {
            return;
        };
        self.watching.set(None);
        self.interaction.set(None);
        self.messages.set(Thread::default());
        let api = self.api.get_value();
        spawn_local(async move {
            // The session's end or the chat's end stops it anyway; nothing to show here.
            let _ = api.stop_monitor(id).await;
        });
    }

    /// An event of the board stream: the watched chat's messages, state and monitors.
    pub fn event(self, event: &Event) {
        let Some(id) = self.watching.get_untracked() else {
            return;
        };
        match event {
            Event::Message { message } if Some(message.contact_id) == self.contact() => {
                let message = message.clone();
                self.messages.update(|t| {
                    t.insert(message);
                });
            }
            Event::Interaction { interaction } if interaction.id == id => {
                self.interaction.set(Some(interaction.clone()));
            }
            Event::Receipt {
                contact_id,
                author_party,
                up_to_seq,
                read,
                at,
            } if Some(*contact_id) == self.contact() => {
                self.messages.update(|t| {
                    t.receipt(*author_party, *up_to_seq, *read, *at);
                });
            }
            Event::Monitoring { monitor, on } if monitor.interaction_id == id => {
                let monitor = monitor.clone();
                let on = *on;
                self.monitors.update(|list| {
                    list.retain(|m| m.by_id != monitor.by_id);
                    if on {
                        list.push(monitor);
                    }
                });
            }
            // The stream missed events the log no longer holds: read everything again.
            Event::Resync => self.refresh(),
            _ => {}
        }
    }
}
