-- What the reader of each mailbox last saw, written by the leader after every pass, so that any
-- node can show it on the cluster page. Only a reader with the same or a newer epoch overwrites
-- a row: a stale reader cannot make the page lie.
create table mailbox_status (
    mailbox_id   varchar(64)  primary key references mailbox (id),
    epoch        bigint       not null,
    last_pass_at timestamptz  not null,
    backlog      integer      not null,
    last_error   text,
    updated_at   timestamptz  not null default now()
);
