-- Threadline schema (PostgreSQL). Timestamps are milliseconds since the Unix epoch (UTC).
-- Keep in step with ../sqlite/0001_init.sql: the same tables, columns and meaning.

CREATE TABLE agents (
    id BIGSERIAL PRIMARY KEY,
    login TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    capacity BIGINT NOT NULL DEFAULT 3,
    ready BIGINT NOT NULL DEFAULT 0,
    not_ready_reason TEXT NOT NULL DEFAULT 'logged_out',
    last_ready_at BIGINT,
    last_routed_at BIGINT,
    last_seen_at BIGINT,
    created_at BIGINT NOT NULL
);

CREATE TABLE agent_sessions (
    token_hash TEXT PRIMARY KEY,
    agent_id BIGINT NOT NULL REFERENCES agents(id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX agent_sessions_agent ON agent_sessions(agent_id);

CREATE TABLE contacts (
    id BIGSERIAL PRIMARY KEY,
    first_name TEXT NOT NULL DEFAULT '',
    last_name TEXT NOT NULL DEFAULT '',
    email TEXT,
    phone TEXT,
    notes TEXT NOT NULL DEFAULT '',
    last_seq BIGINT NOT NULL DEFAULT 0,
    last_agent_id BIGINT REFERENCES agents(id),
    last_writer_agent_id BIGINT REFERENCES agents(id),
    last_activity_at BIGINT NOT NULL,
    last_message TEXT,
    has_private BIGINT NOT NULL DEFAULT 0,
    has_public BIGINT NOT NULL DEFAULT 0,
    channels TEXT NOT NULL DEFAULT '',
    visitor_delivered_seq BIGINT NOT NULL DEFAULT 0,
    visitor_read_seq BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);
CREATE INDEX contacts_activity ON contacts(last_activity_at DESC, id DESC);

CREATE TABLE contact_identities (
    kind TEXT NOT NULL,
    value TEXT NOT NULL,
    contact_id BIGINT NOT NULL REFERENCES contacts(id),
    PRIMARY KEY (kind, value)
);
CREATE INDEX contact_identities_contact ON contact_identities(contact_id);

CREATE TABLE visitor_tokens (
    token_hash TEXT PRIMARY KEY,
    contact_id BIGINT NOT NULL REFERENCES contacts(id),
    created_at BIGINT NOT NULL
);

CREATE TABLE interactions (
    id BIGSERIAL PRIMARY KEY,
    contact_id BIGINT NOT NULL REFERENCES contacts(id),
    channel TEXT NOT NULL,
    state TEXT NOT NULL,
    agent_id BIGINT REFERENCES agents(id),
    created_at BIGINT NOT NULL,
    accepted_at BIGINT,
    ended_at BIGINT,
    ended_by TEXT,
    done_at BIGINT,
    disposition TEXT,
    reactivated_from BIGINT REFERENCES interactions(id),
    reactivated_by TEXT,
    continued_as BIGINT REFERENCES interactions(id),
    handle_time_ms BIGINT NOT NULL DEFAULT 0,
    offer_expires_at BIGINT,
    reserved_for BIGINT REFERENCES agents(id),
    reserved_until BIGINT,
    queued_at BIGINT
);
CREATE INDEX interactions_contact ON interactions(contact_id, id);
CREATE INDEX interactions_agent_state ON interactions(agent_id, state);
CREATE INDEX interactions_state ON interactions(state, queued_at);

CREATE TABLE offer_declines (
    interaction_id BIGINT NOT NULL REFERENCES interactions(id),
    agent_id BIGINT NOT NULL REFERENCES agents(id),
    reason TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX offer_declines_interaction ON offer_declines(interaction_id);

CREATE TABLE attachments (
    id BIGSERIAL PRIMARY KEY,
    file_key TEXT NOT NULL UNIQUE,
    owner TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    width BIGINT NOT NULL,
    height BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    file_name TEXT NOT NULL,
    bytes BYTEA NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE messages (
    id BIGSERIAL PRIMARY KEY,
    contact_id BIGINT NOT NULL REFERENCES contacts(id),
    interaction_id BIGINT NOT NULL REFERENCES interactions(id),
    seq BIGINT NOT NULL,
    author_kind TEXT NOT NULL,
    agent_id BIGINT REFERENCES agents(id),
    author_key TEXT NOT NULL,
    client_id TEXT,
    text TEXT NOT NULL,
    system_line TEXT,
    attachment_id BIGINT REFERENCES attachments(id),
    created_at BIGINT NOT NULL,
    delivered_at BIGINT,
    read_at BIGINT
);
CREATE UNIQUE INDEX messages_contact_seq ON messages(contact_id, seq);
CREATE UNIQUE INDEX messages_client_id ON messages(author_key, client_id);
CREATE INDEX messages_interaction ON messages(interaction_id, seq);

CREATE INDEX messages_fts ON messages USING GIN (to_tsvector('simple', text));

CREATE TABLE agent_contact_reads (
    agent_id BIGINT NOT NULL REFERENCES agents(id),
    contact_id BIGINT NOT NULL REFERENCES contacts(id),
    read_seq BIGINT NOT NULL,
    PRIMARY KEY (agent_id, contact_id)
);

CREATE TABLE response_categories (
    id BIGSERIAL PRIMARY KEY,
    parent_id BIGINT REFERENCES response_categories(id),
    name TEXT NOT NULL
);

CREATE TABLE standard_responses (
    id BIGSERIAL PRIMARY KEY,
    category_id BIGINT NOT NULL REFERENCES response_categories(id),
    title TEXT NOT NULL,
    body TEXT NOT NULL
);

CREATE TABLE dispositions (
    code TEXT PRIMARY KEY,
    label TEXT NOT NULL,
    position BIGINT NOT NULL
);

CREATE TABLE not_ready_reasons (
    code TEXT PRIMARY KEY,
    label TEXT NOT NULL,
    position BIGINT NOT NULL
);

CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE handle_time_segments (
    id BIGSERIAL PRIMARY KEY,
    interaction_id BIGINT NOT NULL REFERENCES interactions(id),
    agent_id BIGINT NOT NULL REFERENCES agents(id),
    started_at BIGINT NOT NULL,
    ended_at BIGINT NOT NULL
);

CREATE TABLE stream_tickets (
    ticket_hash TEXT PRIMARY KEY,
    agent_id BIGINT REFERENCES agents(id),
    contact_id BIGINT REFERENCES contacts(id),
    head BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);

-- The event log. Every change an agent or a visitor must see is appended here in the same
-- transaction as the change; the live streams read from it.
CREATE TABLE events (
    id BIGSERIAL PRIMARY KEY,
    at BIGINT NOT NULL,
    agent_id BIGINT,
    to_agents BIGINT NOT NULL,
    contact_id BIGINT,
    to_visitor BIGINT NOT NULL,
    payload TEXT NOT NULL
);
CREATE INDEX events_at ON events(at);
