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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Runs before every matched route and decides access from the route's {@link Access} role.
 * <ul>
 *   <li>{@code /api/**} and {@code /metrics}: only {@code Authorization: Bearer <token>}; cookies are ignored, so the
 *       API needs no CSRF protection. Otherwise 401 JSON.</li>
 *   <li>Other routes: the session cookie; otherwise a redirect to {@code /login}. Every POST must
 *       carry the session's CSRF token in the form field {@value #CSRF_FIELD}, or it is refused with
 *       403 before the handler runs.</li>
 *   <li>Public routes: no check; a handler may still ask who is calling ({@link Pages#staffIfAny}).</li>
 * </ul>
 */
final class AuthFilter implements Handler {

    static final String SESSION_COOKIE = "ticketd_session";
    static final String CSRF_FIELD = "csrf";

    private static final Logger log = LoggerFactory.getLogger(AuthFilter.class);

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
            ctx.attribute(Pages.OPTIONAL_USER_ATTRIBUTE, (Supplier<Optional<StaffUser>>) () -> optionalUser(ctx));
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

    /**
     * For {@link Pages#staffIfAny}: a bearer token if one is sent, else the session cookie; never
     * answers. When the credentials cannot be checked (no database answers) the caller counts as
     * anonymous: a public route must still answer, with no more than it tells anyone.
     */
    private Optional<StaffUser> optionalUser(Context ctx) {
        try {
            String token = bearerToken(ctx);
            if (token != null) {
                return apiTokens.authenticate(token);
            }
            return sessions.find(ctx.cookie(SESSION_COOKIE)).map(WebSessions.Session::user);
        } catch (RuntimeException e) {
            log.warn("credentials on a public route not checked, answering as to anyone path={} error={}", ctx.path(), e.toString());
            return Optional.empty();
        }
    }

    private static String bearerToken(Context ctx) {
        String header = ctx.header("Authorization");
        return header != null && header.regionMatches(true, 0, "Bearer ", 0, 7) ? header.substring(7).strip() : null;
    }

    private StaffUser apiUser(Context ctx) {
        Optional<StaffUser> user = apiTokens.authenticate(bearerToken(ctx));
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
        // every method that may change something, not only POST: a page route added with PUT or PATCH stays guarded
        if (ctx.method() != HandlerType.GET && ctx.method() != HandlerType.HEAD
                && !Secrets.constantTimeEquals(ctx.formParam(CSRF_FIELD), session.get().csrfToken())) {
            throw new HttpProblem(403, "this form's security token is missing or out of date; "
                    + "go back, reload the page and submit again");
        }
        ctx.attribute(Pages.SESSION_ATTRIBUTE, session.get());
        return session.get().user();
    }
}
