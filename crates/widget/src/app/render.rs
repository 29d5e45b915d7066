//! What is shown: the parts for the mode and the interaction's state, the transcript lines in
//! seq order, the emoji picker, focus and scrolling.

use super::{App, Mode};
use crate::bridge::ToLoader;
use crate::transcript::{Change, Kind, Message, Page};
use crate::view::dom::{document, show};
use crate::view::message;
use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlElement, VisibilityState};
use wire::InteractionState;

impl App {
    /// Shows the parts for the mode and the interaction's state.
    pub(super) fn render(&self) {
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
    pub(super) fn shown(&self) -> bool {
        self.host.open
            && self.mode == Mode::Chat
            && document().visibility_state() == VisibilityState::Visible
    }

    /// Merges a page into the transcript and the log.
    pub(super) fn merge(&mut self, page: Page, older: bool) {
        for seq in self.transcript.merge_page(page, older) {
            self.draw(seq);
        }
        self.render();
    }

    /// Shows `page` instead of everything shown (after a `resync`: a gap in the stream, or the
    /// conversation renumbered because the contact was linked to another, whose id the page's
    /// messages name): what was drawn and acknowledged under the old numbering is dropped.
    pub(super) fn replace(&mut self, page: Page) {
        if let (Some(session), Some(m)) = (self.session.as_mut(), page.messages.first()) {
            session.contact_id = m.contact_id;
        }
        self.clear_transcript();
        self.merge(page, false);
    }

    /// Draws (or redraws) the line for `seq`, in seq order.
    pub(super) fn draw(&mut self, seq: i64) {
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
    pub(super) fn add_message(&mut self, m: Message, live: bool) {
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
                self.receipts.unread = self.receipts.unread.saturating_add(1);
                self.post_unread();
            }
        }
        if at_end || !from_agent {
            self.scroll_to_end();
        }
    }

    /// Opens or closes the emoji picker.
    pub(super) fn picker(&self, open: bool) {
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

    /// Escape: closes the picker, else asks the loader to close the panel.
    pub(super) fn escape(&mut self) {
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
    pub(super) fn scroll_to_end(&self) {
        self.ui.log.set_scroll_top(self.ui.log.scroll_height());
    }

    /// Focuses the control the visitor needs next, if the panel is shown: the panel opened
    /// with the keyboard starts where the visitor types, not on the launcher behind it.
    pub(super) fn focus_if_open(&self) {
        if self.host.open {
            self.focus();
        }
    }

    /// Focuses the control the visitor needs next.
    pub(super) fn focus(&self) {
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
