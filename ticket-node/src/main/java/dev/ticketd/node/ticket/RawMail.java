package dev.ticketd.node.ticket;

import io.javalin.http.Context;

/**
 * Serves stored RFC 822 bytes as a download. The mail is attacker-controlled, so it is never
 * rendered: attachment disposition, an exact content type and nosniff.
 */
final class RawMail {

    private RawMail() {
    }

    static void send(Context ctx, long inboundMessageId, byte[] raw) {
        ctx.header("Content-Disposition", "attachment; filename=\"message-" + inboundMessageId + ".eml\"");
        ctx.header("X-Content-Type-Options", "nosniff");
        ctx.contentType("message/rfc822");
        ctx.result(raw);
    }
}
