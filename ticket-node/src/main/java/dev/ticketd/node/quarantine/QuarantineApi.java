package dev.ticketd.node.quarantine;

import dev.ticketd.node.ticket.TicketCursor;
import dev.ticketd.node.web.HttpProblem;
import dev.ticketd.node.web.Freshness;
import dev.ticketd.node.web.Pages;
import io.javalin.http.Context;

/** JSON API of the quarantine under {@code /api/v1/quarantine}: same service as the page. */
public final class QuarantineApi {

    public static final int DEFAULT_LIMIT = 50;

    private final QuarantineService service;

    public QuarantineApi(QuarantineService service) {
        this.service = service;
    }

    /** {@code GET /api/v1/quarantine?limit=&cursor=}: newest first. */
    public void list(Context ctx) {
        ctx.json(Freshness.note(ctx, service.list(parseLimit(ctx.queryParam("limit")), TicketCursor.decode(ctx.queryParam("cursor")))));
    }

    /** {@code POST /api/v1/quarantine/{id}/{action}}: 200 with the result; a repeat answers with the first result. */
    public void act(Context ctx) {
        long id = ctx.pathParamAsClass("id", Long.class).get();
        QuarantineAction action = QuarantineAction.ofVerb(ctx.pathParam("action"));
        ctx.json(service.act(id, action, Pages.user(ctx)));
    }

    static int parseLimit(String value) {
        if (value == null || value.isBlank()) {
            return DEFAULT_LIMIT;
        }
        int limit;
        try {
            limit = Integer.parseInt(value.strip());
        } catch (NumberFormatException e) {
            throw HttpProblem.badRequest("limit must be a whole number from 1 to " + QuarantineService.MAX_LIMIT);
        }
        if (limit < 1 || limit > QuarantineService.MAX_LIMIT) {
            throw HttpProblem.badRequest("limit must be from 1 to " + QuarantineService.MAX_LIMIT + ", was " + limit);
        }
        return limit;
    }
}
