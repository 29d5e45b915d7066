-- The platforms' delivery and read receipts name a customer (and message ids or a time): they
-- find the agents' messages sent to that customer through this index.
CREATE INDEX outbox_recipient ON outbox(channel, recipient, sent_at);
