package dev.ticketd.node.ticket;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import dev.ticketd.desk.NotFoundException;
import dev.ticketd.node.auth.StaffUser;
import dev.ticketd.node.web.Freshness;
import dev.ticketd.node.web.HttpProblem;
import dev.ticketd.node.web.JsonBodies;
import dev.ticketd.node.web.LimitedBody;
import dev.ticketd.node.web.Pages;
import io.javalin.http.Context;

import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/** JSON API handlers for tickets under {@code /api/v1}: same services as the pages. */
public final class TicketApi {

    public static final int DEFAULT_LIMIT = 50;

    /**
     * The JSON body of {@code POST /api/v1/tickets/{id}/replies} (and of a note); {@code attachments}
     * may be absent; {@code seen}, the ticket's version the reply was written against, too (a note ignores it).
     */
    public record ReplyRequest(String body, List<AttachmentRequest> attachments, Long seen) {
    }

    /** A file of a reply. Jackson decodes {@code contentBase64} (standard base64) straight into bytes, never into a String. */
    public record AttachmentRequest(String filename, String contentType, @JsonProperty("contentBase64") byte[] content) {
    }

    /**
     * The largest reply request read: the files' limit base64-encoded (4 bytes for every 3) plus
     * 1 MiB for the text (at most 100,000 characters, at most 6 bytes each JSON-escaped), the file
     * names and the padding. Only this route reads that much; every other keeps Javalin's limit.
     */
    public static final long MAX_REPLY_REQUEST_BYTES = 4 * ((ReplyAttachments.MAX_TOTAL_BYTES + 2) / 3) + 1024 * 1024;

    private static final String REPLY_SHAPE = "the request body must be JSON like {\"body\": \"text of the reply\", "
            + "\"attachments\": [{\"filename\": \"a.pdf\", \"contentType\": \"application/pdf\", \"contentBase64\": \"…\"}]}"
            + " (attachments are optional; a reply may also say \"seen\": the ticket's version it was written against)";
    private static final String REPLY_TOO_LARGE = "the request is larger than " + ReplyAttachments.megabytes(MAX_REPLY_REQUEST_BYTES)
            + "; a reply may carry at most " + ReplyAttachments.MAX_FILES + " files of at most "
            + ReplyAttachments.megabytes(ReplyAttachments.MAX_FILE_BYTES) + " each and "
            + ReplyAttachments.megabytes(ReplyAttachments.MAX_TOTAL_BYTES) + " together (before base64)";

    private final TicketQueries queries;
    private final ReplyService replies;
    private final TicketChanges changes;

    public TicketApi(TicketQueries queries, ReplyService replies, TicketChanges changes) {
        this.queries = queries;
        this.replies = replies;
        this.changes = changes;
    }

    /**
     * {@code PATCH /api/v1/tickets/{id}} with any of {@code status}, {@code priority}, {@code group}
     * (a name) and {@code owner} (a staff address, or null for nobody); with status {@code pending}
     * also {@code pendingUntil} (an ISO-8601 instant) and {@code pendingKind}: answers the ticket as
     * it is now. The values are checked first and applied in one transaction (all or nothing); a
     * value the ticket already has changes nothing, so a repeat is harmless. A field this version
     * cannot change is refused by name. When the change moved the ticket to a group the caller is
     * not in, the answer is {@code {"id", "group", "visible": false}}.
     */
    public void patch(Context ctx) {
        long id = ctx.pathParamAsClass("id", Long.class).get();
        JsonNode body = JsonBodies.object(ctx, PATCH_SHAPE);
        List<String> unknown = JsonBodies.unknownFields(body, PATCHABLE);
        if (!unknown.isEmpty()) {
            throw HttpProblem.badRequest("only " + String.join(", ", PATCHABLE) + " can be changed here; not " + String.join(", ", unknown));
        }
        TicketChanges.Wanted wanted = wanted(body);
        if (wanted.isEmpty()) {
            throw HttpProblem.badRequest("name what to change: status (one of " + TicketChanges.STATUSES + "), priority (one of "
                    + TicketChanges.PRIORITIES + "), group (a name), owner (a staff address, or null for nobody) or tags");
        }
        TicketChanges.Applied applied = changes.apply(id, Pages.user(ctx), wanted);
        try {
            ctx.json(Freshness.note(ctx, queries.detail(Pages.user(ctx).viewer(), id)));
        } catch (NotFoundException movedAway) {
            // the change moved the ticket to a group the caller is not in: it was done, and they see it no more
            ctx.json(Map.of("id", id, "group", applied.group().orElseThrow().to(), "visible", false));
        }
    }

    /**
     * {@code POST /api/v1/tickets/bulk} with {@code {"ids": [..], ...}} and any of the fields of a
     * PATCH: applies them to each ticket, each in its own transaction and audited, and answers
     * {@code {"results": [{"id", "status", "changed", "error"}]}} in the order given (a ticket the
     * caller may not change has its own 403 or 404 there; the others are changed). A repeat changes nothing.
     */
    public void bulk(Context ctx) {
        JsonNode body = JsonBodies.object(ctx, BULK_SHAPE);
        if (!body.path("ids").isArray()) {
            throw HttpProblem.badRequest(BULK_SHAPE);
        }
        List<String> unknown = JsonBodies.unknownFields(body, BULK_FIELDS);
        if (!unknown.isEmpty()) {
            throw HttpProblem.badRequest("a bulk change takes ids and any of " + String.join(", ", PATCHABLE) + ", addTags; not "
                    + String.join(", ", unknown));
        }
        List<Long> ids = new ArrayList<>();
        for (JsonNode id : body.get("ids")) {
            if (!id.canConvertToLong() || id.asLong() < 1) {
                throw HttpProblem.badRequest("ids must be ticket ids (positive whole numbers); got " + id);
            }
            ids.add(id.asLong());
        }
        ctx.json(Map.of("results", changes.applyToEach(ids, Pages.user(ctx), wanted(body))));
    }

    private static final String BULK_SHAPE = "the body must be a JSON object such as {\"ids\": [12, 13], \"status\": \"resolved\"}";

    private static final List<String> PATCHABLE = List.of("status", "priority", "group", "owner", "pendingUntil", "pendingKind", "tags");
    /** What a bulk change takes: the tickets, tags to add, and what a PATCH takes. */
    private static final List<String> BULK_FIELDS = java.util.stream.Stream.concat(java.util.stream.Stream.of("ids", "addTags"),
            PATCHABLE.stream()).toList();

    /** The fields of a PATCH (or a bulk change), each checked for its JSON type. */
    private static TicketChanges.Wanted wanted(JsonNode body) {
        return new TicketChanges.Wanted(text(body, "status", "one of " + TicketChanges.STATUSES),
                text(body, "priority", "one of " + TicketChanges.PRIORITIES), text(body, "group", "the name of a group"),
                owner(body), text(body, "pendingUntil", "an ISO-8601 instant such as 2026-12-24T09:00:00Z"),
                text(body, "pendingKind", "one of " + TicketChanges.KINDS), strings(body, "tags"), strings(body, "addTags"));
    }

    /** An array of strings, or absent. */
    private static Optional<List<String>> strings(JsonNode body, String field) {
        JsonNode value = body.get(field);
        if (value == null) {
            return Optional.empty();
        }
        if (!value.isArray() || value.size() > 100) {
            throw HttpProblem.badRequest(field + " must be an array of tags (strings), such as [\"refund\", \"vip\"]");
        }
        List<String> tags = new ArrayList<>();
        for (JsonNode tag : value) {
            if (!tag.isTextual()) {
                throw HttpProblem.badRequest(field + " must be an array of tags (strings), such as [\"refund\", \"vip\"]; not " + tag);
            }
            tags.add(tag.asText());
        }
        return Optional.of(tags);
    }
    private static final String PATCH_SHAPE = "the body must be a JSON object such as {\"status\": \"resolved\", \"priority\": \"high\", "
            + "\"group\": \"Support\", \"owner\": \"ann@example.com\"}";

    private static Optional<String> text(JsonNode body, String field, String allowed) {
        JsonNode value = body.get(field);
        if (value == null) {
            return Optional.empty();
        }
        if (!value.isTextual()) {
            throw HttpProblem.badRequest(field + " must be a string, " + allowed);
        }
        return Optional.of(value.asText());
    }

    /** {@code owner}: absent, null (nobody) or an address. */
    private static Optional<String> owner(JsonNode body) {
        JsonNode value = body.get("owner");
        if (value == null) {
            return Optional.empty();
        }
        if (value.isNull()) {
            return Optional.of("");
        }
        if (!value.isTextual() || value.asText().isBlank()) {
            throw HttpProblem.badRequest("owner must be the address of a member of staff, or null for nobody");
        }
        return Optional.of(value.asText());
    }

    /** {@code GET /api/v1/tickets?view=&status=&priority=&group=&owner=&tag=&q=&sort=&limit=&cursor=}: the tickets the caller may see. */
    public void list(Context ctx) {
        int limit = parseLimit(ctx.queryParam("limit"));
        TicketFilter filter = TicketFilter.parse(ctx::queryParam);
        ctx.json(Freshness.note(ctx, queries.list(Pages.user(ctx).viewer(), filter, limit,
                TicketCursor.decode(ctx.queryParam("cursor"), filter.sort()))));
    }

    public void detail(Context ctx) {
        ctx.json(Freshness.note(ctx, queries.detail(Pages.user(ctx).viewer(), ctx.pathParamAsClass("id", Long.class).get())));
    }

    /** {@code GET /api/v1/tickets/{id}/history}: the audit trail, newest first (at most {@link TicketQueries#HISTORY_SHOWN}). */
    public void history(Context ctx) {
        TicketDetail ticket = Freshness.note(ctx, queries.detail(Pages.user(ctx).viewer(), ctx.pathParamAsClass("id", Long.class).get()));
        ctx.json(Map.of("entries", ticket.history(), "limit", TicketQueries.HISTORY_SHOWN));
    }

    public void raw(Context ctx) {
        long id = ctx.pathParamAsClass("id", Long.class).get();
        RawMail.send(ctx, id, Freshness.note(ctx, queries.rawInbound(Pages.user(ctx).viewer(), id)));
    }

    /**
     * {@code POST /api/v1/tickets/{id}/replies}: with {@code seen} (or {@code If-Match}) guarded against
     * a stale view of the ticket: 409 with the held reply and what changed instead of a mail.
     */
    public void reply(Context ctx) {
        long id = ctx.pathParamAsClass("id", Long.class).get();
        String key = key(ctx, "reply");
        ReplyRequest request = readReplyRequest(ctx);
        if (request == null || request.body() == null || request.body().isBlank()) {
            throw HttpProblem.badRequest("\"body\" is required and must not be empty");
        }
        Long seen = HeldReplyApi.seen(request.seen(), ctx.header("If-Match"));
        HeldReplyApi.answer(ctx, replies.reply(id, Pages.user(ctx), request.body(), key, attachments(request.attachments()), seen));
    }

    private static String key(Context ctx, String what) {
        String key = ctx.header("Idempotency-Key");
        if (key == null || key.isBlank()) {
            throw HttpProblem.badRequest("the Idempotency-Key header is required (e.g. a random UUID per " + what + ")");
        }
        return key.strip();
    }

    /** {@code POST /api/v1/tickets/{id}/notes}: an internal note, shaped and limited like a reply; never mailed. */
    public void note(Context ctx) {
        staffMessage(ctx, "note", replies::note);
    }

    /** How a reply or a note is stored: {@link ReplyService#reply} or {@link ReplyService#note}. */
    @FunctionalInterface
    private interface Store {
        ReplyService.ReplyResult store(long ticketId, StaffUser author, String body, String key, List<ReplyAttachment> files);
    }

    private void staffMessage(Context ctx, String what, Store store) {
        long id = ctx.pathParamAsClass("id", Long.class).get();
        String key = key(ctx, what);
        ReplyRequest request = readReplyRequest(ctx);
        if (request == null || request.body() == null || request.body().isBlank()) {
            throw HttpProblem.badRequest("\"body\" is required and must not be empty");
        }
        ReplyService.ReplyResult result = store.store(id, Pages.user(ctx), request.body(), key,
                attachments(request.attachments()));
        ctx.status(result.created() ? 201 : 200).json(result.message());
    }

    private static ReplyRequest readReplyRequest(Context ctx) {
        try (InputStream body = LimitedBody.open(ctx, MAX_REPLY_REQUEST_BYTES, REPLY_TOO_LARGE)) {
            return ctx.jsonMapper().fromJsonStream(body, ReplyRequest.class);
        } catch (HttpProblem e) {
            throw e;
        } catch (Exception e) { // Jackson's and the stream's errors arrive as (sneakily thrown) checked exceptions
            if (LimitedBody.tooLarge(e)) {
                throw new HttpProblem(413, REPLY_TOO_LARGE);
            }
            if (e instanceof InvalidFormatException bad && bad.getTargetType() == byte[].class) {
                throw HttpProblem.badRequest(path(bad) + " is not valid base64");
            }
            if (e instanceof JsonMappingException mapping && !mapping.getPath().isEmpty()) {
                throw HttpProblem.badRequest(path(mapping) + " has the wrong type; " + REPLY_SHAPE);
            }
            throw HttpProblem.badRequest(REPLY_SHAPE);
        }
    }

    /** Where in the request a mapping error is, as a client would write it: {@code attachments[1].contentBase64}. */
    static String path(JsonMappingException e) {
        return e.getPath().stream()
                .map(r -> r.getFieldName() != null ? "." + r.getFieldName() : "[" + r.getIndex() + "]")
                .collect(Collectors.joining())
                .replaceFirst("^\\.", "");
    }

    private static List<ReplyAttachment> attachments(List<AttachmentRequest> given) {
        if (given == null) {
            return List.of();
        }
        List<ReplyAttachment> files = new ArrayList<>(given.size());
        for (int i = 0; i < given.size(); i++) {
            AttachmentRequest a = given.get(i);
            if (a == null || a.content() == null) {
                throw HttpProblem.badRequest("attachments[" + i + "].contentBase64 is required: the file's bytes in base64");
            }
            files.add(new ReplyAttachment(a.filename(), a.contentType(), a.content()));
        }
        return files;
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
