-- Saved views: a member of staff's own lists of tickets, each a name, the list's filter and its
-- sort, shown after the built-in views with a bounded count. The filter is kept as the query
-- string the list itself writes (TicketFilter.query(): status, priority, group, owner, tag, q), so
-- a view is read back through the same parser that checks a typed URL, and a view that names a
-- group its owner cannot see selects nothing of it. The service allows at most 30 per person.
create table saved_view (
    id         bigint generated always as identity primary key,
    owner_id   bigint       not null references staff_user (id) on delete cascade,
    name       varchar(60)  not null,
    query      varchar(2000) not null default '',
    sort       varchar(16)  not null default 'newest',
    created_at timestamptz  not null default now(),
    constraint saved_view_name_chk check (name = btrim(name) and name <> ''),
    constraint saved_view_sort_chk check (sort in ('newest', 'oldest'))
);

-- One name once per person, whatever its case; also the index that finds a person's views.
-- [jooq ignore start] (the build's in-memory schema reader has no expression indexes)
create unique index saved_view_owner_name_uq on saved_view (owner_id, lower(name));
-- [jooq ignore stop]
