package dev.ticketd.node.ticket;

import dev.ticketd.desk.ConflictException;
import dev.ticketd.desk.InvalidRequestException;
import dev.ticketd.desk.NotFoundException;
import dev.ticketd.db.DatabaseUnavailableException;
import dev.ticketd.desk.Priority;
import dev.ticketd.desk.TicketStatus;
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
import java.util.UUID;

/** Browser handlers for tickets: validate the request, call the services, render. */
public final class TicketPages {

    private static final Logger log = LoggerFactory.getLogger(TicketPages.class);

    static final int PAGE_SIZE = 100;

    private final TicketQueries queries;
    private final ReplyService replies;
    private final TicketChanges changes;

    public TicketPages(TicketQueries queries, ReplyService replies, TicketChanges changes) {
        this.queries = queries;
        this.replies = replies;
        this.changes = changes;
    }

    public void list(Context ctx) {
        TicketStatus status = StatusFilter.parse(ctx.queryParam("status"));
        TicketPage page = Freshness.note(ctx, queries.list(status, PAGE_SIZE, TicketCursor.decode(ctx.queryParam("cursor"))));
        Map<String, Object> model = new HashMap<>();
        model.put("tickets", page.tickets());
        model.put("nextCursor", page.nextCursor());
        model.put("status", status == null ? "" : status.value());
        model.put("statuses", Arrays.stream(TicketStatus.values()).map(TicketStatus::value).toList());
        Pages.render(ctx, "tickets.jte", model);
    }

    public void detail(Context ctx) {
        long id = ctx.pathParamAsClass("id", Long.class).get();
        String sent = ctx.queryParam("sent");
        String status = ctx.queryParam("status");
        String priority = ctx.queryParam("priority");
        String notice = "mail".equals(sent) ? "Reply saved; it will be emailed to the requester."
                : "stored".equals(sent) ? "Reply saved. This ticket has no mailbox, so it was not emailed."
                : "note".equals(sent) ? "Note saved. Only staff see it."
                : status != null && TicketStatus.of(status).isPresent() ? "Status set to " + status + "."
                : priority != null && Priority.of(priority).isPresent() ? "Priority set to " + priority + "."
                : null;
        renderTicket(ctx, 200, Freshness.note(ctx, queries.detail(id)), "", UUID.randomUUID().toString(), null, notice, List.of(), false);
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
        List<ReplyAttachment> files = uploadedFiles(ctx);
        // a page cannot hand chosen files back to the browser: when it comes back, it names them
        List<String> chooseAgain = files.stream().map(f -> ReplyAttachments.filename(f.filename())).toList();
        if (body.isBlank()) {
            renderTicket(ctx, 400, Freshness.note(ctx, queries.detail(id)), body, key,
                    note ? "The note is empty; write something before saving." : "The reply is empty; write a message before sending.",
                    null, chooseAgain, note);
            return;
        }
        ReplyService.ReplyResult result;
        try {
            result = note ? replies.note(id, Pages.user(ctx), body, key, files) : replies.reply(id, Pages.user(ctx), body, key, files);
        } catch (InvalidRequestException e) {
            renderTicket(ctx, 400, Freshness.note(ctx, queries.detail(id)), body, key, e.getMessage(), null, chooseAgain, note);
            return;
        } catch (NotFoundException | ConflictException e) {
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
        ctx.redirect("/tickets/" + id + "?sent=" + (note ? "note" : result.mailQueued() ? "mail" : "stored"), HttpStatus.SEE_OTHER);
    }

    /** The status form: sets the status and shows the ticket again (a bad value comes back as a 400 page naming it). */
    public void status(Context ctx) {
        long id = ctx.pathParamAsClass("id", Long.class).get();
        // the pending fields go with the status pending only; the form sends them whatever is chosen
        boolean pending = TicketStatus.PENDING.value().equals(ctx.formParam("status"));
        Tickets.Change<TicketStatus> change = changes.setStatus(id, Pages.user(ctx), ctx.formParam("status"),
                pending ? formInstant(ctx.formParam("pending_until")) : null, pending ? ctx.formParam("pending_kind") : null);
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
        Tickets.Change<Priority> change = changes.setPriority(id, Pages.user(ctx), ctx.formParam("priority"));
        ctx.redirect("/tickets/" + id + "?priority=" + change.to().value(), HttpStatus.SEE_OTHER);
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
            ticket = Freshness.note(ctx, queries.detail(id));
        } catch (RuntimeException again) {
            ticket = null; // the form alone, with the text, is what matters now
        }
        renderTicket(ctx, 503, ticket, body, key, message, null, id, chooseAgain, note);
    }

    /** {@code GET /tickets/{id}/messages/{messageId}}: one message whole, where the thread shows only the start of a long one. */
    public void message(Context ctx) {
        long id = ctx.pathParamAsClass("id", Long.class).get();
        long messageId = ctx.pathParamAsClass("messageId", Long.class).get();
        WholeMessage whole = Freshness.note(ctx, queries.wholeMessage(id, messageId));
        Pages.render(ctx, "message.jte", Map.of("whole", whole));
    }

    /** {@code GET /attachments/{id}}: the bytes, with headers that never let them run as our page. */
    public void attachment(Context ctx) {
        long id = ctx.pathParamAsClass("id", Long.class).get();
        Attachments.send(ctx, Freshness.note(ctx, queries.attachment(id)));
    }

    public void raw(Context ctx) {
        long id = ctx.pathParamAsClass("id", Long.class).get();
        RawMail.send(ctx, id, Freshness.note(ctx, queries.rawInbound(id)));
    }

    private static void renderTicket(Context ctx, int status, TicketDetail ticket, String body, String key,
                                     String error, String notice, List<String> chooseAgain, boolean note) {
        renderTicket(ctx, status, ticket, body, key, error, notice, ticket.id(), chooseAgain, note);
    }

    /**
     * {@code ticket} may be null when it could not be loaded; the page then shows only the reply form.
     * {@code chooseAgain} names the files the request carried, which the form cannot keep. {@code note}
     * says which form the text, the key and the error belong to (the note form or the reply form), so
     * a note that comes back is never in the box that mails the customer.
     */
    private static void renderTicket(Context ctx, int status, TicketDetail ticket, String body, String key,
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
        ctx.status(status);
        Pages.render(ctx, "ticket.jte", model);
    }
}
