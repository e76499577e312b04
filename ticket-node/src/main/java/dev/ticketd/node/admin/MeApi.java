package dev.ticketd.node.admin;

import dev.ticketd.node.auth.StaffGroups;
import dev.ticketd.node.auth.StaffUser;
import dev.ticketd.node.ticket.TicketQueries;
import dev.ticketd.node.web.Freshness;
import dev.ticketd.node.web.Pages;
import io.javalin.http.Context;

import java.util.List;

/** {@code GET /api/v1/me}: who the caller is, their groups, and how many open tickets they own (bounded). */
final class MeApi {

    /** The answer. {@code openTickets} stops at {@link TicketQueries#COUNT_CAP}; {@code openTicketsCapped} says it did. */
    record Me(long id, String email, String displayName, String role, List<StaffAdmin.Membership> groups, int openTickets,
              boolean openTicketsCapped) {
    }

    private final StaffGroups groups;
    private final TicketQueries tickets;

    MeApi(StaffGroups groups, TicketQueries tickets) {
        this.groups = groups;
        this.tickets = tickets;
    }

    void me(Context ctx) {
        StaffUser user = Pages.user(ctx);
        int count = Freshness.note(ctx, tickets.myOpenCount(user.viewer()));
        ctx.json(new Me(user.id(), user.email(), user.displayName(), user.role().dbValue(),
                groups.groupsOf(user.id()).stream().map(m -> new StaffAdmin.Membership(m.group(), m.access().value())).toList(),
                Math.min(count, TicketQueries.COUNT_CAP), count > TicketQueries.COUNT_CAP));
    }
}
