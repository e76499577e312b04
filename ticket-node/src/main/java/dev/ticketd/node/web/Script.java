package dev.ticketd.node.web;

import io.javalin.http.Context;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * The pages' one script (keyboard shortcuts, {@code assets/app.js}), served from the jar so the
 * CSP can stay at {@code script-src 'self'}: no inline script runs. The pages work without it.
 */
final class Script {

    private static final String JS = load();

    private Script() {
    }

    static void serve(Context ctx) {
        ctx.header("Cache-Control", "public, max-age=3600");
        ctx.contentType("text/javascript; charset=utf-8").result(JS);
    }

    private static String load() {
        try (InputStream in = Script.class.getResourceAsStream("/assets/app.js")) {
            if (in == null) {
                throw new IllegalStateException("assets/app.js is missing from the jar");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
