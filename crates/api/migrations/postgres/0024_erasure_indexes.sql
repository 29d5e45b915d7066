-- Erasing a contact (and each of a retention pass's erasures) finds their rows in the tables
-- keyed otherwise, and the rows of other contacts that point at theirs, by these indexes
-- instead of reading each table through. The references (a reply to one of their messages, a
-- chat reactivated from or continued as one of theirs) are in partial indexes holding only the
-- rows that have one, so a send, which has none, writes nothing more.
CREATE INDEX messages_reply_to ON messages(reply_to_id) WHERE reply_to_id IS NOT NULL;
CREATE INDEX interactions_reactivated_from ON interactions(reactivated_from) WHERE reactivated_from IS NOT NULL;
CREATE INDEX interactions_continued_as ON interactions(continued_as) WHERE continued_as IS NOT NULL;
-- The links' and unlinks' entries, which may hold an erased contact's view or identities.
CREATE INDEX audit_log_action ON audit_log(action);
-- Read positions are keyed by agent first; a link moves a contact's too.
CREATE INDEX agent_contact_reads_contact ON agent_contact_reads(contact_id);
CREATE INDEX visitor_tokens_contact ON visitor_tokens(contact_id);
-- Uploads never sent are found by their owner.
CREATE INDEX attachments_owner ON attachments(owner);
