-- Roles: agent (answers chats), supervisor (sees and manages agents' work), administrator
-- (configures). Existing accounts stay agents.
ALTER TABLE agents ADD COLUMN role TEXT NOT NULL DEFAULT 'agent';
-- A deactivated account cannot log in and is never offered work; its rows stay for history.
ALTER TABLE agents ADD COLUMN deactivated_at BIGINT;

-- Every administrative change: who (an account, or none for the command line), what, when,
-- and the thing before and after (JSON). Written in the same transaction as the change.
CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at BIGINT NOT NULL,
    actor_id BIGINT REFERENCES agents(id),
    action TEXT NOT NULL,
    target_kind TEXT NOT NULL,
    target_id TEXT NOT NULL,
    before_json TEXT,
    after_json TEXT
);
CREATE INDEX audit_log_at ON audit_log(at);
CREATE INDEX audit_log_target ON audit_log(target_kind, target_id, at);
CREATE INDEX audit_log_actor ON audit_log(actor_id, at);
