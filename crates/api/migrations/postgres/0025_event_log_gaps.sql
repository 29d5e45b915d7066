-- Ids of the event log this database never gave: a copy of it was restored (or is a copy made
-- to be restored), and the log it was copied from went on giving ids after `after_id`. The
-- restored log gives its next ids after `up_to`, so no id means two events; a client that
-- comes back with a `Last-Event-ID` in (after_id, up_to] saw events this log does not have,
-- and reloads what it shows (`resync`) instead of replaying.
CREATE TABLE event_log_gaps (
    after_id BIGINT NOT NULL,
    up_to BIGINT NOT NULL,
    at BIGINT NOT NULL
);
