-- Threading of replies into tickets (issue "Mail as customers really send it"). Additive only:
-- nullable or defaulted columns and indexes, so an old node keeps working beside a new one.

-- A mail that threads into a ticket by its token or its In-Reply-To/References but comes from
-- someone who is not a participant of that ticket is never merged silently: it opens a new ticket
-- that points at the one it matched, flagged for a person to review.
alter table ticket add column linked_ticket_id bigint constraint ticket_linked_ticket_fk references ticket (id);
alter table ticket add column needs_review boolean not null default false;
create index ticket_linked_idx on ticket (linked_ticket_id);

-- Threading looks up who wrote the inbound messages of a ticket (the participants).
create index ticket_message_author_contact_idx on ticket_message (ticket_id, author_contact_id);
