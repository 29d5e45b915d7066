//! The Threadline console: what supervisors and administrators use beside the agent desktop,
//! as its own bundle (the desktop keeps its size budget). A Leptos client-side-rendered app
//! served at `/console/`.
//!
//! # Layout
//! - [`app`]: the root: login, the role check, the console's header and sections.
//! - [`session`]: who is logged in; the token in `sessionStorage` (the same key as the desktop,
//!   so going from the desktop to the console in one tab needs no second login).
//! - [`login`]: `Username`, `Password`, `Log in`.
//! - [`api`]: the console's API operations on `client::Call`.
//! - [`board`]: the supervisor's board: totals, the queue, the agents, live from the board
//!   stream; `Set Not Ready` and `Log out` for an agent.
//! - [`monitor`]: a supervisor watching a live chat read-only, opened from the board.
//! - [`reports`]: the report of a period by agent, day, channel or disposition: table, chart,
//!   CSV download.
//! - [`catalog`]: administration of standard responses, disposition codes and Not Ready
//!   reasons (administrators only).
//! - [`accounts`]: `Agents`, for administrators: the accounts, `New agent`, edit, deactivate,
//!   reactivate, reset password.
//! - [`audit`]: `Audit log`, for administrators: every change, filtered, a page at a time.
//! - [`channels`]: `Channels`, for administrators: each channel's settings.
//! - [`contacts`]: `Contact data`, for administrators: a contact's data exported or erased at
//!   their request.
//! - [`admin_api`]: the administrators' API operations.
//! - [`window`]: a windowed list (only rows near the viewport are in the page).
//! - [`time`]: clock and duration formatting.

pub mod accounts;
pub mod admin_api;
pub mod api;
pub mod app;
pub mod audit;
pub mod board;
pub mod catalog;
pub mod channels;
pub mod contacts;
pub mod login;
pub mod monitor;
pub mod reports;
pub mod session;
pub mod time;
pub mod window;

/// Mounts the console on the page's `<body>`, after installing the panic hook.
pub fn start() {
    client::crash::install(client::crash::Notice {
        text: "Something went wrong and this page stopped working. Reload the page to continue.",
        style: None,
    });
    leptos::mount::mount_to_body(app::App);
}
