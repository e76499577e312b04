package dev.ticketd.node.ticket;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ticketd.node.web.Freshness;
import dev.ticketd.node.web.HttpProblem;
import dev.ticketd.node.web.JsonBodies;
import dev.ticketd.node.web.Pages;
import io.javalin.http.Context;

import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** JSON API handlers for the caller's saved views under {@code /api/v1/views}: the same services as the list page. */
public final class SavedViewApi {

    /**
     * A saved view as the API answers it. {@code query} is its filter (without the sort), {@code tickets}
     * the call that lists it. In a listing, {@code count} is its bounded count (at most
     * {@link TicketQueries#COUNT_CAP}; {@code countCapped} says there are more) and {@code problem} is
     * null unless its stored filter no longer parses; a save's answer leaves the three out.
     */
    public record Json(long id, String name, String query, String sort, String tickets, OffsetDateTime createdAt) {
        static Json of(SavedViews.SavedView v) {
            String q = v.listQuery();
            return new Json(v.id(), v.name(), v.query(), v.sort().value(), "/api/v1/tickets" + (q.isEmpty() ? "" : "?" + q),
                    v.createdAt());
        }
    }

    /** A listed saved view: {@link Json} with its count. */
    public record Counted(long id, String name, String query, String sort, String tickets, OffsetDateTime createdAt, int count,
                          boolean countCapped, String problem) {
        static Counted of(TicketQueries.View view) {
            Json j = Json.of(view.saved());
            return new Counted(j.id(), j.name(), j.query(), j.sort(), j.tickets(), j.createdAt(),
                    Math.min(view.count(), TicketQueries.COUNT_CAP), view.count() > TicketQueries.COUNT_CAP, view.problem());
        }
    }

    private static final Set<String> FIELDS = Set.of("name", "query", "sort");
    private static final String SHAPE = "the body must be a JSON object such as {\"name\": \"Urgent refunds\", "
            + "\"query\": \"status=open&priority=urgent&tag=refund\", \"sort\": \"oldest\"}";

    private final SavedViews views;
    private final TicketQueries queries;

    public SavedViewApi(SavedViews views, TicketQueries queries) {
        this.views = views;
        this.queries = queries;
    }

    /** {@code GET /api/v1/views}: the caller's saved views by name, each with its bounded count. */
    public void list(Context ctx) {
        List<Counted> listed = Freshness.note(ctx, queries.savedViews(Pages.user(ctx).viewer())).stream().map(Counted::of).toList();
        ctx.json(Map.of("views", listed, "limit", SavedViews.MAX_VIEWS));
    }

    /**
     * {@code POST /api/v1/views} with {@code {"name", "query", "sort"}} ({@code query} and {@code sort}
     * optional): 201 and the view; 200 and the stored view when the very same one was saved before.
     */
    public void create(Context ctx) {
        JsonNode body = JsonBodies.object(ctx, SHAPE);
        List<String> unknown = JsonBodies.unknownFields(body, FIELDS);
        if (!unknown.isEmpty()) {
            throw HttpProblem.badRequest("a saved view takes name, query and sort; not " + String.join(", ", unknown));
        }
        SavedViews.Saved saved = views.save(Pages.user(ctx).viewer(), text(body, "name"), text(body, "query"), text(body, "sort"));
        ctx.status(saved.created() ? 201 : 200).json(Json.of(saved.view()));
    }

    /** {@code DELETE /api/v1/views/{id}}: 204; a view of someone else, or none, is 404. */
    public void delete(Context ctx) {
        views.delete(Pages.user(ctx).viewer(), ctx.pathParamAsClass("id", Long.class).get());
        ctx.status(204);
    }

    private static String text(JsonNode body, String field) {
        JsonNode value = body.get(field);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isTextual()) {
            throw HttpProblem.badRequest(field + " must be a string; " + SHAPE);
        }
        return value.asText();
    }
}
