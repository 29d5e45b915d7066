//! The event hub: one task per instance tails the event log (woken by local commits, by
//! PostgreSQL `NOTIFY` from other instances, and by a slow poll as a safety net) and hands
//! each event to the live streams of this instance that may see it. A stream that cannot keep
//! up is closed; its client reconnects with `Last-Event-ID` and replays from the log, so
//! nothing is lost. An agent stream belongs to a session: when the log says that session ended
//! (logout, password change, on any instance), its streams here close at once.

use crate::store::{Internal, Store, StoredEvent, TicketScope};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;
use wire::{AgentId, ContactId, EventId};

/// How many events may wait for a slow stream before it is closed.
const STREAM_BUFFER: usize = 512;

type Tx = mpsc::Sender<Arc<StoredEvent>>;

/// One open stream as the hub holds it.
struct Entry {
    /// The subscription id (to unregister).
    id: u64,
    /// Where its events go; dropping it ends the stream.
    tx: Tx,
    /// The agent session it belongs to (the stored form of its token); none for a visitor.
    session: Option<Arc<str>>,
}

#[derive(Default)]
struct Subscribers {
    /// For subscription ids.
    next_id: u64,
    /// Agent streams by agent.
    agents: HashMap<AgentId, Vec<Entry>>,
    /// Visitor streams by contact.
    visitors: HashMap<ContactId, Vec<Entry>>,
}

/// Fans events out to this instance's streams.
#[derive(Default)]
pub struct Hub {
    /// Open streams.
    subs: Mutex<Subscribers>,
    /// Set at shutdown: no new streams, open ones end.
    closed: AtomicBool,
}

/// An open stream's registration; dropping it unregisters.
pub struct Subscription {
    /// Where events arrive.
    pub rx: mpsc::Receiver<Arc<StoredEvent>>,
    hub: Arc<Hub>,
    scope: TicketScope,
    id: u64,
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.hub.remove(self.scope, self.id);
    }
}

impl std::fmt::Debug for Hub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hub").finish_non_exhaustive()
    }
}

impl Hub {
    fn lock(&self) -> std::sync::MutexGuard<'_, Subscribers> {
        self.subs
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Registers a stream (an agent's with its session, see [`Internal::SessionsEnded`]).
    /// `None` once the server is shutting down.
    pub fn subscribe(
        self: &Arc<Self>,
        scope: TicketScope,
        session: Option<&str>,
    ) -> Option<Subscription> {
        if self.closed.load(Ordering::SeqCst) {
            return None;
        }
        let (tx, rx) = mpsc::channel(STREAM_BUFFER);
        let mut subs = self.lock();
        subs.next_id += 1;
        let id = subs.next_id;
        let entry = Entry {
            id,
            tx,
            session: session.map(Arc::from),
        };
        match scope {
            TicketScope::Agent(a) => subs.agents.entry(a).or_default().push(entry),
            TicketScope::Visitor(c) => subs.visitors.entry(c).or_default().push(entry),
        }
        Some(Subscription {
            rx,
            hub: self.clone(),
            scope,
            id,
        })
    }

    fn remove(&self, scope: TicketScope, id: u64) {
        let mut subs = self.lock();
        match scope {
            TicketScope::Agent(a) => remove_from(&mut subs.agents, a, id),
            TicketScope::Visitor(c) => remove_from(&mut subs.visitors, c, id),
        }
    }

    /// Hands one event to every stream that may see it; acts on a row only the servers read.
    pub fn dispatch(&self, event: &Arc<StoredEvent>) {
        let mut subs = self.lock();
        if let Some(internal) = &event.internal {
            match &**internal {
                Internal::SessionsEnded { sessions } => {
                    // Dropping a stream's sender ends it once its buffered events are sent.
                    for list in subs.agents.values_mut() {
                        list.retain(|e| {
                            e.session
                                .as_deref()
                                .is_none_or(|s| !sessions.iter().any(|x| x == s))
                        });
                    }
                    subs.agents.retain(|_, list| !list.is_empty());
                }
            }
            return;
        }
        if event.to_all_agents {
            for list in subs.agents.values_mut() {
                send_all(list, event);
            }
        } else if let Some(a) = event.agent_id {
            if let Some(list) = subs.agents.get_mut(&a) {
                send_all(list, event);
            }
        }
        if let Some(c) = event.visitor {
            if let Some(list) = subs.visitors.get_mut(&c) {
                send_all(list, event);
            }
        }
    }

    /// Agents with an open stream here (for presence).
    pub fn connected_agents(&self) -> Vec<AgentId> {
        self.lock().agents.keys().copied().collect()
    }

    /// Ends every stream and refuses new ones (shutdown).
    pub fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
        let mut subs = self.lock();
        subs.agents.clear();
        subs.visitors.clear();
    }
}

fn remove_from<K: std::hash::Hash + Eq>(map: &mut HashMap<K, Vec<Entry>>, key: K, id: u64) {
    if let Some(list) = map.get_mut(&key) {
        list.retain(|e| e.id != id);
        if list.is_empty() {
            map.remove(&key);
        }
    }
}

fn send_all(list: &mut Vec<Entry>, event: &Arc<StoredEvent>) {
    // A full buffer closes that stream (dropping its sender); the client replays on reconnect.
    list.retain(|e| e.tx.try_send(event.clone()).is_ok());
}

/// Tails the log from its current head and dispatches until aborted.
pub async fn run_tailer(store: Store, hub: Arc<Hub>, database_url: String) {
    let wake = store.events_written();
    if store.backend() == "postgres" {
        tokio::spawn(listen_postgres(database_url, wake.clone()));
    }
    let mut cursor = loop {
        match store.event_head().await {
            Ok(h) => break h,
            Err(e) => {
                tracing::warn!(error = %e, "event hub cannot read the log head; retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    };
    loop {
        tokio::select! {
            () = wake.notified() => {}
            () = tokio::time::sleep(Duration::from_millis(500)) => {}
        }
        cursor = drain(&store, &hub, cursor).await;
    }
}

async fn drain(store: &Store, hub: &Hub, mut cursor: EventId) -> EventId {
    loop {
        match store.events_after(cursor, 1000).await {
            Ok(batch) if batch.is_empty() => return cursor,
            Ok(batch) => {
                for e in batch {
                    cursor = e.id;
                    hub.dispatch(&Arc::new(e));
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "event hub cannot read the log");
                return cursor;
            }
        }
    }
}

/// Wakes the tailer when another instance commits events.
async fn listen_postgres(url: String, wake: Arc<tokio::sync::Notify>) {
    loop {
        match sqlx::postgres::PgListener::connect(&url).await {
            Ok(mut listener) => {
                if let Err(e) = listener
                    .listen(crate::store::postgres::NOTIFY_CHANNEL)
                    .await
                {
                    tracing::warn!(error = %e, "LISTEN failed");
                } else {
                    while listener.recv().await.is_ok() {
                        wake.notify_one();
                    }
                }
            }
            Err(e) => tracing::warn!(error = %e, "cannot connect the PostgreSQL listener"),
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}

/// Marks agents with open streams as present, every few seconds.
pub async fn run_presence(store: Store, hub: Arc<Hub>) {
    loop {
        let agents = hub.connected_agents();
        if !agents.is_empty() {
            if let Err(e) = store.touch_agents(&agents).await {
                tracing::warn!(error = %e, "cannot record agent presence");
            }
        }
        tokio::time::sleep(Duration::from_secs(10)).await;
    }
}
