package dev.ticketd.node.ticket;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ticketd.desk.TicketMerges;
import dev.ticketd.desk.TicketSplits;
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
 * Merging tickets (and undoing it), splitting a message off into a new ticket, and parent/child
 * links, from the ticket page's forms and the JSON API. Every route needs
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
                .post("/tickets/{id}/split", this::splitPage, STAFF)
                .post("/tickets/{id}/links", this::linkPage, STAFF)
                .post("/tickets/{id}/links/remove", this::unlinkPage, STAFF)
                .post("/api/v1/tickets/{id}/merge", this::mergeApi, STAFF)
                .post("/api/v1/tickets/{id}/unmerge", this::unmergeApi, STAFF)
                .post("/api/v1/tickets/{id}/split", this::splitApi, STAFF)
                .post("/api/v1/tickets/{id}/links", this::linkApi, STAFF)
                .delete("/api/v1/tickets/{id}/links/{otherId}", this::unlinkApi, STAFF);
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

    /** The split form: the chosen message becomes a new ticket, whose page opens. */
    void splitPage(Context ctx) {
        long id = ctx.pathParamAsClass("id", Long.class).get();
        String message = ctx.formParam("message");
        if (message == null || !message.strip().matches("\\d{1,18}")) {
            throw HttpProblem.badRequest("choose the message to split off into a new ticket");
        }
        TicketSplits.Split split = merging.split(id, Long.parseLong(message.strip()), Pages.user(ctx));
        ctx.redirect("/tickets/" + split.ticketId() + "?splitFrom=" + id, HttpStatus.SEE_OTHER);
    }

    private static final String SPLIT_SHAPE = "the body must be a JSON object such as {\"messageId\": 42} (a message of the ticket)";

    /** {@code POST /api/v1/tickets/{id}/split} with {@code {"messageId": 42}}: 201 with the new ticket. */
    void splitApi(Context ctx) {
        long id = ctx.pathParamAsClass("id", Long.class).get();
        JsonNode body = JsonBodies.object(ctx, SPLIT_SHAPE);
        JsonNode message = body.get("messageId");
        if (!JsonBodies.unknownFields(body, List.of("messageId")).isEmpty() || message == null || !message.canConvertToLong()
                || message.asLong() < 1) {
            throw HttpProblem.badRequest(SPLIT_SHAPE);
        }
        TicketSplits.Split split = merging.split(id, message.asLong(), Pages.user(ctx));
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("ticket", Map.of("id", split.ticketId(), "number", split.number()));
        answer.put("from", Map.of("id", split.fromTicketId(), "number", split.fromNumber()));
        answer.put("messageId", split.messageId());
        ctx.status(HttpStatus.CREATED).json(answer);
    }

    /** The link form: {@code other} (a ticket number) becomes this ticket's child, or its parent ({@code relation}). */
    void linkPage(Context ctx) {
        long id = ctx.pathParamAsClass("id", Long.class).get();
        String relation = ctx.formParam("relation");
        if (!"child".equals(relation) && !"parent".equals(relation)) {
            throw HttpProblem.badRequest("choose whether the other ticket is this one's child or its parent");
        }
        String other = ctx.formParam("other");
        if (other == null || other.isBlank()) {
            throw HttpProblem.badRequest("name the ticket to link, by its number (such as T-1042)");
        }
        merging.link(id, other, "child".equals(relation), Pages.user(ctx));
        ctx.redirect("/tickets/" + id + "?linked=1", HttpStatus.SEE_OTHER);
    }

    /** A link's remove button: {@code other} is the linked ticket's id. */
    void unlinkPage(Context ctx) {
        long id = ctx.pathParamAsClass("id", Long.class).get();
        String other = ctx.formParam("other");
        if (other == null || !other.strip().matches("\\d{1,18}")) {
            throw HttpProblem.badRequest("choose the link to remove");
        }
        merging.unlink(id, Long.parseLong(other.strip()), Pages.user(ctx));
        ctx.redirect("/tickets/" + id + "?unlinked=1", HttpStatus.SEE_OTHER);
    }

    private static final String LINK_SHAPE = "the body must be a JSON object with one of {\"child\": \"T-1042\"} or "
            + "{\"parent\": \"T-1042\"} (a ticket number or id)";

    /** {@code POST /api/v1/tickets/{id}/links} with {@code {"child": "T-1042"}} or {@code {"parent": …}}: the link. */
    void linkApi(Context ctx) {
        long id = ctx.pathParamAsClass("id", Long.class).get();
        JsonNode body = JsonBodies.object(ctx, LINK_SHAPE);
        JsonNode child = body.get("child");
        JsonNode parent = body.get("parent");
        JsonNode other = child != null ? child : parent;
        if (!JsonBodies.unknownFields(body, List.of("child", "parent")).isEmpty() || (child == null) == (parent == null)
                || !(other.isTextual() || other.canConvertToLong())) {
            throw HttpProblem.badRequest(LINK_SHAPE);
        }
        TicketMerging.Link link = merging.link(id, other.asText(), child != null, Pages.user(ctx));
        ctx.json(Map.of("parentId", link.parentId(), "childId", link.childId(), "created", link.changed()));
    }

    /** {@code DELETE /api/v1/tickets/{id}/links/{otherId}}: removes the link between the two, whichever is the parent. */
    void unlinkApi(Context ctx) {
        long id = ctx.pathParamAsClass("id", Long.class).get();
        long other = ctx.pathParamAsClass("otherId", Long.class).get();
        ctx.json(Map.of("removed", merging.unlink(id, other, Pages.user(ctx))));
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
