package dev.ticketd.node.web;

import gg.jte.ContentType;
import gg.jte.TemplateEngine;
import gg.jte.output.StringOutput;
import io.javalin.http.Context;
import io.javalin.rendering.FileRenderer;

import java.util.Map;

/**
 * Renders the templates that jte-maven-plugin precompiled at build time (no compiler at runtime).
 * The HTML content type escapes every expression by default.
 */
final class JteRenderer implements FileRenderer {

    private final TemplateEngine engine = TemplateEngine.createPrecompiled(ContentType.Html);

    @Override
    @SuppressWarnings("unchecked")
    public String render(String filePath, Map<String, ?> model, Context ctx) {
        StringOutput output = new StringOutput();
        // Cast: with a Map<String, ?> jte would bind the whole map to a single parameter.
        engine.render(filePath, (Map<String, Object>) model, output);
        ctx.contentType("text/html; charset=utf-8");
        return output.toString();
    }
}
