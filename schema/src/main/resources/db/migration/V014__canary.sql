-- The canary (issue "The help desk watches itself"): a tagged mail sent to each support mailbox
-- through its real SMTP route, expected back as an inbound message. New table only.

-- One row per canary mail, inserted before it is sent. Intake recognises a canary by its
-- X-Ticketd-Canary header only when the token is here, for that mailbox, and not yet received: it
-- stores the mail like any other (the same exactly-once keys) but attaches it to no ticket, and
-- marks the row received. A forged or stale header is ordinary mail.
create table canary_probe (
    id                 bigint generated always as identity primary key,
    mailbox_id         varchar(64)  not null references mailbox (id) on delete cascade,
    token              varchar(64)  not null unique,
    message_id         varchar(200) not null,
    sent_by            varchar(100) not null,
    sent_at            timestamptz  not null default now(),
    send_error         text,
    received_at        timestamptz,
    inbound_message_id bigint references inbound_message (id) on delete set null
);
create index canary_probe_mailbox_sent_idx on canary_probe (mailbox_id, sent_at desc);
create index canary_probe_inbound_idx on canary_probe (inbound_message_id) where inbound_message_id is not null;
