-- One mail sent to two of our addresses, and staff reply signatures (issue "Mail as customers
-- really send it", items 2 and 6). Additive only: a new table and nullable columns, so an old node
-- keeps working beside a new one (an old node still opens a ticket per mailbox, as before).

-- The first stored copy of each mail, across all mailboxes, by its content key (ContentKey: the
-- body and the author's headers, never the delivery headers, so the copies delivered to two of our
-- addresses share it; a mail without a Message-ID also hashes its exact bytes, so unrelated mails
-- are never merged). The ingest transaction inserts here with ON CONFLICT DO NOTHING before it
-- touches any ticket: when two mailbox leaders store copies at once, the primary key makes the
-- second wait for the first to commit and then see the conflict, so exactly one copy opens or
-- joins a ticket. A row exists only for mail that was parsed.
create table mail_content (
    content_key        varchar(64)  primary key,
    inbound_message_id bigint       not null references inbound_message (id),
    created_at         timestamptz  not null default now()
);

-- A later copy is still stored under its own IMAP coordinates (so its reader moves it to
-- Processed and never reads it again), pointing at the first copy, with no ticket message.
alter table inbound_message add column copy_of_inbound_message_id bigint
    constraint inbound_message_copy_of_fk references inbound_message (id);

-- Appended to a staff reply's outgoing mail (plain text), above the quoted previous message.
alter table mailbox add column signature text;
