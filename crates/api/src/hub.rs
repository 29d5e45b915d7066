//! The event hub: one task per instance tails the event log (woken by local commits, by
//! PostgreSQL `NOTIFY` from other instances, and by a slow poll as a safety net) and hands
//! each event to the live streams of this instance that may see it. A stream that cannot keep
//! up is closed; its client reconnects with `Last-Event-ID` and replays from the log, so
//! nothing is lost. An agent stream belongs to a session: when the log says that session ended
//! (logout, password change, on any instance), its streams here close at once.
//! nothing is lost. Live-only events (typing) are never in the log: [`Hub::send_live`] hands
//! them to this instance's streams, and PostgreSQL `NOTIFY` carries them to the others.

use crate::store::{
    Committed, Internal, LogCursor, LogRead, Store, StoreError, StoredEvent, TicketScope,
    SETTLE_POLL,
};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use wire::{AgentId, ContactId, Event, EventEnvelope, EventId};

/// The id of an event sent live only (never in the log): see [`Hub::send_live`].
pub const LIVE_ONLY: EventId = EventId(0);

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
    /// Supervisors' board streams by account: every event of the log an agent or a visitor
    /// sees.
    boards: HashMap<AgentId, Vec<Entry>>,
    /// Events of the log handed to this instance's streams since it started, by name (the
    /// metrics' counter; counted under the lock `dispatch` holds anyway).
    dispatched: HashMap<&'static str, u64>,
    /// Streams closed because their client did not keep up (the metrics' counter).
    closed_slow: u64,
}

/// The hub's figures for the metrics.
#[derive(Debug, Clone, Default)]
pub struct HubTally {
    /// Agents' event streams open here.
    pub agent_streams: usize,
    /// Visitors' event streams open here.
    pub visitor_streams: usize,
    /// Supervisors' board streams open here.
    pub board_streams: usize,
    /// Events of the log handed to this instance's streams, by event name.
    pub dispatched: Vec<(&'static str, u64)>,
    /// Streams closed since the start because their client did not keep up (it reconnects
    /// and replays): many mean clients on slow links, or an instance too busy to write.
    pub closed_slow: u64,
}

/// How many streams a map of them holds.
fn open_streams<K>(map: &HashMap<K, Vec<Entry>>) -> usize {
    map.values().map(Vec::len).sum()
}

/// Fans events out to this instance's streams.
pub struct Hub {
    /// Open streams.
    subs: Mutex<Subscribers>,
    /// Set at shutdown: no new streams, open ones end.
    closed: AtomicBool,
    /// This instance, so it skips its own live-only notices coming back from PostgreSQL.
    origin: u64,
    /// Wakes this instance's outbox worker when a message waits ([`Internal::OutboxWaiting`]).
    outbox_wake: Arc<tokio::sync::Notify>,
    /// The newest event id handed to the streams (none until the tailer has found its place):
    /// every id at or below it is settled (see [`LogCursor`]), so a stream replays the log up
    /// to it and takes the rest live, and a new client starts there.
    horizon: watch::Sender<Option<EventId>>,
}

impl Default for Hub {
    fn default() -> Self {
        Hub {
            subs: Mutex::default(),
            closed: AtomicBool::default(),
            origin: rand::random(),
            outbox_wake: Arc::default(),
            horizon: watch::Sender::new(None),
        }
    }
}

/// A live-only event as it travels to the other instances (`NOTIFY` payload).
#[derive(serde::Serialize, serde::Deserialize)]
struct LiveNotice {
    /// The instance that sent it.
    origin: u64,
    /// The agent whose streams get it.
    agent: Option<AgentId>,
    /// The contact whose visitor streams get it.
    visitor: Option<ContactId>,
    /// The event.
    event: Event,
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

    /// What the outbox worker waits on besides its poll: notified when a message waits.
    pub fn outbox_wake(&self) -> Arc<tokio::sync::Notify> {
        self.outbox_wake.clone()
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
            TicketScope::Board(a) => subs.boards.entry(a).or_default().push(entry),
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
            TicketScope::Board(a) => remove_from(&mut subs.boards, a, id),
        }
    }

    /// The newest event id handed to the streams, once the tailer has found its place in the
    /// log. A stream registered before asking has every event after it handed to it live.
    pub async fn horizon(&self) -> EventId {
        let mut rx = self.horizon.subscribe();
        // The sender lives as long as the hub, so the wait ends only with a value.
        let found = rx.wait_for(Option::is_some).await.ok().and_then(|h| *h);
        found.unwrap_or(EventId(0))
    }

    /// Hands the next event of the log on: the horizon moves first, so a stream that reads
    /// it before this event is registered already and gets the event live.
    fn publish(&self, event: &Arc<StoredEvent>) {
        self.horizon.send_replace(Some(event.id));
        self.dispatch(event);
    }

    /// The tailer's place in the log before it hands anything on.
    fn start_at(&self, head: EventId) {
        self.horizon.send_replace(Some(head));
    }

    /// Hands one event to every stream that may see it; acts on a row only the servers read.
    pub fn dispatch(&self, event: &Arc<StoredEvent>) {
        let mut subs = self.lock();
        if let Some(internal) = &event.internal {
            match &**internal {
                Internal::SessionsEnded { sessions } => {
                    // Dropping a stream's sender ends it once its buffered events are sent.
                    let subs = &mut *subs;
                    for map in [&mut subs.agents, &mut subs.boards] {
                        for list in map.values_mut() {
                            list.retain(|e| {
                                e.session
                                    .as_deref()
                                    .is_none_or(|s| !sessions.iter().any(|x| x == s))
                            });
                        }
                        map.retain(|_, list| !list.is_empty());
                    }
                }
                Internal::VisitorAway { contact } => {
                    subs.visitors.remove(contact);
                }
                Internal::OutboxWaiting => self.outbox_wake.notify_one(),
            }
            return;
        }
        if event.id != LIVE_ONLY {
            *subs.dispatched.entry(event.name).or_default() += 1;
        }
        let mut slow = 0;
        for list in subs.boards.values_mut() {
            slow += send_all(list, event);
        }
        if event.to_all_agents {
            for list in subs.agents.values_mut() {
                slow += send_all(list, event);
            }
        } else if let Some(a) = event.agent_id {
            if let Some(list) = subs.agents.get_mut(&a) {
                slow += send_all(list, event);
            }
        }
        if let Some(c) = event.visitor {
            if let Some(list) = subs.visitors.get_mut(&c) {
                slow += send_all(list, event);
            }
        }
        subs.closed_slow += slow;
    }

    /// Hands an event that is not in the log (typing) to the streams of this instance that may
    /// see it: `agent`'s and the visitor(s) of `visitor`. It carries id 0, which streams send
    /// without an SSE `id:` so a client's `Last-Event-ID` never moves for it. Returns the
    /// notice for the other instances (`Store::notify_live`).
    pub fn send_live(
        &self,
        agent: Option<AgentId>,
        visitor: Option<ContactId>,
        event: &Event,
    ) -> String {
        self.dispatch_live(agent, visitor, event);
        serde_json::to_string(&LiveNotice {
            origin: self.origin,
            agent,
            visitor,
            event: event.clone(),
        })
        .unwrap_or_default()
    }

    /// A live-only notice from another instance.
    fn receive_live(&self, payload: &str) {
        if let Ok(n) = serde_json::from_str::<LiveNotice>(payload) {
            if n.origin != self.origin {
                self.dispatch_live(n.agent, n.visitor, &n.event);
            }
        }
    }

    fn dispatch_live(&self, agent: Option<AgentId>, visitor: Option<ContactId>, event: &Event) {
        let envelope = EventEnvelope {
            id: LIVE_ONLY,
            at: crate::util::now_ms(),
            event: event.clone(),
        };
        let Ok(data) = serde_json::to_string(&envelope) else {
            return;
        };
        self.dispatch(&Arc::new(StoredEvent {
            id: LIVE_ONLY,
            agent_id: agent,
            to_all_agents: false,
            visitor,
            data: data.into(),
            name: event.name(),
            internal: None,
        }));
    }

    /// Agents with an open stream here (for presence).
    pub fn connected_agents(&self) -> Vec<AgentId> {
        self.lock().agents.keys().copied().collect()
    }

    /// Visitors with an open stream here (for presence).
    pub fn connected_visitors(&self) -> Vec<ContactId> {
        self.lock().visitors.keys().copied().collect()
    }

    /// What the metrics report of the hub: open streams by kind, and the log's events
    /// handed to them by name.
    pub fn tally(&self) -> HubTally {
        let subs = self.lock();
        HubTally {
            agent_streams: open_streams(&subs.agents),
            visitor_streams: open_streams(&subs.visitors),
            board_streams: open_streams(&subs.boards),
            dispatched: subs.dispatched.iter().map(|(k, v)| (*k, *v)).collect(),
            closed_slow: subs.closed_slow,
        }
    }

    /// Ends every stream and refuses new ones (shutdown).
    pub fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
        let mut subs = self.lock();
        subs.agents.clear();
        subs.visitors.clear();
        subs.boards.clear();
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

/// Hands `event` to every stream of `list`; returns how many it closed for being full.
fn send_all(list: &mut Vec<Entry>, event: &Arc<StoredEvent>) -> u64 {
    // A full buffer closes that stream (dropping its sender); the client replays on reconnect.
    let mut full = 0;
    list.retain(|e| match e.tx.try_send(event.clone()) {
        Ok(()) => true,
        Err(mpsc::error::TrySendError::Full(_)) => {
            full += 1;
            false
        }
        Err(mpsc::error::TrySendError::Closed(_)) => false,
    });
    full
}

/// Tails the log from its current head and dispatches until aborted. Events this process
/// committed come from [`Committed`], rendered, when they continue from the cursor; everything
/// else is read from the log (see [`Committed`] for when).
pub async fn run_tailer(store: Store, hub: Arc<Hub>, database_url: String) {
    let committed = store.committed();
    if store.backend() == "postgres" {
        tokio::spawn(listen_postgres(
            database_url,
            committed.clone(),
            hub.clone(),
            store.wake_tag().unwrap_or_default(),
        ));
    }
    // Kept from before the head is read, so no event committed meanwhile is missed (those at
    // or below the head are dropped at the first look).
    committed.start_tailing();
    let head = loop {
        match store.settled_head().await {
            Ok(h) => break h,
            Err(e) => {
                tracing::warn!(error = %e, "event hub cannot read the log head; retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    };
    hub.start_at(head);
    let mut cursor = LogCursor::new(head);
    loop {
        // The poll reads the log: rows another process wrote (the command line on SQLite),
        // and soon again while a gap waits for transactions to end.
        let poll = if cursor.waiting() {
            SETTLE_POLL
        } else {
            Duration::from_millis(500)
        };
        let polled = tokio::select! {
            () = committed.notified() => false,
            () = tokio::time::sleep(poll) => true,
        };
        drain(&store, &committed, &hub, &mut cursor, polled).await;
    }
}

/// The most events the tailer reads from the log at once.
const LOG_PAGE: i64 = 1000;

/// The log as the tailer reads it: the store (tests wrap it to count the reads).
trait LogReader {
    /// [`Store::events_after`].
    async fn events_after(&self, after: EventId, limit: i64) -> Result<LogRead, StoreError>;
    /// [`Store::transaction_bound`].
    async fn transaction_bound(&self) -> Result<u64, StoreError>;
}

impl LogReader for Store {
    async fn events_after(&self, after: EventId, limit: i64) -> Result<LogRead, StoreError> {
        Store::events_after(self, after, limit).await
    }
    async fn transaction_bound(&self) -> Result<u64, StoreError> {
        Store::transaction_bound(self).await
    }
}

/// Hands on what this process committed and, when told to (`read_log`, a wake from another
/// instance, a gap), what the log has after the cursor.
async fn drain(
    log: &impl LogReader,
    committed: &Committed,
    hub: &Hub,
    cursor: &mut LogCursor,
    mut read_log: bool,
) {
    loop {
        let taken = committed.take_after(cursor.at);
        for e in &taken.events {
            cursor.at = e.id;
            hub.publish(e);
        }
        read_log |= taken.read_log;
        if !read_log {
            return;
        }
        match log.events_after(cursor.at, LOG_PAGE).await {
            Ok(read) => {
                let full = read.full;
                let events = cursor.take(read);
                if cursor.needs_bound() {
                    match log.transaction_bound().await {
                        Ok(bound) => cursor.bound(bound),
                        Err(e) => {
                            tracing::warn!(error = %e, "event hub cannot take a transaction id");
                        }
                    }
                }
                if events.is_empty() {
                    return;
                }
                for e in events {
                    hub.publish(&Arc::new(e));
                }
                // The log is read again at once only for more of it: a full page, or a gap
                // this read stopped at (what held it may have ended since). A commit after
                // this read wakes the hub again (another instance's `NOTIFY`, or this
                // process's own commit), which the next look takes; reading on until a read
                // came back empty cost each wake a second read, nearly always of nothing.
                read_log = full || cursor.waiting();
            }
            Err(e) => {
                tracing::warn!(error = %e, "event hub cannot read the log");
                return;
            }
        }
    }
}

/// Wakes the tailer when another instance commits events (not for this one's own commits,
/// whose `NOTIFY` carries `own_tag`: the tailer has those from [`Committed`]), and hands
/// live-only events from other instances to this hub.
async fn listen_postgres(url: String, committed: Arc<Committed>, hub: Arc<Hub>, own_tag: String) {
    use crate::store::postgres::{LIVE_CHANNEL, NOTIFY_CHANNEL};
    loop {
        match sqlx::postgres::PgListener::connect(&url).await {
            Ok(mut listener) => {
                if let Err(e) = listener.listen_all([NOTIFY_CHANNEL, LIVE_CHANNEL]).await {
                    tracing::warn!(error = %e, "LISTEN failed");
                } else {
                    while let Ok(n) = listener.recv().await {
                        if n.channel() == LIVE_CHANNEL {
                            hub.receive_live(n.payload());
                        } else if n.payload() != own_tag {
                            committed.wake_to_read();
                        }
                    }
                }
            }
            Err(e) => tracing::warn!(error = %e, "cannot connect the PostgreSQL listener"),
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}

/// How often [`run_presence`] marks open streams: a third of the presence timeout, at most
/// 10 s, so an open stream never looks away.
pub fn presence_tick(presence_timeout: Duration) -> Duration {
    (presence_timeout / 3).min(Duration::from_secs(10))
}

/// Marks agents and visitors with open streams here as present, every `every`
/// ([`presence_tick`]).
pub async fn run_presence(store: Store, hub: Arc<Hub>, every: Duration) {
    loop {
        let agents = hub.connected_agents();
        if !agents.is_empty() {
            if let Err(e) = store.touch_agents(&agents).await {
                tracing::warn!(error = %e, "cannot record agent presence");
            }
        }
        let visitors = hub.connected_visitors();
        if !visitors.is_empty() {
            if let Err(e) = store.touch_visitors(&visitors).await {
                tracing::warn!(error = %e, "cannot record visitor presence");
            }
        }
        tokio::time::sleep(every).await;
    }
}

#[cfg(test)]
mod tests {
    use super::{drain, Hub, LogReader, LOG_PAGE};
    use crate::store::test_db::{on_postgres, sqlite_database};
    use crate::store::{Audience, LogCursor, LogRead, Store, StoreError, TicketScope};
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use wire::{AgentId, ContactId, Event, EventId, Party};

    /// The store, counting the tailer's reads of the log.
    struct Counted {
        store: Store,
        reads: AtomicUsize,
    }

    impl LogReader for Counted {
        async fn events_after(&self, after: EventId, limit: i64) -> Result<LogRead, StoreError> {
            self.reads.fetch_add(1, Ordering::SeqCst);
            self.store.events_after(after, limit).await
        }
        async fn transaction_bound(&self) -> Result<u64, StoreError> {
            self.store.transaction_bound().await
        }
    }

    fn typing(contact: i64) -> Event {
        Event::Typing {
            contact_id: ContactId(contact),
            party: Party::Contact,
            typing: true,
        }
    }

    /// A stream whose client reads nothing is closed once its buffer is full, and counted;
    /// the agent's other stream, read as events come, gets every one.
    #[tokio::test]
    async fn a_stream_that_does_not_keep_up_is_closed_and_counted() {
        let hub = Arc::new(Hub::default());
        let agent = AgentId(7);
        let mut idle = hub
            .subscribe(TicketScope::Agent(agent), None)
            .expect("open");
        let mut reading = hub
            .subscribe(TicketScope::Agent(agent), None)
            .expect("open");
        let total = super::STREAM_BUFFER + 1;
        for id in 1..=total {
            hub.dispatch(&Arc::new(crate::store::StoredEvent {
                id: EventId(i64::try_from(id).expect("small")),
                agent_id: Some(agent),
                to_all_agents: false,
                visitor: None,
                data: "{}".into(),
                name: "typing",
                internal: None,
            }));
            assert!(reading.rx.recv().await.is_some(), "event {id}");
        }
        let tally = hub.tally();
        assert_eq!(tally.closed_slow, 1);
        assert_eq!(tally.agent_streams, 1, "the one that reads is open");
        let mut kept = 0;
        while idle.rx.recv().await.is_some() {
            kept += 1;
        }
        assert_eq!(kept, super::STREAM_BUFFER, "it ends after what it held");
    }

    /// Commits `events` typing events for `agent` on `store`: what another instance writes.
    async fn commit(store: &Store, agent: AgentId, events: std::ops::RangeInclusive<i64>) {
        let mut tx = store.begin().await.expect("begin");
        for contact in events {
            tx.emit(Audience::agent(agent), &typing(contact))
                .expect("emit");
        }
        tx.commit().await.expect("commit");
    }

    /// Another instance's commits reach this instance's streams, each wake (its `NOTIFY`)
    /// with one read of the log, and a commit of more than a page with two; with no wake the
    /// log is not read.
    async fn another_instances_commits_are_read_once_a_wake(url: &str) {
        let here = Counted {
            store: Store::connect(url).await.expect("store"),
            reads: AtomicUsize::new(0),
        };
        let there = Store::connect(url)
            .await
            .expect("the other instance's store");
        let committed = here.store.committed();
        committed.start_tailing();
        let head = here.store.settled_head().await.expect("head");
        let hub = Arc::new(Hub::default());
        hub.start_at(head);
        let mut cursor = LogCursor::new(head);
        let mut stream = hub
            .subscribe(TicketScope::Agent(AgentId(1)), None)
            .expect("stream");
        for (n, reads) in (1..=3).zip(1..) {
            commit(&there, AgentId(1), n..=n).await;
            // What the listener does when the other instance's `NOTIFY` comes.
            committed.wake_to_read();
            drain(&here, &committed, &hub, &mut cursor, false).await;
            let got = stream.rx.try_recv().expect("the event, handed on");
            assert!(
                got.data.contains(&format!("\"contact_id\":{n}")),
                "{} on {url}",
                got.data
            );
            assert_eq!(here.reads.load(Ordering::SeqCst), reads, "on {url}");
        }
        drain(&here, &committed, &hub, &mut cursor, false).await;
        assert_eq!(
            here.reads.load(Ordering::SeqCst),
            3,
            "read with no wake on {url}"
        );
        assert!(stream.rx.try_recv().is_err(), "on {url}");

        commit(&there, AgentId(2), 1..=LOG_PAGE + 1).await;
        committed.wake_to_read();
        drain(&here, &committed, &hub, &mut cursor, false).await;
        assert_eq!(
            here.reads.load(Ordering::SeqCst),
            5,
            "a page and one on {url}"
        );
        assert_eq!(
            cursor.at,
            here.store.event_head().await.expect("head"),
            "on {url}"
        );
        here.store.close().await;
        there.close().await;
    }

    #[tokio::test]
    async fn another_instances_commits_are_read_once_a_wake_sqlite() {
        let (_dir, url) = sqlite_database("hub_reads");
        another_instances_commits_are_read_once_a_wake(&url).await;
    }

    #[tokio::test]
    async fn another_instances_commits_are_read_once_a_wake_postgres() {
        on_postgres("hub_reads", another_instances_commits_are_read_once_a_wake).await;
    }
}
