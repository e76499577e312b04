-- Nodes older than V019 tag tickets without the ticket's creation time: during a rolling upgrade
-- their inserts would break V019's not-null rule, and staff on those nodes could not tag. This fills
-- the time in from the ticket whenever an insert leaves it out (migrations stay additive: old and
-- new nodes run side by side). New nodes write it themselves.
-- [jooq ignore start] (the build's in-memory schema reader cannot parse functions or triggers)
create function ticket_tag_fill_created_at() returns trigger
    language plpgsql
    as $$
begin
    if new.ticket_created_at is null then
        select created_at into new.ticket_created_at from ticket where id = new.ticket_id;
    end if;
    return new;
end
$$;
create trigger ticket_tag_fill_created_at before insert on ticket_tag
    for each row execute function ticket_tag_fill_created_at();
-- [jooq ignore stop]
