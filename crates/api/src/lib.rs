//! The Threadline server: contact-center data on SQLite or PostgreSQL, agent and visitor auth,
//! routing of chat offers, asynchronous continuation, and live event streams with replay.
//!
//! # Layout
//! - [`admin_cli`]: `threadline-api admin …`, account administration from the command line.
//! - [`config`]: [`Config`], everything an operator can set.
//! - [`serve`] / [`app`]: start the server on a listener; build the router (tests call both).
//! - `error`: [`ApiError`], the one error type handlers return, and the one mapping from the
//!   store's [`store::StoreError`] to statuses; hides 5xx details.
//! - `store/`: the database. [`store::Store`] runs every query; the SQL that differs between
//!   SQLite and PostgreSQL lives behind the [`store::Dialect`] trait, one implementation each.
//!   Every write that someone must see appends to the event log in the same transaction.
//! - [`connections`]: the HTTP/1.1 connection loop with its limits (connections at once,
//!   header timeout) and the per-request deadlines.
//! - `hub`: tails the event log and fans events out to the live streams of this instance.
//! - [`offers`]: the loop that offers queued chats to Ready agents under capacity and expires
//!   offers (the queries are in `store/offers`). Not to be confused with `routes` (HTTP).
//! - [`outbox`]: the worker that sends agents' messages to Messenger and X from the outbox
//!   table (claim, call, record, back-off; the rows are in `store/outbox`).
//! - [`login_limits`]: login quotas (global, per address, per name), the bound on password
//!   checks running at once, and the client address behind trusted proxies.
//! - [`visitor_limits`]: quotas per visitor and per address on visitor sessions, messages,
//!   uploads and typing, and caps on open visitor streams.
//! - `auth`: password hashing, session tokens, stream tickets, signed visitor identities.
//! - `images`: sniffing and checking uploaded images.
//! - `routes/`: one router per resource; `openapi` assembles the OpenAPI document.
//! - `seed`: demo data, seeded only in demo mode (`--demo`).

pub mod admin_cli;
pub mod auth;
pub mod config;
pub mod connections;
mod error;
pub mod hub;
pub mod image_meta;
pub mod images;
pub mod login_limits;
pub mod offers;
pub mod outbox;
pub mod routes;
pub mod seed;
pub mod state;
pub mod store;
mod util;
pub mod visitor_limits;

pub use config::Config;
pub use error::ApiError;
pub use state::AppState;

use std::future::Future;
use tokio::net::TcpListener;

/// Why the server could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The database could not be opened or migrated.
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// A store operation at start-up (seeding) failed.
    #[error("store: {0}")]
    Store(#[from] store::StoreError),
    /// Migrations failed.
    #[error("migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// The listener failed.
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
    /// Anything else at start-up (with its reason).
    #[error("{0}")]
    Other(String),
}

/// Builds the whole HTTP application for a state, with its request deadlines and the timing
/// of every request for the metrics (tests may call this directly).
pub fn app(state: AppState) -> axum::Router {
    let limits = state.config.connection_limits();
    let times = state.requests.clone();
    connections::deadlines(routes::router(state), limits).layer(axum::middleware::from_fn(
        move |req, next| routes::time_requests(times.clone(), req, next),
    ))
}

/// Opens the database, migrates it, seeds demo data when asked, starts the background tasks
/// (event hub, routing) and serves HTTP on `listener` until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    let state = AppState::start(config).await?;
    let router = app(state.clone());
    let stopping = state.clone();
    let result = connections::serve(
        listener,
        router,
        state.config.connection_limits(),
        shutdown,
        move || stopping.hub.close(),
    )
    .await;
    state.stop();
    state.store.close_at_stop().await;
    result.map_err(ServeError::Io)
}
