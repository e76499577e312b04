-- The self-watch (issue "The help desk watches itself"). New tables only, so an old node keeps
-- working beside a new one during a rolling upgrade.

-- One row per alert episode: from the moment a rule fired for a subject (a mailbox, a node, the
-- database) until it cleared. At most one episode per rule and subject is open (the unique partial
-- index): whichever node inserts it first owns the alert, so the cluster sends one per episode.
create table alert_episode (
    id               bigint generated always as identity primary key,
    rule             varchar(64)  not null,
    subject          varchar(200) not null,
    severity         varchar(16)  not null,
    summary          text         not null,
    opened_at        timestamptz  not null default now(),
    opened_by        varchar(100) not null,
    reminders        integer      not null default 0,
    last_reminded_at timestamptz,
    closed_at        timestamptz,
    closed_by        varchar(100),
    constraint alert_episode_severity_chk check (severity in ('stall', 'warning', 'info'))
);
create unique index alert_episode_open_uq on alert_episode (rule, subject) where closed_at is null;
create index alert_episode_closed_idx on alert_episode (closed_at) where closed_at is not null;

-- One row per notice (the opening alert, each reminder, the all-clear) and channel: inserted by the
-- node that sends it (a claim), marked sent when the channel took it. A notice whose send failed is
-- claimed again later, by any node; one that was sent is never sent again.
create table alert_notice (
    episode_id  bigint       not null references alert_episode (id),
    event       varchar(16)  not null,
    channel     varchar(32)  not null,
    claimed_by  varchar(100) not null,
    claimed_at  timestamptz  not null default now(),
    attempts    integer      not null default 1,
    sent_at     timestamptz,
    last_error  text,
    primary key (episode_id, event, channel)
);

-- When each node's self-watch last looked at the cluster. A node that is not the watch's runner
-- takes the looking over when no other node has looked for a while (the runner is gone and Helix
-- could not move the duty, e.g. without ZooKeeper), and stops when another node looks again.
create table watch_state (
    node_id      varchar(100) primary key,
    evaluated_at timestamptz  not null
);
