-- Search within one contact's conversation: the full-text index gets the contact id as a second
-- column, so "these words, this contact" is the intersection of two lists of message ids inside
-- the index instead of a walk over every match of the words. Searches put the words in the
-- `text` column (`messages_fts.text MATCH …`), so a number someone types never matches an id.
-- Keep in step with ../postgres/0002_search_index.sql.

DROP TRIGGER messages_fts_insert;
DROP TRIGGER messages_fts_delete;
DROP TABLE messages_fts;

CREATE VIRTUAL TABLE messages_fts USING fts5(text, contact_id, content='messages', content_rowid='id');
INSERT INTO messages_fts(messages_fts) VALUES ('rebuild');

CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
    INSERT INTO messages_fts(rowid, text, contact_id) VALUES (new.id, new.text, new.contact_id);
END;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
    INSERT INTO messages_fts(messages_fts, rowid, text, contact_id) VALUES ('delete', old.id, old.text, old.contact_id);
END;
