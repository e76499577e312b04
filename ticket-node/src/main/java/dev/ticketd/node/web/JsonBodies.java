package dev.ticketd.node.web;

import com.fasterxml.jackson.databind.JsonNode;
import io.javalin.http.Context;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/** The JSON bodies of the API's writes: one object, and only the fields a call takes. */
public final class JsonBodies {

    private JsonBodies() {
    }

    /** The request's body as a JSON object; anything else (no body, not JSON, not an object) is a 400 saying {@code shape}. */
    public static JsonNode object(Context ctx, String shape) {
        JsonNode body;
        try {
            body = ctx.bodyAsClass(JsonNode.class);
        } catch (Exception e) { // Jackson's parse errors are checked exceptions that Javalin (Kotlin) passes on unchecked
            throw HttpProblem.badRequest(shape);
        }
        if (body == null || !body.isObject()) {
            throw HttpProblem.badRequest(shape);
        }
        return body;
    }

    /** The fields of {@code body} not among {@code allowed}, in the body's order (empty when none). */
    public static List<String> unknownFields(JsonNode body, Collection<String> allowed) {
        List<String> unknown = new ArrayList<>();
        body.fieldNames().forEachRemaining(name -> {
            if (!allowed.contains(name)) {
                unknown.add(name);
            }
        });
        return unknown;
    }
}
