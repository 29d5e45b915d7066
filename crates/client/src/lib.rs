//! The browser side both Threadline clients share, the agent desktop and the visitor widget:
//! one way to call the API, one live stream with one back-off, one merge of messages with one
//! receipt rule. Built on `gloo-net` and serde, with no Leptos inside, so the widget keeps its
//! size budget.
//!
//! # Layout
//! - [`call`]: [`Call`], one JSON HTTP request (bearer token, JSON or form body, keepalive), and
//!   [`TransportError`], the status and the server's `{error: {code, message}}`.
//! - [`stream`]: [`Stream`], the ticketed `EventSource` with one back-off (1 s doubling to 30 s,
//!   ±25 % jitter) that reports into a sink as [`Update`]s.
//! - [`thread`]: [`Thread`], messages keyed by seq, merged from pages, sends and the stream; the
//!   receipt rule (receipts never regress, a late copy never drops a mark).
//! - [`ids`]: fresh client message ids (what makes a retried send safe).
//! - [`storage`]: `localStorage` / `sessionStorage` helpers that never fail loudly.
//! - [`crash`]: the panic hook: logs the message and location, asks the person to reload.
//! - [`download`]: text fetched with the token offered to the browser as a file.
//!
//! Everything compiles natively too (web-sys bindings only fail when called), so the pure
//! parts are unit-tested on the host.

pub mod call;
pub mod crash;
pub mod download;
pub mod ids;
pub mod storage;
pub mod stream;
pub mod thread;

pub use call::{Call, TransportError};
pub use stream::{Link, Stream, StreamConfig, Update};
pub use thread::{Change, Receipted, Thread};
