package dev.ticketd.mail.testing;

import dev.ticketd.db.Database;

/** Makes the database really refuse something one mail would store (for tests of a failing mail). */
public final class RefusedTickets {

    private RefusedTickets() {
    }

    /**
     * A trigger that refuses, with check_violation (SQLSTATE 23514), the ticket a mail titled
     * {@code 'refuse-me'} would open.
     */
    public static void refuseSubjectRefuseMe(Database db) {
        db.dsl().execute("""
                create function refuse_ticket() returns trigger language plpgsql as $$
                begin
                  if new.subject = 'refuse-me' then raise exception 'refused by test' using errcode = '23514'; end if;
                  return new;
                end $$""");
        db.dsl().execute("create trigger refuse_ticket before insert on ticket for each row execute function refuse_ticket()");
    }
}
