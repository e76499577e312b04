package dev.ticketd.node.ticket;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ticketd.desk.TicketMerges;
import dev.ticketd.node.web.HttpProblem;
import dev.ticketd.node.web.JsonBodies;
import dev.ticketd.node.web.Pages;
import dev.ticketd.node.web.RouteTable;
import dev.ticketd.node.web.WebFeature;
import io.javalin.http.Context;
import io.javalin.http.HttpStatus;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.ticketd.node.web.Access.STAFF;

/**
 * Merging tickets (and undoing it), from the ticket page's forms and the JSON API. Every route needs
 * a staff login; the desk checks that the member of staff may change both tickets. The forms carry
 * the CSRF token like every form (checked by the web server before a handler runs).
 */
public final class TicketRelationRoutes implements WebFeature {

    private final TicketMerging merging;

    public TicketRelationRoutes(TicketMerging merging) {
        this.merging = merging;
    }

    @Override
    public void addRoutes(RouteTable routes) {
        routes.post("/tickets/{id}/merge", this::mergePage, STAFF)
                .post("/tickets/{id}/unmerge", this::unmergePage, STAFF)
                .post("/api/v1/tickets/{id}/merge", this::mergeApi, STAFF)
                .post("/api/v1/tickets/{id}/unmerge", this::unmergeApi, STAFF);
    }

    /** The merge form: merges this ticket into the one named; the merged-into ticket's page says so, with an undo button. */
    void mergePage(Context ctx) {
        long id = ctx.pathParamAsClass("id", Long.class).get();
        String into = ctx.formParam("into");
        if (into == null || into.isBlank()) {
            throw HttpProblem.badRequest("name the ticket to merge this one into, by its number (such as T-1042)");
        }
        TicketMerges.Merged merged = merging.merge(id, into, Pages.user(ctx));
        ctx.redirect("/tickets/" + merged.targetId() + "?mergedFrom=" + merged.sourceId(), HttpStatus.SEE_OTHER);
    }

    /** The undo button: the merged ticket is back, with its messages; its page says so. */
    void unmergePage(Context ctx) {
        long id = ctx.pathParamAsClass("id", Long.class).get();
        merging.undo(id, Pages.user(ctx));
        ctx.redirect("/tickets/" + id + "?unmerged=1", HttpStatus.SEE_OTHER);
    }

    private static final String MERGE_SHAPE = "the body must be a JSON object such as {\"into\": \"T-1042\"} (a ticket number or id)";

    /** {@code POST /api/v1/tickets/{id}/merge} with {@code {"into": "T-1042"}}: what the merge did. */
    void mergeApi(Context ctx) {
        long id = ctx.pathParamAsClass("id", Long.class).get();
        JsonNode body = JsonBodies.object(ctx, MERGE_SHAPE);
        List<String> unknown = JsonBodies.unknownFields(body, List.of("into"));
        JsonNode into = body.get("into");
        if (!unknown.isEmpty() || into == null || !(into.isTextual() || into.canConvertToLong())) {
            throw HttpProblem.badRequest(MERGE_SHAPE);
        }
        TicketMerges.Merged merged = merging.merge(id, into.asText(), Pages.user(ctx));
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("mergeId", merged.mergeId());
        answer.put("source", Map.of("id", merged.sourceId(), "number", merged.sourceNumber()));
        answer.put("target", Map.of("id", merged.targetId(), "number", merged.targetNumber()));
        answer.put("messages", merged.messages());
        answer.put("tagsAdded", List.copyOf(merged.tagsAdded()));
        answer.put("undoWithinSeconds", TicketMerges.UNDO_WINDOW.toSeconds());
        ctx.json(answer);
    }

    /** {@code POST /api/v1/tickets/{id}/unmerge}: undoes the ticket's merge; what went back. */
    void unmergeApi(Context ctx) {
        long id = ctx.pathParamAsClass("id", Long.class).get();
        TicketMerges.Undone undone = merging.undo(id, Pages.user(ctx));
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("mergeId", undone.mergeId());
        answer.put("source", Map.of("id", undone.sourceId(), "number", undone.sourceNumber()));
        answer.put("target", Map.of("id", undone.targetId(), "number", undone.targetNumber()));
        answer.put("messages", undone.messages());
        answer.put("status", undone.restored().value());
        ctx.json(answer);
    }
}
