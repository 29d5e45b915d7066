//! What happens when a browser app panics. The bundles are built with `panic = "abort"`, so a
//! panic ends in a wasm trap (`RuntimeError: unreachable`) that says nothing by itself. The hook
//! installed here first logs the panic's message and location to the console (where tests and
//! support find it), then puts a notice at the top of the page telling the person to reload:
//! after a panic the app's state can no longer be trusted. The notice is plain DOM, since the
//! app's own rendering may be what broke.

use std::fmt::Write as _;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = console, js_name = error)]
    fn console_error(text: &str);
}

/// The id of the notice, so a second panic does not add a second one.
const NOTICE_ID: &str = "crash-notice";

/// How an app words and dresses its notice.
#[derive(Debug, Clone, Copy)]
pub struct Notice {
    /// The sentence before the `Reload` button, in the app's words.
    pub text: &'static str,
    /// Inline style for an app without a stylesheet rule for `.crash`; `None` leaves it to CSS.
    pub style: Option<&'static str>,
}

/// Installs the hook (once, at start).
pub fn install(notice: Notice) {
    std::panic::set_hook(Box::new(move |info| {
        console_error(&report(info));
        show(notice);
    }));
}

/// `panicked at <file>:<line>:<column>: <message>`: the line the harness and the logs look for.
fn report(info: &std::panic::PanicHookInfo<'_>) -> String {
    let mut text = String::from("panicked at ");
    match info.location() {
        Some(l) => {
            let _ = write!(text, "{}:{}:{}", l.file(), l.line(), l.column());
        }
        None => text.push_str("an unknown place"),
    }
    text.push_str(": ");
    if let Some(s) = info.payload().downcast_ref::<&str>() {
        text.push_str(s);
    } else if let Some(s) = info.payload().downcast_ref::<String>() {
        text.push_str(s);
    } else {
        text.push_str("(no message)");
    }
    text
}

/// Puts `<text> Reload` at the top of the page.
fn show(notice: Notice) {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    if document.get_element_by_id(NOTICE_ID).is_some() {
        return;
    }
    let (Some(body), Ok(element)) = (document.body(), document.create_element("div")) else {
        return;
    };
    element.set_id(NOTICE_ID);
    element.set_class_name("crash");
    let _ = element.set_attribute("role", "alert");
    if let Some(style) = notice.style {
        let _ = element.set_attribute("style", style);
    }
    element.set_text_content(Some(notice.text));
    if let Ok(button) = document.create_element("button") {
        let _ = button.set_attribute("type", "button");
        button.set_text_content(Some("Reload"));
        let reload = Closure::<dyn FnMut()>::new(|| {
            if let Some(w) = web_sys::window() {
                let _ = w.location().reload();
            }
        });
        let _ = button.add_event_listener_with_callback("click", reload.as_ref().unchecked_ref());
        // The page lives until the reload; so does the listener.
        reload.forget();
        let _ = element.append_child(&button);
    }
    let _ = body.prepend_with_node_1(&element);
}
