-- Each interaction's first contact message and the first agent message at or after it, kept
-- by triggers on every insert into messages (live sends, imported history, anything else), so
-- a report reads them from the interaction instead of seeking them per interaction. A message
-- inserted out of order (an import) still leaves the minimum: an earlier contact message moves
-- `first_in_at` and looks the first reply up again.
ALTER TABLE interactions ADD COLUMN first_in_at BIGINT;
ALTER TABLE interactions ADD COLUMN first_reply_at BIGINT;

UPDATE interactions SET first_in_at = (
    SELECT MIN(m.created_at) FROM messages m
    WHERE m.interaction_id = interactions.id AND m.author_kind = 'contact');
UPDATE interactions SET first_reply_at = (
    SELECT MIN(m.created_at) FROM messages m
    WHERE m.interaction_id = interactions.id AND m.author_kind = 'agent'
      AND m.created_at >= interactions.first_in_at)
WHERE first_in_at IS NOT NULL;

CREATE TRIGGER messages_first_in AFTER INSERT ON messages
WHEN NEW.author_kind = 'contact'
BEGIN
    UPDATE interactions SET first_in_at = NEW.created_at, first_reply_at = (
        SELECT MIN(m.created_at) FROM messages m
        WHERE m.interaction_id = NEW.interaction_id AND m.author_kind = 'agent'
          AND m.created_at >= NEW.created_at)
    WHERE id = NEW.interaction_id AND (first_in_at IS NULL OR first_in_at > NEW.created_at);
END;

CREATE TRIGGER messages_first_reply AFTER INSERT ON messages
WHEN NEW.author_kind = 'agent'
BEGIN
    UPDATE interactions SET first_reply_at = NEW.created_at
    WHERE id = NEW.interaction_id AND first_in_at <= NEW.created_at
      AND (first_reply_at IS NULL OR first_reply_at > NEW.created_at);
END;
