//! The live stream: a single-use ticket (`POST …/ticket`), then an `EventSource` on
//! `…?ticket=…&last_event_id=…` with a listener for every name in [`wire::Event::NAMES`]. When
//! the stream drops it is closed (the browser's own retry would reuse the spent ticket), and after
//! one back-off (1 s doubling to 30 s, ±25 % jitter) a new ticket opens a new stream from the last
//! event id received: the server replays exactly what was missed.
//!
//! The stream knows nothing of the app it feeds: everything it has to say goes into the sink as
//! an [`Update`], and the app reads it there.

use crate::call::{encode, Call, TransportError};
use futures_core::Stream as _;
use gloo_net::eventsource::futures::{EventSource, EventSourceSubscription};
use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::{Rc, Weak};
use wasm_bindgen_futures::spawn_local;
use wire::api::StreamTicket;
use wire::EventId;

/// Whether events flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Link {
    /// The stream is open.
    Up,
    /// The stream dropped (or a ticket could not be had); a new one is on its way.
    Down,
}

/// What the stream reports.
#[derive(Debug, Clone, PartialEq)]
pub enum Update<E> {
    /// The stream opened or dropped.
    Link(Link),
    /// An event, with its log id.
    Event(EventId, E),
    /// An event that could not be read (a version mismatch), with what it said.
    Unreadable(String),
    /// The server refused the credentials: the stream has stopped for good.
    Refused(TransportError),
}

/// A future the stream awaits; boxed so the stream exists once in the bundle.
pub type LocalFuture<T> = Pin<Box<dyn Future<Output = T>>>;

/// What a stream needs to know.
pub struct StreamConfig<E> {
    /// Where tickets come from (`/api/events/ticket`, `/api/visitor/events/ticket`).
    pub ticket_url: String,
    /// The stream itself (`/api/events`, `/api/visitor/events`).
    pub stream_url: String,
    /// The bearer token tickets are asked with.
    pub token: String,
    /// Reads one SSE message by its name (for example [`wire::Event::decode`]).
    pub decode: fn(&str, &str) -> Option<(EventId, E)>,
    /// Runs after the first ticket, before the stream opens at the ticket's head: load the
    /// state the events then change. `false` means it failed (try again after a back-off).
    pub prepare: Box<dyn Fn() -> LocalFuture<bool>>,
    /// Where updates go.
    pub sink: Rc<dyn Fn(Update<E>)>,
}

/// The delay before attempt `attempt + 1`, in milliseconds: 1 s doubling to 30 s, times a
/// jitter of ±25 % from `random` in `[0, 1)`.
pub fn backoff_ms(attempt: u32, random: f64) -> u32 {
    let base = 1000u32.saturating_mul(1 << attempt.min(5)).min(30_000);
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // 750..=37 500
    let delay = (f64::from(base) * (0.75 + 0.5 * random.clamp(0.0, 1.0))) as u32;
    delay
}

/// The stream's state.
struct Inner<E> {
    /// What it was started with.
    config: StreamConfig<E>,
    /// The last event id received (or the ticket's head before the first event).
    last_id: Cell<Option<EventId>>,
    /// Failed attempts in a row.
    attempt: Cell<u32>,
    /// Bumped on every close, so late callbacks of an old stream do nothing.
    generation: Cell<u32>,
    /// The open stream.
    source: RefCell<Option<EventSource>>,
    /// Whether [`Stream`] was dropped or stopped.
    stopped: Cell<bool>,
}

/// A running stream; dropping it closes it.
pub struct Stream<E: 'static> {
    /// The state the callbacks share (they hold it weakly).
    inner: Rc<Inner<E>>,
}

impl<E: 'static> Stream<E> {
    /// Takes a ticket and opens the stream.
    pub fn start(config: StreamConfig<E>) -> Self {
        let inner = Rc::new(Inner {
            config,
            last_id: Cell::new(None),
            attempt: Cell::new(0),
            generation: Cell::new(0),
            source: RefCell::new(None),
            stopped: Cell::new(false),
        });
        connect(Rc::downgrade(&inner), 0);
        Stream { inner }
    }

    /// The last event id received.
    pub fn last_id(&self) -> Option<EventId> {
        self.inner.last_id.get()
    }

    /// Reconnects now (the browser came back online), unless a stream is open.
    pub fn reconnect_now(&self) {
        if self.inner.source.borrow().is_none() {
            self.inner.attempt.set(0);
            let generation = self.inner.close();
            connect(Rc::downgrade(&self.inner), generation);
        }
    }
}

impl<E: 'static> Drop for Stream<E> {
    fn drop(&mut self) {
        self.inner.stopped.set(true);
        self.inner.close();
    }
}

impl<E: 'static> Inner<E> {
    /// Whether callbacks of `generation` still count.
    fn current(&self, generation: u32) -> bool {
        !self.stopped.get() && self.generation.get() == generation
    }

    /// Closes the stream (its subscriptions end on the error this sends them) and returns the
    /// new generation.
    fn close(&self) -> u32 {
        let generation = self.generation.get().wrapping_add(1);
        self.generation.set(generation);
        let old = self.source.borrow_mut().take();
        if let Some(source) = old {
            source.close();
        }
        generation
    }

    /// The stream failed: close it, report it, and connect again after a back-off.
    fn dropped(self: &Rc<Self>) {
        let generation = self.close();
        if self.stopped.get() {
            return;
        }
        (self.config.sink)(Update::Link(Link::Down));
        let attempt = self.attempt.get();
        self.attempt.set(attempt.saturating_add(1));
        let delay = backoff_ms(attempt, js_sys::Math::random());
        let weak = Rc::downgrade(self);
        spawn_local(async move {
            gloo_timers::future::TimeoutFuture::new(delay).await;
            connect(weak, generation);
        });
    }

    /// One SSE message arrived.
    fn receive(&self, name: &str, data: Option<String>) {
        let Some(data) = data else { return };
        match (self.config.decode)(name, &data) {
            Some((id, event)) => {
                if self.last_id.get().is_none_or(|last| id > last) {
                    self.last_id.set(Some(id));
                }
                (self.config.sink)(Update::Event(id, event));
            }
            None => (self.config.sink)(Update::Unreadable(crate::call::unreadable(&data))),
        }
    }
}

/// Takes a ticket, prepares (the first time) and opens the stream, if `generation` is current.
fn connect<E: 'static>(weak: Weak<Inner<E>>, generation: u32) {
    spawn_local(async move {
        let Some(call) = weak.upgrade().filter(|i| i.current(generation)).map(|i| {
            Call::post(i.config.ticket_url.as_str()).bearer(Some(i.config.token.as_str()))
        }) else {
            return;
        };
        let ticket: Result<StreamTicket, TransportError> = call.json().await;
        let Some(inner) = weak.upgrade().filter(|i| i.current(generation)) else {
            return;
        };
        let ticket = match ticket {
            Ok(t) => t,
            Err(e) if e.is_unauthorized() || e.is_forbidden() => {
                inner.stopped.set(true);
                (inner.config.sink)(Update::Refused(e));
                return;
            }
            Err(_) => return inner.dropped(),
        };
        if let Some(from) = inner.last_id.get() {
            return open(&inner, &ticket.ticket, from);
        }
        let prepared = (inner.config.prepare)();
        drop(inner);
        let ok = prepared.await;
        let Some(inner) = weak.upgrade().filter(|i| i.current(generation)) else {
            return;
        };
        if !ok {
            return inner.dropped();
        }
        inner.last_id.set(Some(ticket.head));
        open(&inner, &ticket.ticket, ticket.head);
    });
}

/// Opens the `EventSource` with `ticket` from `from`.
fn open<E: 'static>(inner: &Rc<Inner<E>>, ticket: &str, from: EventId) {
    let url = format!(
        "{}?ticket={}&last_event_id={from}",
        inner.config.stream_url,
        encode(ticket)
    );
    let Ok(mut source) = EventSource::new(&url) else {
        return inner.dropped();
    };
    let generation = inner.generation.get();
    // Every event name, and `open` and `error` themselves: the browser's own retry (an error
    // while connecting) must close the stream too, or a dead server would go unnoticed.
    for name in wire::Event::NAMES.iter().chain(&["open", "error"]) {
        match source.subscribe(*name) {
            Ok(subscription) => spawn_local(pump(Rc::downgrade(inner), generation, subscription)),
            Err(_) => return inner.dropped(),
        }
    }
    *inner.source.borrow_mut() = Some(source);
}

/// Hands what one subscription receives to the stream, until the stream of `generation` closes.
async fn pump<E: 'static>(
    weak: Weak<Inner<E>>,
    generation: u32,
    mut subscription: EventSourceSubscription,
) {
    loop {
        let item = std::future::poll_fn(|cx| Pin::new(&mut subscription).poll_next(cx)).await;
        let Some(inner) = weak.upgrade().filter(|i| i.current(generation)) else {
            return;
        };
        match item {
            Some(Ok((name, _))) if name == "open" => {
                inner.attempt.set(0);
                (inner.config.sink)(Update::Link(Link::Up));
            }
            Some(Ok((name, message))) if name != "error" => {
                inner.receive(&name, message.data().as_string());
            }
            // An `error` event, a failed connection, or the end of the subscription.
            _ => return inner.dropped(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::backoff_ms;

    #[test]
    fn backoff_doubles_from_one_second_to_thirty_with_a_quarter_of_jitter() {
        let middle: Vec<u32> = (0..8).map(|a| backoff_ms(a, 0.5)).collect();
        assert_eq!(
            middle,
            vec![1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000]
        );
        assert_eq!(backoff_ms(0, 0.0), 750);
        assert_eq!(backoff_ms(0, 0.999_999), 1249);
        assert_eq!(backoff_ms(40, 0.0), 22_500);
        assert_eq!(backoff_ms(40, 1.0), 37_500);
    }
}
