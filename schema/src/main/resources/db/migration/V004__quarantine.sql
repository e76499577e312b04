-- Quarantine of mail that could not be read (issue "Mail as customers really send it", item 5).
-- Additive only: a new table and an index, so an old node keeps working beside a new one.
--
-- The quarantine is every inbound_message with parse_status = 'failed' that has no row here.
-- Deriving "open" from the absence of a decision (rather than a state column that the ingest
-- path must set) means every failed mail is in quarantine the moment it is stored, whichever
-- node version stored it, including every failed mail stored before this migration.
--
-- A decision is made once: the primary key makes a second one impossible, so a double click, a
-- client retry or two staff members acting at once all end with the first decision, which a
-- repeat of the same action answers with. Nothing is ever deleted: the raw mail stays where it is.
create table quarantine_action (
    inbound_message_id bigint       primary key references inbound_message (id),
    action             varchar(16)  not null,
    actor              varchar(320) not null,
    ticket_id          bigint       references ticket (id),
    ticket_message_id  bigint       references ticket_message (id),
    outcome            text         not null default '',
    acted_at           timestamptz  not null default now(),
    constraint quarantine_action_action_chk check (action in ('retried', 'imported', 'dismissed'))
);

-- The quarantine list: failed mail, newest first.
create index inbound_message_status_received_idx on inbound_message (parse_status, received_at, id);
