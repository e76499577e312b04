-- Which mailbox secrets each node holds, by name only (never a value): every node writes its row
-- when it starts, so the admin screens can say which nodes could not read a mailbox.
create table node_secrets (
    node_id     varchar(64)  primary key,
    secret_refs varchar(100)[] not null,
    reported_at timestamptz  not null default now()
);
