-- Presence: who has a ticket open ("viewing") or is writing in its reply or note box ("replying").
-- One row per browser page (client_id, made by the page), refreshed by the page every few seconds;
-- a row not refreshed within the expiry the nodes apply (seen_at + expiry) counts as gone, and
-- every node deletes such rows periodically. Nothing here is needed for correctness: losing the
-- table's rows loses only the "is viewing" line. A change is announced with
-- NOTIFY ticketd_desk 'p:<ticket>:<group>' by the node that made it.
create table ticket_presence (
    ticket_id bigint       not null references ticket (id),
    staff_id  bigint       not null references staff_user (id),
    client_id varchar(40)  not null,
    activity  varchar(16)  not null,
    seen_at   timestamptz  not null default now(),
    primary key (ticket_id, staff_id, client_id),
    constraint ticket_presence_activity_chk check (activity in ('viewing', 'replying'))
);
-- the periodic clean-up of expired rows
create index ticket_presence_seen_idx on ticket_presence (seen_at);
