//! The Threadline visitor widget: the chat panel that runs inside the iframe which the loader
//! (`public/loader.js`) puts on a company's website. See `docs/widget.md` for the embedding
//! contract, the loader ↔ frame protocol and the size budget.
//!
//! # Layout
//! - [`api`]: the `/api/visitor/*` endpoints, each a `client::Call`, and the panel's wording of
//!   their errors.
//! - [`store`]: the visitor token in `localStorage` (written only once a chat starts).
//! - [`bridge`]: the `postMessage` protocol with the loader, origin-checked both ways.
//! - [`transcript`]: the conversation as data: the widget's reads of the wire types, the
//!   visitor events ([`transcript::Live`]) and the transcript on a `client::Thread`.
//! - [`checks`]: the `wire::checks` rules in the panel's words (text, image type and size).
//! - [`view`]: DOM building: [`view::dom`] helpers, [`view::panel`] (the static panel) and
//!   [`view::message`] (one transcript line).
//! - [`app`]: the state and the glue, split by job: boot, live, send, receipts, render.
//! - `crash` (in this file, browser only): the panic hook: logs the message and location, asks
//!   the visitor to reload.
//!
//! The live stream itself (ticket, `EventSource`, back-off, replay from the last id) is
//! `client::Stream`; it reports into a sink that [`app`] reads.
//!
//! Everything compiles natively too (web-sys bindings only fail when called), so clippy and
//! the unit tests of the pure modules run on the host; only `main` differs.
#![cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]

mod api;
mod app;
mod bridge;
mod checks;
mod store;
mod transcript;
mod view;

/// Starts the panel, after installing the panic hook.
#[cfg(target_arch = "wasm32")]
fn main() {
    crash::install();
    app::start();
}

/// What happens when the panel panics. The bundle is built with `panic = "abort"`, so a panic
/// ends in a wasm trap (`RuntimeError: unreachable`) that says nothing by itself: the hook logs
/// the message and location first, then tells the visitor to reload (plain DOM: whatever state
/// the panel had can no longer be trusted).
#[cfg(target_arch = "wasm32")]
mod crash {
    use wasm_bindgen::prelude::*;

    #[wasm_bindgen]
    extern "C" {
        #[wasm_bindgen(js_namespace = console, js_name = error)]
        fn console_error(text: &str);
    }

    const NOTICE_ID: &str = "crash-notice";

    /// Installs the hook.
    pub fn install() {
        std::panic::set_hook(Box::new(|info| {
            let place = info.location().map_or_else(
                || "an unknown place".to_owned(),
                |l| format!("{}:{}:{}", l.file(), l.line(), l.column()),
            );
            let message = info
                .payload()
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| info.payload().downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "(no message)".to_owned());
            console_error(&format!("panicked at {place}: {message}"));
            show_notice();
        }));
    }

    /// `Something went wrong … Reload` at the top of the panel.
    fn show_notice() {
        let Some(document) = web_sys::window().and_then(|w| w.document()) else {
            return;
        };
        if document.get_element_by_id(NOTICE_ID).is_some() {
            return;
        }
        let (Some(body), Ok(notice)) = (document.body(), document.create_element("div")) else {
            return;
        };
        notice.set_id(NOTICE_ID);
        let _ = notice.set_attribute("role", "alert");
        let _ = notice.set_attribute(
            "style",
            "position:fixed;top:0;left:0;right:0;z-index:10;padding:.6rem;background:#fdecea;\
             color:#5f2120;font-weight:600",
        );
        notice.set_text_content(Some(
            "Something went wrong and the chat stopped working. Reload the page to continue. ",
        ));
        if let Ok(button) = document.create_element("button") {
            let _ = button.set_attribute("type", "button");
            button.set_text_content(Some("Reload"));
            let reload = Closure::<dyn FnMut()>::new(|| {
                if let Some(w) = web_sys::window() {
                    let _ = w.location().reload();
                }
            });
            let _ =
                button.add_event_listener_with_callback("click", reload.as_ref().unchecked_ref());
            reload.forget();
            let _ = notice.append_child(&button);
        }
        let _ = body.prepend_with_node_1(&notice);
    }
}

/// The widget only runs in a browser; natively there is nothing to do.
#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!(
        "threadline-widget runs in the browser: build it with `trunk build` in crates/widget"
    );
}
