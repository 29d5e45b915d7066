-- Linking contacts (the same person on two channels) moves messages between contacts: the
-- search index, which keeps each message's contact, follows a move as it follows an edit.
DROP TRIGGER messages_fts_update;
CREATE TRIGGER messages_fts_update AFTER UPDATE OF text, contact_id ON messages BEGIN
    INSERT INTO messages_fts(messages_fts, rowid, text, contact_id) VALUES ('delete', old.id, old.text, old.contact_id);
    INSERT INTO messages_fts(rowid, text, contact_id) VALUES (new.id, new.text, new.contact_id);
END;
-- The name an identity's own contact had when it was linked into another, so that unlinking
-- it gives the new contact that name back.
ALTER TABLE contact_identities ADD COLUMN linked_first_name TEXT;
ALTER TABLE contact_identities ADD COLUMN linked_last_name TEXT;
