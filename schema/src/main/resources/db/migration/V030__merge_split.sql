-- Merge, split and links (issue 16 item 7). Additive only: an older node in a rolling upgrade
-- ignores the new column and tables (it lists a merged ticket as a closed one, and threads a reply
-- to a merged ticket's mail into the merged ticket, which then reads as a follow-up).

-- A merged ticket points at the ticket its messages moved to. Intake follows the pointer (and the
-- pointer of that ticket, for a chain A -> B -> C) when a mail matches a merged ticket. The desk
-- merges only into a ticket that is not merged itself, so the pointers never form a cycle; the
-- check below keeps a ticket from pointing at itself.
alter table ticket add column merged_into_id bigint constraint ticket_merged_into_fk references ticket (id);
alter table ticket add constraint ticket_merged_into_self_chk check (merged_into_id <> id);
create index ticket_merged_into_idx on ticket (merged_into_id);

-- One merge of source into target: what undoing it needs. The source's status and pending time
-- before the merge are restored by an undo; undone_at marks a merge undone (kept for the record).
create table ticket_merge (
    id                   bigint generated always as identity primary key,
    source_ticket_id     bigint       not null references ticket (id),
    target_ticket_id     bigint       not null references ticket (id),
    merged_by            varchar(320) not null,
    merged_at            timestamptz  not null default now(),
    source_status        varchar(16)  not null,
    source_pending_until timestamptz,
    source_pending_kind  varchar(16),
    undone_at            timestamptz,
    undone_by            varchar(320),
    constraint ticket_merge_not_itself_chk check (source_ticket_id <> target_ticket_id)
);
create index ticket_merge_source_idx on ticket_merge (source_ticket_id, id);
create index ticket_merge_target_idx on ticket_merge (target_ticket_id, id);

-- Exactly the messages a merge moved: an undo moves these back and no others (mail that arrived on
-- the target since stays there).
create table ticket_merge_message (
    merge_id          bigint not null references ticket_merge (id),
    ticket_message_id bigint not null references ticket_message (id),
    primary key (merge_id, ticket_message_id)
);

-- The tags a merge added to the target (the source's that the target lacked): an undo removes them.
create table ticket_merge_tag (
    merge_id bigint      not null references ticket_merge (id),
    tag      varchar(50) not null,
    primary key (merge_id, tag)
);

-- Parent/child links between tickets, set and removed by staff (a problem and its incidents, a
-- task and its parts). A ticket has any number of children and parents; a link is one row.
create table ticket_link (
    parent_ticket_id bigint       not null references ticket (id),
    child_ticket_id  bigint       not null references ticket (id),
    created_by       varchar(320) not null,
    created_at       timestamptz  not null default now(),
    primary key (parent_ticket_id, child_ticket_id),
    constraint ticket_link_not_itself_chk check (parent_ticket_id <> child_ticket_id)
);
create index ticket_link_child_idx on ticket_link (child_ticket_id, parent_ticket_id);
