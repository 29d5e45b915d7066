-- Only messages with an image are in the attachment index: the sweep of uploads never sent
-- (`attachment_id = …`, which implies `IS NOT NULL`) is all that reads it, and every message
-- without an image (nearly all of them) was one more index entry written by its send.
DROP INDEX messages_attachment;
CREATE INDEX messages_attachment ON messages(attachment_id) WHERE attachment_id IS NOT NULL;
