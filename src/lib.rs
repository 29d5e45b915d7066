//! Threadline agent desktop: asynchronous chat for the contact center, as a Leptos
//! client-side-rendered app (`cargo xtask` bundles it: xtask/src/bundles.rs).
//!
//! # Layout
//! - [`app`]: the root component; the login screen or the shell.
//! - [`login`]: `Username`, `Password`, `Log in`.
//! - [`session`]: who is logged in; the token kept in `sessionStorage`.
//! - [`api`]: the API operations on `client::Call` (typestate: logged out can only log in) and
//!   `ClientError`.
//! - [`events`]: the one server-sent event dispatcher on `client::Stream`; hands each event
//!   (read by `wire::Event::decode`) to the part that owns it.
//! - [`shell`]: header (agent, status, load, `Log out`), main navigation, the work area,
//!   shared state (navigation, clock, notices) and the `Desk` context that holds every part's state.
//! - [`presence`]: the `Chat channel status` control (`Ready` / `Not Ready` reasons).
//! - [`notifications`]: offers (`Accept`, `Reject`, countdown, sound) and contact-responded
//!   notifications (`Show`).
//! - [`chat_interaction`]: the Chat Interaction view: Transcript area, Message Composition
//!   area, `End chat`, `Mark Done`, side panels; the windowed transcript (only entries near the
//!   viewport are rendered; scroll position kept per interaction); handle time.
//! - [`conversation_tab`]: the Conversation tab of the interaction view (history, `Refresh`,
//!   `Search`, which loads older pages up to matches the server finds).
//! - [`contacts`]: the `Contacts` list (paged by cursor, only visible rows rendered) and details.
//! - [`connect_group`]: the Connect group of the navigation.
//! - [`communication_tab`]: the Communication tab of the Connect group.
//! - [`embed`]: the `postMessage` host API for a portal that frames the desktop (log in with
//!   a portal's token, log out, set the status, open a contact; events back).
//! - [`browser`]: time and focus helpers; storage and random ids from `client`.
//!
//! Every part owns its signals in its own `state.rs`; the shell gathers them in one `Desk` context.

pub mod api;
pub mod app;
pub mod browser;
pub mod chat_interaction;
pub mod communication_tab;
pub mod connect_group;
pub mod contacts;
pub mod conversation_tab;
pub mod embed;
pub mod events;
pub mod login;
pub mod notifications;
pub mod presence;
pub mod session;
pub mod shell;

/// Mounts the desktop on the page's `<body>`, after installing the panic hook.
pub fn start() {
    client::crash::install(client::crash::Notice {
        text: "Something went wrong and this page stopped working. Reload the page to continue.",
        style: None,
    });
    leptos::mount::mount_to_body(app::App);
}
