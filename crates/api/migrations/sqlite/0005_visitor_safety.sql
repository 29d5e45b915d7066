-- Visitor tokens expire: anonymous ones slide forward on use, identified ones end with the
-- signed identity they were issued for (and are never resumed without it).
ALTER TABLE visitor_tokens ADD COLUMN expires_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE visitor_tokens ADD COLUMN identified BIGINT NOT NULL DEFAULT 0;
-- Tokens issued before: anonymous ones get the default 30 days from now; those of identified
-- customers end now (the site must vouch again).
UPDATE visitor_tokens SET identified = 1
 WHERE contact_id IN (SELECT contact_id FROM contact_identities WHERE kind = 'web_customer');
UPDATE visitor_tokens SET expires_at = CASE WHEN identified = 1 THEN 0 ELSE created_at + 2592000000 END;
CREATE INDEX visitor_tokens_expiry ON visitor_tokens(expires_at);

-- The sweeper of unsent uploads looks for old attachments no message refers to.
CREATE INDEX attachments_created ON attachments(created_at);
CREATE INDEX messages_attachment ON messages(attachment_id);
