//! The panel's state and the glue between the API, the live stream, the loader and the DOM,
//! split by job.
//!
//! One [`App`] lives in a thread-local; event handlers and finished requests reach it through
//! [`with`], which never nests (a nested call gets `None` instead of a panic). Functions that
//! take `&mut App` never call [`with`]; async work is spawned and comes back through it. The
//! live stream (`client::Stream`) knows nothing of the app: it reports into a sink, and
//! [`live`] reads the sink.
//!
//! # Layout
//! - `mod.rs`: [`App`] and its parts, [`with`], [`start`] (wiring the panel and the window).
//! - [`boot`]: the loader's messages, resuming or starting a session, connecting.
//! - [`live`]: the stream's updates, resyncs, loading earlier pages.
//! - [`send`]: sending text and images, ending the chat, typing both ways.
//! - [`receipts`]: telling the server what the visitor received and read.
//! - [`render`]: what is shown: mode, transcript lines, picker, focus, scrolling.

mod boot;
mod live;
mod receipts;
mod render;
mod send;

use crate::api;
use crate::bridge::{self, ToLoader};
use crate::store;
use crate::transcript::{Live, SeqMap, Transcript};
use crate::view::dom::{document, keep_end_on_resize, on, show};
use crate::view::panel;
use client::Stream;
use std::cell::RefCell;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::spawn_local;
use web_sys::{Element, KeyboardEvent, MessageEvent};
use wire::api::VisitorSession;
use wire::{ClientMessageId, InteractionId};

/// The sentence shown while the browser is offline.
const OFFLINE: &str = "You are offline. What you type is kept; send it when you are back online.";

/// Which part of the panel is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Resuming a session.
    Loading,
    /// The start form.
    Start,
    /// The transcript and the composer.
    Chat,
}

/// Where the panel lives and what the company page told it.
struct Host {
    /// The loader's origin, when embedded.
    parent: Option<String>,
    /// The identity token the company page gave.
    identity: Option<String>,
    /// Whether the session has been started (or the start form shown) once.
    booted: bool,
    /// Whether the loader shows the panel.
    open: bool,
    /// The company page's path, sent when a session starts so the agent sees where the visitor
    /// came from.
    page: Option<String>,
}

/// What the visitor has received and read, and what the server was told.
#[derive(Default)]
struct Receipts {
    /// Agent messages not read yet.
    unread: u32,
    /// The highest agent seq acknowledged as received.
    delivered_sent: i64,
    /// The highest agent seq acknowledged as read.
    read_sent: i64,
}

/// What is on its way out: a send in flight, the retry id, typing state both ways.
#[derive(Default)]
struct Outbox {
    /// A send or upload is in flight.
    busy: bool,
    /// The text and id of a send that failed, so a retry of the same text reuses the id.
    retry: Option<(String, ClientMessageId)>,
    /// A picture on its way or whose upload or send failed, kept for "Send picture again".
    picture: Option<send::UnsentPicture>,
    /// When "typing" was last sent (0: not typing).
    typing_sent: f64,
    /// Bumped on every keystroke; the stop timer only fires for the last one.
    typing_gen: u32,
    /// Bumped on every agent typing event; the indicator clears itself after a while.
    agent_typing_gen: u32,
}

/// The panel's state.
pub struct App {
    /// The DOM parts.
    ui: panel::Ui,
    /// The page around the panel.
    host: Host,
    /// The session, once started or resumed.
    session: Option<VisitorSession>,
    /// Whether the token is in `localStorage`.
    stored: bool,
    /// Bumped when the session changes, so late answers for an old one are dropped.
    epoch: u32,
    /// What is shown.
    mode: Mode,
    /// The conversation.
    transcript: Transcript,
    /// The transcript lines, by seq.
    lines: SeqMap<Element>,
    /// The ended interaction the visitor pressed "Start again" on.
    dismissed: Option<InteractionId>,
    /// Receipts both ways.
    receipts: Receipts,
    /// Sends and typing.
    outbox: Outbox,
    /// The live stream of the session (dropping it closes it).
    stream: Option<Stream<Option<Live>>>,
}

thread_local! {
    /// The one panel.
    static APP: RefCell<Option<App>> = const { RefCell::new(None) };
}

/// Runs `f` on the panel; `None` before start or when called from inside another `with`.
pub fn with<R>(f: impl FnOnce(&mut App) -> R) -> Option<R> {
    APP.with(|cell| cell.try_borrow_mut().ok()?.as_mut().map(f))
}

/// Builds the panel and starts: embedded, it waits for the loader's `init`; opened on its own,
/// it resumes or shows the start form at once.
pub fn start() {
    let doc = document();
    let Some(ui) = panel::find() else {
        return;
    };
    let parent = bridge::parent_origin().filter(|o| bridge::embedded(Some(o)));
    show(&ui.close, parent.is_some());
    wire_ui(&ui);
    APP.with(|cell| {
        *cell.borrow_mut() = Some(App {
            ui,
            host: Host {
                parent: parent.clone(),
                identity: None,
                booted: false,
                open: parent.is_none(),
                page: None,
            },
            session: None,
            stored: false,
            epoch: 0,
            mode: Mode::Loading,
            transcript: Transcript::default(),
            lines: SeqMap::default(),
            dismissed: None,
            receipts: Receipts::default(),
            outbox: Outbox::default(),
            stream: None,
        });
    });
    let Some(window) = web_sys::window() else {
        return;
    };
    on(&window, "online", |_| {
        with(|a| {
            if a.ui.alert.text_content().as_deref() == Some(OFFLINE) {
                a.clear_alert();
            }
            if a.session.is_some() {
                if let Some(stream) = &a.stream {
                    stream.reconnect_now();
                }
            }
        });
    });
    on(&window, "offline", |_| {
        with(|a| a.alert(OFFLINE));
    });
    on(&doc, "visibilitychange", |_| {
        with(App::ack);
    });
    // The page is closing or being left: say so, so that where chat is not asynchronous the
    // chat ends now rather than when the stream's silence is noticed.
    on(&window, "pagehide", |_| {
        if let Some(Some(token)) = with(|a| a.token()) {
            spawn_local(async move {
                let _ = api::away(&token).await;
            });
        }
    });
    on(&doc, "keydown", |e| {
        if e.unchecked_ref::<KeyboardEvent>().key() == "Escape" {
            with(App::escape);
        }
    });
    if let Some(origin) = parent {
        let listen_origin = origin.clone();
        on(&window, "message", move |e| {
            if let Some(m) = e
                .dyn_ref::<MessageEvent>()
                .and_then(|m| bridge::accept(m, &listen_origin))
            {
                boot::on_loader(m);
            }
        });
        bridge::post(&origin, &ToLoader::Ready);
    } else {
        with(|a| a.host.booted = true);
        spawn_local(boot::boot());
    }
}

/// Wires the panel's controls.
fn wire_ui(ui: &panel::Ui) {
    keep_end_on_resize(&ui.log);
    on(&ui.start, "submit", |e| {
        e.prevent_default();
        spawn_local(boot::start_chat());
    });
    on(&ui.composer, "submit", |e| {
        e.prevent_default();
        send::send_text();
    });
    on(&ui.text, "keydown", |e| {
        // A keydown listener only ever gets keyboard events (unchecked: an event made in
        // another realm, as test drivers do, fails `instanceof`).
        let k = e.unchecked_ref::<KeyboardEvent>();
        if k.key() == "Enter" && !k.shift_key() && !k.is_composing() {
            e.prevent_default();
            send::send_text();
        }
    });
    on(&ui.text, "input", |_| {
        with(App::typing_input);
    });
    let file = ui.file.clone();
    on(&ui.attach, "click", move |_| file.click());
    on(&ui.file, "change", |_| send::attach());
    on(&ui.picture_send, "click", |_| send::send_picture());
    on(&ui.picture_drop, "click", |_| {
        with(|a| {
            a.keep_picture(None);
            a.clear_alert();
            a.focus();
        });
    });
    on(&ui.emoji, "click", |_| {
        with(|a| {
            let open = a.ui.picker.has_attribute("hidden");
            a.picker(open);
        });
    });
    on(&ui.picker, "click", |e| {
        let emoji = e
            .target()
            .and_then(|t| t.dyn_into::<Element>().ok())
            .filter(|el| el.tag_name() == "BUTTON")
            .and_then(|el| el.text_content());
        if let Some(emoji) = emoji {
            with(|a| a.insert_emoji(&emoji));
        }
    });
    on(&ui.earlier, "click", |_| spawn_local(live::load_earlier()));
    on(&ui.again, "click", |_| {
        with(|a| {
            a.dismissed = a.transcript.current.as_ref().map(|c| c.id);
            a.render();
            a.focus();
        });
    });
    on(&ui.end, "click", |_| spawn_local(send::end_chat()));
    on(&ui.close, "click", |_| {
        with(|a| a.notify(&ToLoader::Close));
    });
}

impl App {
    /// The visitor token of the session.
    pub fn token(&self) -> Option<String> {
        self.session.as_ref().map(|s| s.visitor_token.clone())
    }

    /// The server no longer knows the token: forget it and show the start form.
    pub fn session_lost(&mut self) {
        store::clear();
        self.reset();
        self.set_mode(Mode::Start);
    }

    /// Forgets the conversation shown: the transcript, its lines and the receipts already
    /// sent for it (a new page or a new session starts from nothing).
    fn clear_transcript(&mut self) {
        self.transcript = Transcript::default();
        self.lines.clear();
        self.ui.log.set_text_content(None);
        self.receipts.delivered_sent = 0;
        self.receipts.read_sent = 0;
    }

    /// Forgets the session and everything shown (another identity, or a new session).
    fn reset(&mut self) {
        self.epoch = self.epoch.wrapping_add(1);
        // Dropping the stream closes it.
        self.stream = None;
        self.session = None;
        self.stored = false;
        self.clear_transcript();
        self.dismissed = None;
        self.outbox.retry = None;
        self.keep_picture(None);
        self.receipts.unread = 0;
        self.post_unread();
    }

    /// Posts to the loader, when embedded.
    fn notify(&self, message: &ToLoader) {
        if let Some(origin) = &self.host.parent {
            bridge::post(origin, message);
        }
    }

    /// Tells the loader the unread count.
    fn post_unread(&self) {
        self.notify(&ToLoader::Unread {
            n: self.receipts.unread,
        });
    }

    /// Shows an error (`role=alert`).
    fn alert(&self, message: &str) {
        self.ui.alert.set_text_content(Some(message));
    }

    /// Clears the error.
    fn clear_alert(&self) {
        self.ui.alert.set_text_content(None);
    }

    /// Switches what is shown.
    fn set_mode(&mut self, mode: Mode) {
        self.mode = mode;
        self.render();
    }
}
