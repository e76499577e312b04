-- Groups (teams, queues) own tickets; agents are members of groups with an access level.
-- An agent sees only tickets of their groups and changes only those of groups where their access is
-- 'full'; admins see and change every ticket. Every ticket belongs to exactly one group; a mailbox
-- delivers new tickets into its group.

create table staff_group (
    id         bigint generated always as identity primary key,
    name       varchar(100) not null,
    created_at timestamptz  not null default now(),
    constraint staff_group_name_uq unique (name),
    constraint staff_group_name_chk check (name = btrim(name) and name <> '')
);

create table group_member (
    group_id bigint     not null references staff_group (id),
    user_id  bigint     not null references staff_user (id),
    access   varchar(8) not null default 'full',
    primary key (group_id, user_id),
    constraint group_member_access_chk check (access in ('full', 'read'))
);
-- "the groups of this agent", asked by every ticket query of an agent
create index group_member_user_idx on group_member (user_id, group_id, access);

-- The first group is where a mailbox or a ticket goes when nobody chose one.
insert into staff_group (name) values ('Support');

-- [jooq ignore start] (the build's in-memory schema reader cannot parse functions; it needs no function)
create function default_group_id() returns bigint
    language sql stable
    as 'select min(id) from staff_group';
-- [jooq ignore stop]

alter table mailbox add column group_id bigint references staff_group (id);
update mailbox set group_id = default_group_id();
alter table mailbox alter column group_id set default default_group_id();
alter table mailbox alter column group_id set not null;

alter table ticket add column group_id bigint references staff_group (id);
update ticket set group_id = coalesce((select m.group_id from mailbox m where m.id = ticket.mailbox_id), default_group_id());
alter table ticket alter column group_id set default default_group_id();
alter table ticket alter column group_id set not null;
-- "owner" is what staff call it; nothing used the old name
alter table ticket rename column assignee_id to owner_id;

-- The lists of a group and of an owner, newest first (keyset paging on created_at, id).
create index ticket_group_created_idx on ticket (group_id, created_at, id);
create index ticket_owner_created_idx on ticket (owner_id, created_at, id) where owner_id is not null;

-- Agents who worked tickets before groups existed keep seeing and working every ticket.
insert into group_member (group_id, user_id, access)
select default_group_id(), id, 'full' from staff_user where role = 'agent';

-- A ticket's page lists the requester's other tickets and those of their mail domain.
create index ticket_requester_created_idx on ticket (requester_id, created_at, id);
-- [jooq ignore start] (the build's in-memory schema reader has no expression indexes)
create index contact_domain_idx on contact (split_part(email, '@', 2));
-- [jooq ignore stop]
