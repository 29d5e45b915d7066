//! The panel's state and the glue between the API, the live stream, the loader and the DOM.
//!
//! One [`App`] lives in a thread-local; event handlers and finished requests reach it through
//! [`with`], which never nests (a nested call gets `None` instead of a panic). Functions that
//! take `&mut App` never call [`with`]; async work is spawned and comes back through it.

use crate::bridge::{self, FromLoader, ToLoader};
use crate::events::Live;
use crate::events::{self, Stream};
use crate::transcript::{Change, Kind, Message, Page, SeqMap, Transcript};
use crate::view::dom::{after, document, now, on, show};
use crate::view::{message, panel};
use crate::{api, checks, store};
use std::cell::RefCell;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::spawn_local;
use web_sys::{Element, HtmlElement, KeyboardEvent, MessageEvent, VisibilityState};
use wire::api::{ReceiptRequest, VisitorSendRequest, VisitorSession, VisitorSessionRequest};
use wire::{ClientMessageId, EventId, InteractionId, InteractionState, Party};

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

/// The panel's state.
#[allow(clippy::struct_excessive_bools)]
pub struct App {
    /// The DOM parts.
    ui: panel::Ui,
    /// The loader's origin, when embedded.
    parent: Option<String>,
    /// The identity token the company page gave.
    identity: Option<String>,
    /// Whether the session has been started (or the start form shown) once.
    booted: bool,
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
    /// Whether the loader shows the panel.
    open: bool,
    /// Agent messages not read yet.
    unread: u32,
    /// The highest agent seq acknowledged as received.
    delivered_sent: i64,
    /// The highest agent seq acknowledged as read.
    read_sent: i64,
    /// A send or upload is in flight.
    busy: bool,
    /// The text and id of a send that failed, so a retry of the same text reuses the id.
    retry: Option<(String, ClientMessageId)>,
    /// When "typing" was last sent (0: not typing).
    typing_sent: f64,
    /// Bumped on every keystroke; the stop timer only fires for the last one.
    typing_gen: u32,
    /// Bumped on every agent typing event; the indicator clears itself after a while.
    agent_typing_gen: u32,
    /// The live stream.
    pub stream: Stream,
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
            parent: parent.clone(),
            identity: None,
            booted: false,
            session: None,
            stored: false,
            epoch: 0,
            mode: Mode::Loading,
            transcript: Transcript::default(),
            lines: SeqMap::default(),
            dismissed: None,
            open: parent.is_none(),
            unread: 0,
            delivered_sent: 0,
            read_sent: 0,
            busy: false,
            retry: None,
            typing_sent: 0.0,
            typing_gen: 0,
            agent_typing_gen: 0,
            stream: Stream::default(),
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
                events::reconnect_now(&mut a.stream);
            }
        });
    });
    on(&window, "offline", |_| {
        with(|a| a.alert(OFFLINE));
    });
    on(&doc, "visibilitychange", |_| {
        with(App::ack);
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
                on_loader(m);
            }
        });
        bridge::post(&origin, &ToLoader::Ready);
    } else {
        with(|a| a.booted = true);
        spawn_local(boot());
    }
}

/// Wires the panel's controls.
fn wire_ui(ui: &panel::Ui) {
    on(&ui.start, "submit", |e| {
        e.prevent_default();
        spawn_local(start_chat());
    });
    on(&ui.composer, "submit", |e| {
        e.prevent_default();
        send_text();
    });
    on(&ui.text, "keydown", |e| {
        // A keydown listener only ever gets keyboard events (unchecked: an event made in
        // another realm, as test drivers do, fails `instanceof`).
        let k = e.unchecked_ref::<KeyboardEvent>();
        if k.key() == "Enter" && !k.shift_key() && !k.is_composing() {
            e.prevent_default();
            send_text();
        }
    });
    on(&ui.text, "input", |_| {
        with(App::typing_input);
    });
    let file = ui.file.clone();
    on(&ui.attach, "click", move |_| file.click());
    on(&ui.file, "change", |_| attach());
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
    on(&ui.earlier, "click", |_| spawn_local(load_earlier()));
    on(&ui.again, "click", |_| {
        with(|a| {
            a.dismissed = a.transcript.current.as_ref().map(|c| c.id);
            a.render();
            a.focus();
        });
    });
    on(&ui.end, "click", |_| spawn_local(end_chat()));
    on(&ui.close, "click", |_| {
        with(|a| a.notify(&ToLoader::Close));
    });
}

/// Handles a message from the loader.
fn on_loader(message: FromLoader) {
    match message {
        FromLoader::Init { identity, open } => {
            let first = with(|a| {
                a.identity = identity;
                a.open = open;
                !std::mem::replace(&mut a.booted, true)
            });
            if first == Some(true) {
                spawn_local(boot());
            }
        }
        FromLoader::Show => {
            with(|a| {
                a.open = true;
                a.ack();
                a.scroll_to_end();
                a.focus();
            });
        }
        FromLoader::Hide => {
            with(|a| {
                a.open = false;
                a.picker(false);
            });
        }
        FromLoader::Identify { identity } => {
            let restart = with(|a| {
                if a.identity == identity {
                    return false;
                }
                // Another customer (or none) on this browser must not see the old conversation.
                if a.identity.is_some() {
                    store::clear();
                }
                a.identity = identity;
                if a.booted {
                    a.reset();
                }
                a.booted
            });
            if restart == Some(true) {
                spawn_local(boot());
            }
        }
    }
}

/// Resumes the stored or identified session, or shows the start form.
async fn boot() {
    let Some((epoch, identity)) = with(|a| {
        a.set_mode(Mode::Loading);
        (a.epoch, a.identity.clone())
    }) else {
        return;
    };
    let token = store::load();
    if token.is_none() && identity.is_none() {
        with(|a| {
            a.set_mode(Mode::Start);
            a.focus_if_open();
        });
        return;
    }
    let stored = token.is_some();
    let identified = identity.is_some();
    let request = VisitorSessionRequest {
        visitor_token: token,
        identity,
        name: None,
        email: None,
    };
    match api::session(&request).await {
        Ok(session) => connect(epoch, session, stored).await,
        Err(e) => {
            if e.is_auth() {
                store::clear();
            }
            with(|a| {
                if a.epoch == epoch {
                    a.set_mode(Mode::Start);
                    a.focus_if_open();
                    if identified && e.is_forbidden() {
                        // The page vouched for a customer but the signature is forged or
                        // expired: say so instead of silently showing a stranger's start form.
                        a.alert(&format!(
                            "We could not confirm who you are ({}). Reload the page or sign in again.",
                            e.message()
                        ));
                    } else if !e.is_auth() {
                        a.alert(&e.message());
                    }
                }
            });
        }
    }
}

/// Takes a ticket, loads the newest page and opens the stream from the ticket's head.
async fn connect(epoch: u32, session: VisitorSession, stored: bool) {
    let token = session.visitor_token.clone();
    if stored {
        // An identified session gets a fresh token each time; keep the newest.
        store::save(&token);
    }
    let current = with(|a| {
        if a.epoch == epoch {
            a.unread = session.unread;
            a.session = Some(session);
            a.stored = stored;
            a.post_unread();
        }
        a.epoch == epoch
    });
    if current != Some(true) {
        return;
    }
    let ticket = api::ticket(&token).await;
    let page = api::conversation(&token, None).await;
    with(|a| {
        if a.epoch != epoch {
            return;
        }
        match page {
            Ok(page) => {
                a.merge(page, false);
                // A chat that ended before this visit is history, not news: show the composer
                // (writing starts a new chat), not "The chat has ended".
                if a.transcript.ended() {
                    a.dismissed = a.transcript.current.as_ref().map(|c| c.id);
                }
            }
            Err(e) => a.alert(&e.message()),
        }
        let mode = if a.stored || !a.transcript.messages.is_empty() {
            Mode::Chat
        } else {
            Mode::Start
        };
        a.set_mode(mode);
        match ticket {
            Ok(ticket) => {
                a.stream.last_id.get_or_insert(ticket.head);
                events::open(&mut a.stream, &ticket.ticket);
            }
            Err(_) => events::retry_later(&mut a.stream),
        }
        a.ack();
        a.scroll_to_end();
        a.focus_if_open();
    });
}

/// "Start chat": creates (or resumes) the session with the name and email given.
async fn start_chat() {
    let Some(Some((epoch, request))) = with(|a| {
        if a.busy {
            return None;
        }
        a.busy = true;
        a.clear_alert();
        let field = |v: String| Some(v.trim().to_owned()).filter(|v| !v.is_empty());
        Some((
            a.epoch,
            VisitorSessionRequest {
                visitor_token: store::load().or_else(|| a.token()),
                identity: a.identity.clone(),
                name: field(a.ui.name.value()),
                email: field(a.ui.email.value()),
            },
        ))
    }) else {
        return;
    };
    let result = api::session(&request).await;
    let next = with(|a| {
        a.busy = false;
        if a.epoch != epoch {
            return None;
        }
        match result {
            Ok(session) => {
                store::save(&session.visitor_token);
                a.notify(&ToLoader::Started);
                if a.token().as_deref() == Some(session.visitor_token.as_str()) {
                    a.stored = true;
                    a.set_mode(Mode::Chat);
                    a.focus();
                    None
                } else {
                    a.reset();
                    Some((a.epoch, session))
                }
            }
            Err(e) => {
                a.alert(&e.message());
                None
            }
        }
    })
    .flatten();
    if let Some((epoch, session)) = next {
        connect(epoch, session, true).await;
    }
}

/// "Send" (or Enter): sends the typed text. The text stays in the field until the server
/// has stored it; a retry of the same text reuses its client id, so it is never stored twice.
fn send_text() {
    let Some(Some((token, request, typed))) = with(|a| {
        let typed = a.ui.text.value();
        let text = typed.trim().to_owned();
        if text.is_empty() || a.busy {
            return None;
        }
        if let Err(message) = checks::check_text(&text) {
            a.alert(&message);
            return None;
        }
        let token = a.token()?;
        let client_id = match &a.retry {
            Some((t, id)) if *t == text => id.clone(),
            _ => new_client_id(),
        };
        a.retry = Some((text.clone(), client_id.clone()));
        a.busy = true;
        let request = VisitorSendRequest {
            client_id,
            text,
            attachment_id: None,
        };
        Some((token, request, typed))
    }) else {
        return;
    };
    spawn_local(async move {
        let result = api::send(&token, &request).await;
        with(|a| {
            a.busy = false;
            match result {
                Ok(message) => {
                    a.retry = None;
                    if a.ui.text.value() == typed {
                        a.ui.text.set_value("");
                    }
                    a.clear_alert();
                    a.sent(message);
                }
                Err(e) => a.alert(&e.message()),
            }
        });
    });
}

/// "Attach image": checks the chosen file, uploads it and sends it as a message.
fn attach() {
    let Some(Some((token, file))) = with(|a| {
        let file = a.ui.file.files()?.get(0)?;
        a.ui.file.set_value("");
        if let Err(message) = checks::check_image(&file.type_(), file.size()) {
            a.alert(&message);
            return None;
        }
        if a.busy {
            return None;
        }
        let token = a.token()?;
        a.busy = true;
        a.clear_alert();
        let _ = a.ui.attach.set_attribute("aria-busy", "true");
        Some((token, file))
    }) else {
        return;
    };
    spawn_local(async move {
        let result = match api::upload(&token, &file).await {
            Ok(attachment) => {
                let request = VisitorSendRequest {
                    client_id: new_client_id(),
                    text: String::new(),
                    attachment_id: Some(attachment.id),
                };
                api::send(&token, &request).await
            }
            Err(e) => Err(e),
        };
        with(|a| {
            a.busy = false;
            let _ = a.ui.attach.remove_attribute("aria-busy");
            match result {
                Ok(message) => {
                    a.clear_alert();
                    a.sent(message);
                }
                Err(e) => a.alert(&e.message()),
            }
        });
    });
}

/// "Show earlier messages": loads the page before the oldest one shown.
async fn load_earlier() {
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
            Err(e) => a.alert(&e.message()),
        }
    });
}

/// "End chat".
async fn end_chat() {
    let Some(Some(token)) = with(|a| a.token()) else {
        return;
    };
    let result = api::end(&token).await;
    with(|a| match result {
        Ok(()) => {
            if let Some(current) = a.transcript.current.as_mut() {
                if current.is_open() {
                    current.state = InteractionState::Ended;
                }
            }
            a.render();
            a.focus();
        }
        Err(e) => a.alert(&e.message()),
    });
}

/// Reloads the newest page (after a `resync`).
async fn reload(epoch: u32, token: String) {
    let result = api::conversation(&token, None).await;
    with(|a| {
        if a.epoch == epoch {
            if let Ok(page) = result {
                a.merge(page, false);
                a.ack();
            }
        }
    });
}

/// A stream event's data arrived.
pub fn on_stream_data(generation: u32, name: &str, data: &str) {
    let Some((id, live)) = events::parse(name, data) else {
        return;
    };
    with(|a| {
        if events::current(&a.stream, generation) {
            a.on_event(id, live);
        }
    });
}

/// The stream failed: close it and try again later.
pub fn on_stream_error(generation: u32) {
    with(|a| {
        if events::current(&a.stream, generation) {
            events::retry_later(&mut a.stream);
        }
    });
}

/// The stream is open.
pub fn on_stream_open(generation: u32) {
    with(|a| {
        if events::current(&a.stream, generation) {
            events::opened(&mut a.stream);
        }
    });
}

/// A fresh client message id.
fn new_client_id() -> ClientMessageId {
    checks::client_id(js_sys::Math::random)
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

    /// Forgets the session and everything shown (another identity, or a new session).
    fn reset(&mut self) {
        self.epoch = self.epoch.wrapping_add(1);
        self.stream.reset();
        self.session = None;
        self.stored = false;
        self.transcript = Transcript::default();
        self.lines.clear();
        self.ui.log.set_text_content(None);
        self.dismissed = None;
        self.delivered_sent = 0;
        self.read_sent = 0;
        self.retry = None;
        self.unread = 0;
        self.post_unread();
    }

    /// Posts to the loader, when embedded.
    fn notify(&self, message: &ToLoader) {
        if let Some(origin) = &self.parent {
            bridge::post(origin, message);
        }
    }

    /// Tells the loader the unread count.
    fn post_unread(&self) {
        self.notify(&ToLoader::Unread { n: self.unread });
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

    /// Shows the parts for the mode and the interaction's state.
    fn render(&self) {
        let chat = self.mode == Mode::Chat;
        let current = self.transcript.current.as_ref();
        let ended = chat && self.transcript.ended() && self.dismissed != current.map(|c| c.id);
        show(&self.ui.start, self.mode == Mode::Start);
        show(&self.ui.chat, chat);
        show(&self.ui.ended, ended);
        show(&self.ui.composer, chat && !ended);
        show(&self.ui.earlier, chat && self.transcript.has_more);
        show(
            &self.ui.end,
            chat && current.is_some_and(crate::transcript::Interaction::is_open),
        );
        let title = self
            .transcript
            .agent_name()
            .unwrap_or_else(|| "Chat".to_owned());
        self.ui.title.set_text_content(Some(&title));
        let subtitle = match (self.mode, current.map(|c| c.state)) {
            (Mode::Loading, _) => "Loading…",
            (Mode::Start, _) => "We usually answer within minutes",
            (Mode::Chat, Some(InteractionState::Queued | InteractionState::Offered)) => {
                "Waiting for an agent…"
            }
            (Mode::Chat, Some(InteractionState::Active)) => "Online",
            (Mode::Chat, Some(InteractionState::Ended | InteractionState::Done)) if ended => {
                "The chat has ended"
            }
            (Mode::Chat, _) => "",
        };
        self.ui.subtitle.set_text_content(Some(subtitle));
    }

    /// Whether the visitor can see the transcript now.
    fn shown(&self) -> bool {
        self.open
            && self.mode == Mode::Chat
            && document().visibility_state() == VisibilityState::Visible
    }

    /// Merges a page into the transcript and the log.
    fn merge(&mut self, page: Page, older: bool) {
        for seq in self.transcript.merge_page(page, older) {
            self.draw(seq);
        }
        self.render();
    }

    /// Draws (or redraws) the line for `seq`, in seq order.
    fn draw(&mut self, seq: i64) {
        let Some(m) = self.transcript.messages.get(seq) else {
            return;
        };
        if let Some(el) = self.lines.get(seq) {
            message::update(el, m);
            return;
        }
        let el = message::build(m);
        let next = self.lines.next_after(seq).cloned();
        let _ = self
            .ui
            .log
            .insert_before(&el, next.as_ref().map(AsRef::as_ref));
        self.lines.insert(seq, el);
    }

    /// A message arrived live (stream) or as the answer to a send.
    fn add_message(&mut self, m: Message, live: bool) {
        let seq = m.seq;
        let from_agent = m.author.kind == Kind::Agent;
        let log = &self.ui.log;
        let at_end = log.scroll_height() - log.scroll_top() - log.client_height() < 80;
        let change = self.transcript.insert(m);
        if change == Change::Same {
            return;
        }
        self.draw(seq);
        if change == Change::New && from_agent {
            self.set_agent_typing(false);
            if live && !self.shown() {
                self.unread = self.unread.saturating_add(1);
                self.post_unread();
            }
        }
        if at_end || !from_agent {
            self.scroll_to_end();
        }
    }

    /// The server stored one of the visitor's messages.
    fn sent(&mut self, message: Message) {
        if !self.stored {
            if let Some(token) = self.token() {
                store::save(&token);
                self.stored = true;
                self.notify(&ToLoader::Started);
            }
        }
        if self.typing_sent > 0.0 {
            self.typing_out(false);
        }
        self.add_message(message, false);
        self.render();
    }

    /// Handles one stream event (`None`: one not meant for visitors, only its id counts).
    fn on_event(&mut self, id: EventId, live: Option<Live>) {
        self.stream.seen(id);
        let me = self.session.as_ref().map(|s| s.contact_id);
        match live {
            Some(Live::Message { message }) if Some(message.contact_id) == me => {
                self.add_message(message, true);
                self.ack();
                self.render();
            }
            Some(Live::Interaction { interaction }) if Some(interaction.contact_id) == me => {
                self.transcript.note_interaction(interaction);
                self.render();
            }
            Some(Live::Typing {
                contact_id,
                party: Party::Agent,
                typing,
            }) if Some(contact_id) == me => self.set_agent_typing(typing),
            Some(Live::Receipt {
                contact_id,
                author_party: Party::Contact,
                up_to_seq,
                read,
                at,
            }) if Some(contact_id) == me => {
                for seq in self
                    .transcript
                    .apply_receipt(Party::Contact, up_to_seq, read, at)
                {
                    self.draw(seq);
                }
            }
            Some(Live::Resync) => {
                if let Some(token) = self.token() {
                    spawn_local(reload(self.epoch, token));
                }
            }
            _ => {}
        }
    }

    /// Sends receipts for agent messages: received always, read when the visitor sees them.
    fn ack(&mut self) {
        let (Some(token), Some(last)) = (self.token(), self.transcript.last_agent_seq()) else {
            return;
        };
        let shown = self.shown();
        let read = if shown && last > self.read_sent {
            self.read_sent = last;
            self.delivered_sent = self.delivered_sent.max(last);
            true
        } else if last > self.delivered_sent {
            self.delivered_sent = last;
            false
        } else {
            if shown && self.unread > 0 {
                self.unread = 0;
                self.post_unread();
            }
            return;
        };
        if read {
            self.unread = 0;
            self.post_unread();
        }
        let request = ReceiptRequest {
            up_to_seq: last,
            read,
        };
        spawn_local(async move {
            let _ = api::receipts(&token, request).await;
        });
    }

    /// Shows or hides "Ann is typing…"; it clears itself if no stop arrives.
    fn set_agent_typing(&mut self, typing: bool) {
        self.agent_typing_gen = self.agent_typing_gen.wrapping_add(1);
        if typing {
            let name = self
                .transcript
                .agent_name()
                .unwrap_or_else(|| "The agent".to_owned());
            self.ui
                .typing
                .set_text_content(Some(&format!("{name} is typing…")));
            let generation = self.agent_typing_gen;
            after(10_000, move || {
                with(|a| {
                    if a.agent_typing_gen == generation {
                        a.ui.typing.set_text_content(None);
                    }
                });
            });
        } else {
            self.ui.typing.set_text_content(None);
        }
    }

    /// The visitor typed: tells the agent (at most every 3 s), and that they stopped after 4 s.
    fn typing_input(&mut self) {
        if self.session.is_none() || self.mode != Mode::Chat {
            return;
        }
        let t = now();
        if t - self.typing_sent > 3000.0 {
            self.typing_sent = t;
            self.typing_out(true);
        }
        self.typing_gen = self.typing_gen.wrapping_add(1);
        let generation = self.typing_gen;
        after(4000, move || {
            with(|a| {
                if a.typing_gen == generation && a.typing_sent > 0.0 {
                    a.typing_out(false);
                }
            });
        });
    }

    /// Sends a typing state.
    fn typing_out(&mut self, typing: bool) {
        if !typing {
            self.typing_sent = 0.0;
        }
        if let Some(token) = self.token() {
            spawn_local(async move {
                let _ = api::typing(&token, typing).await;
            });
        }
    }

    /// Opens or closes the emoji picker.
    fn picker(&self, open: bool) {
        show(&self.ui.picker, open);
        let _ = self
            .ui
            .emoji
            .set_attribute("aria-expanded", if open { "true" } else { "false" });
        if open {
            if let Some(first) = self
                .ui
                .picker
                .first_element_child()
                .and_then(|e| e.dyn_into::<HtmlElement>().ok())
            {
                let _ = first.focus();
            }
        }
    }

    /// Puts an emoji where the cursor is.
    fn insert_emoji(&mut self, emoji: &str) {
        let text = &self.ui.text;
        let start = text.selection_start().ok().flatten();
        let _ = text.set_range_text(emoji);
        if let Some(start) = start {
            let len = u32::try_from(emoji.encode_utf16().count()).unwrap_or(0);
            let _ = text.set_selection_range(start + len, start + len);
        }
        self.picker(false);
        let _ = text.focus();
        self.typing_input();
    }

    /// Escape: closes the picker, else asks the loader to close the panel.
    fn escape(&mut self) {
        if self.ui.picker.has_attribute("hidden") {
            self.notify(&ToLoader::Close);
        } else {
            self.picker(false);
            if let Some(b) = self.ui.emoji.dyn_ref::<HtmlElement>() {
                let _ = b.focus();
            }
        }
    }

    /// Scrolls the transcript to the newest line.
    fn scroll_to_end(&self) {
        self.ui.log.set_scroll_top(self.ui.log.scroll_height());
    }

    /// Focuses the control the visitor needs next, if the panel is shown: the panel opened
    /// with the keyboard starts where the visitor types, not on the launcher behind it.
    fn focus_if_open(&self) {
        if self.open {
            self.focus();
        }
    }

    /// Focuses the control the visitor needs next.
    fn focus(&self) {
        let target: &Element = match self.mode {
            Mode::Start => self.ui.name.as_ref(),
            Mode::Chat if !self.ui.ended.has_attribute("hidden") => &self.ui.again,
            Mode::Chat => self.ui.text.as_ref(),
            Mode::Loading => return,
        };
        if let Some(el) = target.dyn_ref::<HtmlElement>() {
            let _ = el.focus();
        }
    }
}
