//! [`AppState`]: what every handler shares.

use crate::config::Config;
use crate::hub::Hub;
use crate::login_limits::LoginLimits;
use crate::offers::OfferWake;
use crate::store::Store;
use crate::util::ms;
use std::sync::{Arc, Mutex};
use tokio::task::JoinHandle;

/// Shared by all handlers; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// The database.
    pub store: Store,
    /// Live stream fan-out.
    pub hub: Arc<Hub>,
    /// Settings.
    pub config: Arc<Config>,
    /// Wakes routing.
    pub routing: OfferWake,
    /// Login quotas and the bound on password checks running at once.
    pub login_limits: Arc<LoginLimits>,
    /// Visitor quotas and stream caps.
    pub visitor_limits: Arc<crate::visitor_limits::VisitorLimits>,
    /// How long requests took to answer, for the metrics (shared by every clone).
    pub requests: crate::routes::RequestTimes,
    /// Background tasks, stopped with the server.
    tasks: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("store", &self.store)
            .finish_non_exhaustive()
    }
}

impl AppState {
    /// Opens the store, seeds it when asked, and starts the background tasks.
    pub async fn start(config: Config) -> Result<AppState, crate::ServeError> {
        let config = config
            .prepare()
            .map_err(|e| crate::ServeError::Other(e.to_string()))?;
        if config.seed_demo {
            tracing::warn!(
                "DEMO MODE: demo agents with published passwords and the published identity \
                 secret are in use; anyone can log in and sign visitor identities. Never expose \
                 this server."
            );
        }
        let store = Store::connect(&config.database_url).await?;
        crate::seed::ensure_codes(&store).await?;
        store
            .ensure_channel_settings(crate::store::ChannelDefaults {
                offer_timeout_ms: crate::util::ms(config.offer_timeout),
                reservation_ms: crate::util::ms(config.reservation_timeout),
            })
            .await?;
        if config.seed_demo && store.is_empty().await? {
            crate::seed::demo(&store)
                .await
                .map_err(|e| crate::ServeError::Other(format!("seeding demo data: {e:?}")))?;
        }
        say_if_nobody_can_administer(&store).await?;
        // The send writers and their connections are ready before the first message.
        store.start_send_writers()?;
        let login_limits = Arc::new(LoginLimits::new(&config));
        let visitor_limits = Arc::new(crate::visitor_limits::VisitorLimits::new(
            config.visitor_quotas,
        ));
        let state = AppState {
            store: store.clone(),
            hub: Arc::new(Hub::default()),
            config: Arc::new(config),
            routing: OfferWake::default(),
            login_limits: login_limits.clone(),
            visitor_limits: visitor_limits.clone(),
            requests: crate::routes::RequestTimes::default(),
            tasks: Arc::new(Mutex::new(Vec::new())),
        };
        let tasks = vec![
            tokio::spawn(crate::hub::run_tailer(
                store.clone(),
                state.hub.clone(),
                state.config.database_url.clone(),
            )),
            tokio::spawn(crate::hub::run_presence(
                store.clone(),
                state.hub.clone(),
                crate::hub::presence_tick(state.config.presence_timeout),
            )),
            tokio::spawn(crate::offers::run(
                store.clone(),
                state.routing.clone(),
                crate::offers::times(&state.config),
            )),
            tokio::spawn(crate::login_limits::run_pruning(
                login_limits,
                state.config.login_window,
            )),
            tokio::spawn(crate::visitor_limits::run_pruning(
                visitor_limits,
                state.config.visitor_quotas.window,
            )),
            tokio::spawn(sweep_loop(
                store.clone(),
                state.config.upload_expiry,
                state.config.sweep_interval,
            )),
            tokio::spawn(crate::outbox::run(
                store.clone(),
                state.config.outbound.clone(),
                state.hub.outbox_wake(),
            )),
            tokio::spawn(crate::store::search_index::run(store.clone())),
            tokio::spawn(prune_loop(
                store,
                state.config.event_retention,
                state.config.contact_retention,
                state.config.prune_interval,
            )),
        ];
        *state
            .tasks
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = tasks;
        Ok(state)
    }

    /// Ends the live streams and background tasks.
    pub fn stop(&self) {
        self.hub.close();
        for t in self
            .tasks
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .drain(..)
        {
            t.abort();
        }
    }
}

/// Logs, at start, the command that makes the first administrator when there is no account
/// (or no active administrator); the login page says so too (`GET /api/setup`).
async fn say_if_nobody_can_administer(store: &Store) -> Result<(), crate::ServeError> {
    let (has_accounts, has_admin) = store.setup_state().await?;
    let command = wire::accounts::FIRST_ADMIN_COMMAND;
    if !has_accounts {
        tracing::warn!(
            "No accounts yet: nobody can log in. Create the first administrator with: {command} \
             (add the same --database-url or --data-dir as the server)"
        );
    } else if !has_admin {
        tracing::warn!(
            "No active administrator: nobody can manage accounts. Create one with: {command}"
        );
    }
    Ok(())
}

async fn prune_loop(
    store: Store,
    retention: std::time::Duration,
    contact_retention: Option<std::time::Duration>,
    every: std::time::Duration,
) {
    loop {
        let now = crate::util::now_ms();
        if let Err(e) = store.prune_events(now - ms(retention)).await {
            tracing::warn!(error = %e, "pruning the event log failed");
        }
        if let Some(keep) = contact_retention {
            match store.erase_inactive_contacts(now - ms(keep)).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(erased = n, "erased contacts past the retention"),
                Err(e) => tracing::warn!(error = %e, "erasing contacts past the retention failed"),
            }
        }
        tokio::time::sleep(every).await;
    }
}

/// Deletes uploads never sent with a message once they are older than `expiry`, and visitor
/// tokens that have expired, every `every`.
async fn sweep_loop(store: Store, expiry: std::time::Duration, every: std::time::Duration) {
    loop {
        let now = crate::util::now_ms();
        match store.sweep_unsent_uploads(now - ms(expiry)).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(deleted = n, "swept unsent uploads"),
            Err(e) => tracing::warn!(error = %e, "sweeping unsent uploads failed"),
        }
        if let Err(e) = store.prune_visitor_tokens(now).await {
            tracing::warn!(error = %e, "pruning expired visitor tokens failed");
        }
        if let Err(e) = store.end_monitors_of_expired_sessions().await {
            tracing::warn!(error = %e, "ending the monitors of expired sessions failed");
        }
        tokio::time::sleep(every).await;
    }
}
