-- The stale-reply guard: a staff reply composed against an older state of its ticket (a customer
-- mail or another agent's reply arrived meanwhile) is not mailed but held here, whole (text and
-- files), until its author sends it anyway (then it becomes an ordinary outbound ticket_message
-- with the same idempotency key, and sent_message_id points at it) or discards it.
-- The check and the insert happen under the ticket's row lock (ReplyService), so two nodes cannot
-- both decide "fresh". Additive: older nodes never read these tables and reply as before.
create table held_reply (
    id              bigint generated always as identity primary key,
    ticket_id       bigint        not null references ticket (id),
    author_staff_id bigint        not null references staff_user (id),
    body_text       text          not null,
    -- the reply request's key: a replay answers this row, never a second one (unique across tickets)
    idempotency_key varchar(100)  not null,
    -- the version the author saw: the id of the newest customer message or staff reply shown, 0 for none
    seen_message_id bigint        not null,
    status          varchar(16)   not null default 'held',
    sent_message_id bigint        references ticket_message (id),
    created_at      timestamptz   not null default now(),
    decided_at      timestamptz,
    constraint held_reply_idempotency_uq unique (idempotency_key),
    constraint held_reply_status_chk check (status in ('held', 'sent', 'discarded')),
    constraint held_reply_seen_chk check (seen_message_id >= 0)
);
-- "Needs attention": a person's held replies, newest first, read from this index and bounded.
create index held_reply_author_held_idx on held_reply (author_staff_id, created_at, id) where status = 'held';
-- A ticket page's held replies.
create index held_reply_ticket_held_idx on held_reply (ticket_id) where status = 'held';

-- A held reply's files, kept until it is sent (then copied to the message's attachments) or discarded.
create table held_reply_attachment (
    id            bigint generated always as identity primary key,
    held_reply_id bigint        not null references held_reply (id),
    filename      text          not null,
    content_type  varchar(255)  not null,
    size_bytes    bigint        not null,
    content       bytea         not null
);
create index held_reply_attachment_reply_idx on held_reply_attachment (held_reply_id);
