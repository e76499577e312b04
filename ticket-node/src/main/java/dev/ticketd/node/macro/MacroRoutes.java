package dev.ticketd.node.macro;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ticketd.desk.InvalidRequestException;
import dev.ticketd.desk.Priority;
import dev.ticketd.desk.TicketStatus;
import dev.ticketd.node.web.HttpProblem;
import dev.ticketd.node.web.JsonBodies;
import dev.ticketd.node.web.Pages;
import dev.ticketd.node.web.RouteTable;
import dev.ticketd.node.web.WebFeature;
import io.javalin.http.Context;
import io.javalin.http.HttpStatus;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;

import static dev.ticketd.node.web.Access.ADMIN;
import static dev.ticketd.node.web.Access.STAFF;

/**
 * Macros: the admin screen ({@code /admin/macros}; admins only, every form a POST with the CSRF
 * token the auth filter checks, a refused one shown again with what was typed and the message
 * naming the bad field, with 400), the JSON API ({@code /api/v1/macros}, listed to all staff,
 * changed by admins), and applying a macro to a ticket from the ticket page or the API (staff who
 * may change the ticket).
 */
public final class MacroRoutes implements WebFeature {

    static final Set<String> FIELDS = Set.of("name", "body", "bodyKind", "status", "priority", "group", "addTags", "removeTags");

    private final Macros macros;
    private final MacroUse use;
    private final Supplier<List<String>> groups;

    /** @param groups the names of the groups, for the macro form's choice */
    public MacroRoutes(Macros macros, MacroUse use, Supplier<List<String>> groups) {
        this.macros = macros;
        this.use = use;
        this.groups = groups;
    }

    @Override
    public void addRoutes(RouteTable routes) {
        routes.get("/admin/macros", this::page, ADMIN)
                .post("/admin/macros", this::save, ADMIN)
                .post("/admin/macros/{id}/delete", this::delete, ADMIN)
                .post("/tickets/{id}/macro", this::applyFromPage, STAFF)
                .get("/api/v1/macros", this::list, STAFF)
                .post("/api/v1/macros", this::create, ADMIN)
                .put("/api/v1/macros/{id}", this::replace, ADMIN)
                .delete("/api/v1/macros/{id}", this::remove, ADMIN)
                .post("/api/v1/tickets/{id}/macro", this::applyFromApi, STAFF);
    }

    private void page(Context ctx) {
        Map<String, String> form = new HashMap<>();
        String edit = ctx.queryParam("edit");
        if (edit != null && edit.matches("\\d{1,18}")) {
            Macro m = macros.get(Long.parseLong(edit));
            form.put("id", Long.toString(m.id()));
            form.put("name", m.name());
            form.put("body", m.body());
            form.put("bodyKind", m.bodyKind());
            form.put("status", m.status() == null ? "" : m.status());
            form.put("priority", m.priority() == null ? "" : m.priority());
            form.put("group", m.group() == null ? "" : m.group());
            form.put("addTags", String.join(" ", m.addTags()));
            form.put("removeTags", String.join(" ", m.removeTags()));
        }
        render(ctx, null, form);
    }

    private void save(Context ctx) {
        Map<String, String> form = new HashMap<>();
        for (String name : List.of("id", "name", "body", "bodyKind", "status", "priority", "group", "addTags", "removeTags")) {
            String v = ctx.formParam(name);
            form.put(name, v == null ? "" : v);
        }
        Long id = null;
        if (!form.get("id").isBlank()) {
            try {
                id = Long.parseLong(form.get("id").strip());
            } catch (NumberFormatException e) {
                throw HttpProblem.badRequest("the macro form's id is not a number; reload the page");
            }
        }
        try {
            macros.save(id, new Macros.Draft(form.get("name"), form.get("body"), form.get("bodyKind"), form.get("status"),
                    form.get("priority"), form.get("group"), List.of(form.get("addTags")), List.of(form.get("removeTags"))),
                    Pages.user(ctx).email());
        } catch (InvalidRequestException e) {
            ctx.status(400);
            render(ctx, e.getMessage(), form);
            return;
        }
        ctx.redirect("/admin/macros?saved", HttpStatus.SEE_OTHER);
    }

    private void delete(Context ctx) {
        macros.remove(ctx.pathParamAsClass("id", Long.class).get(), Pages.user(ctx).email());
        ctx.redirect("/admin/macros?deleted", HttpStatus.SEE_OTHER);
    }

    private void render(Context ctx, String error, Map<String, String> form) {
        Map<String, Object> model = new HashMap<>();
        model.put("macros", macros.list());
        model.put("groups", groups.get());
        model.put("statuses", Arrays.stream(TicketStatus.values()).map(TicketStatus::value).toList());
        model.put("priorities", Arrays.stream(Priority.values()).map(Priority::value).toList());
        model.put("placeholders", MacroTemplate.PLACEHOLDERS);
        model.put("error", error);
        model.put("form", form);
        model.put("notice", error != null ? null : ctx.queryParam("saved") != null ? "Saved."
                : ctx.queryParam("deleted") != null ? "Macro deleted." : null);
        Pages.render(ctx, "admin-macros.jte", model);
    }

    /** The ticket page's macro form: applies the actions, then shows the ticket with the body in its box, not yet sent. */
    private void applyFromPage(Context ctx) {
        long id = ctx.pathParamAsClass("id", Long.class).get();
        String macro = ctx.formParam("macro");
        if (macro == null || !macro.strip().matches("\\d{1,18}")) {
            throw HttpProblem.badRequest("choose a macro to apply");
        }
        MacroUse.Applied applied = use.apply(id, Pages.user(ctx), Long.parseLong(macro.strip()));
        // moved to a group the agent is not in: the ticket is out of their sight, so back to the list
        ctx.redirect(applied.visible() ? "/tickets/" + id + "?macro=" + applied.macro().id() + "&applied" : "/tickets",
                HttpStatus.SEE_OTHER);
    }

    private void list(Context ctx) {
        ctx.json(Map.of("macros", macros.list()));
    }

    private void create(Context ctx) {
        ctx.status(201).json(macros.save(null, draft(ctx), Pages.user(ctx).email()));
    }

    private void replace(Context ctx) {
        long id = ctx.pathParamAsClass("id", Long.class).get();
        ctx.json(macros.save(id, draft(ctx), Pages.user(ctx).email()));
    }

    private void remove(Context ctx) {
        macros.remove(ctx.pathParamAsClass("id", Long.class).get(), Pages.user(ctx).email());
        ctx.status(204);
    }

    /**
     * {@code POST /api/v1/tickets/{id}/macro} with {@code {"macro": 3}}: applies the macro's actions in
     * one transaction and answers what changed and its body filled in for this ticket; the body is not
     * sent (post it as a reply or note). Setting what the ticket already has writes nothing, so a repeat is harmless.
     */
    private void applyFromApi(Context ctx) {
        long id = ctx.pathParamAsClass("id", Long.class).get();
        JsonNode body = JsonBodies.object(ctx, "the body must be a JSON object such as {\"macro\": 3}");
        List<String> unknown = JsonBodies.unknownFields(body, List.of("macro"));
        if (!unknown.isEmpty()) {
            throw HttpProblem.badRequest("only macro goes here; not " + String.join(", ", unknown));
        }
        if (!body.path("macro").isIntegralNumber() || body.get("macro").asLong() < 1) {
            throw HttpProblem.badRequest("macro must be a macro's id (a positive whole number)");
        }
        MacroUse.Applied applied = use.apply(id, Pages.user(ctx), body.get("macro").asLong());
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("ticket", id);
        answer.put("macro", applied.macro().id());
        answer.put("changed", applied.changes().changed());
        answer.put("visible", applied.visible());
        answer.put("body", applied.filled().map(f -> f.body()).orElse(null));
        answer.put("bodyKind", applied.macro().bodyKind());
        ctx.json(answer);
    }

    private static Macros.Draft draft(Context ctx) {
        JsonNode body = JsonBodies.object(ctx, "the body must be a JSON object with " + String.join(", ", new TreeSet<>(FIELDS)));
        List<String> unknown = JsonBodies.unknownFields(body, FIELDS);
        if (!unknown.isEmpty()) {
            throw HttpProblem.badRequest("unknown field " + String.join(", ", unknown) + "; a macro has " + String.join(", ", new TreeSet<>(FIELDS)));
        }
        return new Macros.Draft(text(body, "name"), text(body, "body"), text(body, "bodyKind"), text(body, "status"), text(body, "priority"),
                text(body, "group"), tags(body, "addTags"), tags(body, "removeTags"));
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

    private static List<String> tags(JsonNode body, String field) {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) {
            return List.of();
        }
        if (!v.isArray()) {
            throw HttpProblem.badRequest(field + " must be a list of tags, such as [\"refund\", \"vip\"]");
        }
        List<String> tags = new ArrayList<>();
        for (JsonNode t : v) {
            if (!t.isTextual()) {
                throw HttpProblem.badRequest(field + " must be a list of tags (strings)");
            }
            tags.add(t.asText());
        }
        return tags;
    }
}
