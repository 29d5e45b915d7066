//! The types that cross the wire between the Threadline server, the agent desktop and the visitor
//! widget. Both sides compile this crate, so a change here is a change to both at once.
//!
//! # Layout
//! - [`accounts`]: accounts and the audit log as administrators see them, and the rules for an
//!   account's fields (login, name, capacity, password).
//! - [`catalog`]: what administrators keep for agents to choose from (standard responses and
//!   their categories, disposition codes, Not Ready reasons) and the rules for their fields.
//! - [`ids`]: newtype ids (`AgentId`, `ContactId`, …); never a bare `String` or `i64` in an API.
//! - [`model`]: the nouns of the product: channels, interaction states, agents, messages,
//!   interactions, standard responses, dispositions (re-exports [`contact`]'s types).
//! - [`contact`]: contacts, their identities, the name the desktop shows for one.
//! - [`api`]: request and response bodies, one pair per operation.
//! - [`board`]: the supervisor's board (queue, agents, totals).
//! - [`lifecycle`]: the interaction state machine (which action leads from which state where).
//! - [`embed`]: single sign-on from a portal that frames the desktop (login tokens).
//! - [`event`]: the [`event::Event`] enum sent over the server-sent event streams.
//! - [`error`]: the error body every failing request returns.
//! - [`limits`]: limits both sides check (the server enforces them, the UIs warn early).
//! - [`visitor`]: what a visitor may see: the visitor-facing message, interaction, page and
//!   live event (no agent-internal fields).
//! - [`monitor`]: a supervisor watching a live chat (the read, who watches).
//! - [`reports`]: handle-time reports: groupings, the numbers and their definitions, day
//!   arithmetic for day buckets.
//! - [`checks`]: the pre-send checks as pure functions (message text, one-line fields, images),
//!   called by the server and by both browsers.

pub mod accounts;
pub mod api;
pub mod board;
pub mod catalog;
pub mod channels;
pub mod checks;
pub mod contact;
pub mod embed;
pub mod error;
pub mod event;
mod flat;
pub mod ids;
pub mod lifecycle;
pub mod limits;
pub mod model;
pub mod monitor;
pub mod platforms;
pub mod reports;
pub mod visitor;

pub use error::{ErrorBody, ErrorCode, ErrorDetail};
pub use event::{Event, EventEnvelope};
pub use ids::*;
pub use model::*;

/// Milliseconds since the Unix epoch, UTC. Every timestamp on the wire is one of these: it
/// sorts, it is exact, and both Rust and JavaScript read it without a date library.
pub type Millis = i64;
