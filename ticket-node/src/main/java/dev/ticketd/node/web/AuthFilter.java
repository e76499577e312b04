package dev.ticketd.node.web;

import dev.ticketd.node.auth.ApiTokens;
import dev.ticketd.node.auth.Secrets;
import dev.ticketd.node.auth.StaffUser;
import dev.ticketd.node.auth.WebSessions;
import io.javalin.http.Context;
import io.javalin.http.Handler;
import io.javalin.http.HandlerType;
import io.javalin.http.HttpStatus;
import io.javalin.security.RouteRole;

import java.util.Optional;
import java.util.Set;

/**
 * Runs before every matched route and decides access from the route's {@link Access} role.
 * <ul>
 *   <li>{@code /api/**} and {@code /metrics}: only {@code Authorization: Bearer <token>}; cookies are ignored, so the
 *       API needs no CSRF protection. Otherwise 401 JSON.</li>
 *   <li>Other routes: the session cookie; otherwise a redirect to {@code /login}. Every POST must
 *       carry the session's CSRF token in the form field {@value #CSRF_FIELD}, or it is refused with
 *       403 before the handler runs.</li>
 * </ul>
 */
final class AuthFilter implements Handler {

    static final String SESSION_COOKIE = "ticketd_session";
    static final String CSRF_FIELD = "csrf";

    private final WebSessions sessions;
    private final ApiTokens apiTokens;

    AuthFilter(WebSessions sessions, ApiTokens apiTokens) {
        this.sessions = sessions;
        this.apiTokens = apiTokens;
    }

    @Override
    public void handle(Context ctx) {
        Set<RouteRole> roles = ctx.routeRoles();
        if (roles.contains(Access.PUBLIC)) {
            return;
        }
        StaffUser user = ctx.path().startsWith("/api/") || ctx.path().equals("/metrics") ? apiUser(ctx) : browserUser(ctx);
        if (user == null) {
            return; // already answered
        }
        boolean admitted = roles.isEmpty() || roles.stream().allMatch(r -> r instanceof Access a && a.allows(user.role()));
        if (!admitted) {
            throw new HttpProblem(403, "your role (" + user.role().dbValue() + ") may not use this page");
        }
        ctx.attribute(Pages.USER_ATTRIBUTE, user);
    }

    private StaffUser apiUser(Context ctx) {
        String header = ctx.header("Authorization");
        String token = header != null && header.regionMatches(true, 0, "Bearer ", 0, 7) ? header.substring(7).strip() : null;
        Optional<StaffUser> user = apiTokens.authenticate(token);
        if (user.isEmpty()) {
            ctx.header("WWW-Authenticate", "Bearer");
            throw new HttpProblem(401, "a valid API token is required: send the header Authorization: Bearer <token>");
        }
        return user.get();
    }

    private StaffUser browserUser(Context ctx) {
        Optional<WebSessions.Session> session = sessions.find(ctx.cookie(SESSION_COOKIE));
        if (session.isEmpty()) {
            ctx.redirect("/login", HttpStatus.SEE_OTHER);
            ctx.skipRemainingHandlers();
            return null;
        }
        if (ctx.method() == HandlerType.POST
                && !Secrets.constantTimeEquals(ctx.formParam(CSRF_FIELD), session.get().csrfToken())) {
            throw new HttpProblem(403, "this form's security token is missing or out of date; "
                    + "go back, reload the page and submit again");
        }
        ctx.attribute(Pages.SESSION_ATTRIBUTE, session.get());
        return session.get().user();
    }
}
