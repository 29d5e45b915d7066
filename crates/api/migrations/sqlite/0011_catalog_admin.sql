-- Disposition codes and Not Ready reasons can be retired by administrators: a retired code is
-- no longer offered to agents, but stays for the interactions and agents that carry it (and
-- the reports grouped by it).
ALTER TABLE dispositions ADD COLUMN active BIGINT NOT NULL DEFAULT 1;
ALTER TABLE not_ready_reasons ADD COLUMN active BIGINT NOT NULL DEFAULT 1;
