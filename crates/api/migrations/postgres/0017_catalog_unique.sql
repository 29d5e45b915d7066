-- The catalog's names are unique where agents pick from them: a category's name under its
-- parent, a standard response's title in its category, a code's label in its list. The
-- administration code checks first (for a message that names the clash); these indexes keep
-- two administrators saving at the same moment from both getting through.
CREATE UNIQUE INDEX response_categories_name ON response_categories(COALESCE(parent_id, 0), name);
CREATE UNIQUE INDEX standard_responses_title ON standard_responses(category_id, title);
CREATE UNIQUE INDEX dispositions_label ON dispositions(label);
CREATE UNIQUE INDEX not_ready_reasons_label ON not_ready_reasons(label);
