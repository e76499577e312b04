package dev.ticketd.node.ticket;

import io.javalin.http.Context;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Set;

/**
 * Serves stored attachment bytes. They come from strangers' mail, so nothing is ever rendered as
 * a document of this origin: only a few image types that browsers cannot execute keep their type
 * (and may show inline, as {@code <img>} on the ticket page); everything else is an
 * {@code application/octet-stream} download. Always {@code nosniff} and {@code CSP: sandbox}, so
 * even a mislabelled file opened directly runs no script with our origin.
 */
public final class Attachments {

    static final Set<String> INLINE_IMAGE_TYPES = Set.of("image/png", "image/jpeg", "image/gif", "image/webp");

    private Attachments() {
    }

    /** The URL of an attachment's bytes: the route {@code GET /attachments/{id}}. */
    public static String url(long attachmentId) {
        return "/attachments/" + attachmentId;
    }

    static boolean showsInline(String contentType) {
        return INLINE_IMAGE_TYPES.contains(contentType);
    }

    static void send(Context ctx, StoredAttachment a) {
        boolean inline = showsInline(a.contentType());
        ctx.header("X-Content-Type-Options", "nosniff");
        ctx.header("Content-Security-Policy", "sandbox");
        ctx.header("Content-Disposition", (inline ? "inline" : "attachment") + "; filename*=UTF-8''" + rfc5987(a.filename()));
        ctx.contentType(inline ? a.contentType() : "application/octet-stream");
        ctx.result(a.content());
    }

    /** RFC 5987 value chars: ALPHA / DIGIT / "!#$&+-.^_`|~"; everything else percent-encoded UTF-8. */
    static String rfc5987(String filename) {
        String encoded = URLEncoder.encode(filename, StandardCharsets.UTF_8).replace("+", "%20");
        StringBuilder out = new StringBuilder(encoded.length());
        for (int i = 0; i < encoded.length(); i++) {
            char c = encoded.charAt(i);
            // URLEncoder leaves "*" unencoded; RFC 5987 does not allow it
            out.append(c == '*' ? "%2A" : String.valueOf(c));
        }
        return out.toString();
    }

    /** An attachment with its bytes. */
    record StoredAttachment(long id, String filename, String contentType, byte[] content) {
    }
}
