//! The full-text index where it is written apart from the messages (SQLite, migration 0022):
//! a message is committed without it, and [`run`] adds the waiting messages in short
//! transactions a few times a second, so that a send's commit no longer flushes an index
//! segment of its own. Every search first indexes whatever is still waiting
//! ([`Store::catch_up_search_index`]), so it finds every message committed before it began.
//! Where the index is written with each message (PostgreSQL) all of this does nothing.

use super::{Store, StoreError, Tx};
use std::time::Duration;

/// Most messages indexed in one transaction: every other writer waits while it runs (SQLite
/// has one), so a long backlog is indexed in several short ones.
const CHUNK: i64 = 128;

/// How often [`run`] looks for messages not in the index yet: at 1,000 messages a second a
/// transaction indexes about a hundred.
pub const EVERY: Duration = Duration::from_millis(100);

/// A dialect's statements for the catch-up (see [`super::Dialect::search_backlog`]).
pub struct Backlog {
    /// How many messages are not in the index yet.
    pub pending: &'static str,
    /// Indexes the oldest of them, at most `$1`.
    pub index: &'static str,
    /// Moves the index's mark past the same messages (`$1` as above).
    pub advance: &'static str,
}

impl Store {
    /// Indexes every message that was not in the full-text index when it was called (and no
    /// more: under a steady stream of sends a search does not chase the newest). Searches
    /// call it first.
    pub(super) async fn catch_up_search_index(&self) -> Result<(), StoreError> {
        let Some(backlog) = self.dialect().search_backlog() else {
            return Ok(());
        };
        // Each chunk indexes the oldest waiting messages, so this many index every one that
        // waits now.
        let chunks = (self.search_backlog(backlog).await? + CHUNK - 1) / CHUNK;
        for _ in 0..chunks {
            let mut tx = self.begin().await?;
            index_waiting(&mut tx, backlog, CHUNK).await?;
            tx.commit().await?;
        }
        Ok(())
    }

    /// Indexes, in `tx`, every message waiting for the full-text index, those `tx` wrote
    /// included (a history import, which would otherwise leave its whole batch to the first
    /// search); nothing where the index is written with each message.
    pub(super) async fn index_all_waiting(&self, tx: &mut Tx) -> Result<(), StoreError> {
        match self.dialect().search_backlog() {
            Some(backlog) => index_waiting(tx, backlog, i64::MAX).await,
            None => Ok(()),
        }
    }

    /// How many messages are not in the full-text index yet (0 where it is written with each
    /// message).
    pub async fn search_index_pending(&self) -> Result<i64, StoreError> {
        match self.dialect().search_backlog() {
            Some(backlog) => self.search_backlog(backlog).await,
            None => Ok(0),
        }
    }

    async fn search_backlog(&self, backlog: &Backlog) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar(backlog.pending)
            .fetch_one(self.pool())
            .await?)
    }
}

/// Indexes the oldest `limit` messages waiting for the index, in `tx`, and moves its mark past
/// them.
async fn index_waiting(tx: &mut Tx, backlog: &Backlog, limit: i64) -> Result<(), StoreError> {
    for sql in [backlog.index, backlog.advance] {
        sqlx::query(sql).bind(limit).execute(&mut tx.inner).await?;
    }
    Ok(())
}

/// Keeps the full-text index up with the messages, every [`EVERY`], for as long as the
/// server runs; returns at once where the index is written with each message.
pub async fn run(store: Store) {
    if store.dialect().search_backlog().is_none() {
        return;
    }
    let mut tick = tokio::time::interval(EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if let Err(e) = store.catch_up_search_index().await {
            tracing::warn!(error = %e, "indexing new messages for search failed");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::inbound::InboundEdit;
    use super::super::sending::VisitorSendOptions;
    use super::super::test_db::sqlite_database;
    use super::super::{ChannelFilter, Store};
    use wire::{Channel, ClientMessageId, ContactId, Identity, Role};

    async fn say(store: &Store, contact: ContactId, channel: Channel, id: &str, text: &str) {
        let opts = VisitorSendOptions {
            channel,
            reservation_ms: 0,
        };
        store
            .send_as_contact(
                contact,
                ClientMessageId(id.to_owned()),
                text.to_owned(),
                None,
                opts,
            )
            .await
            .expect("send");
    }

    /// The client ids of the messages a search finds, newest first.
    async fn found(store: &Store, q: &str, contact: Option<ContactId>) -> Vec<String> {
        let results = store
            .search(q, contact, None, 50, ChannelFilter::All)
            .await
            .expect("search");
        results
            .hits
            .into_iter()
            .map(|h| h.message.client_id.map(|c| c.0).unwrap_or_default())
            .collect()
    }

    fn edit(visitor: &str, id: &str, text: &str) -> InboundEdit {
        InboundEdit {
            identity: Identity::WebVisitor(visitor.to_owned()),
            client_id: ClientMessageId(id.to_owned()),
            text: Some(text.to_owned()),
        }
    }

    /// An imported history is in the index when the import returns, with a send that was
    /// waiting before it: the first search does not have the whole batch to index.
    #[tokio::test]
    async fn an_import_leaves_nothing_waiting_sqlite() {
        use super::super::{ImportedInteraction, ImportedMessage};
        let (_dir, url) = sqlite_database("search_import");
        let store = Store::connect(&url).await.expect("store");
        let web = [Identity::WebVisitor("va".to_owned())];
        let a = store
            .create_contact("Ada", "", None, &web)
            .await
            .expect("a");
        say(&store, a, Channel::WebChat, "a1", "waiting kestrel").await;
        let old = |text: &str, at| ImportedMessage {
            agent: None,
            text: text.to_owned(),
            attachment: None,
            at,
        };
        let history = ImportedInteraction {
            contact: a,
            channel: Channel::WebChat,
            agent: None,
            disposition: None,
            messages: vec![old("imported kestrel", 1_000), old("imported heron", 2_000)],
        };
        store.import_interactions(&[history]).await.expect("import");
        assert_eq!(store.search_index_pending().await.expect("pending"), 0);
        let hits = store
            .search("kestrel", None, None, 50, ChannelFilter::All)
            .await
            .expect("search");
        let mut texts: Vec<String> = hits.hits.into_iter().map(|h| h.message.text).collect();
        texts.sort();
        assert_eq!(texts, ["imported kestrel", "waiting kestrel"]);
        store.close().await;
    }

    /// A search finds messages the indexer has not reached yet, and an edit or a move to
    /// another contact (a link) is searched as it now is, whether the message was already in
    /// the index or still waiting; after it the index matches the messages exactly (FTS5's
    /// own integrity check against the `messages` table).
    #[tokio::test]
    async fn searches_find_every_message_and_follow_edits_and_links_sqlite() {
        let (_dir, url) = sqlite_database("search");
        let store = Store::connect(&url).await.expect("store");
        let agent = store
            .create_agent("ann", "Ann", "-", 2, Role::Agent)
            .await
            .expect("agent");
        let web = [Identity::WebVisitor("va".to_owned())];
        let a = store
            .create_contact("Ada", "", None, &web)
            .await
            .expect("a");
        let messenger = [Identity::MessengerPsid("pb".to_owned())];
        let b = store
            .create_contact("Bo", "", None, &messenger)
            .await
            .expect("b");
        say(&store, a, Channel::WebChat, "a1", "alpha kestrel").await;
        say(&store, b, Channel::Messenger, "b1", "bravo kestrel").await;
        assert_eq!(store.search_index_pending().await.expect("pending"), 2);

        assert_eq!(found(&store, "kestrel", None).await, ["b1", "a1"]);
        assert_eq!(store.search_index_pending().await.expect("pending"), 0);

        say(&store, a, Channel::WebChat, "a2", "charlie heron").await;
        let edits = [edit("va", "a1", "delta"), edit("va", "a2", "echo")];
        assert_eq!(store.edit_inbound(&edits).await.expect("edits"), 2);
        assert!(found(&store, "alpha", None).await.is_empty(), "old text");
        assert!(found(&store, "charlie", None).await.is_empty(), "old text");
        assert_eq!(found(&store, "delta", None).await, ["a1"]);
        assert_eq!(found(&store, "echo", None).await, ["a2"]);

        say(&store, b, Channel::Messenger, "b2", "foxtrot").await;
        // Two chats in progress are never linked: Ada's is over (the lifecycle's way there,
        // an agent's answer and Done, is not what this test is about).
        sqlx::query("UPDATE interactions SET state = 'done' WHERE contact_id = $1")
            .bind(a.0)
            .execute(store.pool())
            .await
            .expect("Ada's chat done");
        store.link_contact(agent, b, a).await.expect("link");
        assert_eq!(found(&store, "kestrel", Some(a)).await, ["b1"]);
        assert_eq!(found(&store, "foxtrot", Some(a)).await, ["b2"]);
        assert!(found(&store, "kestrel", Some(b)).await.is_empty());

        assert_eq!(store.search_index_pending().await.expect("pending"), 0);
        sqlx::query("INSERT INTO messages_fts(messages_fts, rank) VALUES ('integrity-check', 1)")
            .execute(store.pool())
            .await
            .expect("the index matches the messages");
        store.close().await;
    }
}
