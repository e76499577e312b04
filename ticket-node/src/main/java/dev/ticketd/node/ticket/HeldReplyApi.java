package dev.ticketd.node.ticket;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ticketd.node.web.ErrorMapping;
import dev.ticketd.node.web.Freshness;
import dev.ticketd.node.web.HttpProblem;
import dev.ticketd.node.web.JsonBodies;
import dev.ticketd.node.web.Pages;
import io.javalin.http.Context;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The stale-reply guard in the JSON API: the caller's held replies ({@code GET /api/v1/held-replies}),
 * sending one anyway and discarding one; and the 409 a held reply answers (shared with
 * {@link TicketApi#reply}).
 */
public final class HeldReplyApi {

    private static final Logger log = LoggerFactory.getLogger(HeldReplyApi.class);
    /** An entity tag of a version: {@code "1234"}, weak {@code W/"1234"}, or (leniently) the bare number. */
    private static final Pattern ETAG = Pattern.compile("^(?:W/)?(?:\"([0-9]{1,18})\"|([0-9]{1,18}))$");
    private static final String SEND_SHAPE = "the body is optional; when given it must be a JSON object such as "
            + "{\"body\": \"the edited text\", \"seen\": 1234}";

    private final HeldReplies held;
    private final ReplyService replies;

    public HeldReplyApi(HeldReplies held, ReplyService replies) {
        this.held = held;
        this.replies = replies;
    }

    /** {@code GET /api/v1/held-replies?limit=}: the caller's held replies, newest first (at most {@link HeldReplies#MAX_LISTED}). */
    public void list(Context ctx) {
        int limit = limit(ctx.queryParam("limit"));
        List<HeldReplies.HeldReply> mine = Freshness.note(ctx, held.heldBy(Pages.user(ctx).viewer(), limit));
        ctx.json(Map.of("heldReplies", mine, "limit", limit));
    }

    /**
     * {@code POST /api/v1/held-replies/{id}/send} with an optional {@code {"body", "seen"}} (or
     * {@code If-Match}): 201 and the message, 200 when it was sent already, 409 when it is held again.
     */
    public void send(Context ctx) {
        long id = ctx.pathParamAsClass("id", Long.class).get();
        String body = null;
        Long seenInBody = null;
        if (!ctx.body().isBlank()) {
            JsonNode json = JsonBodies.object(ctx, SEND_SHAPE);
            List<String> unknown = JsonBodies.unknownFields(json, List.of("body", "seen"));
            if (!unknown.isEmpty()) {
                throw HttpProblem.badRequest("sending a held reply takes body and seen; not " + String.join(", ", unknown));
            }
            if (json.has("body")) {
                if (!json.get("body").isTextual()) {
                    throw HttpProblem.badRequest("body must be a string: the reply's text as it is to be sent");
                }
                body = json.get("body").asText();
            }
            if (json.has("seen") && !json.get("seen").isNull()) {
                if (!json.get("seen").canConvertToLong() || !json.get("seen").isIntegralNumber()) {
                    throw HttpProblem.badRequest("seen must be a whole number: the ticket's version you have seen");
                }
                seenInBody = json.get("seen").asLong();
            }
        }
        ReplyService.Outcome outcome = replies.sendHeld(id, Pages.user(ctx), body, seen(seenInBody, ctx.header("If-Match")));
        answer(ctx, outcome);
    }

    /** {@code POST /api/v1/held-replies/{id}/discard}: the held reply, discarded (a repeat answers the same). */
    public void discard(Context ctx) {
        long id = ctx.pathParamAsClass("id", Long.class).get();
        ctx.json(replies.discardHeld(id, Pages.user(ctx)));
    }

    /** A reply's or a send's outcome: 201/200 and the message, or 409 with the held reply and what changed. */
    static void answer(Context ctx, ReplyService.Outcome outcome) {
        if (outcome instanceof ReplyService.Sent sent) {
            ctx.status(sent.result().created() ? 201 : 200).json(sent.result().message());
            return;
        }
        ReplyService.Held h = (ReplyService.Held) outcome;
        String errorId = ErrorMapping.newErrorId();
        log.info("reply held errorId={} ticket={} heldReply={} seen={} newMessages={}", errorId, h.reply().ticketId(),
                h.reply().id(), h.reply().seen(), h.newer().size());
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("error", "the ticket received " + h.newer().size() + " new message(s) after version " + h.reply().seen()
                + " you saw, so the reply was held, not sent: send it anyway (POST /api/v1/held-replies/" + h.reply().id()
                + "/send, with the new version as seen), or discard it");
        body.put("errorId", errorId);
        body.put("heldReply", h.reply());
        body.put("newMessages", h.newer());
        body.put("version", h.version());
        ctx.status(409).json(body);
    }

    /**
     * The version a request says it saw: {@code seen} from its body, or {@code If-Match} (the version
     * in quotes, {@code "1234"}; {@code *} says nothing). Null when neither is given.
     */
    static Long seen(Long inBody, String ifMatch) {
        if (ifMatch == null || ifMatch.isBlank() || ifMatch.strip().equals("*")) {
            return inBody;
        }
        Matcher m = ETAG.matcher(ifMatch.strip());
        if (!m.matches()) {
            throw HttpProblem.badRequest("If-Match must be the ticket's version in quotes, such as \"1234\" (its \"version\" field)");
        }
        long fromHeader = Long.parseLong(m.group(1) != null ? m.group(1) : m.group(2));
        if (inBody != null && inBody != fromHeader) {
            throw HttpProblem.badRequest("seen (" + inBody + ") and If-Match (" + fromHeader + ") disagree; send one of them");
        }
        return fromHeader;
    }

    private static int limit(String value) {
        if (value == null || value.isBlank()) {
            return TicketApi.DEFAULT_LIMIT;
        }
        try {
            int limit = Integer.parseInt(value.strip());
            if (limit >= 1 && limit <= HeldReplies.MAX_LISTED) {
                return limit;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw HttpProblem.badRequest("limit must be a whole number from 1 to " + HeldReplies.MAX_LISTED);
    }
}
