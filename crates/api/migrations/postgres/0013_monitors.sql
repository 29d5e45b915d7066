-- Monitor: a supervisor watching a live chat read-only. One row per supervisor and
-- interaction, tied to the supervisor's session (it ends with it) and deleted when they stop or
-- the chat session ends. The agent holding the chat reads these with their work.
CREATE TABLE monitors (
    interaction_id BIGINT NOT NULL REFERENCES interactions(id),
    supervisor_id BIGINT NOT NULL REFERENCES agents(id),
    session_hash TEXT NOT NULL,
    started_at BIGINT NOT NULL,
    PRIMARY KEY (interaction_id, supervisor_id)
);
CREATE INDEX monitors_session ON monitors(session_hash);
