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
    client::crash::install(client::crash::Notice {
        text: "Something went wrong and the chat stopped working. Reload the page to continue. ",
        // The panel has no stylesheet rule for it: the notice must show whatever broke.
        style: Some(
            "position:fixed;top:0;left:0;right:0;z-index:10;padding:.6rem;background:#fdecea;\
             color:#5f2120;font-weight:600",
        ),
    });
    app::start();
}

/// The widget only runs in a browser; natively there is nothing to do.
#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!(
        "threadline-widget runs in the browser: `cargo xtask run` builds it into crates/widget/dist"
    );
}
