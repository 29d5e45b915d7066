-- The name an identity's own contact had when it was linked into another (the same person on
-- two channels), so that unlinking it gives the new contact that name back.
ALTER TABLE contact_identities ADD COLUMN linked_first_name TEXT;
ALTER TABLE contact_identities ADD COLUMN linked_last_name TEXT;
