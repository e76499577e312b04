-- The ticket lifecycle's time-based part. Additive only (nullable columns, a new table, indexes),
-- so an old node keeps working beside a new one during a rolling upgrade.

-- A pending ticket waits until pending_until for someone: the customer or us (pending_kind). When
-- that time passes, the cluster duty 'ticket-timers' opens the ticket again. Null on tickets set
-- pending before this migration or by an old node: those wait for a person, as before.
alter table ticket add column pending_until timestamptz;
alter table ticket add column pending_kind varchar(16);
alter table ticket add constraint ticket_pending_kind_chk check (pending_kind in ('customer', 'internal'));

-- When the ticket was last resolved; the duty closes a ticket resolved for longer than
-- tickets.close-resolved-after. Tickets resolved before this migration count from their last change.
alter table ticket add column resolved_at timestamptz;
update ticket set resolved_at = updated_at where status = 'resolved';

-- The due queries of the duty read only these partial indexes: they hold the pending and resolved
-- tickets only, and the duty takes the oldest due ones in a bounded batch.
create index ticket_pending_due_idx on ticket (pending_until, id) where status = 'pending';
create index ticket_resolved_due_idx on ticket (resolved_at, id) where status = 'resolved';

-- The fence of a cluster-wide duty, like mailbox_lease for a mailbox: whoever runs the duty takes
-- the lease (epoch + 1) first, and every transaction of the duty re-checks its epoch, so the writes
-- of a stale runner (frozen, cut off) fail.
create table duty_lease (
    duty        varchar(64)  primary key,
    epoch       bigint       not null default 0,
    holder      varchar(200),
    acquired_at timestamptz,
    constraint duty_lease_duty_chk check (duty ~ '^[a-z0-9][a-z0-9_-]*$')
);
