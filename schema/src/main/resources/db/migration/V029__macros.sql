-- Macros and canned replies (issue 16, item 6). A macro is shared by all staff and managed by
-- admins. It may carry a body (a reply or an internal note, with placeholders such as
-- {{customer.name}} filled in when it is applied) and actions applied to the ticket in one
-- transaction: a status, a priority, a group, tags added and tags removed. A macro with only a
-- body is a canned reply. Null action columns leave that field of the ticket as it is.
-- add_tags / remove_tags: the tags, cleaned by the desk's tag rule (no spaces), joined by one
-- space; '' for none.
create table macro (
    id           bigint generated always as identity primary key,
    name         varchar(100) not null,
    body         text         not null default '',
    body_kind    varchar(8)   not null default 'reply',
    set_status   varchar(16),
    set_priority varchar(16),
    set_group_id bigint       references staff_group (id),
    add_tags     text         not null default '',
    remove_tags  text         not null default '',
    created_at   timestamptz  not null default now(),
    updated_at   timestamptz  not null default now(),
    updated_by   varchar(320) not null,
    constraint macro_name_uq unique (name),
    constraint macro_body_kind_chk check (body_kind in ('reply', 'note')),
    constraint macro_status_chk check (set_status is null or set_status in ('open', 'pending', 'resolved', 'closed')),
    constraint macro_priority_chk check (set_priority is null or set_priority in ('low', 'normal', 'high', 'urgent'))
);
