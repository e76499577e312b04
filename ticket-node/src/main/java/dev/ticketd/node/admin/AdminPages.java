package dev.ticketd.node.admin;

import dev.ticketd.desk.GroupAccess;
import dev.ticketd.desk.InvalidRequestException;
import dev.ticketd.node.auth.StaffGroups;
import dev.ticketd.node.web.Pages;
import io.javalin.http.Context;
import io.javalin.http.HttpStatus;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Browser handlers of the admin screens. Every form is a POST carrying the CSRF token (checked by the
 * auth filter); a change redirects back to its list (post/redirect/get), and a refused one shows the
 * form again with what was typed (never a password) and a message naming the problem, with 400.
 */
final class AdminPages {

    private final StaffAdmin staff;
    private final MailboxAdmin mailboxes;

    AdminPages(StaffAdmin staff, MailboxAdmin mailboxes) {
        this.staff = staff;
        this.mailboxes = mailboxes;
    }

    void users(Context ctx) {
        renderUsers(ctx, null, Map.of());
    }

    void createUser(Context ctx) {
        Map<String, String> form = form(ctx, "email", "displayName", "role");
        try {
            staff.create(form.get("email"), form.get("displayName"), ctx.formParam("password"), form.get("role"), groupsOf(ctx));
        } catch (InvalidRequestException e) {
            ctx.status(400);
            renderUsers(ctx, e.getMessage(), form);
            return;
        }
        ctx.redirect("/admin/users?saved", HttpStatus.SEE_OTHER);
    }

    void setRole(Context ctx) {
        userChange(ctx, id -> staff.change(id, ctx.formParam("role"), null, null));
    }

    void setActive(Context ctx) {
        userChange(ctx, id -> staff.change(id, null, switch (String.valueOf(ctx.formParam("active"))) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new InvalidRequestException("active must be true or false");
        }, null));
    }

    void setPassword(Context ctx) {
        userChange(ctx, id -> staff.setPassword(id, ctx.formParam("password")));
    }

    void setGroups(Context ctx) {
        userChange(ctx, id -> staff.change(id, null, null, groupsOf(ctx)));
    }

    void tokens(Context ctx) {
        renderTokens(ctx, ctx.pathParamAsClass("id", Long.class).get(), null, null);
    }

    void createToken(Context ctx) {
        long id = ctx.pathParamAsClass("id", Long.class).get();
        String days = ctx.formParam("expiresInDays");
        StaffAdmin.NewToken made;
        try {
            Integer parsed = null;
            if (days != null && !days.isBlank()) {
                try {
                    parsed = Integer.parseInt(days.strip());
                } catch (NumberFormatException e) {
                    throw new InvalidRequestException("the lifetime must be a whole number of days from 1 to " + StaffAdmin.MAX_TOKEN_DAYS);
                }
            }
            made = staff.createToken(id, ctx.formParam("name"), parsed);
        } catch (InvalidRequestException e) {
            ctx.status(400);
            renderTokens(ctx, id, null, e.getMessage());
            return;
        }
        // shown here once, never again: no redirect, and the page is not cached
        ctx.header("Cache-Control", "no-store");
        renderTokens(ctx, id, made, null);
    }

    void revokeToken(Context ctx) {
        long id = ctx.pathParamAsClass("id", Long.class).get();
        staff.revoke(id, ctx.pathParamAsClass("tokenId", Long.class).get());
        ctx.redirect("/admin/users/" + id + "/tokens?saved", HttpStatus.SEE_OTHER);
    }

    void groups(Context ctx) {
        renderGroups(ctx, null);
    }

    void createGroup(Context ctx) {
        groupChange(ctx, () -> staff.createGroup(ctx.formParam("name")));
    }

    void setMember(Context ctx) {
        long id = ctx.pathParamAsClass("id", Long.class).get();
        groupChange(ctx, () -> staff.setMember(id, ctx.formParam("email"), ctx.formParam("access")));
    }

    void removeMember(Context ctx) {
        long id = ctx.pathParamAsClass("id", Long.class).get();
        groupChange(ctx, () -> staff.removeMember(id, ctx.formParam("email")));
    }

    void setRoundRobin(Context ctx) {
        long id = ctx.pathParamAsClass("id", Long.class).get();
        groupChange(ctx, () -> staff.setRoundRobin(id, ctx.formParam("cap"), ctx.formParam("online")));
    }

    /** {@code GET /admin/mailboxes}; {@code ?edit=ID} fills the form with that mailbox. */
    void mailboxes(Context ctx) {
        String edit = ctx.queryParam("edit");
        renderMailboxes(ctx, null, edit == null ? Map.of() : mailboxes.formOf(edit));
    }

    void saveMailbox(Context ctx) {
        Map<String, String> form = form(ctx, MailboxAdmin.FIELD_ORDER.toArray(String[]::new));
        MailboxAdmin.Saved saved;
        try {
            saved = mailboxes.save(form);
        } catch (InvalidRequestException e) {
            ctx.status(400);
            renderMailboxes(ctx, e.getMessage(), form);
            return;
        }
        ctx.redirect("/admin/mailboxes?" + (saved.clusterNotified() ? "saved" : "unannounced=" + saved.mailbox().id()), HttpStatus.SEE_OTHER);
    }

    private interface UserChange {
        void apply(long id);
    }

    private void userChange(Context ctx, UserChange change) {
        long id = ctx.pathParamAsClass("id", Long.class).get();
        staff.user(id); // 404 before anything else
        try {
            change.apply(id);
        } catch (InvalidRequestException e) {
            ctx.status(400);
            renderUsers(ctx, "User " + id + ": " + e.getMessage(), Map.of());
            return;
        }
        ctx.redirect("/admin/users?saved", HttpStatus.SEE_OTHER);
    }

    private void groupChange(Context ctx, Runnable change) {
        try {
            change.run();
        } catch (InvalidRequestException e) {
            ctx.status(400);
            renderGroups(ctx, e.getMessage());
            return;
        }
        ctx.redirect("/admin/groups?saved", HttpStatus.SEE_OTHER);
    }

    /** The groups chosen in a form: a field {@code group.ID} per group, valued {@code full}, {@code read} or empty (none). */
    private Map<String, GroupAccess> groupsOf(Context ctx) {
        Map<String, GroupAccess> chosen = new LinkedHashMap<>();
        List<StaffGroups.Group> known = staff.groupNames();
        for (StaffGroups.Group g : known) {
            String access = ctx.formParam("group." + g.id());
            if (access != null && !access.isBlank()) {
                chosen.put(g.name(), StaffAdmin.access(access));
            }
        }
        // a group named in the form that does not exist (e.g. deleted meanwhile, or a forged form)
        ctx.formParamMap().keySet().stream().filter(k -> k.startsWith("group.")).forEach(k -> {
            String id = k.substring("group.".length());
            if (known.stream().noneMatch(g -> Long.toString(g.id()).equals(id))) {
                throw new InvalidRequestException("there is no group " + StaffAdmin.shown(id));
            }
        });
        return chosen;
    }

    private static Map<String, String> form(Context ctx, String... fields) {
        Map<String, String> form = new HashMap<>();
        for (String f : fields) {
            String v = ctx.formParam(f);
            if (v != null) {
                form.put(f, v);
            }
        }
        return form;
    }

    private void renderUsers(Context ctx, String error, Map<String, String> form) {
        Map<String, Object> model = new HashMap<>();
        model.put("users", staff.users());
        model.put("groups", staff.groupNames());
        model.put("error", error);
        model.put("form", form);
        model.put("saved", ctx.queryParam("saved") != null && error == null);
        Pages.render(ctx, "admin-users.jte", model);
    }

    private void renderTokens(Context ctx, long id, StaffAdmin.NewToken made, String error) {
        Map<String, Object> model = new HashMap<>();
        model.put("account", staff.user(id));
        model.put("tokens", staff.tokens(id));
        model.put("newToken", made);
        model.put("error", error);
        model.put("saved", ctx.queryParam("saved") != null && error == null);
        Pages.render(ctx, "admin-tokens.jte", model);
    }

    private void renderGroups(Context ctx, String error) {
        Map<String, Object> model = new HashMap<>();
        model.put("groups", staff.groups());
        model.put("roundRobins", staff.roundRobins());
        model.put("error", error);
        model.put("saved", ctx.queryParam("saved") != null && error == null);
        Pages.render(ctx, "admin-groups.jte", model);
    }

    private void renderMailboxes(Context ctx, String error, Map<String, String> form) {
        Map<String, Object> model = new HashMap<>();
        model.put("mailboxes", mailboxes.listed());
        model.put("secretReports", mailboxes.secretReports());
        model.put("groups", staff.groupNames());
        model.put("error", error);
        model.put("form", form);
        model.put("saved", ctx.queryParam("saved") != null && error == null);
        model.put("unannounced", error == null ? ctx.queryParam("unannounced") : null);
        Pages.render(ctx, "admin-mailboxes.jte", model);
    }
}
