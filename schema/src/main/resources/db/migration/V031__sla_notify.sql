-- Escalation mails to the ticket's group (issue 16, item 4). Additive: a defaulted column, nullable
-- columns, a wider check constraint, a dropped not-null and partial indexes, so an old node keeps
-- working beside a new one during a rolling upgrade (an old node neither marks escalations for a
-- mail nor writes one; it sends a 'notify' row it finds as plain text).

-- Opt-in per policy: an escalation under it mails the members of the ticket's group.
alter table sla_policy add column notify_group boolean not null default false;

-- notify_group_id: the group to be told of this escalation (the ticket's group when it escalated),
-- set in the escalation's own transaction; null: nobody is to be told (the policy does not ask, or
-- an older node wrote it). notified_at: when the escalation went into a group's digest mail (set in
-- the transaction that writes that mail into the outbox, so it is mailed once); notified_to: how
-- many people that mail went to (0: the group had nobody to tell, or there was no mailbox to send from).
alter table sla_escalation add column notify_group_id bigint references staff_group (id);
alter table sla_escalation add column notified_at timestamptz;
alter table sla_escalation add column notified_to integer;
-- [jooq ignore start] (the build's in-memory schema reader cannot parse these predicates)
-- the escalations waiting for their group's digest
create index sla_escalation_notify_due_idx on sla_escalation (notify_group_id, id)
    where notify_group_id is not null and notified_at is null;
-- a group's last digest, to space them out
create index sla_escalation_notified_idx on sla_escalation (notify_group_id, notified_at)
    where notified_at is not null;
-- [jooq ignore stop]

-- 'notify': a mail to staff about the desk itself (an SLA escalation digest), never to a customer.
-- Such a row belongs to no one ticket (a digest lists several), so ticket_id may be null; threading
-- ignores rows without a ticket, so a reply to a digest never joins a ticket.
alter table outbox drop constraint outbox_kind_chk;
alter table outbox add constraint outbox_kind_chk check (kind in ('reply', 'ack', 'notify'));
alter table outbox alter column ticket_id drop not null;
