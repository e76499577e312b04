-- Tags: free labels staff put on tickets ("refund", "vip", "bug-1234"), lower-case, at most 20 per
-- ticket. Written only by the desk (Tickets.setTags), in the transaction of the change.
create table ticket_tag (
    ticket_id bigint      not null references ticket (id),
    tag       varchar(50) not null,
    primary key (ticket_id, tag),
    constraint ticket_tag_chk check (tag = lower(tag) and tag = btrim(tag) and tag <> '')
);
-- "the tickets with this tag", the list's tag filter
create index ticket_tag_tag_idx on ticket_tag (tag, ticket_id);
