package dev.ticketd.node.ticket;

import dev.ticketd.node.web.Freshness;
import dev.ticketd.node.web.Pages;
import io.javalin.http.Context;
import io.javalin.http.HttpStatus;

import java.util.Map;

/**
 * Browser handlers for the stale-reply guard: the "Needs attention" page (the member of staff's held
 * replies) and the held reply's "Send anyway" and "Discard" buttons on the ticket page.
 */
public final class HeldReplyPages {

    private final HeldReplies held;
    private final ReplyService replies;

    public HeldReplyPages(HeldReplies held, ReplyService replies) {
        this.held = held;
        this.replies = replies;
    }

    /** {@code GET /attention}: the caller's held replies, newest first, at most {@link HeldReplies#MAX_LISTED}. */
    public void attention(Context ctx) {
        Pages.render(ctx, "attention.jte", Map.of("held",
                Freshness.note(ctx, held.heldBy(Pages.user(ctx).viewer(), HeldReplies.MAX_LISTED)), "max", HeldReplies.MAX_LISTED));
    }

    /**
     * {@code POST /held-replies/{id}/send} with the text as the author left it in the box ({@code body})
     * and the version the page showed ({@code seen}): sent, or held again when yet another message came
     * meanwhile. Back to the ticket either way.
     */
    public void send(Context ctx) {
        long id = ctx.pathParamAsClass("id", Long.class).get();
        String body = ctx.formParam("body");
        ReplyService.Outcome outcome = replies.sendHeld(id, Pages.user(ctx), body, TicketPages.seenOf(ctx.formParam("seen")));
        if (outcome instanceof ReplyService.Held h) {
            ctx.redirect("/tickets/" + h.reply().ticketId() + "?held=" + id + "#held-" + id, HttpStatus.SEE_OTHER);
            return;
        }
        ReplyService.Sent sent = (ReplyService.Sent) outcome;
        ctx.redirect("/tickets/" + sent.ticketId() + "?sent=" + (sent.result().mailQueued() ? "mail" : "stored"), HttpStatus.SEE_OTHER);
    }

    /** {@code POST /held-replies/{id}/discard}: discarded, never mailed; back to the ticket. */
    public void discard(Context ctx) {
        long id = ctx.pathParamAsClass("id", Long.class).get();
        HeldReplies.HeldReply discarded = replies.discardHeld(id, Pages.user(ctx));
        ctx.redirect("/tickets/" + discarded.ticketId() + "?discarded=" + id, HttpStatus.SEE_OTHER);
    }
}
