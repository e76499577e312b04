package dev.ticketd.node.sla;

import dev.ticketd.desk.InvalidRequestException;
import dev.ticketd.desk.Priority;
import dev.ticketd.node.web.Pages;
import dev.ticketd.node.web.RouteTable;
import dev.ticketd.node.web.WebFeature;
import io.javalin.http.Context;
import io.javalin.http.HttpStatus;

import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import static dev.ticketd.node.web.Access.ADMIN;

/**
 * The admin screen of the service levels ({@code /admin/sla}; admins only): the policies of each
 * group and priority, the business-hours calendars and their holidays, over {@link SlaAdmin} (the
 * same service as {@code ticketd sla}). Every form is a POST carrying the CSRF token (checked by the
 * auth filter); a change redirects back (post/redirect/get), a refused one shows the page again with
 * what was typed and the message naming the bad field, with 400.
 */
public final class SlaRoutes implements WebFeature {

    private final SlaAdmin admin;
    private final Supplier<List<String>> groups;

    /** @param groups the names of the groups, for the policy form's choice */
    public SlaRoutes(SlaAdmin admin, Supplier<List<String>> groups) {
        this.admin = admin;
        this.groups = groups;
    }

    @Override
    public void addRoutes(RouteTable routes) {
        routes.get("/admin/sla", this::page, ADMIN)
                .post("/admin/sla/policies", this::savePolicy, ADMIN)
                .post("/admin/sla/policies/remove", this::removePolicy, ADMIN)
                .post("/admin/sla/calendars", this::saveCalendar, ADMIN)
                .post("/admin/sla/holidays", this::holiday, ADMIN);
    }

    private void page(Context ctx) {
        render(ctx, null, Map.of());
    }

    private void savePolicy(Context ctx) {
        Map<String, String> form = form(ctx, "group", "priority", "calendar", "firstResponse", "nextResponse", "resolution", "warnBefore");
        change(ctx, form, () -> admin.savePolicy(form.get("group"), form.get("priority"), form.get("calendar"), form.get("firstResponse"),
                form.get("nextResponse"), form.get("resolution"), form.get("warnBefore"), "on".equals(ctx.formParam("raisePriority")),
                "on".equals(ctx.formParam("notifyGroup"))));
    }

    private void removePolicy(Context ctx) {
        change(ctx, Map.of(), () -> admin.removePolicy(ctx.formParam("group"), ctx.formParam("priority")));
    }

    private void saveCalendar(Context ctx) {
        Map<String, String> form = form(ctx, "name", "zone", "hours");
        change(ctx, form, () -> admin.saveCalendar(form.get("name"), form.get("zone"),
                Arrays.stream(form.get("hours").split("[\\r\\n,;]+")).filter(l -> !l.isBlank()).toList()));
    }

    private void holiday(Context ctx) {
        Map<String, String> form = form(ctx, "calendar", "day", "name");
        change(ctx, form, () -> {
            if ("true".equals(ctx.formParam("remove"))) {
                admin.removeHoliday(form.get("calendar"), form.get("day"));
            } else {
                admin.addHoliday(form.get("calendar"), form.get("day"), form.get("name"));
            }
        });
    }

    private void change(Context ctx, Map<String, String> form, Runnable change) {
        try {
            change.run();
        } catch (InvalidRequestException e) {
            ctx.status(400);
            render(ctx, e.getMessage(), form);
            return;
        }
        ctx.redirect("/admin/sla?saved", HttpStatus.SEE_OTHER);
    }

    private void render(Context ctx, String error, Map<String, String> form) {
        Map<String, Object> model = new HashMap<>();
        model.put("policies", admin.policies());
        model.put("calendars", admin.calendars());
        model.put("groups", groups.get());
        model.put("priorities", Arrays.stream(Priority.values()).map(Priority::value).toList());
        model.put("error", error);
        model.put("form", form);
        model.put("saved", ctx.queryParam("saved") != null && error == null);
        Pages.render(ctx, "admin-sla.jte", model);
    }

    private static Map<String, String> form(Context ctx, String... names) {
        Map<String, String> form = new HashMap<>();
        for (String name : names) {
            String v = ctx.formParam(name);
            form.put(name, v == null ? "" : v);
        }
        return form;
    }
}
