package dev.ticketd.node.quarantine;

import dev.ticketd.node.ticket.TicketCursor;
import dev.ticketd.node.web.Freshness;
import dev.ticketd.node.web.Pages;
import io.javalin.http.Context;
import io.javalin.http.HttpStatus;

import java.util.HashMap;
import java.util.Map;

/** Browser handlers of the quarantine: the list and its three actions (POST forms, CSRF checked by the auth filter). */
public final class QuarantinePages {

    static final int PAGE_SIZE = 100;

    private final QuarantineService service;

    public QuarantinePages(QuarantineService service) {
        this.service = service;
    }

    /** {@code GET /quarantine}; after an action, {@code ?done=ID} or {@code ?unread=ID} says how it went. */
    public void list(Context ctx) {
        QuarantinePage page = Freshness.note(ctx, service.list(PAGE_SIZE, TicketCursor.decode(ctx.queryParam("cursor"))));
        Map<String, Object> model = new HashMap<>();
        model.put("entries", page.entries());
        model.put("nextCursor", page.nextCursor());
        model.put("notice", notice(ctx));
        Pages.render(ctx, "quarantine.jte", model);
    }

    /** {@code POST /quarantine/{id}/{action}}: acts, then shows the list again (post/redirect/get). */
    public void act(Context ctx) {
        long id = ctx.pathParamAsClass("id", Long.class).get();
        QuarantineAction action = QuarantineAction.ofVerb(ctx.pathParam("action"));
        QuarantineResult result = service.act(id, action, Pages.user(ctx));
        ctx.redirect("/quarantine?" + (result.resolved() ? "done=" : "unread=") + id, HttpStatus.SEE_OTHER);
    }

    private String notice(Context ctx) {
        Long done = idParam(ctx, "done");
        if (done != null) {
            return service.decision(done).map(r -> "Mail " + done + ": " + r.outcome() + " (" + r.actor() + ").").orElse(null);
        }
        Long unread = idParam(ctx, "unread");
        return unread == null ? null : "Mail " + unread + " still cannot be read; it stays in quarantine. "
                + "You can import it as a ticket with its raw mail, or dismiss it.";
    }

    private static Long idParam(Context ctx, String name) {
        String value = ctx.queryParam(name);
        try {
            return value == null ? null : Long.parseLong(value);
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
