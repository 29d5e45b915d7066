//! The Threadline visitor widget: the chat panel that runs inside the iframe which the loader
//! (`public/loader.js`) puts on a company's website. See `docs/widget.md` for the embedding
//! contract, the loader ↔ frame protocol and the size budget.
//!
//! # Layout
//! - [`api`]: the HTTP client for `/api/visitor/*` (fetch, bearer token, error bodies).
//! - [`store`]: the visitor token in `localStorage` (written only once a chat starts).
//! - [`bridge`]: the `postMessage` protocol with the loader, origin-checked both ways.
//! - [`events`]: the live stream (ticket, `EventSource`, back-off, replay from the last id).
//! - [`transcript`]: the conversation as data: merge, dedupe, receipts (no DOM, unit-tested).
//! - [`checks`]: what the widget checks before sending (text length, image type and size).
//! - [`view`]: DOM building: [`view::dom`] helpers, [`view::panel`] (the static panel) and
//!   [`view::message`] (one transcript line).
//! - [`app`]: the state and the glue: boot, start, send, attach, receipts, typing.
//!
//! Everything compiles natively too (web-sys bindings only fail when called), so clippy and
//! the unit tests of the pure modules run on the host; only `main` differs.
#![cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]

mod api;
mod app;
mod bridge;
mod checks;
mod events;
mod store;
mod transcript;
mod view;

/// Starts the panel.
#[cfg(target_arch = "wasm32")]
fn main() {
    app::start();
}

/// The widget only runs in a browser; natively there is nothing to do.
#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!(
        "threadline-widget runs in the browser: build it with `trunk build` in crates/widget"
    );
}
