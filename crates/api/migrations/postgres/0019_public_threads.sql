-- Public channels (Facebook Page comments and posts, Tweets): a message on a public channel
-- knows the stored message it answers (`reply_to_id`: the platform's parent comment, post or
-- Tweet, or the comment an agent's public reply answers), so the desktop can thread them.
-- A platform's item is found by its platform id: a contact's by `client_id` (the comment or
-- Tweet id), an agent's reply by the id the platform gave it (`outbox.platform_id`).
ALTER TABLE messages ADD COLUMN reply_to_id BIGINT REFERENCES messages(id);
CREATE INDEX messages_client_id_only ON messages(client_id);
CREATE INDEX outbox_platform_id ON outbox(platform_id);
