-- One desk event per ticket and transaction (unless the ticket moves to another group). A page
-- re-reads a ticket when it hears of it, after the commit, and then sees every change the
-- transaction made; so the second and later events of the same ticket in one transaction told
-- nobody anything, while each cost a row and a notification. Intake writes a ticket, its message
-- and several updates of the ticket row in one transaction per set of mails, each an event row and
-- a notification before this.
-- The tickets already told of are kept in a setting local to the transaction (undone with it, and
-- with a savepoint rolled back to). Past 8,000 characters of ids (a bulk change of a thousand
-- tickets or more) the list is no longer searched and every change writes its event, so no
-- transaction pays more than a bounded search per change.
-- [jooq ignore start]
create or replace function ticketd_desk_event(t bigint, g bigint, old_g bigint) returns void
    language plpgsql as $$
declare
    position bigint;
    told text;
begin
    if old_g is null then
        told := coalesce(nullif(current_setting('ticketd.desk_told', true), ''), ',');
        if length(told) <= 8000 then
            if strpos(told, ',' || t || ',') > 0 then
                return;
            end if;
            perform set_config('ticketd.desk_told', told || t || ',', true);
        end if;
    end if;
    insert into desk_event (ticket_id, group_id, old_group_id) values (t, g, old_g) returning id into position;
    perform pg_notify('ticketd_desk', 'e:' || position || ':' || t || ':' || g
                      || case when old_g is null then '' else ':' || old_g end);
end $$;
-- [jooq ignore stop]
