//! The live stream: `POST /api/visitor/events/ticket`, then an `EventSource` on
//! `/api/visitor/events?ticket=…&last_event_id=…` with a listener for every name in
//! [`wire::Event::NAMES`]. On an error the stream is closed (a ticket is single-use, so the
//! browser's own retry would fail), and after a growing, jittered delay a new ticket opens a
//! new stream from the last event id received: the server replays what was missed, and the
//! transcript's seq keys drop what arrives twice.

use crate::{api, app};
use std::fmt::Write as _;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::spawn_local;
use web_sys::{Event, EventSource, MessageEvent};
use wire::EventId;

/// Longest wait between two attempts, in milliseconds.
const MAX_BACKOFF_MS: f64 = 30_000.0;

/// A stream's listeners, kept so they are freed with the stream.
type Listeners = Vec<Closure<dyn FnMut(Event)>>;

/// The stream's state.
#[derive(Default)]
pub struct Stream {
    /// The open stream.
    source: Option<EventSource>,
    /// Its listeners.
    listeners: Listeners,
    /// The last event id received (or the ticket's head before the first event).
    pub last_id: Option<EventId>,
    /// Failed attempts in a row.
    failures: u32,
    /// Bumped on every close, so late callbacks of an old stream do nothing.
    generation: u32,
}

impl Stream {
    /// Closes the stream; the listeners are handed back to be dropped outside their callback.
    fn close(&mut self) -> Listeners {
        if let Some(source) = self.source.take() {
            source.close();
        }
        self.generation = self.generation.wrapping_add(1);
        std::mem::take(&mut self.listeners)
    }

    /// Closes the stream and forgets its position (a new session).
    pub fn reset(&mut self) {
        let listeners = self.close();
        crate::view::dom::after(0, move || drop(listeners));
        self.last_id = None;
        self.failures = 0;
    }

    /// Records that an event arrived.
    pub fn seen(&mut self, id: EventId) {
        if self.last_id.is_none_or(|last| id > last) {
            self.last_id = Some(id);
        }
    }
}

/// Opens the stream with `ticket` from the last id received.
pub fn open(stream: &mut Stream, ticket: &str) {
    let old = stream.close();
    crate::view::dom::after(0, move || drop(old));
    let mut url = format!(
        "/api/visitor/events?ticket={}",
        js_sys::encode_uri_component(ticket)
    );
    if let Some(id) = stream.last_id {
        let _ = write!(url, "&last_event_id={id}");
    }
    let generation = stream.generation;
    let Ok(source) = EventSource::new(&url) else {
        retry_later(stream);
        return;
    };
    for name in wire::Event::NAMES {
        let listener = Closure::<dyn FnMut(Event)>::new(move |e: Event| {
            if let Some(data) = e
                .dyn_ref::<MessageEvent>()
                .and_then(|m| m.data().as_string())
            {
                app::on_stream_data(generation, &e.type_(), &data);
            }
        });
        let _ = source.add_event_listener_with_callback(name, listener.as_ref().unchecked_ref());
        stream.listeners.push(listener);
    }
    let on_error = Closure::<dyn FnMut(Event)>::new(move |_| app::on_stream_error(generation));
    source.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    let on_open = Closure::<dyn FnMut(Event)>::new(move |_| app::on_stream_open(generation));
    source.set_onopen(Some(on_open.as_ref().unchecked_ref()));
    stream.listeners.push(on_error);
    stream.listeners.push(on_open);
    stream.source = Some(source);
}

/// Whether a callback of stream `generation` is still current.
pub fn current(stream: &Stream, generation: u32) -> bool {
    stream.generation == generation && stream.source.is_some()
}

/// The stream opened: the next failure starts the back-off from the beginning.
pub fn opened(stream: &mut Stream) {
    stream.failures = 0;
}

/// Closes the stream and tries again after a back-off.
pub fn retry_later(stream: &mut Stream) {
    let old = stream.close();
    let exp = f64::from(stream.failures.min(5));
    stream.failures = stream.failures.saturating_add(1);
    let base = (1000.0 * exp.exp2()).min(MAX_BACKOFF_MS);
    let delay = base * (0.75 + 0.5 * js_sys::Math::random());
    let generation = stream.generation;
    #[allow(clippy::cast_possible_truncation)]
    crate::view::dom::after(delay as i32, move || {
        drop(old);
        spawn_local(reconnect(generation));
    });
}

/// Reconnects now (the browser came back online), unless a stream is open.
pub fn reconnect_now(stream: &mut Stream) {
    if stream.source.is_none() {
        stream.failures = 0;
        let generation = stream.generation;
        spawn_local(reconnect(generation));
    }
}

/// Takes a new ticket and opens the stream, if nothing else did meanwhile.
async fn reconnect(generation: u32) {
    let token = app::with(|a| {
        (a.stream.generation == generation && a.stream.source.is_none())
            .then(|| a.token())
            .flatten()
    })
    .flatten();
    let Some(token) = token else { return };
    let result = api::ticket(&token).await;
    app::with(|a| {
        if a.stream.generation != generation || a.stream.source.is_some() {
            return;
        }
        match result {
            Ok(ticket) => {
                if a.stream.last_id.is_none() {
                    a.stream.last_id = Some(ticket.head);
                }
                open(&mut a.stream, &ticket.ticket);
            }
            Err(e) if e.is_auth() => a.session_lost(),
            Err(_) => retry_later(&mut a.stream),
        }
    });
}

/// The events the widget acts on: the visitor rows of wire's event table, with messages and
/// interactions read as the transcript's smaller types (the same JSON, a smaller bundle).
pub type Live = wire::event::VisitorEvent<crate::transcript::Narrowed>;

/// Reads one SSE message by its event name: its id, and the event if the widget acts on it.
pub fn parse(name: &str, data: &str) -> Option<(EventId, Option<Live>)> {
    Live::decode(name, data)
}

#[cfg(test)]
mod tests {
    use super::*;
    use wire::{Author, ContactId, Event, EventEnvelope, InteractionId, MessageId, Party};

    fn wire_json(event: Event) -> (String, String) {
        let name = event.name().to_owned();
        let envelope = EventEnvelope {
            id: EventId(42),
            at: 1,
            event,
        };
        (name, serde_json::to_string(&envelope).unwrap())
    }

    #[test]
    fn reads_the_events_the_server_sends() {
        let message = wire::MessageView {
            id: MessageId(1),
            contact_id: ContactId(3),
            interaction_id: InteractionId(2),
            seq: 5,
            author: Author::Contact,
            text: "hi".into(),
            attachment: None,
            client_id: None,
            created_at: 9,
            delivered_at: None,
            read_at: None,
            system: None,
        };
        let (name, data) = wire_json(Event::Message {
            message: message.clone(),
        });
        let Some((EventId(42), Some(Live::Message { message: read }))) = parse(&name, &data) else {
            panic!("not a message: {data}");
        };
        assert_eq!((read.seq, read.text.as_str()), (message.seq, "hi"));
        let (name, data) = wire_json(Event::Typing {
            contact_id: ContactId(3),
            party: Party::Agent,
            typing: true,
        });
        assert_eq!(
            parse(&name, &data),
            Some((
                EventId(42),
                Some(Live::Typing {
                    contact_id: ContactId(3),
                    party: Party::Agent,
                    typing: true
                })
            ))
        );
        let (name, data) = wire_json(Event::Receipt {
            contact_id: ContactId(3),
            author_party: Party::Contact,
            up_to_seq: 5,
            read: true,
            at: 7,
        });
        assert!(matches!(
            parse(&name, &data),
            Some((_, Some(Live::Receipt { read: true, .. })))
        ));
        let (name, data) = wire_json(Event::Resync);
        assert_eq!(parse(&name, &data), Some((EventId(42), Some(Live::Resync))));
        let (name, data) = wire_json(Event::OfferWithdrawn {
            interaction_id: InteractionId(1),
            reason: wire::event::WithdrawReason::Accepted,
        });
        assert_eq!(parse(&name, &data), Some((EventId(42), None)));
        assert_eq!(parse("message", "{}"), None);
    }
}
