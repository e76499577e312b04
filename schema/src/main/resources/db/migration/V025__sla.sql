-- Service level agreements (issue 16, item 4). Additive only (new tables, nullable columns,
-- indexes), so an old node keeps working beside a new one during a rolling upgrade; an old node
-- neither starts nor stops clocks, so a ticket it changes keeps its due time until the next change
-- a new node makes.

-- A business-hours calendar: a time zone, the hours of each working day of the week and holidays.
create table sla_calendar (
    id         bigint generated always as identity primary key,
    name       varchar(100) not null,
    time_zone  varchar(64)  not null,
    created_at timestamptz  not null default now(),
    constraint sla_calendar_name_uq unique (name),
    constraint sla_calendar_name_chk check (name = btrim(name) and name <> '')
);

-- One span of working time per day of the week (ISO: 1 = Monday … 7 = Sunday), in minutes after the
-- local midnight (1440: the day's end). A day without a row is not a working day.
create table sla_calendar_hours (
    calendar_id   bigint   not null references sla_calendar (id) on delete cascade,
    iso_day       smallint not null,
    opens_minute  smallint not null,
    closes_minute smallint not null,
    primary key (calendar_id, iso_day),
    constraint sla_calendar_hours_day_chk check (iso_day between 1 and 7),
    constraint sla_calendar_hours_span_chk check (0 <= opens_minute and opens_minute < closes_minute and closes_minute <= 1440)
);

-- Local dates on which nobody works.
create table sla_calendar_holiday (
    calendar_id bigint       not null references sla_calendar (id) on delete cascade,
    day         date         not null,
    name        varchar(100) not null default '',
    primary key (calendar_id, day)
);

-- The targets of one group's tickets of one priority, in seconds of business time (null: no target).
-- Without a calendar the clock runs around the clock. warn_before: a ticket shows "due soon" this
-- long before it is due (in real time). raise_priority: an escalation raises the priority one step.
create table sla_policy (
    id                     bigint generated always as identity primary key,
    group_id               bigint      not null references staff_group (id) on delete cascade,
    priority               varchar(16) not null,
    calendar_id            bigint      references sla_calendar (id),
    first_response_seconds bigint,
    next_response_seconds  bigint,
    resolution_seconds     bigint,
    warn_before_seconds    bigint      not null default 0,
    raise_priority         boolean     not null default false,
    updated_at             timestamptz not null default now(),
    constraint sla_policy_group_priority_uq unique (group_id, priority),
    constraint sla_policy_priority_chk check (priority in ('low', 'normal', 'high', 'urgent')),
    constraint sla_policy_targets_chk check (coalesce(first_response_seconds, 1) > 0 and coalesce(next_response_seconds, 1) > 0
        and coalesce(resolution_seconds, 1) > 0 and warn_before_seconds >= 0)
);

-- A ticket's running or paused clocks, one per target kind. A running clock has running_since and
-- due_at; a paused one (the ticket waits for the customer) has neither and keeps the business time
-- it used in used_seconds. escalated_due_at is the due time last escalated: a clock whose due time
-- moved (a retarget) can come due and be escalated again, once per due time. policy_id: the policy
-- it counts by (the ticket's when it started or was last retargeted; an escalation that raises the
-- priority does not change it); null once that policy was removed (the clock stops at its next change).
create table ticket_sla_clock (
    ticket_id        bigint      not null references ticket (id),
    kind             varchar(16) not null,
    policy_id        bigint      references sla_policy (id) on delete set null,
    started_at       timestamptz not null,
    used_seconds     bigint      not null default 0,
    running_since    timestamptz,
    due_at           timestamptz,
    escalated_due_at timestamptz,
    primary key (ticket_id, kind),
    constraint ticket_sla_clock_kind_chk check (kind in ('first_response', 'next_response', 'resolution')),
    constraint ticket_sla_clock_running_chk check ((running_since is null) = (due_at is null))
);
-- The escalation duty's query: due clocks not yet escalated for their due time, oldest first.
-- [jooq ignore start] (the build's in-memory schema reader cannot parse this predicate)
create index ticket_sla_clock_escalation_idx on ticket_sla_clock (due_at)
    where due_at is not null and escalated_due_at is distinct from due_at;
-- [jooq ignore stop]

-- The earliest due time of a ticket's running clocks, its kind, and when it shows "due soon":
-- written with the clocks in the same transaction, so lists sort and filter by index.
alter table ticket add column sla_due_at timestamptz;
alter table ticket add column sla_due_kind varchar(16);
alter table ticket add column sla_warn_at timestamptz;
create index ticket_sla_due_idx on ticket (sla_due_at, id) where sla_due_at is not null;
create index ticket_sla_warn_idx on ticket (sla_warn_at, id) where sla_warn_at is not null;

-- Every escalation, once per (ticket, target kind, due time): two runners racing, or a runner that
-- repeats a run after a failover, cannot escalate the same due time twice. epoch and node: the
-- duty's lease under which it was written.
create table sla_escalation (
    id           bigint generated always as identity primary key,
    ticket_id    bigint       not null references ticket (id),
    kind         varchar(16)  not null,
    due_at       timestamptz  not null,
    escalated_at timestamptz  not null default now(),
    epoch        bigint       not null,
    node         varchar(200) not null,
    raised_to    varchar(16),
    constraint sla_escalation_once_uq unique (ticket_id, kind, due_at)
);
create index sla_escalation_ticket_idx on sla_escalation (ticket_id, escalated_at);
