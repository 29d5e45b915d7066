//! The one event dispatcher. It takes a ticket (`POST /api/events/ticket`), loads the agent's
//! work, opens the stream at the ticket's head, and hands each event to the part that owns it.
//! When the stream drops it shows "Reconnecting…", backs off, takes a new ticket and reconnects
//! with the last id it saw, so the server replays exactly what was missed.

mod dispatch;

pub use dispatch::Parts;

use crate::api::{ApiClient, LoggedIn};
use leptos::prelude::*;
use leptos::task::spawn_local;
use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use wire::{Event, EventId};

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

type Listener = Closure<dyn FnMut(web_sys::MessageEvent)>;
type Handler = Closure<dyn FnMut(web_sys::Event)>;

struct Open {
    source: web_sys::EventSource,
    _listener: Listener,
    _on_open: Handler,
    _on_error: Handler,
}

struct Inner {
    client: ApiClient<LoggedIn>,
    parts: Parts,
    status: StreamStatus,
    last_id: Cell<Option<EventId>>,
    attempt: Cell<u32>,
    open: RefCell<Option<Open>>,
    timer: RefCell<Option<gloo_timers::callback::Timeout>>,
    stopped: Arc<AtomicBool>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        if let Some(open) = self.open.get_mut().take() {
            open.source.close();
        }
    }
}

/// Starts the dispatcher for the current reactive owner; it stops when the owner goes away.
pub fn start(client: ApiClient<LoggedIn>, parts: Parts) -> StreamStatus {
    let status = StreamStatus(RwSignal::new(Link::Connecting));
    let stopped = Arc::new(AtomicBool::new(false));
    let inner = Rc::new(Inner {
        client,
        parts,
        status,
        last_id: Cell::new(None),
        attempt: Cell::new(0),
        open: RefCell::new(None),
        timer: RefCell::new(None),
        stopped: Arc::clone(&stopped),
    });
    connect(Rc::clone(&inner));
    let keep = StoredValue::new_local(Some(inner));
    on_cleanup(move || {
        stopped.store(true, Ordering::SeqCst);
        // Dropping the last strong reference closes the stream.
        let _ = keep.try_update_value(Option::take);
    });
    status
}

fn connect(inner: Rc<Inner>) {
    spawn_local(async move {
        if inner.is_stopped() {
            return;
        }
        let ticket = match inner.client.event_ticket().await {
            Ok(t) => t,
            Err(e) if e.is_unauthorized() => {
                inner.parts.notices.error("Live updates", &e);
                return;
            }
            Err(_) => {
                inner.retry_later();
                return;
            }
        };
        let from = if let Some(id) = inner.last_id.get() {
            id
        } else {
            if let Err(e) = dispatch::reload(&inner.client, &inner.parts).await {
                inner.parts.notices.error("Loading your work", &e);
                inner.retry_later();
                return;
            }
            ticket.head
        };
        if inner.is_stopped() {
            return;
        }
        inner.last_id.set(Some(from));
        open(&inner, &ticket.ticket, from);
    });
}

fn open(inner: &Rc<Inner>, ticket: &str, from: EventId) {
    let url = ApiClient::<LoggedIn>::event_stream_url(ticket, from);
    let source = match web_sys::EventSource::new(&url) {
        Ok(s) => s,
        Err(e) => {
            inner
                .parts
                .notices
                .push(format!("Live updates cannot start: {e:?}"));
            Rc::clone(inner).retry_later();
            return;
        }
    };
    let weak: Weak<Inner> = Rc::downgrade(inner);
    let w = weak.clone();
    let listener: Listener = Closure::new(move |ev: web_sys::MessageEvent| {
        if let Some(inner) = w.upgrade() {
            inner.receive(&ev);
        }
    });
    for name in Event::NAMES {
        if let Err(e) =
            source.add_event_listener_with_callback(name, listener.as_ref().unchecked_ref())
        {
            inner
                .parts
                .notices
                .push(format!("Live updates for {name} cannot start: {e:?}"));
        }
    }
    let w = weak.clone();
    let on_open: Handler = Closure::new(move |_: web_sys::Event| {
        if let Some(inner) = w.upgrade() {
            inner.attempt.set(0);
            inner.status.0.set(Link::Live);
        }
    });
    let on_error: Handler = Closure::new(move |_: web_sys::Event| {
        if let Some(inner) = weak.upgrade() {
            inner.dropped();
        }
    });
    source.set_onopen(Some(on_open.as_ref().unchecked_ref()));
    source.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    *inner.open.borrow_mut() = Some(Open {
        source,
        _listener: listener,
        _on_open: on_open,
        _on_error: on_error,
    });
}

impl Inner {
    fn is_stopped(&self) -> bool {
        self.stopped.load(Ordering::SeqCst)
    }

    fn receive(&self, ev: &web_sys::MessageEvent) {
        let Some(data) = ev.data().as_string() else {
            return;
        };
        match Event::decode(&ev.type_(), &data) {
            Some((id, event)) => {
                if self.last_id.get().is_none_or(|last| id > last) {
                    self.last_id.set(Some(id));
                }
                if matches!(event, Event::Resync) {
                    let (client, parts) = (self.client.clone(), self.parts);
                    spawn_local(async move {
                        if let Err(e) = dispatch::reload(&client, &parts).await {
                            parts.notices.error("Reloading after a gap", &e);
                        }
                    });
                } else {
                    dispatch::dispatch(&self.parts, event);
                }
            }
            None => self.parts.notices.push(format!(
                "An update from the server could not be read: {}",
                crate::api::unreadable(&data)
            )),
        }
    }

    /// The stream failed: close it (the browser would retry with a used ticket), wait, and
    /// connect again.
    fn dropped(self: Rc<Self>) {
        if let Some(old) = self.open.borrow_mut().take() {
            old.source.close();
            // The closures may be running right now: let them go on the next turn.
            set_timeout(move || drop(old), std::time::Duration::ZERO);
        }
        self.retry_later();
    }

    fn retry_later(self: Rc<Self>) {
        if self.is_stopped() {
            return;
        }
        self.status.0.set(Link::Reconnecting);
        let attempt = self.attempt.get();
        self.attempt.set(attempt.saturating_add(1));
        let delay = 500u32.saturating_mul(1 << attempt.min(6)).min(30_000);
        let weak = Rc::downgrade(&self);
        let timer = gloo_timers::callback::Timeout::new(delay, move || {
            if let Some(inner) = weak.upgrade() {
                connect(inner);
            }
        });
        *self.timer.borrow_mut() = Some(timer);
    }
}
