//! The static panel: header, start form, transcript, ended state, alert and composer. The
//! markup is in `frame.html` (it costs nothing in the wasm there); this finds the parts, and
//! [`crate::app`] wires the listeners and shows, hides and fills them.

use super::dom::document;
use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlInputElement, HtmlTextAreaElement};

/// Handles on the parts of the panel that change.
pub struct Ui {
    /// The header's title (the agent's name, or "Chat").
    pub title: Element,
    /// The line under the title (waiting, ended).
    pub subtitle: Element,
    /// "End chat".
    pub end: Element,
    /// "Close" (hides the panel; absent when the frame is opened on its own).
    pub close: Element,
    /// The start form.
    pub start: Element,
    /// Its name field.
    pub name: HtmlInputElement,
    /// Its email field.
    pub email: HtmlInputElement,
    /// The transcript section.
    pub chat: Element,
    /// "Show earlier messages".
    pub earlier: Element,
    /// The transcript (`role=log`).
    pub log: Element,
    /// "Ann is typing…".
    pub typing: Element,
    /// "The chat has ended" and "Start again".
    pub ended: Element,
    /// "Start again".
    pub again: Element,
    /// Errors (`role=alert`).
    pub alert: Element,
    /// The composer form.
    pub composer: Element,
    /// The message field.
    pub text: HtmlTextAreaElement,
    /// "Attach image".
    pub attach: Element,
    /// The hidden file input behind "Attach image".
    pub file: HtmlInputElement,
    /// A picture that did not go: its name, "Send picture again" and "Discard picture".
    pub picture: Element,
    /// The line naming that picture.
    pub picture_name: Element,
    /// "Send picture again".
    pub picture_send: Element,
    /// "Discard picture".
    pub picture_drop: Element,
    /// "Emoji".
    pub emoji: Element,
    /// The emoji picker.
    pub picker: Element,
}

/// Finds the panel's parts (the markup is in `frame.html`); `None` if one is missing.
pub fn find() -> Option<Ui> {
    let doc = document();
    let el = |id: &str| doc.get_element_by_id(id);
    Some(Ui {
        title: el("tl-title")?,
        subtitle: el("tl-sub")?,
        end: el("tl-end")?,
        close: el("tl-close")?,
        start: el("tl-start")?,
        name: el("tl-name")?.dyn_into().ok()?,
        email: el("tl-email")?.dyn_into().ok()?,
        chat: el("tl-chat")?,
        earlier: el("tl-earlier")?,
        log: el("tl-log")?,
        typing: el("tl-typing")?,
        ended: el("tl-ended")?,
        again: el("tl-again")?,
        alert: el("tl-alert")?,
        composer: el("tl-composer")?,
        text: el("tl-text")?.dyn_into().ok()?,
        attach: el("tl-attach")?,
        file: el("tl-file")?.dyn_into().ok()?,
        picture: el("tl-picture")?,
        picture_name: el("tl-picture-name")?,
        picture_send: el("tl-picture-send")?,
        picture_drop: el("tl-picture-drop")?,
        emoji: el("tl-emoji")?,
        picker: el("tl-emoji-picker")?,
    })
}
