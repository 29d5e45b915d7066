-- The outbox: one row per agent message written to a Messenger or X Direct Message
-- conversation, inserted in the same transaction as the message, and sent by a worker
-- (crates/api/src/outbox.rs). `state` is waiting, sending (claimed by a worker until
-- `lease_until`), sent (`platform_id` holds the platform's id) or failed (`last_error` holds
-- the platform's reason). `recipient` is the page-scoped id (Messenger) or the X user id;
-- `messaging_type`/`tag` are the Messenger Send API's, decided when the message was written.
CREATE TABLE outbox (
    message_id BIGINT PRIMARY KEY REFERENCES messages(id),
    channel TEXT NOT NULL,
    recipient TEXT NOT NULL,
    messaging_type TEXT,
    tag TEXT,
    state TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    lease_until BIGINT,
    platform_id TEXT,
    last_error TEXT,
    created_at BIGINT NOT NULL,
    sent_at BIGINT
);
CREATE INDEX outbox_due ON outbox(state, next_attempt_at);
