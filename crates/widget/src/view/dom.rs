//! Small DOM helpers: an element builder, listeners, a log kept at its end, timers.

use std::cell::Cell;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::{Document, Element, Event, EventTarget, Node, ResizeObserver};

/// The frame's document (the widget only ever runs in one).
pub fn document() -> Document {
    web_sys::window()
        .and_then(|w| w.document())
        .expect("the widget runs in a browser document")
}

/// An element under construction.
pub struct El(pub Element);

impl El {
    /// A new element; `tag` is always a constant name.
    pub fn new(tag: &str) -> El {
        El(document()
            .create_element(tag)
            .expect("constant tag names are valid"))
    }

    /// Sets an attribute.
    pub fn attr(self, name: &str, value: &str) -> El {
        let _ = self.0.set_attribute(name, value);
        self
    }

    /// Sets the class.
    pub fn class(self, class: &str) -> El {
        self.0.set_class_name(class);
        self
    }

    /// Sets the text (never HTML).
    pub fn text(self, text: &str) -> El {
        self.0.set_text_content(Some(text));
        self
    }

    /// Appends a child.
    pub fn child(self, child: &Node) -> El {
        let _ = self.0.append_child(child);
        self
    }
}

/// Adds a listener that lives as long as the page.
pub fn on(target: &EventTarget, name: &str, f: impl FnMut(Event) + 'static) {
    let closure = Closure::<dyn FnMut(Event)>::new(f);
    let _ = target.add_event_listener_with_callback(name, closure.as_ref().unchecked_ref());
    closure.forget();
}

/// Keeps a scrolled element at its end while its own height changes (something around it
/// appears, grows or goes: an alert, the emoji picker, a font arriving), if it was at its end
/// before; one scrolled away from the end is left where it is. A change of what it holds is
/// not a change of its height: whoever adds content scrolls.
pub fn keep_end_on_resize(el: &Element) {
    let view = Cell::new(el.client_height());
    let target = el.clone();
    let closure = Closure::<dyn FnMut()>::new(move || {
        let before = view.replace(target.client_height());
        if target.scroll_top() + before >= target.scroll_height() - 2 {
            target.set_scroll_top(target.scroll_height());
        }
    });
    if let Ok(observer) = ResizeObserver::new(closure.as_ref().unchecked_ref()) {
        observer.observe(el);
    }
    closure.forget();
}

/// Shows or hides an element (the `hidden` attribute).
pub fn show(el: &Element, visible: bool) {
    if visible {
        let _ = el.remove_attribute("hidden");
    } else {
        let _ = el.set_attribute("hidden", "");
    }
}

/// Runs `f` once after `ms` milliseconds.
pub fn after(ms: i32, f: impl FnOnce() + 'static) {
    if let Some(window) = web_sys::window() {
        let callback = Closure::once_into_js(f);
        let _ = window
            .set_timeout_with_callback_and_timeout_and_arguments_0(callback.unchecked_ref(), ms);
    }
}

/// Milliseconds since the epoch.
pub fn now() -> f64 {
    js_sys::Date::now()
}

/// "14:05" for a timestamp, in the visitor's time zone.
pub fn clock(millis: i64) -> String {
    #[allow(clippy::cast_precision_loss)]
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(millis as f64));
    format!("{:02}:{:02}", date.get_hours(), date.get_minutes())
}
