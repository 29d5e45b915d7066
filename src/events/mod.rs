//! The one event dispatcher. The stream itself (ticket, `EventSource`, back-off, replay from
//! the last id) is `client::Stream`; this module loads the agent's work before the stream opens,
//! reads what the stream reports, and hands each event to the part that owns it.
//!
//! # Layout
//! - `mod.rs`: starts the stream for the reactive owner and turns its updates into the
//!   [`StreamStatus`] signal, notices and dispatched events.
//! - `dispatch.rs`: [`Parts`], which part owns which event, and the full reload.

mod dispatch;

pub use dispatch::Parts;

use crate::api::{ApiClient, LoggedIn};
use client::{Link as Wire, Stream, StreamConfig, Update};
use leptos::prelude::*;
use leptos::task::spawn_local;
use std::rc::Rc;
use wire::Event;

/// The state of the stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Link {
    /// The first connection is being made.
    Connecting,
    /// Events flow.
    Live,
    /// The stream dropped; a new one is on its way.
    Reconnecting,
}

/// The stream's state, as a context.
#[derive(Debug, Clone, Copy)]
pub struct StreamStatus(pub RwSignal<Link>);

/// Starts the dispatcher for the current reactive owner; it stops when the owner goes away.
pub fn start(api: ApiClient<LoggedIn>, parts: Parts) -> StreamStatus {
    let status = StreamStatus(RwSignal::new(Link::Connecting));
    let reload_api = api.clone();
    let sink_api = api.clone();
    let stream = Stream::start(StreamConfig {
        ticket_url: "/api/events/ticket".to_owned(),
        stream_url: "/api/events".to_owned(),
        token: api.token().to_owned(),
        decode: Event::decode,
        prepare: Box::new(move || {
            let api = reload_api.clone();
            Box::pin(async move {
                match dispatch::reload(&api, &parts).await {
                    Ok(()) => true,
                    Err(e) => {
                        parts.notices.error("Loading your work", &e);
                        false
                    }
                }
            })
        }),
        sink: Rc::new(move |update| receive(&sink_api, &parts, status, update)),
    });
    let keep = StoredValue::new_local(Some(stream));
    on_cleanup(move || {
        // Dropping the stream closes it.
        let _ = keep.try_update_value(Option::take);
    });
    status
}

/// Reads one update of the stream.
fn receive(api: &ApiClient<LoggedIn>, parts: &Parts, status: StreamStatus, update: Update<Event>) {
    match update {
        Update::Link(Wire::Up) => status.0.set(Link::Live),
        Update::Link(Wire::Down) => status.0.set(Link::Reconnecting),
        Update::Event(_, event) if dispatch::rewrites_conversations(&event) => {
            let what = if matches!(event, Event::Resync) {
                "Reloading after a gap"
            } else {
                "Reloading after contacts were linked"
            };
            dispatch::dispatch(parts, event);
            let (api, parts) = (api.clone(), *parts);
            spawn_local(async move {
                if let Err(e) = dispatch::reload(&api, &parts).await {
                    parts.notices.error(what, &e);
                }
                parts.contacts.rewritten();
            });
        }
        Update::Event(_, event) => dispatch::dispatch(parts, event),
        Update::Unreadable(what) => parts.notices.push(format!(
            "An update from the server could not be read: {what}"
        )),
        Update::Refused(e) => parts.notices.error("Live updates", &e.into()),
    }
}
