package dev.ticketd.node.ticket;

import dev.ticketd.desk.ConflictException;
import dev.ticketd.desk.ForbiddenException;
import dev.ticketd.desk.InvalidRequestException;
import dev.ticketd.desk.NotFoundException;
import dev.ticketd.db.DatabaseUnavailableException;
import dev.ticketd.desk.Priority;
import dev.ticketd.desk.TicketStatus;
import dev.ticketd.desk.TicketMerges;
import dev.ticketd.desk.Tickets;
import dev.ticketd.node.web.ErrorMapping;
import dev.ticketd.node.web.Freshness;
import dev.ticketd.node.web.HttpProblem;
import dev.ticketd.node.web.Pages;
import io.javalin.http.Context;
import io.javalin.http.HttpStatus;
import io.javalin.http.UploadedFile;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Supplier;

/** Browser handlers for tickets: validate the request, call the services, render. */
public final class TicketPages {

    private static final Logger log = LoggerFactory.getLogger(TicketPages.class);

    static final int PAGE_SIZE = 100;

    private final TicketQueries queries;
    private final ReplyService replies;
    private final TicketChanges changes;
    private final HeldReplies held;
    private final Supplier<List<String>> groups;
    private final MacroMenu macros;

    /**
     * @param groups the names of every group, for the list's filter and the "move to" choice
     * @param macros the macros the ticket page offers
     */
    public TicketPages(TicketQueries queries, ReplyService replies, TicketChanges changes, HeldReplies held,
                       Supplier<List<String>> groups, MacroMenu macros) {
        this.macros = macros;
        this.queries = queries;
        this.replies = replies;
        this.changes = changes;
        this.held = held;
        this.groups = groups;
    }

    public void list(Context ctx) {
        TicketFilter filter = TicketFilter.parse(ctx::queryParam);
        TicketPage page = Freshness.note(ctx, queries.list(Pages.user(ctx).viewer(), filter, PAGE_SIZE,
                TicketCursor.decode(ctx.queryParam("cursor"), filter.sort())));
        Map<String, Object> model = new HashMap<>();
        model.put("tickets", page.tickets());
        model.put("nextCursor", page.nextCursor());
        model.put("filter", filter);
        model.put("statuses", Arrays.stream(TicketStatus.values()).map(TicketStatus::value).toList());
        model.put("priorities", Arrays.stream(Priority.values()).map(Priority::value).toList());
        model.put("groups", groups.get());
        List<TicketQueries.View> views = queries.views(Pages.user(ctx).viewer()).value();
        model.put("views", views);
        int heldCount = held.heldCount(Pages.user(ctx).viewer()).value();
        // shown only when something is held: the views line stays as it was on a quiet day
        model.put("attention", heldCount == 0 ? null : heldCount > HeldReplies.MAX_LISTED ? HeldReplies.MAX_LISTED + "+"
                : Integer.toString(heldCount));
        String done = ctx.queryParam("done");
        String refused = ctx.queryParam("refused");
        String viewSaved = ctx.queryParam("viewSaved");
        String savedName = viewSaved == null ? null : views.stream()
                .filter(v -> v.saved() != null && Long.toString(v.saved().id()).equals(viewSaved))
                .map(TicketQueries.View::name).findFirst().orElse(null);
        model.put("notice", done != null && done.matches("\\d{1,4}") ? done + " ticket(s) changed"
                + (refused != null && refused.matches("[1-9]\\d{0,3}") ? "; " + refused + " could not be (no access, or not allowed)" : "") + "."
                : savedName != null ? "Saved as the view “" + savedName + "”; it is listed with the views above."
                : ctx.queryParam("viewDeleted") != null ? "View deleted." : null);
        Pages.render(ctx, "tickets.jte", model);
    }

    public void detail(Context ctx) {
        long id = ctx.pathParamAsClass("id", Long.class).get();
        String sent = ctx.queryParam("sent");
        String status = ctx.queryParam("status");
        String priority = ctx.queryParam("priority");
        String changed = ctx.queryParam("changed");
        String notice = ctx.queryParam("held") != null
                ? "Your reply was not sent: the ticket received new messages while you were writing it. Read them under "
                        + "“Held reply” below, then send it anyway, edit it, or discard it."
                : ctx.queryParam("discarded") != null ? "Held reply discarded; nothing was emailed."
                : "mail".equals(sent) ? "Reply saved; it will be emailed to the requester."
                : "stored".equals(sent) ? "Reply saved. This ticket has no mailbox, so it was not emailed."
                : "note".equals(sent) ? "Note saved. Only staff see it."
                : status != null && TicketStatus.of(status).isPresent() ? "Status set to " + status + "."
                : priority != null && Priority.of(priority).isPresent() ? "Priority set to " + priority + "."
                : "owner".equals(changed) ? "Owner changed."
                : "group".equals(changed) ? "Group changed."
                : "tags".equals(changed) ? "Tags saved."
                : ctx.queryParam("mergedFrom") != null ? "Merged: the other ticket's messages are now in this one. "
                        + "You can undo the merge for " + TicketMerges.UNDO_WINDOW.toMinutes() + " minutes (below)."
                : ctx.queryParam("unmerged") != null ? "Merge undone: this ticket has its messages and its status again."
                : ctx.queryParam("linked") != null ? "Link saved."
                : ctx.queryParam("unlinked") != null ? "Link removed."
                : ctx.queryParam("splitFrom") != null ? "A new ticket, split off the ticket it links to: the message below moved here, "
                        + "and replies to it come here."
                : null;
        TicketDetail ticket = detail(ctx, id);
        Long mergedInto = ticket.relations().mergedIntoId();
        // a merged ticket's page is the page of the ticket it was merged into, unless asked for itself
        if (mergedInto != null && !"merged".equals(ctx.queryParam("show")) && queries.sees(Pages.user(ctx).viewer(), mergedInto)) {
            ctx.redirect("/tickets/" + mergedInto, HttpStatus.SEE_OTHER);
            return;
        }
        // ?macro=N (where applying a macro leads): its body, filled in for this ticket, waits in the reply or note box
        Optional<MacroMenu.Filled> filled = Optional.ofNullable(ctx.queryParam("macro")).filter(m -> m.matches("\\d{1,18}"))
                .filter(m -> ticket.mayChange())
                .flatMap(m -> macros.fill(Pages.user(ctx), id, Long.parseLong(m)));
        if (ctx.queryParam("macro") != null && ctx.queryParam("applied") != null) {
            notice = filled.map(f -> "Macro applied. Its " + (f.note() ? "note" : "reply") + " is in the box below: read it, edit it "
                    + "if you like, then " + (f.note() ? "add it" : "send it") + " — nothing was sent yet.").orElse("Macro applied.");
        }
        renderTicket(ctx, 200, ticket, filled.map(MacroMenu.Filled::body).orElse(""), UUID.randomUUID().toString(), null, notice,
                List.of(), filled.map(MacroMenu.Filled::note).orElse(false));
    }

    public void reply(Context ctx) {
        staffMessage(ctx, false);
    }

    /** The internal-note form: like the reply form, but the text is never mailed. */
    public void note(Context ctx) {
        staffMessage(ctx, true);
    }

    /** A reply or a note from the ticket page; on a problem the page comes back with the text in the form it came from. */
    private void staffMessage(Context ctx, boolean note) {
        String what = note ? "note" : "reply";
        String again = note ? "Save again" : "Send again";
        long id = ctx.pathParamAsClass("id", Long.class).get();
        String body = ctx.formParam("body") == null ? "" : ctx.formParam("body");
        String key = ctx.formParam("idempotency_key");
        if (key == null || key.isBlank()) {
            throw HttpProblem.badRequest("the " + what + " form has no idempotency key; reload the ticket page and send again");
        }
        // the version of the ticket the page showed when the reply was written (absent in a form of an older node)
        Long seen = note ? null : seenOf(ctx.formParam("seen"));
        List<ReplyAttachment> files = uploadedFiles(ctx);
        // a page cannot hand chosen files back to the browser: when it comes back, it names them
        List<String> chooseAgain = files.stream().map(f -> ReplyAttachments.filename(f.filename())).toList();
        if (body.isBlank()) {
            renderTicket(ctx, 400, detail(ctx, id), body, key,
                    note ? "The note is empty; write something before saving." : "The reply is empty; write a message before sending.",
                    null, chooseAgain, note);
            return;
        }
        ReplyService.Outcome result;
        try {
            result = note ? new ReplyService.Sent(replies.note(id, Pages.user(ctx), body, key, files), id)
                    : replies.reply(id, Pages.user(ctx), body, key, files, seen);
        } catch (InvalidRequestException e) {
            renderTicket(ctx, 400, detail(ctx, id), body, key, e.getMessage(), null, chooseAgain, note);
            return;
        } catch (NotFoundException | ConflictException | ForbiddenException e) {
            throw e;
        } catch (DatabaseUnavailableException e) {
            // Expected during a failover: no stack trace in the log, the reason in a line.
            String errorId = ErrorMapping.newErrorId();
            log.warn("{} not saved, database unavailable errorId={} ticket={} reason={}", what, errorId, id, e.getMessage());
            rerenderAfterFailure(ctx, id, body, key, "Your " + what + " was not saved: " + DatabaseUnavailableException.USER_MESSAGE
                    + ". Your text is kept below; press " + again + " in a moment — it will not be saved twice (error id "
                    + errorId + ").", chooseAgain, note);
            return;
        } catch (RuntimeException e) {
            // Something else went wrong: keep what the agent typed and the same key, so pressing
            // the button again can never create the message twice.
            String errorId = ErrorMapping.logFailure(ctx, e);
            rerenderAfterFailure(ctx, id, body, key, "Your " + what + " could not be saved (error id " + errorId
                    + "). Your text is kept below; press " + again + " in a moment — it will not be saved twice.", chooseAgain, note);
            return;
        }
        if (result instanceof ReplyService.Held h) {
            ctx.redirect("/tickets/" + id + "?held=" + h.reply().id() + "#held-" + h.reply().id(), HttpStatus.SEE_OTHER);
            return;
        }
        boolean mailQueued = ((ReplyService.Sent) result).result().mailQueued();
        ctx.redirect("/tickets/" + id + "?sent=" + (note ? "note" : mailQueued ? "mail" : "stored"), HttpStatus.SEE_OTHER);
    }

    /** The reply form's {@code seen}: a version (0 or a message id), or null when the form has none. */
    static Long seenOf(String value) {
        if (value == null || value.isBlank()) {
            return null;
        }
        try {
            return Long.parseLong(value.strip());
        } catch (NumberFormatException e) {
            throw HttpProblem.badRequest("the reply form's version (seen) is not a number; reload the ticket page and send again");
        }
    }

    /** The status form: sets the status and shows the ticket again (a bad value comes back as a 400 page naming it). */
    public void status(Context ctx) {
        long id = ctx.pathParamAsClass("id", Long.class).get();
        // the pending fields go with the status pending only; the form sends them whatever is chosen
        boolean pending = TicketStatus.PENDING.value().equals(ctx.formParam("status"));
        Tickets.Change<TicketStatus> change = changes.apply(id, Pages.user(ctx), TicketChanges.Wanted.status(ctx.formParam("status"),
                pending ? formInstant(ctx.formParam("pending_until")) : null, pending ? ctx.formParam("pending_kind") : null))
                .status().orElseThrow();
        ctx.redirect("/tickets/" + id + "?status=" + change.to().value(), HttpStatus.SEE_OTHER);
    }

    /**
     * A browser's {@code datetime-local} value ({@code 2026-12-24T09:00}, no zone) read as UTC, as the
     * form says, in ISO-8601; anything else is passed on as it came so that the error names it.
     */
    static String formInstant(String value) {
        if (value == null || value.isBlank()) {
            return null;
        }
        try {
            return LocalDateTime.parse(value.strip()).toInstant(ZoneOffset.UTC).toString();
        } catch (DateTimeParseException e) {
            return value;
        }
    }

    /** The priority form: sets the priority and shows the ticket again. */
    public void priority(Context ctx) {
        long id = ctx.pathParamAsClass("id", Long.class).get();
        Tickets.Change<Priority> change = changes.apply(id, Pages.user(ctx), TicketChanges.Wanted.priority(ctx.formParam("priority")))
                .priority().orElseThrow();
        ctx.redirect("/tickets/" + id + "?priority=" + change.to().value(), HttpStatus.SEE_OTHER);
    }

    /** The owner forms: "Take it" ({@code owner=me}), assign to a colleague (their address), unassign ({@code owner=none}). */
    public void owner(Context ctx) {
        long id = ctx.pathParamAsClass("id", Long.class).get();
        String owner = ctx.formParam("owner");
        if (owner == null || owner.isBlank()) {
            throw HttpProblem.badRequest("choose an owner: me, a colleague's address, or none");
        }
        changes.apply(id, Pages.user(ctx), TicketChanges.Wanted.owner(owner));
        ctx.redirect("/tickets/" + id + "?changed=owner", HttpStatus.SEE_OTHER);
    }

    /** The tags form: the ticket's tags, separated by commas or spaces (an empty box removes them all). */
    public void tags(Context ctx) {
        long id = ctx.pathParamAsClass("id", Long.class).get();
        String tags = ctx.formParam("tags") == null ? "" : ctx.formParam("tags");
        changes.apply(id, Pages.user(ctx), TicketChanges.Wanted.tags(List.of(tags.split("[,\\s]+"))));
        ctx.redirect("/tickets/" + id + "?changed=tags", HttpStatus.SEE_OTHER);
    }

    /** The group form: moves the ticket to another group. */
    public void group(Context ctx) {
        long id = ctx.pathParamAsClass("id", Long.class).get();
        String group = ctx.formParam("group");
        if (group == null || group.isBlank()) {
            throw HttpProblem.badRequest("choose a group to move the ticket to");
        }
        changes.apply(id, Pages.user(ctx), TicketChanges.Wanted.group(group));
        boolean stillSeen = queries.sees(Pages.user(ctx).viewer(), id);
        // moved to a group the agent is not in: the ticket is out of their sight, so back to the list
        ctx.redirect(stillSeen ? "/tickets/" + id + "?changed=group" : "/tickets", HttpStatus.SEE_OTHER);
    }

    /** The list's bulk form: the chosen action applied to each ticket ticked; back to the list with how it went. */
    public void bulk(Context ctx) {
        List<Long> ids = new ArrayList<>();
        for (String id : ctx.formParams("ids")) {
            try {
                ids.add(Long.parseLong(id.strip()));
            } catch (NumberFormatException e) {
                throw HttpProblem.badRequest("ids must be ticket ids; got '" + (id.length() > 20 ? id.substring(0, 20) + "…" : id) + "'");
            }
        }
        if (ids.isEmpty()) {
            throw HttpProblem.badRequest("tick the tickets to change first");
        }
        String action = ctx.formParam("action") == null ? "" : ctx.formParam("action");
        int colon = action.indexOf(':');
        String field = colon < 0 ? action : action.substring(0, colon);
        String value = colon < 0 ? "" : action.substring(colon + 1);
        TicketChanges.Wanted wanted = switch (field) {
            case "status" -> TicketChanges.Wanted.status(value);
            case "priority" -> TicketChanges.Wanted.priority(value);
            case "group" -> TicketChanges.Wanted.group(value);
            case "owner" -> TicketChanges.Wanted.owner(value);
            case "addtag" -> TicketChanges.Wanted.addTags(List.of(ctx.formParam("tag") == null ? "" : ctx.formParam("tag")));
            default -> throw HttpProblem.badRequest("choose what to do with the tickets ticked");
        };
        List<TicketChanges.Outcome> outcomes = changes.applyToEach(ids, Pages.user(ctx), wanted);
        long refused = outcomes.stream().filter(o -> o.status() != 200).count();
        String back = ctx.formParam("back");
        String query = back != null && back.matches("[A-Za-z0-9=&%._@+-]*") ? back : "";
        ctx.redirect("/tickets?" + (query.isEmpty() ? "" : query + "&") + "done=" + (outcomes.size() - refused) + "&refused=" + refused,
                HttpStatus.SEE_OTHER);
    }

    private TicketDetail detail(Context ctx, long id) {
        return Freshness.note(ctx, queries.detail(Pages.user(ctx).viewer(), id));
    }

    /**
     * The files of the form's {@code attachments} input. A browser sends one empty part without a
     * name when no file was chosen; that is no file. Jetty has already held the upload to
     * {@code WebServer}'s multipart caps; {@link ReplyAttachments} judges the rest.
     */
    private static List<ReplyAttachment> uploadedFiles(Context ctx) {
        if (!ctx.isMultipartFormData()) {
            return List.of();
        }
        List<ReplyAttachment> files = new ArrayList<>();
        for (UploadedFile file : ctx.uploadedFiles("attachments")) {
            if ((file.filename() == null || file.filename().isEmpty()) && file.size() == 0) {
                continue;
            }
            try (InputStream in = file.content()) {
                files.add(new ReplyAttachment(file.filename(), file.contentType(), in.readAllBytes()));
            } catch (IOException e) {
                throw new UncheckedIOException("reading an uploaded file", e);
            }
        }
        return files;
    }

    private void rerenderAfterFailure(Context ctx, long id, String body, String key, String message, List<String> chooseAgain,
                                      boolean note) {
        ctx.header("Retry-After", "5");
        TicketDetail ticket;
        try {
            ticket = detail(ctx, id);
        } catch (RuntimeException again) {
            ticket = null; // the form alone, with the text, is what matters now
        }
        renderTicket(ctx, 503, ticket, body, key, message, null, id, chooseAgain, note);
    }

    /** The member of staff's held replies on this ticket, each with the messages they had not seen. */
    private List<HeldReplies.Shown> heldShown(Context ctx, long ticketId) {
        var viewer = Pages.user(ctx).viewer();
        return held.heldOn(viewer, ticketId).value().stream()
                .map(h -> new HeldReplies.Shown(h, held.newerThan(ticketId, h.seen(), viewer.staffId()).value()))
                .toList();
    }

    /** {@code GET /tickets/{id}/messages/{messageId}}: one message whole, where the thread shows only the start of a long one. */
    public void message(Context ctx) {
        long id = ctx.pathParamAsClass("id", Long.class).get();
        long messageId = ctx.pathParamAsClass("messageId", Long.class).get();
        WholeMessage whole = Freshness.note(ctx, queries.wholeMessage(Pages.user(ctx).viewer(), id, messageId));
        Pages.render(ctx, "message.jte", Map.of("whole", whole));
    }

    /** {@code GET /attachments/{id}}: the bytes, with headers that never let them run as our page. */
    public void attachment(Context ctx) {
        long id = ctx.pathParamAsClass("id", Long.class).get();
        Attachments.send(ctx, Freshness.note(ctx, queries.attachment(Pages.user(ctx).viewer(), id)));
    }

    public void raw(Context ctx) {
        long id = ctx.pathParamAsClass("id", Long.class).get();
        RawMail.send(ctx, id, Freshness.note(ctx, queries.rawInbound(Pages.user(ctx).viewer(), id)));
    }

    private void renderTicket(Context ctx, int status, TicketDetail ticket, String body, String key,
                              String error, String notice, List<String> chooseAgain, boolean note) {
        renderTicket(ctx, status, ticket, body, key, error, notice, ticket.id(), chooseAgain, note);
    }

    /**
     * {@code ticket} may be null when it could not be loaded; the page then shows only the reply form.
     * {@code chooseAgain} names the files the request carried, which the form cannot keep. {@code note}
     * says which form the text, the key and the error belong to (the note form or the reply form), so
     * a note that comes back is never in the box that mails the customer.
     */
    private void renderTicket(Context ctx, int status, TicketDetail ticket, String body, String key,
                              String error, String notice, long ticketId, List<String> chooseAgain, boolean note) {
        Map<String, Object> model = new HashMap<>();
        model.put("ticket", ticket);
        model.put("ticketId", ticketId);
        model.put("messages", ticket == null ? List.of() : ticket.messages());
        model.put("body", body);
        model.put("idempotencyKey", key);
        model.put("error", error);
        model.put("notice", notice);
        model.put("chooseAgain", chooseAgain);
        model.put("noteForm", note);
        boolean changeable = ticket != null && ticket.mayChange() && status < 500;
        model.put("owners", changeable ? queries.possibleOwners(Pages.user(ctx).viewer(), ticketId).value() : List.of());
        model.put("groups", changeable ? groups.get() : List.of());
        model.put("macros", changeable ? macros.choices() : List.of());
        model.put("me", Pages.user(ctx).email());
        model.put("customer", ticket != null && status < 500 ? queries.customerHistory(Pages.user(ctx).viewer(), ticketId).value() : null);
        model.put("seen", ticket == null ? seenOf(ctx.formParam("seen")) : Long.valueOf(ticket.version()));
        model.put("held", ticket != null && status < 500 ? heldShown(ctx, ticketId) : List.of());
        ctx.status(status);
        Pages.render(ctx, "ticket.jte", model);
    }
}
