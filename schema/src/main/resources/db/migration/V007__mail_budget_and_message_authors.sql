-- No mail can block a mailbox (issue 10). Additive only: a new table and a nullable column, so an
-- old node keeps working beside a new one.

-- The sender as this mail named them ("Ann Example" in its From header). The contact keeps one
-- name for all of its mail; a message shows the name its own mail gave. Null on messages stored
-- before this migration and on staff messages: the page falls back to the contact's name.
alter table ticket_message add column author_name text;

-- A mail that failed its pass, by IMAP coordinates: how often, and the latest error. The reader
-- counts here (outside the mail's own transaction, which rolled back) and, after the configured
-- number of failed passes, stores the mail raw in the quarantine instead of trying it for ever.
-- Kept in the database so the count survives a leader change: a new leader does not start over.
-- A row is removed when its mail is stored.
create table mail_failure (
    mailbox_id      varchar(64)  not null references mailbox (id),
    uidvalidity     bigint       not null,
    uid             bigint       not null,
    attempts        integer      not null,
    last_error      text         not null,
    first_failed_at timestamptz  not null default now(),
    last_failed_at  timestamptz  not null default now(),
    primary key (mailbox_id, uidvalidity, uid)
);
