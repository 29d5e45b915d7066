//! Small wrappers over browser APIs: time, focus, scrolling; storage and random ids come from `client`.

use wire::{ClientMessageId, Millis};

pub use client::storage::{load, remove, save, Store};

/// Now, in milliseconds since the epoch.
#[allow(clippy::cast_possible_truncation)] // whole milliseconds fit an i64 for 292 million years
pub fn now() -> Millis {
    js_sys::Date::now() as Millis
}

/// `HH:MM` in local time.
#[allow(clippy::cast_precision_loss)] // milliseconds below 2^53 are exact in an f64
pub fn clock_time(at: Millis) -> String {
    let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(at as f64));
    format!("{:02}:{:02}", d.get_hours(), d.get_minutes())
}

/// `YYYY-MM-DD HH:MM` in local time.
#[allow(clippy::cast_precision_loss)]
pub fn date_time(at: Millis) -> String {
    let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(at as f64));
    format!(
        "{}-{:02}-{:02} {:02}:{:02}",
        d.get_full_year(),
        d.get_month() + 1,
        d.get_date(),
        d.get_hours(),
        d.get_minutes()
    )
}

/// A duration as `M:SS` (or `H:MM:SS`).
pub fn duration(ms: i64) -> String {
    let secs = ms.max(0) / 1000;
    let (h, m, s) = (secs / 3600, (secs / 60) % 60, secs % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

/// A fresh random id for a message this desktop is about to send.
pub fn new_client_id() -> ClientMessageId {
    client::ids::new_client_id('d')
}

/// Whether the page is hidden (another browser tab in front, window minimised).
pub fn page_hidden() -> bool {
    web_sys::window()
        .and_then(|w| w.document())
        .is_some_and(|d| d.visibility_state() == web_sys::VisibilityState::Hidden)
}

/// Whether the keyboard focus is in a text field with something typed in it.
pub fn typing_in_a_field() -> bool {
    let Some(active) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.active_element())
    else {
        return false;
    };
    if let Some(area) = wasm_bindgen::JsCast::dyn_ref::<web_sys::HtmlTextAreaElement>(&active) {
        return !area.value().is_empty();
    }
    wasm_bindgen::JsCast::dyn_ref::<web_sys::HtmlInputElement>(&active)
        .is_some_and(|input| !input.value().is_empty())
}

/// The HTML element with `id`, if the page has it.
fn html_element(id: &str) -> Option<web_sys::HtmlElement> {
    web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id(id))
        .and_then(|e| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(e).ok())
}

/// Clicks the element with `id` (if it is there) in the next frame.
pub fn click_later(id: String) {
    leptos::prelude::request_animation_frame(move || {
        if let Some(el) = html_element(&id) {
            el.click();
        }
    });
}

/// Moves keyboard focus to the element with `id` once the next frame has been drawn (the
/// element may be rendered by the change that asked for the focus).
pub fn focus_later(id: String) {
    leptos::prelude::request_animation_frame(move || {
        if let Some(el) = html_element(&id) {
            let _ = el.focus();
        }
    });
}

/// Scrolls `el` to the middle of its scrolling ancestors' views (a search hit in a transcript).
pub fn scroll_to_middle(el: &web_sys::Element) {
    let options = web_sys::ScrollIntoViewOptions::new();
    options.set_block(web_sys::ScrollLogicalPosition::Center);
    el.scroll_into_view_with_scroll_into_view_options(&options);
}

#[cfg(test)]
mod tests {
    use super::duration;

    #[test]
    fn durations_read_as_clock_time() {
        assert_eq!(duration(0), "0:00");
        assert_eq!(duration(65_000), "1:05");
        assert_eq!(duration(3_726_000), "1:02:06");
        assert_eq!(duration(-5), "0:00");
    }
}
