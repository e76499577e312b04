package dev.ticketd.node.web;

import dev.ticketd.node.auth.StaffUser;
import dev.ticketd.node.auth.WebSessions;
import io.javalin.http.Context;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Access to the request's authenticated identity (set by {@link AuthFilter}) and page rendering
 * with the model every page layout needs ({@code user}, {@code csrf}).
 */
public final class Pages {

    static final String SESSION_ATTRIBUTE = "ticketd.session";
    static final String USER_ATTRIBUTE = "ticketd.user";
    static final String OPTIONAL_USER_ATTRIBUTE = "ticketd.optional-user";
    static final String HEADER_ATTRIBUTE = "ticketd.page-header";

    private Pages() {
    }

    /** The logged-in staff member; only call on routes that require login. */
    public static StaffUser user(Context ctx) {
        StaffUser user = ctx.attribute(USER_ATTRIBUTE);
        if (user == null) {
            throw new IllegalStateException("no authenticated user on " + ctx.path() + "; is the route PUBLIC by mistake?");
        }
        return user;
    }

    /**
     * On a public route: the staff member whose bearer token or session cookie came with the
     * request, if any and valid. Checked only when asked (one database read), never redirecting
     * or refusing; a route that must be staff-only is not public.
     */
    public static Optional<StaffUser> staffIfAny(Context ctx) {
        StaffUser user = ctx.attribute(USER_ATTRIBUTE);
        if (user != null) {
            return Optional.of(user);
        }
        Supplier<Optional<StaffUser>> lookup = ctx.attribute(OPTIONAL_USER_ATTRIBUTE);
        return lookup == null ? Optional.empty() : lookup.get();
    }

    static WebSessions.Session session(Context ctx) {
        return ctx.attribute(SESSION_ATTRIBUTE);
    }

    public static void render(Context ctx, String template, Map<String, Object> model) {
        Map<String, Object> full = new HashMap<>(model);
        WebSessions.Session session = session(ctx);
        full.putIfAbsent("user", session == null ? null : session.user());
        full.putIfAbsent("csrf", session == null ? "" : session.csrfToken());
        full.putIfAbsent("stale", Freshness.stale(ctx));
        PageHeader header = ctx.attribute(HEADER_ATTRIBUTE);
        if (session != null && header != null && !full.containsKey("myOpen")) {
            try {
                full.put("myOpen", header.openTickets(session.user()));
            } catch (RuntimeException e) {
                full.put("myOpen", null); // the header's count is never worth failing a page (e.g. during a failover)
            }
        }
        if (session != null && header != null && !full.containsKey("alerts")) {
            try {
                full.put("alerts", header.alerts());
            } catch (RuntimeException e) {
                full.put("alerts", List.of());
            }
        }
        ctx.render(template, full);
    }
}
