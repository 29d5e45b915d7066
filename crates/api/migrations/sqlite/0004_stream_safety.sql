-- An agent's stream ticket belongs to the session that asked for it: logging out or changing
-- the password ends that session's unredeemed tickets (and a ticket of an ended session is
-- refused). Visitor tickets have none.
ALTER TABLE stream_tickets ADD COLUMN session_hash TEXT;
CREATE INDEX stream_tickets_session ON stream_tickets(session_hash);

-- Opening a stream replays a contact's or an agent's events after an id: without these, that
-- read walked the whole log from a client-chosen id.
CREATE INDEX events_contact ON events(contact_id, id);
CREATE INDEX events_agent ON events(agent_id, id);
