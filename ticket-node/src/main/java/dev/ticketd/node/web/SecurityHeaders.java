package dev.ticketd.node.web;

import io.javalin.http.Context;

/**
 * Headers on every response: no framing, no sniffing, no third-party anything, no referrer leaks;
 * and over https, HSTS.
 */
final class SecurityHeaders {

    static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; "
            + "frame-ancestors 'none'; base-uri 'none'";

    private SecurityHeaders() {
    }

    /**
     * A year, for this host only: other hosts of the domain may still serve plain http, so no
     * includeSubDomains. Browsers ignore the header on a plain-http answer.
     */
    static final String HSTS = "max-age=31536000";

    static void apply(Context ctx, boolean https) {
        if (https) {
            ctx.header("Strict-Transport-Security", HSTS);
        }
        ctx.header("X-Content-Type-Options", "nosniff");
        ctx.header("X-Frame-Options", "DENY");
        ctx.header("Content-Security-Policy", CSP);
        ctx.header("Referrer-Policy", "same-origin");
        ctx.header("Cache-Control", "no-store");
    }
}
