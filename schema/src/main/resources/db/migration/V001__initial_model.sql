-- The help desk's first model. Migrations are additive (new tables, nullable or defaulted
-- columns), so an old and a new node can run side by side during a rolling upgrade.
-- Strings that carry a unique constraint or an index are varchar(n): jOOQ's build-time model
-- replays this file in H2, which cannot index text.

-- A support address that the help desk reads over IMAP and answers from over SMTP.
-- Passwords are never stored: secret_ref names the configuration key / environment variable
-- that holds the secret on each node.
create table mailbox (
    id               varchar(64)  primary key,
    address          varchar(320) not null,
    display_name     text         not null default '',
    imap_host        varchar(255) not null,
    imap_port        integer      not null,
    imap_security    varchar(16)  not null default 'none',
    imap_user        varchar(320) not null,
    smtp_host        varchar(255),
    smtp_port        integer,
    smtp_security    varchar(16)  not null default 'none',
    smtp_user        varchar(320),
    secret_ref       varchar(100) not null,
    inbox_folder     varchar(255) not null default 'INBOX',
    processed_folder varchar(255) not null default 'Processed',
    enabled          boolean      not null default true,
    created_at       timestamptz  not null default now(),
    constraint mailbox_address_uq unique (address),
    constraint mailbox_id_chk check (id ~ '^[a-z0-9][a-z0-9_-]*$'),
    constraint mailbox_imap_security_chk check (imap_security in ('none', 'starttls', 'tls')),
    constraint mailbox_smtp_security_chk check (smtp_security in ('none', 'starttls', 'tls')),
    constraint mailbox_imap_port_chk check (imap_port between 1 and 65535)
);

-- The fence: whoever reads a mailbox first increments epoch; every ingest transaction re-checks
-- its epoch in the same transaction as its writes, so a stale reader can never commit.
create table mailbox_lease (
    mailbox_id  varchar(64)  primary key references mailbox (id),
    epoch       bigint       not null default 0,
    holder      varchar(200),
    acquired_at timestamptz
);

-- Customers.
create table contact (
    id           bigint generated always as identity primary key,
    email        varchar(320) not null,
    display_name text         not null default '',
    created_at   timestamptz  not null default now(),
    constraint contact_email_uq unique (email)
);

create table staff_user (
    id            bigint generated always as identity primary key,
    email         varchar(320) not null,
    display_name  text         not null,
    password_hash text         not null,
    role          varchar(16)  not null default 'agent',
    active        boolean      not null default true,
    created_at    timestamptz  not null default now(),
    constraint staff_user_email_uq unique (email),
    constraint staff_user_role_chk check (role in ('agent', 'admin'))
);

-- Every mail the help desk took in, as the raw RFC 822 bytes, stored before anything else is done.
-- A mail is recognised as already stored by its IMAP coordinates and by a canonical content key
-- (a hash of the body and the stable headers), both enforced here, never by a check-then-insert.
create table inbound_message (
    id           bigint generated always as identity primary key,
    mailbox_id   varchar(64)  not null references mailbox (id),
    uidvalidity  bigint       not null,
    uid          bigint       not null,
    content_key  varchar(64)  not null,
    raw_sha256   varchar(64)  not null,
    raw          bytea        not null,
    size_bytes   integer      not null,
    message_id   varchar(998),
    from_address varchar(320),
    subject      text,
    sent_at      timestamptz,
    received_at  timestamptz  not null default now(),
    parse_status varchar(16)  not null,
    parse_error  text,
    epoch        bigint       not null,
    constraint inbound_message_uid_uq unique (mailbox_id, uidvalidity, uid),
    constraint inbound_message_content_uq unique (mailbox_id, content_key),
    constraint inbound_message_parse_status_chk check (parse_status in ('parsed', 'failed'))
);
create index inbound_message_message_id_idx on inbound_message (message_id);

-- Human ticket numbers: T-1000, T-1001, ...
create sequence ticket_number_seq start with 1000;

create table ticket (
    id              bigint generated always as identity primary key,
    number          varchar(32)  not null,
    mailbox_id      varchar(64)  references mailbox (id),
    subject         text         not null,
    status          varchar(16)  not null default 'open',
    priority        varchar(16)  not null default 'normal',
    requester_id    bigint       not null references contact (id),
    assignee_id     bigint       references staff_user (id),
    created_at      timestamptz  not null default now(),
    updated_at      timestamptz  not null default now(),
    last_message_at timestamptz  not null default now(),
    constraint ticket_number_uq unique (number),
    constraint ticket_status_chk check (status in ('open', 'pending', 'resolved', 'closed')),
    constraint ticket_priority_chk check (priority in ('low', 'normal', 'high', 'urgent'))
);
create index ticket_created_idx on ticket (created_at, id);
create index ticket_status_created_idx on ticket (status, created_at, id);

-- The thread of a ticket. An inbound mail is attached to at most one ticket message (unique),
-- and a staff reply is created once per idempotency key (unique).
create table ticket_message (
    id                 bigint generated always as identity primary key,
    ticket_id          bigint        not null references ticket (id),
    kind               varchar(16)   not null,
    author_contact_id  bigint        references contact (id),
    author_staff_id    bigint        references staff_user (id),
    inbound_message_id bigint        references inbound_message (id),
    body_text          text          not null default '',
    body_html          text,
    idempotency_key    varchar(100),
    created_at         timestamptz   not null default now(),
    constraint ticket_message_inbound_uq unique (inbound_message_id),
    constraint ticket_message_idempotency_uq unique (idempotency_key),
    constraint ticket_message_kind_chk check (kind in ('inbound', 'outbound', 'note'))
);
create index ticket_message_ticket_idx on ticket_message (ticket_id, created_at);
comment on column ticket_message.body_html is 'Sanitised HTML only: never the HTML as it arrived';

create table attachment (
    id                bigint generated always as identity primary key,
    ticket_message_id bigint        not null references ticket_message (id),
    filename          text          not null,
    content_type      varchar(255)  not null,
    content_id        varchar(998),
    size_bytes        bigint        not null,
    content           bytea         not null,
    created_at        timestamptz   not null default now()
);
create index attachment_message_idx on attachment (ticket_message_id);

-- Staff browser sessions; the token itself is never stored, only its SHA-256.
create table web_session (
    token_sha256 varchar(64)  primary key,
    user_id      bigint       not null references staff_user (id),
    csrf_token   varchar(64)  not null,
    created_at   timestamptz  not null default now(),
    expires_at   timestamptz  not null
);
create index web_session_user_idx on web_session (user_id);

-- Bearer tokens for the JSON API; stored as SHA-256 only.
create table api_token (
    id           bigint generated always as identity primary key,
    token_sha256 varchar(64)  not null,
    user_id      bigint       not null references staff_user (id),
    name         text         not null default '',
    created_at   timestamptz  not null default now(),
    revoked_at   timestamptz,
    constraint api_token_sha_uq unique (token_sha256)
);

-- Outbound mail waits here until the mailbox's leader sends it; each has a stable Message-ID.
create table outbox (
    id                bigint generated always as identity primary key,
    mailbox_id        varchar(64)   not null references mailbox (id),
    ticket_id         bigint        not null references ticket (id),
    ticket_message_id bigint        references ticket_message (id),
    message_id        varchar(998)  not null,
    to_address        varchar(320)  not null,
    subject           text          not null,
    body_text         text          not null,
    in_reply_to       varchar(998),
    references_header text,
    status            varchar(16)   not null default 'pending',
    attempts          integer       not null default 0,
    last_error        text,
    created_at        timestamptz   not null default now(),
    sent_at           timestamptz,
    constraint outbox_message_id_uq unique (message_id),
    constraint outbox_ticket_message_uq unique (ticket_message_id),
    constraint outbox_status_chk check (status in ('pending', 'sending', 'sent', 'failed'))
);
create index outbox_pending_idx on outbox (mailbox_id, status, id);

create table audit_log (
    id         bigint generated always as identity primary key,
    at         timestamptz  not null default now(),
    actor      varchar(320) not null,
    action     varchar(64)  not null,
    ticket_id  bigint       references ticket (id),
    detail     jsonb        not null default '{}'::jsonb
);
create index audit_log_ticket_idx on audit_log (ticket_id, at);
