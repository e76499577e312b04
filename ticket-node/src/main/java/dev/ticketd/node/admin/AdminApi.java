package dev.ticketd.node.admin;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ticketd.desk.GroupAccess;
import dev.ticketd.node.web.HttpProblem;
import dev.ticketd.node.web.JsonBodies;
import io.javalin.http.Context;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/** JSON API under {@code /api/v1/admin/}: the same {@link StaffAdmin} and {@link MailboxAdmin} as the pages. */
final class AdminApi {

    private final StaffAdmin staff;
    private final MailboxAdmin mailboxes;

    AdminApi(StaffAdmin staff, MailboxAdmin mailboxes) {
        this.staff = staff;
        this.mailboxes = mailboxes;
    }

    void users(Context ctx) {
        ctx.json(Map.of("users", staff.users()));
    }

    void createUser(Context ctx) {
        JsonNode body = object(ctx, Set.of("email", "displayName", "password", "role", "groups"));
        ctx.status(201).json(staff.create(text(body, "email"), text(body, "displayName"), text(body, "password"),
                body.has("role") ? text(body, "role") : "agent", body.has("groups") ? accessMap(body, "groups") : Map.of()));
    }

    void changeUser(Context ctx) {
        long id = ctx.pathParamAsClass("id", Long.class).get();
        JsonNode body = object(ctx, Set.of("role", "active", "groups"));
        Boolean active = null;
        if (body.has("active")) {
            if (!body.get("active").isBoolean()) {
                throw HttpProblem.badRequest("active must be true or false");
            }
            active = body.get("active").asBoolean();
        }
        ctx.json(staff.change(id, body.has("role") ? text(body, "role") : null, active,
                body.has("groups") ? accessMap(body, "groups") : null));
    }

    void tokens(Context ctx) {
        ctx.json(Map.of("tokens", staff.tokens(ctx.pathParamAsClass("id", Long.class).get())));
    }

    void createToken(Context ctx) {
        long id = ctx.pathParamAsClass("id", Long.class).get();
        JsonNode body = object(ctx, Set.of("name", "expiresInDays"));
        Integer days = null;
        if (body.has("expiresInDays")) {
            if (!body.get("expiresInDays").canConvertToInt() || !body.get("expiresInDays").isIntegralNumber()) {
                throw HttpProblem.badRequest("expiresInDays must be a whole number from 1 to " + StaffAdmin.MAX_TOKEN_DAYS);
            }
            days = body.get("expiresInDays").asInt();
        }
        ctx.status(201).json(staff.createToken(id, text(body, "name"), days));
    }

    void revokeToken(Context ctx) {
        long id = ctx.pathParamAsClass("id", Long.class).get();
        long tokenId = ctx.pathParamAsClass("tokenId", Long.class).get();
        staff.revoke(id, tokenId);
        ctx.json(staff.tokens(id).stream().filter(t -> t.id() == tokenId).findFirst().orElseThrow());
    }

    void groups(Context ctx) {
        ctx.json(Map.of("groups", staff.groups()));
    }

    void createGroup(Context ctx) {
        JsonNode body = object(ctx, Set.of("name"));
        ctx.status(201).json(staff.createGroup(text(body, "name")));
    }

    void setMembers(Context ctx) {
        long id = ctx.pathParamAsClass("id", Long.class).get();
        JsonNode body = object(ctx, Set.of("members"));
        if (!body.has("members")) {
            throw HttpProblem.badRequest("members is required: {\"members\": {\"ann@example.com\": \"full\"}}");
        }
        ctx.json(staff.setMembers(id, accessMap(body, "members")));
    }

    /** {@code {"cap": 20, "onlineMinutes": 10}} turns round robin on; {@code {"cap": null}} turns it off. */
    void setRoundRobin(Context ctx) {
        long id = ctx.pathParamAsClass("id", Long.class).get();
        JsonNode body = object(ctx, Set.of("cap", "onlineMinutes"));
        if (!body.has("cap")) {
            throw HttpProblem.badRequest("cap is required: {\"cap\": 20, \"onlineMinutes\": 10} turns round robin on, {\"cap\": null} off");
        }
        ctx.json(staff.setRoundRobin(id, wholeNumber(body, "cap"), wholeNumber(body, "onlineMinutes")));
    }

    /** A whole number, or null when absent or null; anything else is 400 naming the field. */
    private static Integer wholeNumber(JsonNode body, String field) {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isIntegralNumber() || !v.canConvertToInt()) {
            throw HttpProblem.badRequest(field + " must be a whole number");
        }
        return v.asInt();
    }

    void mailboxes(Context ctx) {
        ctx.json(mailboxes.list());
    }

    void saveMailbox(Context ctx) {
        JsonNode body = object(ctx, MailboxAdmin.FIELDS);
        Map<String, String> values = new LinkedHashMap<>();
        for (String field : MailboxAdmin.FIELDS) {
            JsonNode v = body.get(field);
            if (v != null && !v.isNull()) {
                if (!v.isTextual() && !v.isIntegralNumber()) {
                    throw HttpProblem.badRequest(field + " must be a string" + (field.endsWith("Port") ? " or a number" : ""));
                }
                values.put(field, v.asText());
            }
        }
        ctx.json(mailboxes.save(values));
    }

    /** The body as a JSON object with only {@code allowed} fields; anything else is 400 naming it. */
    static JsonNode object(Context ctx, Set<String> allowed) {
        JsonNode body = JsonBodies.object(ctx, "the body must be a JSON object with " + String.join(", ", new TreeSet<>(allowed)));
        List<String> unknown = JsonBodies.unknownFields(body, allowed);
        if (!unknown.isEmpty()) {
            throw HttpProblem.badRequest("unknown field " + StaffAdmin.shown(String.join(", ", unknown)));
        }
        return body;
    }

    private static String text(JsonNode body, String field) {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isTextual()) {
            throw HttpProblem.badRequest(field + " must be a string");
        }
        return v.asText();
    }

    /** {@code {"name": "full" | "read"}}, in the order given. */
    private static Map<String, GroupAccess> accessMap(JsonNode body, String field) {
        JsonNode v = body.get(field);
        if (v == null || !v.isObject()) {
            throw HttpProblem.badRequest(field + " must be an object of name to access (full or read)");
        }
        Map<String, GroupAccess> map = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = v.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!e.getValue().isTextual()) {
                throw HttpProblem.badRequest(field + "." + StaffAdmin.shown(e.getKey()) + " must be full or read");
            }
            map.put(e.getKey(), StaffAdmin.access(e.getValue().asText()));
        }
        return map;
    }
}
