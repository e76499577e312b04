-- The list's view counts from the index alone: every built-in view is a status, a group and an
-- owner (or none) among the groups a viewer may see, so each count reads at most 1,001 entries of
-- this index and no table row (an index-only scan; measured on a million tickets: 0.3 ms per view
-- instead of 15-27 ms through the (status, created_at) and (group_id, created_at) indexes).
create index ticket_status_group_owner_idx on ticket (status, group_id, owner_id);
