-- Live updates: every change to a ticket, its messages or its tags is a row here, numbered by a
-- sequence (the position a browser resumes from), and a NOTIFY on channel ticketd_desk that every
-- node LISTENs to. Triggers write both, in the transaction of the change, so no writer (intake,
-- staff, the ticket timers, an older node in a rolling upgrade) can forget them, and a rolled-back
-- change sends nothing (PostgreSQL delivers a NOTIFY only at commit, in commit order).
-- The payload is ids only, never text of a mail: 'e:<position>:<ticket>:<group>[:<old group>]'.
-- Rows are kept a day (each node deletes older ones, a bounded batch at a time); a browser that
-- was away longer reloads.
create table desk_event (
    id           bigint generated always as identity primary key,
    ticket_id    bigint       not null,
    group_id     bigint       not null,
    -- the group the ticket left, when the change moved it: its members see it go
    old_group_id bigint,
    -- clock_timestamp(), not now(): when the row was written, which the resume's look-back uses
    created_at   timestamptz  not null default clock_timestamp()
);
create index desk_event_created_idx on desk_event (created_at);

-- The build's in-memory schema reader parses no functions or triggers; the code needs none of them.
-- [jooq ignore start]
create function ticketd_desk_event(t bigint, g bigint, old_g bigint) returns void
    language plpgsql as $$
declare
    position bigint;
begin
    insert into desk_event (ticket_id, group_id, old_group_id) values (t, g, old_g) returning id into position;
    perform pg_notify('ticketd_desk', 'e:' || position || ':' || t || ':' || g
                      || case when old_g is null then '' else ':' || old_g end);
end $$;

create function ticketd_ticket_changed() returns trigger
    language plpgsql as $$
begin
    perform ticketd_desk_event(new.id, new.group_id,
                               case when tg_op = 'UPDATE' and old.group_id <> new.group_id then old.group_id end);
    return null;
end $$;

create function ticketd_ticket_part_changed() returns trigger
    language plpgsql as $$
declare
    t bigint;
    g bigint;
begin
    t := case when tg_op = 'DELETE' then old.ticket_id else new.ticket_id end;
    select group_id into g from ticket where id = t;
    if g is not null then
        perform ticketd_desk_event(t, g, null);
    end if;
    return null;
end $$;

create trigger ticket_desk_event_insert after insert on ticket
    for each row execute function ticketd_ticket_changed();
create trigger ticket_desk_event_update after update on ticket
    for each row when (old.* is distinct from new.*) execute function ticketd_ticket_changed();
create trigger ticket_message_desk_event after insert on ticket_message
    for each row execute function ticketd_ticket_part_changed();
create trigger ticket_tag_desk_event after insert or delete on ticket_tag
    for each row execute function ticketd_ticket_part_changed();
-- [jooq ignore stop]
