-- The supervisor's board: a stream ticket may open the board stream (every event agents see)
-- instead of one agent's; and an agent's status records when it last changed, for "time in
-- status".
ALTER TABLE stream_tickets ADD COLUMN board BIGINT NOT NULL DEFAULT 0;
ALTER TABLE agents ADD COLUMN status_since BIGINT;
