-- The page (path) of the company website an anonymous visitor first started a chat from, so
-- agents can tell visitors apart ("Visitor 4821 · /pricing").
ALTER TABLE contacts ADD COLUMN start_page TEXT;
