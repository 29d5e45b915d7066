-- When a visitor's widget was last connected (an event stream open on some instance), in ms
-- since the epoch. On a channel without asynchronous chat, a visitor away longer than the
-- presence timeout has left: their chat ends, or leaves the queue unanswered.
ALTER TABLE contacts ADD COLUMN visitor_seen_at BIGINT;
