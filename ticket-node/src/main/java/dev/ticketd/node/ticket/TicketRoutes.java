package dev.ticketd.node.ticket;

import dev.ticketd.node.web.RouteTable;
import dev.ticketd.node.web.WebFeature;
import io.javalin.http.HttpStatus;

import java.util.List;
import java.util.function.Supplier;

import static dev.ticketd.node.web.Access.STAFF;

/**
 * The ticket pages and the ticket API: lists, saved views, a ticket with its messages, replies, notes, status, priority,
 * owner and group, history, raw mail and files, and the replies the stale-reply guard held ("Needs attention").
 */
public final class TicketRoutes implements WebFeature {

    private final TicketPages pages;
    private final TicketApi api;
    private final SavedViewPages viewPages;
    private final SavedViewApi viewApi;
    private final HeldReplyPages heldPages;
    private final HeldReplyApi heldApi;

    /**
     * @param groups the names of every group
     * @param macros the macros the ticket page offers (their routes are the macro feature's own)
     */
    public TicketRoutes(TicketQueries queries, ReplyService replies, TicketChanges changes, SavedViews savedViews,
                        HeldReplies held, Supplier<List<String>> groups, MacroMenu macros) {
        this.pages = new TicketPages(queries, replies, changes, held, groups, macros);
        this.api = new TicketApi(queries, replies, changes);
        this.viewPages = new SavedViewPages(savedViews);
        this.viewApi = new SavedViewApi(savedViews, queries);
        this.heldPages = new HeldReplyPages(held, replies);
        this.heldApi = new HeldReplyApi(held, replies);
    }

    @Override
    public void addRoutes(RouteTable routes) {
        routes.get("/", ctx -> ctx.redirect("/tickets", HttpStatus.SEE_OTHER), STAFF)
                .get("/tickets", pages::list, STAFF)
                .get("/tickets/{id}", pages::detail, STAFF)
                .post("/tickets/bulk", pages::bulk, STAFF)
                .post("/tickets/views", viewPages::save, STAFF)
                .post("/tickets/views/{id}/delete", viewPages::delete, STAFF)
                .post("/tickets/{id}/reply", pages::reply, STAFF)
                .post("/tickets/{id}/note", pages::note, STAFF)
                .post("/tickets/{id}/status", pages::status, STAFF)
                .post("/tickets/{id}/priority", pages::priority, STAFF)
                .post("/tickets/{id}/owner", pages::owner, STAFF)
                .post("/tickets/{id}/group", pages::group, STAFF)
                .post("/tickets/{id}/tags", pages::tags, STAFF)
                .get("/tickets/{id}/messages/{messageId}", pages::message, STAFF)
                .get("/attention", heldPages::attention, STAFF)
                .post("/held-replies/{id}/send", heldPages::send, STAFF)
                .post("/held-replies/{id}/discard", heldPages::discard, STAFF)
                .get("/inbound/{id}/raw", pages::raw, STAFF)
                .get("/attachments/{id}", pages::attachment, STAFF)
                .get("/api/v1/tickets", api::list, STAFF)
                .get("/api/v1/tickets/{id}", api::detail, STAFF)
                .patch("/api/v1/tickets/{id}", api::patch, STAFF)
                .post("/api/v1/tickets/bulk", api::bulk, STAFF)
                .get("/api/v1/tickets/{id}/history", api::history, STAFF)
                .post("/api/v1/tickets/{id}/replies", api::reply, STAFF)
                .post("/api/v1/tickets/{id}/notes", api::note, STAFF)
                .get("/api/v1/inbound/{id}/raw", api::raw, STAFF)
                .get("/api/v1/views", viewApi::list, STAFF)
                .post("/api/v1/views", viewApi::create, STAFF)
                .delete("/api/v1/views/{id}", viewApi::delete, STAFF)
                .get("/api/v1/held-replies", heldApi::list, STAFF)
                .post("/api/v1/held-replies/{id}/send", heldApi::send, STAFF)
                .post("/api/v1/held-replies/{id}/discard", heldApi::discard, STAFF);
    }
}
