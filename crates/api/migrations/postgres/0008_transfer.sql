-- Transfer: while a transferred chat waits for its next agent (offered to a colleague, or back
-- in the queue), who handed it on, their note to the next agent, and whom it returns to when
-- the colleague rejects it or the offer times out (none: it goes to the queue). Cleared when an
-- agent takes the chat or it returns.
ALTER TABLE interactions ADD COLUMN transfer_from BIGINT REFERENCES agents(id);
ALTER TABLE interactions ADD COLUMN transfer_note TEXT;
ALTER TABLE interactions ADD COLUMN transfer_return_to BIGINT REFERENCES agents(id);
