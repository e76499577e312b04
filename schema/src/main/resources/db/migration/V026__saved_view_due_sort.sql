-- A saved view may be sorted by SLA due time (sort=due, V025). An old node that reads such a view
-- during a rolling upgrade shows it as one that can no longer be read, and changes nothing.
alter table saved_view drop constraint saved_view_sort_chk;
alter table saved_view add constraint saved_view_sort_chk check (sort in ('newest', 'oldest', 'due'));
