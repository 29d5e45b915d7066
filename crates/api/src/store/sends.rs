//! Group commit for sends. A commit costs one `fsync` (SQLite with `synchronous=FULL`) or one
//! WAL flush (PostgreSQL), and event-log writes commit one transaction at a time, so with one
//! transaction per message the server cannot commit more messages a second than the disk does
//! flushes. Instead, one task per process takes every send waiting in its queue and writes
//! them in one transaction: each in its own savepoint, so a send that fails is undone alone
//! and the others go on, and each request is answered only after the shared commit. While a
//! batch commits, the next one gathers; nothing waits on a timer, so a lone send is written at
//! once, as before.
//!
//! Everything a send guarantees still holds inside a batch: the contact's row is locked first
//! and the client id is looked up in the same transaction (a retry in the same batch finds the
//! first write), `seq` is taken from the contact's row, and the message and its events commit
//! together.
//!
//! A send that fails in a batch of several with a database error (on PostgreSQL, a deadlock
//! with another transaction is possible once one transaction holds several contacts), and
//! every send of a batch whose commit fails, is run again in a transaction of its own. That is
//! safe because sends are idempotent: a send whose first attempt did commit finds its message.

use super::direct::DirectConn;
use super::event_log::HubWake;
use super::held::HeldConn;
use super::sending::SendJob;
use super::StoreError;
use super::{Store, StoredMessage};
use std::sync::{Arc, Mutex};
use tokio::sync::{mpsc, oneshot};

/// Most sends written in one transaction.
const MAX_BATCH: usize = 256;

type Reply = oneshot::Sender<Answer>;

/// What a send task answers a requester.
struct Answer {
    /// The send's outcome.
    result: Result<StoredMessage, StoreError>,
    /// The hub's wake that the send's commit owes (see [`HubWake`]), dropped by the
    /// requester on its own runtime thread once answered. A batch's one commit owes one wake:
    /// the batch's first answer carries it.
    wake: Option<HubWake>,
}

/// The queue in front of the send tasks; they start with the first send (and again if they
/// ever stopped) and end when the last [`Store`] handle is dropped.
#[derive(Default)]
pub(super) struct SendQueue {
    sender: Mutex<Option<mpsc::UnboundedSender<(SendJob, Reply)>>>,
}

/// The receiving end, shared by the send tasks: one at a time takes what is queued.
type Receiver = Arc<tokio::sync::Mutex<mpsc::UnboundedReceiver<(SendJob, Reply)>>>;

impl Store {
    /// Starts the send tasks ahead of the first send (with their connections), unless they
    /// run already: the server calls it at start, so that the first message does not wait
    /// for them.
    pub(crate) fn start_send_writers(&self) -> Result<(), StoreError> {
        let mut sender = self
            .sends
            .sender
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if sender.as_ref().is_none_or(mpsc::UnboundedSender::is_closed) {
            *sender = Some(self.spawn_writers()?);
        }
        Ok(())
    }

    /// Queues a send and waits until it is committed (or failed).
    pub(super) async fn submit_send(&self, job: SendJob) -> Result<StoredMessage, StoreError> {
        let (reply, answer) = oneshot::channel();
        {
            let mut sender = self
                .sends
                .sender
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let item = match sender.as_ref() {
                Some(s) => match s.send((job, reply)) {
                    Ok(()) => None,
                    Err(mpsc::error::SendError(back)) => Some(back),
                },
                None => Some((job, reply)),
            };
            if let Some(it) = item {
                let tx = self.spawn_writers()?;
                if tx.send(it).is_err() {
                    return Err(StoreError::Internal(
                        "the send task did not start".to_owned(),
                    ));
                }
                *sender = Some(tx);
            }
        }
        let Answer { result, wake } = answer
            .await
            .map_err(|_| StoreError::Internal("the send task stopped".to_owned()))?;
        // The hub is woken from here (see `HubWake`).
        drop(wake);
        result
    }

    /// Starts the send tasks on a new queue; its sending end.
    fn spawn_writers(&self) -> Result<mpsc::UnboundedSender<(SendJob, Reply)>, StoreError> {
        let (tx, rx) = mpsc::unbounded_channel();
        // The task's own handle has a queue of its own, so that it does not keep this
        // one (and itself) alive.
        let worker = Store {
            sends: Arc::default(),
            ..self.clone()
        };
        let rx: Receiver = Arc::new(tokio::sync::Mutex::new(rx));
        match self.sqlite_file {
            Some(_) => spawn_direct_writer(worker, rx)?,
            None => {
                for _ in 0..self.dialect.send_writers() {
                    tokio::spawn(run_held(worker.held_writer(), rx.clone()));
                }
            }
        }
        Ok(tx)
    }
}

/// SQLite's one send writer, on a thread of its own that runs its transactions' statements
/// itself, on a connection of its own (see `direct`): no thread hand-off per statement, and
/// the commit's `fsync` blocks no task of the runtime. Should that connection not open, the
/// writer uses the pool as PostgreSQL's do.
fn spawn_direct_writer(worker: Store, rx: Receiver) -> Result<(), StoreError> {
    let runtime = tokio::runtime::Handle::current();
    std::thread::Builder::new()
        .name("threadline-sends".to_owned())
        .spawn(move || {
            let writer = worker.direct_writer().unwrap_or_else(|e| {
                tracing::warn!(error = %e, "the send writer's connection did not open; sends use the pool");
                worker
            });
            runtime.block_on(run(writer, rx));
        })
        .map(drop)
        .map_err(|e| StoreError::Internal(format!("the send writer did not start: {e}")))
}

/// A send task on a connection of its own (PostgreSQL, see `held`), opened before it takes
/// the first send.
async fn run_held(store: Store, rx: Receiver) {
    if let Some(held) = &store.held {
        // The slot's lock ends with this statement: the warm-up's transaction takes it again.
        let opened = held.lock().await.open().await;
        match opened {
            // The first batch tries again.
            Err(e) => tracing::warn!(error = %e, "a send writer's connection did not open"),
            Ok(()) => {
                if let Err(e) = store.warm_up().await {
                    tracing::warn!(error = %e, "a send writer's warm-up failed");
                }
            }
        }
    }
    run(store, rx).await;
}

/// A send task: takes whatever is queued, writes it in one transaction, answers, repeats.
async fn run(store: Store, rx: Receiver) {
    loop {
        let mut batch = {
            let mut rx = rx.lock().await;
            let Some(first) = rx.recv().await else { return };
            let mut batch = vec![first];
            while batch.len() < MAX_BATCH {
                match rx.try_recv() {
                    Ok(item) => batch.push(item),
                    Err(_) => break,
                }
            }
            batch
        };
        // Contacts are locked in one order by every batch, so that two batches written at once
        // (PostgreSQL) never wait for each other in a cycle. The sort is stable: one contact's
        // sends keep their order.
        batch.sort_by_key(|(job, _)| job.contact().0);
        let (jobs, replies): (Vec<SendJob>, Vec<Reply>) = batch.into_iter().unzip();
        let (results, mut batch_wake) = store.write_batch(&jobs).await;
        // A send of a batch that failed on the database is written again alone.
        let again = |r: &Result<StoredMessage, StoreError>| {
            jobs.len() > 1 && matches!(r, Err(StoreError::Database(_) | StoreError::Internal(_)))
        };
        if results.iter().any(again) {
            // The batch's events are not held back behind the sends written again: the hub
            // is woken from here now.
            drop(batch_wake.take());
        }
        for ((job, reply), result) in jobs.iter().zip(replies).zip(results) {
            let (result, wake) = if again(&result) {
                store.write_alone(job).await
            } else {
                (result, batch_wake.take())
            };
            // The requester may have gone (client disconnected): the send stands, and the
            // answer dropped here wakes the hub.
            let _ = reply.send(Answer { result, wake });
        }
    }
}

impl Store {
    /// This handle with a connection of its own to the SQLite file, on which its write
    /// transactions run their statements in the calling thread (see `direct`): the send
    /// writer's. Its queue is its own, so that it does not keep the senders' queue alive.
    pub(super) fn direct_writer(&self) -> Result<Store, StoreError> {
        let file = self
            .sqlite_file
            .as_deref()
            .ok_or_else(|| StoreError::Internal("not an SQLite file".to_owned()))?;
        let conn = DirectConn::open(file, self.dialect.connection_setup())?;
        Ok(Store {
            direct: Some(Arc::new(tokio::sync::Mutex::new(conn))),
            sends: Arc::default(),
            ..self.clone()
        })
    }

    /// This handle with a slot for a connection of its own, on which its transactions run
    /// (see `held`): a PostgreSQL send writer's. Its queue is its own, as above.
    pub(super) fn held_writer(&self) -> Store {
        Store {
            held: Some(Arc::new(tokio::sync::Mutex::new(HeldConn::new(
                self.pool.clone(),
                self.dialect.ping_after_idle(),
            )))),
            sends: Arc::default(),
            ..self.clone()
        }
    }

    /// Runs a visitor's two kinds of send (one that opens a chat, then one into it), each
    /// with its write to the log, for a contact made for them, in one transaction rolled back:
    /// nothing stays, and the log's ids it drew are a gap, as any failed send leaves. On a new
    /// PostgreSQL connection the first run of each statement parses and plans it while the
    /// backend loads the tables' catalog entries (5–12 ms a statement, four writers at once,
    /// against well under a millisecond afterwards), so a send writer pays that here, before
    /// it takes its first send.
    pub(super) async fn warm_up(&self) -> Result<(), StoreError> {
        let mut tx = self.begin_send().await?;
        let contact = super::contacts::create_contact_in(&mut tx, "", "", None, &[]).await?;
        for n in 0..2 {
            let job = SendJob::Contact {
                contact,
                client_id: wire::ClientMessageId(format!("warm-up-{n}")),
                text: "warm-up".to_owned(),
                attachment: None,
                opts: super::sending::VisitorSendOptions {
                    channel: wire::Channel::WebChat,
                    reservation_ms: 0,
                },
            };
            job.write(&mut tx).await?;
            tx.write_events_to_roll_back().await?;
        }
        tx.rollback().await
    }

    /// Writes `jobs` in one transaction; one result per job, and the hub's wake its commit
    /// owes. When the transaction itself fails, every job's result is that error.
    async fn write_batch(
        &self,
        jobs: &[SendJob],
    ) -> (Vec<Result<StoredMessage, StoreError>>, Option<HubWake>) {
        if let [job] = jobs {
            let (result, wake) = self.write_alone(job).await;
            return (vec![result], wake);
        }
        match self.try_write_batch(jobs).await {
            Ok(written) => written,
            Err(e) => {
                tracing::warn!(error = %e, sends = jobs.len(), "a batch of sends failed; writing them one by one");
                let failed = jobs
                    .iter()
                    .map(|_| Err(StoreError::Internal(e.to_string())))
                    .collect();
                (failed, None)
            }
        }
    }

    async fn try_write_batch(
        &self,
        jobs: &[SendJob],
    ) -> Result<(Vec<Result<StoredMessage, StoreError>>, Option<HubWake>), StoreError> {
        let mut tx = self.begin_send().await?;
        let mut results = Vec::with_capacity(jobs.len());
        for job in jobs {
            let mark = tx.savepoint().await?;
            match job.write(&mut tx).await {
                Ok(stored) => results.push(Ok(stored)),
                Err(e) => {
                    tx.rollback_to_savepoint(mark).await?;
                    results.push(Err(e));
                }
            }
        }
        let wake = tx.commit_owing_wake().await?;
        Ok((results, wake))
    }

    /// Writes one job in a transaction of its own; its result, and the hub's wake its commit
    /// owes.
    async fn write_alone(
        &self,
        job: &SendJob,
    ) -> (Result<StoredMessage, StoreError>, Option<HubWake>) {
        let written = async {
            let mut tx = self.begin_send().await?;
            match job.write(&mut tx).await {
                Ok(stored) => Ok((stored, tx.commit_owing_wake().await?)),
                Err(e) => {
                    tx.rollback().await?;
                    Err(e)
                }
            }
        };
        match written.await {
            Ok((stored, wake)) => (Ok(stored), wake),
            Err(e) => (Err(e), None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::sending::{SendJob, VisitorSendOptions};
    use super::super::test_db::{on_postgres, sqlite_database};
    use super::super::{Store, StoreError, StoredMessage};
    use sqlx::Row;
    use wire::{AttachmentId, Channel, ClientMessageId, ContactId, MessageId};

    fn job(contact: ContactId, client_id: &str, attachment: Option<i64>) -> SendJob {
        SendJob::Contact {
            contact,
            client_id: ClientMessageId(client_id.to_owned()),
            text: format!("text {client_id}"),
            attachment: attachment.map(AttachmentId),
            opts: VisitorSendOptions {
                channel: Channel::WebChat,
                reservation_ms: 0,
            },
        }
    }

    /// One transaction of several sends, some failing between others (the savepoint reused
    /// after a rollback, released with the next one's opening after a success): each failed
    /// send leaves no message and no event, each other one is stored once, in order.
    async fn a_batch_keeps_each_send_or_undoes_it_alone(url: &str) {
        let store = Store::connect(url).await.expect("store");
        a_batch_keeps_each_send_or_undoes_it_alone_in(&store).await;
    }

    async fn a_batch_keeps_each_send_or_undoes_it_alone_in(store: &Store) {
        let a = store.create_contact("Ada", "", None, &[]).await.expect("a");
        let b = store.create_contact("Bo", "", None, &[]).await.expect("b");
        let jobs = [
            job(a, "a1", None),
            job(a, "a2", Some(999_999)),
            job(a, "a3", None),
            job(a, "a1", None),
            job(b, "b1", Some(999_998)),
            job(b, "b2", Some(999_997)),
            job(b, "b3", None),
        ];
        let (results, _wake) = store.try_write_batch(&jobs).await.expect("one transaction");
        let ids: Vec<Option<i64>> = results
            .iter()
            .map(|r| match r {
                Ok(stored) => Some(stored.message.id.0),
                Err(StoreError::NotFound(_)) => None,
                Err(e) => panic!("unexpected {e:?}"),
            })
            .collect();
        assert!(ids[0].is_some() && ids[2].is_some() && ids[6].is_some());
        assert_eq!([ids[1], ids[4], ids[5]], [None, None, None]);
        assert_eq!(ids[3], ids[0], "the retry answers with the stored message");
        for (contact, expected) in [(a, vec!["a1", "a3"]), (b, vec!["b3"])] {
            let expected: Vec<(String, i64)> =
                expected.into_iter().map(str::to_owned).zip(1..).collect();
            assert_eq!(stored(store, contact).await, expected);
        }
        let events = sqlx::query("SELECT payload FROM events ORDER BY id")
            .fetch_all(store.pool())
            .await
            .expect("events");
        let payloads: Vec<String> = events.iter().map(|r| r.get("payload")).collect();
        for text in ["text a1", "text a3", "text b3"] {
            assert_eq!(
                payloads.iter().filter(|p| p.contains(text)).count(),
                1,
                "{text}"
            );
        }
        for text in ["text a2", "text b1", "text b2"] {
            assert!(!payloads.iter().any(|p| p.contains(text)), "{text} undone");
        }
        store.close().await;
    }

    #[tokio::test]
    async fn a_batch_keeps_each_send_or_undoes_it_alone_sqlite() {
        let (_dir, url) = sqlite_database("batch");
        a_batch_keeps_each_send_or_undoes_it_alone(&url).await;
    }

    /// The same on SQLite's send writer, whose statements run on its own connection (see
    /// `direct`): the same rows, the same undoing, read back through the pool.
    #[tokio::test]
    async fn a_batch_keeps_each_send_or_undoes_it_alone_on_the_sqlite_writer() {
        let (_dir, url) = sqlite_database("batch");
        let store = Store::connect(&url).await.expect("store");
        let writer = store.direct_writer().expect("the writer's connection");
        a_batch_keeps_each_send_or_undoes_it_alone_in(&writer).await;
    }

    /// A transaction of the send writer dropped before its commit leaves nothing, and the
    /// next one starts on the same connection; a unique violation there is one to the API.
    #[tokio::test]
    async fn the_sqlite_writer_rolls_back_what_it_drops() {
        let (_dir, url) = sqlite_database("drop");
        let store = Store::connect(&url).await.expect("store");
        let writer = store.direct_writer().expect("the writer's connection");
        let a = store.create_contact("Ada", "", None, &[]).await.expect("a");
        {
            let mut tx = writer.begin().await.expect("begin");
            job(a, "dropped", None).write(&mut tx).await.expect("write");
        }
        let mut tx = writer.begin().await.expect("begin again");
        let kept = job(a, "kept", None).write(&mut tx).await.expect("write");
        let again = sqlx::query("INSERT INTO messages SELECT * FROM messages WHERE id = $1")
            .bind(kept.message.id.0)
            .execute(&mut tx.inner)
            .await
            .expect_err("the same id twice");
        match again {
            sqlx::Error::Database(db) => assert!(db.is_unique_violation(), "{db}"),
            other => panic!("unexpected {other:?}"),
        }
        tx.commit().await.expect("commit");
        assert_eq!(stored(&store, a).await, [("kept".to_owned(), 1)]);
        assert_eq!(kept.message.seq, 1, "the dropped send took no seq");
    }

    /// The messages of `contact`, by `seq`: their client ids and `seq`s.
    async fn stored(store: &Store, contact: ContactId) -> Vec<(String, i64)> {
        sqlx::query("SELECT client_id, seq FROM messages WHERE contact_id = $1 ORDER BY seq")
            .bind(contact.0)
            .fetch_all(store.pool())
            .await
            .expect("messages")
            .iter()
            .map(|r| (r.get("client_id"), r.get("seq")))
            .collect()
    }

    /// The message each send was answered with, by contact and client id.
    #[derive(Default)]
    struct Answered(std::collections::HashMap<(ContactId, String), MessageId>);

    type Sent = Result<(ContactId, String, MessageId), StoreError>;

    impl Answered {
        /// Checks a send's answer: a retry answers with the message its first send stored.
        fn check(&mut self, done: Result<Sent, tokio::task::JoinError>) {
            let (contact, client_id, id) = done.expect("task").expect("send");
            let first = *self.0.entry((contact, client_id)).or_insert(id);
            assert_eq!(first, id, "a retry answers with the stored message");
        }
    }

    /// Many sends through the queue at once, from tasks on a runtime of two workers, to four
    /// contacts, a tenth of them retries: four in flight at a time, so that a send written
    /// alone has others gathering behind it, written together (see `run`). Each message is
    /// stored once, each send is answered with its own message (a retry with its first
    /// send's), and each contact's messages take its `seq`s one after another.
    async fn sends_at_once_are_each_stored_once_in_turn(url: &str) {
        let store = Store::connect(url).await.expect("store");
        let mut contacts = Vec::new();
        for name in ["Ada", "Bo", "Cy", "Di"] {
            contacts.push(
                store
                    .create_contact(name, "", None, &[])
                    .await
                    .expect("contact"),
            );
        }
        // The first send starts the send tasks; the rest find them running.
        store
            .submit_send(job(contacts[0], "start", None))
            .await
            .expect("the first send");
        let mut expected =
            std::collections::HashMap::<ContactId, std::collections::BTreeSet<String>>::new();
        expected
            .entry(contacts[0])
            .or_default()
            .insert("start".to_owned());
        let mut answered = Answered::default();
        let mut sends = tokio::task::JoinSet::new();
        for n in 0..200 {
            let store = store.clone();
            let contact = contacts[n % contacts.len()];
            // Every tenth send is a retry of the one before it for the same contact.
            let client_id = format!("m{}", if n % 10 == 9 { n - 4 } else { n });
            expected
                .entry(contact)
                .or_default()
                .insert(client_id.clone());
            sends.spawn(async move {
                store
                    .submit_send(job(contact, &client_id, None))
                    .await
                    .map(|m| {
                        assert_eq!(m.message.contact_id, contact, "this contact's message");
                        let answered = m.message.client_id.map(|c| c.0);
                        assert_eq!(answered.as_ref(), Some(&client_id), "this send's message");
                        (contact, client_id, m.message.id)
                    })
            });
            // Four at a time, each four answered before the next four.
            if sends.len() == 4 {
                while let Some(done) = sends.join_next().await {
                    answered.check(done);
                }
            }
        }
        while let Some(done) = sends.join_next().await {
            answered.check(done);
        }
        for contact in contacts {
            let rows = stored(&store, contact).await;
            let mut ids: Vec<&String> = rows.iter().map(|(c, _)| c).collect();
            ids.sort();
            let sent: Vec<&String> = expected[&contact].iter().collect();
            assert_eq!(ids, sent, "each message once");
            assert!(
                rows.iter().zip(1_i64..).all(|((_, s), n)| *s == n),
                "{rows:?}"
            );
        }
        store.close().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sends_at_once_are_each_stored_once_in_turn_sqlite() {
        let (_dir, url) = sqlite_database("many");
        sends_at_once_are_each_stored_once_in_turn(&url).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sends_at_once_are_each_stored_once_in_turn_postgres() {
        on_postgres("many", sends_at_once_are_each_stored_once_in_turn).await;
    }

    #[tokio::test]
    async fn a_batch_keeps_each_send_or_undoes_it_alone_postgres() {
        on_postgres("batch", a_batch_keeps_each_send_or_undoes_it_alone).await;
    }

    /// The server process a send transaction of `store` runs in.
    async fn backend(store: &Store) -> i32 {
        let tx = store.begin_send().await.expect("begin");
        read_and_commit(tx, "SELECT pg_backend_pid() AS v").await
    }

    /// A PostgreSQL send writer's transactions run on its own connection, one after another
    /// (see `held`), with the same batches as on the pool: savepoints undo a failed send
    /// alone, and what commits is read back through the pool.
    #[tokio::test]
    async fn a_postgres_writer_keeps_its_connection_and_its_batches() {
        on_postgres("held", async |url| {
            let store = Store::connect(url).await.expect("store");
            let writer = store.held_writer();
            let first = backend(&writer).await;
            assert_eq!(backend(&writer).await, first, "the same connection again");
            a_batch_keeps_each_send_or_undoes_it_alone_in(&writer).await;
        })
        .await;
    }

    /// A PostgreSQL send writer whose connection the server closed (an administrator's
    /// `pg_terminate_backend`, a restart) writes the next send on a new one, and a
    /// transaction it dropped half-way leaves nothing and holds no lock.
    #[tokio::test]
    async fn a_postgres_writer_recovers_its_connection() {
        on_postgres("recover", async |url| {
            let store = Store::connect(url).await.expect("store");
            let writer = store.held_writer();
            let a = store.create_contact("Ada", "", None, &[]).await.expect("a");
            let first = backend(&writer).await;
            sqlx::query("SELECT pg_terminate_backend($1)")
                .bind(first)
                .execute(store.pool())
                .await
                .expect("terminate");
            let (sent, _wake) = writer.write_alone(&job(a, "after", None)).await;
            sent.expect("written on a new connection");
            assert_ne!(backend(&writer).await, first, "a new connection");
            {
                let mut tx = writer.begin_send().await.expect("begin");
                job(a, "dropped", None).write(&mut tx).await.expect("write");
            }
            // The contact's row was locked by the dropped transaction: this waits for the
            // server to roll it back.
            let (kept, _wake) = writer.write_alone(&job(a, "kept", None)).await;
            assert_eq!(
                kept.expect("kept").message.seq,
                2,
                "the dropped send took no seq"
            );
            assert_eq!(
                stored(&store, a).await,
                [("after".to_owned(), 1), ("kept".to_owned(), 2)]
            );
            store.close().await;
        })
        .await;
    }

    /// The rows of the tables a send writes to, counted through the pool.
    async fn rows_written(store: &Store) -> Vec<i64> {
        let mut counts = Vec::new();
        for table in ["contacts", "interactions", "messages", "events"] {
            let sql = format!("SELECT COUNT(*) AS n FROM {table}");
            let row = sqlx::query(&sql)
                .fetch_one(store.pool())
                .await
                .expect("count");
            counts.push(row.get::<i64, _>("n"));
        }
        counts
    }

    /// A PostgreSQL send writer's warm-up keeps nothing, and prepares on the writer's own
    /// connection every statement of a visitor's send into a new chat and into an open one:
    /// the first two real sends prepare nothing more. (The gap its ids leave in the log holds
    /// no stream up: `events_reach_streams_in_id_order_whatever_order_they_commit`.)
    #[tokio::test]
    async fn a_postgres_writers_warm_up_keeps_nothing_and_prepares_the_sends() {
        on_postgres("warm", async |url| {
            let store = Store::connect(url).await.expect("store");
            let a = store.create_contact("Ada", "", None, &[]).await.expect("a");
            let before = rows_written(&store).await;
            let writer = store.held_writer();
            let pid = backend(&writer).await;
            writer.warm_up().await.expect("warm-up");
            assert_eq!(rows_written(&store).await, before, "nothing kept");
            let prepared = "SELECT COUNT(*) AS v FROM pg_prepared_statements";
            let warm: i64 =
                read_and_commit(writer.begin_send().await.expect("begin"), prepared).await;
            for (seq, client_id) in [(1, "first"), (2, "second")] {
                let (sent, _wake) = writer.write_alone(&job(a, client_id, None)).await;
                assert_eq!(sent.expect("sent").message.seq, seq);
            }
            let after: i64 =
                read_and_commit(writer.begin_send().await.expect("begin"), prepared).await;
            assert_eq!(after, warm, "the sends prepared nothing more");
            assert_eq!(
                backend(&writer).await,
                pid,
                "on the writer's one connection"
            );
            store.close().await;
        })
        .await;
    }

    /// The value `sql` (one row, one column `v`) reads in `tx`; commits it.
    async fn read_and_commit<T>(mut tx: super::super::Tx, sql: &str) -> T
    where
        T: for<'r> sqlx::Decode<'r, sqlx::Any> + sqlx::Type<sqlx::Any>,
    {
        let value = sqlx::query(sql)
            .fetch_one(&mut tx.inner)
            .await
            .expect("read")
            .get("v");
        tx.commit().await.expect("commit");
        value
    }

    /// The plan cache mode `tx` runs with; commits it.
    async fn plan_mode(tx: super::super::Tx) -> String {
        read_and_commit(tx, "SELECT current_setting('plan_cache_mode') AS v").await
    }

    /// A send writer's transaction plans its statements generically on PostgreSQL (see
    /// `Dialect::send_begin`); the setting ends with it, and other transactions keep the
    /// server's own choice.
    #[tokio::test]
    async fn send_transactions_use_generic_plans_postgres() {
        on_postgres("plans", async |url| {
            let store = Store::connect(url).await.expect("store");
            let during = plan_mode(store.begin_send().await.expect("begin")).await;
            let elsewhere = plan_mode(store.begin().await.expect("begin")).await;
            assert_eq!(during, "force_generic_plan");
            assert_eq!(elsewhere, "auto");
            store.close().await;
        })
        .await;
    }

    /// `job` written alone on a task of its own, so that the test can hold what it waits for.
    fn spawn_alone(
        store: &Store,
        job: SendJob,
    ) -> tokio::task::JoinHandle<Result<StoredMessage, StoreError>> {
        let store = store.clone();
        tokio::spawn(async move { store.write_alone(&job).await.0 })
    }

    /// Waits until `n` lock requests in this database are waiting (sends behind a holder).
    async fn until_waiting(store: &Store, n: i64) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        loop {
            let waiting: i64 = sqlx::query(
                "SELECT COUNT(*) AS n FROM pg_locks WHERE NOT granted \
                 AND pid IN (SELECT pid FROM pg_stat_activity WHERE datname = current_database())",
            )
            .fetch_one(store.pool())
            .await
            .expect("locks")
            .get("n");
            if waiting >= n {
                return;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "{waiting} of {n} sends wait"
            );
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    }

    /// A send reads what it needs in the statement that takes the contact's lock (see
    /// `interactions::lock_contact_for_send`), so a send that waited for the lock must not
    /// act on what it read before the wait: the retry of a message the holder stored finds
    /// that message, a new message goes into the chat the holder opened, and after a holder
    /// that only locked the contact and opened a chat, the same.
    #[tokio::test]
    async fn a_send_that_waited_for_the_contact_sees_what_the_holder_committed_postgres() {
        on_postgres("waited", async |url| {
            let store = Store::connect(url).await.expect("store");
            let a = store.create_contact("Ada", "", None, &[]).await.expect("a");
            let mut holder = store.begin().await.expect("begin");
            let first = job(a, "first", None)
                .write(&mut holder)
                .await
                .expect("the holder's send");
            let retry = spawn_alone(&store, job(a, "first", None));
            let second = spawn_alone(&store, job(a, "second", None));
            until_waiting(&store, 2).await;
            holder.commit().await.expect("commit");
            let retry = retry.await.expect("task").expect("the retry");
            let second = second.await.expect("task").expect("the second send");
            assert_eq!(
                retry.message.id, first.message.id,
                "the retry finds the message"
            );
            assert_eq!(
                second.interaction.id, first.interaction.id,
                "into the same chat"
            );
            assert_eq!(second.message.seq, 2);

            let b = store.create_contact("Bo", "", None, &[]).await.expect("b");
            let mut holder = store.begin().await.expect("begin");
            super::super::interactions::lock_contact(&mut holder, b)
                .await
                .expect("lock");
            let opened: i64 = sqlx::query(
                "INSERT INTO interactions (contact_id, channel, state, created_at, queued_at) \
             VALUES ($1, 'web_chat', 'queued', 1, 1) RETURNING id",
            )
            .bind(b.0)
            .fetch_one(&mut holder.inner)
            .await
            .expect("a chat opened under the lock")
            .get("id");
            let send = spawn_alone(&store, job(b, "b1", None));
            until_waiting(&store, 1).await;
            holder.commit().await.expect("commit");
            let sent = send.await.expect("task").expect("the send");
            assert_eq!(
                sent.interaction.id.0, opened,
                "into the chat the holder opened"
            );
            let chats: i64 =
                sqlx::query("SELECT COUNT(*) AS n FROM interactions WHERE contact_id = $1")
                    .bind(b.0)
                    .fetch_one(store.pool())
                    .await
                    .expect("count")
                    .get("n");
            assert_eq!(chats, 1);
            store.close().await;
        })
        .await;
    }
}
