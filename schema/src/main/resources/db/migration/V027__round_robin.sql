-- Round-robin assignment of new tickets, opt-in per group (issue 16, item 5).
-- round_robin_cap: null = off; else the most open or pending tickets an agent may own before the
-- round passes them by. round_robin_online_minutes: how recently an agent must have used the desk
-- (their web session's last_seen_at) to count as online.
alter table staff_group add column round_robin_cap integer;
alter table staff_group add column round_robin_online_minutes integer not null default 10;
alter table staff_group add constraint staff_group_round_robin_cap_chk
    check (round_robin_cap is null or round_robin_cap between 1 and 10000);
alter table staff_group add constraint staff_group_round_robin_online_chk
    check (round_robin_online_minutes between 1 and 1440);

-- whose turn it is: the member assigned longest ago (never first)
alter table group_member add column last_assigned_at timestamptz;

-- an agent's open and pending tickets, counted against the cap for every new ticket of the group:
-- as many index entries as the agent owns unresolved tickets, not all they ever owned
create index ticket_unresolved_owner_idx on ticket (owner_id) where status in ('open', 'pending') and owner_id is not null;
