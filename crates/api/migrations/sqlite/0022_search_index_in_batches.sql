-- The full-text index is written in batches apart from the messages, no longer by a trigger in
-- the transaction that inserts each one: at 1,000 messages a second that trigger made every
-- send's commit flush an FTS5 segment of its own (about six of the nineteen pages a send's
-- commit wrote) and cost some 12 % of the server's CPU a message. `search_index_state` keeps
-- the id of the newest message in the index (ids only grow: `AUTOINCREMENT`); the indexer
-- (`store::search_index`) adds the messages above it in short transactions a few times a
-- second, and every search first indexes what is still waiting, so it finds every message
-- committed before it. Nothing changes on PostgreSQL, whose index is written with the row.

CREATE TABLE search_index_state (
    -- One row.
    id INTEGER PRIMARY KEY CHECK (id = 1),
    -- Every message with an id up to this one is in `messages_fts`, none above it.
    indexed_to INTEGER NOT NULL
);
INSERT INTO search_index_state (id, indexed_to) SELECT 1, COALESCE(MAX(id), 0) FROM messages;

DROP TRIGGER messages_fts_insert;

-- An edit, a move to another contact (links) or a delete changes the index only for a message
-- already in it; one still waiting is indexed as it is when its turn comes.
DROP TRIGGER messages_fts_delete;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages
WHEN old.id <= (SELECT indexed_to FROM search_index_state) BEGIN
    INSERT INTO messages_fts(messages_fts, rowid, text, contact_id) VALUES ('delete', old.id, old.text, old.contact_id);
END;
DROP TRIGGER messages_fts_update;
CREATE TRIGGER messages_fts_update AFTER UPDATE OF text, contact_id ON messages
WHEN old.id <= (SELECT indexed_to FROM search_index_state) BEGIN
    INSERT INTO messages_fts(messages_fts, rowid, text, contact_id) VALUES ('delete', old.id, old.text, old.contact_id);
    INSERT INTO messages_fts(rowid, text, contact_id) VALUES (new.id, new.text, new.contact_id);
END;
