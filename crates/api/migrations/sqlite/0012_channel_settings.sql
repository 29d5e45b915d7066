-- Per-channel settings an administrator sets. Rows are added at start for every channel that
-- has none, from the server's configuration (offer timeout, reservation window), so the
-- configured values stay the defaults; afterwards the table is what routing reads.
CREATE TABLE channel_settings (
    channel TEXT PRIMARY KEY,
    async_chat BIGINT NOT NULL DEFAULT 1,
    offer_public BIGINT NOT NULL DEFAULT 1,
    offer_timeout_ms BIGINT NOT NULL,
    reservation_ms BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
