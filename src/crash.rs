//! What happens when the desktop panics. The release bundle is built with `panic = "abort"`, so
//! a panic ends in a wasm trap (`RuntimeError: unreachable`) that says nothing by itself. The
//! hook installed here first logs the panic's message and location to the console (where tests
//! and support find it), then puts a notice on the page telling the agent to reload: after a
//! panic the app's state can no longer be trusted. The notice is plain DOM, not Leptos, since
//! the reactive system may be what broke.

use std::fmt::Write as _;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = console, js_name = error)]
    fn console_error(text: &str);
}

/// The id of the notice, so a second panic does not add a second one.
const NOTICE_ID: &str = "crash-notice";

/// Installs the hook (once, at start).
pub fn install() {
    std::panic::set_hook(Box::new(|info| {
        console_error(&report(info));
        show_notice();
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

/// Puts `Something went wrong … Reload` at the top of the page.
fn show_notice() {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    if document.get_element_by_id(NOTICE_ID).is_some() {
        return;
    }
    let Some(body) = document.body() else { return };
    let Ok(notice) = document.create_element("div") else {
        return;
    };
    notice.set_id(NOTICE_ID);
    notice.set_class_name("crash");
    let _ = notice.set_attribute("role", "alert");
    notice.set_text_content(Some(
        "Something went wrong and this page stopped working. Reload the page to continue.",
    ));
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
        let _ = notice.append_child(&button);
    }
    let _ = body.prepend_with_node_1(&notice);
}
