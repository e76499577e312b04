-- The view counts from the index alone again. Since V030 every list and count leaves merged
-- tickets out (merged_into_id is null), a column V018's index does not hold, so each count of
-- 1,001 entries also read 1,001 table rows: on a million tickets the list page's counts went from
-- under a millisecond to about 2 ms each (the page's p50 from 9.6 to 29 ms). The same index over
-- the tickets not merged answers them without a table row (an index-only scan). It replaces
-- V018's: every reader of that one filters merged tickets out (an older node's counts use this
-- one too).
-- The new index is built first: that blocks writes to the ticket table (not reads) for the build,
-- about 2 s at a million tickets; the old one is dropped last, its exclusive lock held only from
-- there to the commit. (CREATE INDEX CONCURRENTLY would block nothing, but it waits for every
-- open transaction, Flyway's own lock among them, which the server then ends as idle.) A lock not
-- granted within 10 s fails the migration rather than queue every other node's work behind it;
-- the node then stops and its next start tries again.
set local lock_timeout = '10s';
-- [jooq ignore start] (the build's in-memory schema reader cannot parse a partial index's predicate)
create index ticket_unmerged_status_group_owner_idx on ticket (status, group_id, owner_id) where merged_into_id is null;
-- [jooq ignore stop]
drop index ticket_status_group_owner_idx;
