package dev.ticketd.node.ticket;

import dev.ticketd.node.web.Freshness;
import dev.ticketd.node.web.HttpProblem;
import dev.ticketd.node.web.Pages;
import io.javalin.http.Context;

/** JSON API handlers for tickets under {@code /api/v1}: same services as the pages. */
public final class TicketApi {

    public static final int DEFAULT_LIMIT = 50;

    /** The JSON body of {@code POST /api/v1/tickets/{id}/replies}. */
    public record ReplyRequest(String body) {
    }

    private final TicketQueries queries;
    private final ReplyService replies;

    public TicketApi(TicketQueries queries, ReplyService replies) {
        this.queries = queries;
        this.replies = replies;
    }

    public void list(Context ctx) {
        int limit = parseLimit(ctx.queryParam("limit"));
        TicketStatus status = TicketStatus.parseFilter(ctx.queryParam("status"));
        ctx.json(Freshness.note(ctx, queries.list(status, limit, TicketCursor.decode(ctx.queryParam("cursor")))));
    }

    public void detail(Context ctx) {
        ctx.json(Freshness.note(ctx, queries.detail(ctx.pathParamAsClass("id", Long.class).get())));
    }

    public void raw(Context ctx) {
        long id = ctx.pathParamAsClass("id", Long.class).get();
        RawMail.send(ctx, id, Freshness.note(ctx, queries.rawInbound(id)));
    }

    public void reply(Context ctx) {
        long id = ctx.pathParamAsClass("id", Long.class).get();
        String key = ctx.header("Idempotency-Key");
        if (key == null || key.isBlank()) {
            throw HttpProblem.badRequest("the Idempotency-Key header is required (e.g. a random UUID per reply)");
        }
        ReplyRequest request;
        try {
            request = ctx.bodyAsClass(ReplyRequest.class);
        } catch (Exception e) { // Jackson's parse errors arrive as (sneakily thrown) checked exceptions
            throw HttpProblem.badRequest("the request body must be JSON like {\"body\": \"text of the reply\"}");
        }
        if (request == null || request.body() == null || request.body().isBlank()) {
            throw HttpProblem.badRequest("\"body\" is required and must not be empty");
        }
        ReplyService.ReplyResult result = replies.reply(id, Pages.user(ctx), request.body(), key.strip());
        ctx.status(result.created() ? 201 : 200).json(result.message());
    }

    static int parseLimit(String value) {
        if (value == null || value.isBlank()) {
            return DEFAULT_LIMIT;
        }
        int limit;
        try {
            limit = Integer.parseInt(value.strip());
        } catch (NumberFormatException e) {
            throw HttpProblem.badRequest("limit must be a whole number from 1 to " + TicketQueries.MAX_LIMIT);
        }
        if (limit < 1 || limit > TicketQueries.MAX_LIMIT) {
            throw HttpProblem.badRequest("limit must be from 1 to " + TicketQueries.MAX_LIMIT + ", was " + limit);
        }
        return limit;
    }
}
