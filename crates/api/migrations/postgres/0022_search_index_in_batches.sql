-- The SQLite counterpart (../sqlite/0022_search_index_in_batches.sql) writes its full-text index
-- in batches apart from the messages. Here the index (GIN over the stored `text_search` column)
-- is written with each row and nothing changes; this file keeps the two lists in step.
SELECT 1;
