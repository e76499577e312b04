package dev.ticketd.node.web;

import dev.ticketd.node.auth.LoginThrottle;
import dev.ticketd.node.auth.Secrets;
import dev.ticketd.node.auth.StaffAccounts;
import dev.ticketd.node.auth.StaffUser;
import dev.ticketd.node.auth.Totp;
import dev.ticketd.node.auth.WebSessions;
import io.javalin.http.Context;
import io.javalin.http.Cookie;
import io.javalin.http.HttpStatus;
import io.javalin.http.SameSite;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Login and logout.
 *
 * <p>Login CSRF: before a session exists there is no server-side token, so the login form uses a
 * double-submit cookie. {@code GET /login} sets a random {@value #LOGIN_CSRF_COOKIE} cookie
 * (HttpOnly, SameSite=Lax, path /login) and puts the same value in a hidden field; {@code POST /login}
 * is refused unless both are present and equal. Another site can make a browser post the form, but
 * it can neither read nor set our cookie, so it cannot make a victim log in as the attacker. (An
 * attacker controlling a sibling subdomain could plant the cookie; the login form is the only thing
 * this protects, and such an attacker is out of scope here.)
 *
 * <p>Password guessing: {@link LoginThrottle} refuses attempts after too many failures (429 with
 * {@code Retry-After}) before the password is checked. The client address is the TCP peer's; behind
 * a load balancer that forwards without PROXY protocol it is the balancer's, which is why the
 * per-address limit is higher than the per-account one.
 */
final class LoginHandlers implements WebFeature {

    static final String LOGIN_CSRF_COOKIE = "ticketd_login_csrf";
    private static final String FAILED = "Email, password or one-time code is wrong, or the account is disabled.";

    private static final Logger log = LoggerFactory.getLogger(LoginHandlers.class);

    private final StaffAccounts accounts;
    private final LoginThrottle throttle;
    private final Totp totp;
    private final WebSessions sessions;
    private final boolean secureCookies;

    LoginHandlers(StaffAccounts accounts, LoginThrottle throttle, Totp totp, WebSessions sessions, boolean secureCookies) {
        this.accounts = accounts;
        this.throttle = throttle;
        this.totp = totp;
        this.sessions = sessions;
        this.secureCookies = secureCookies;
    }

    @Override
    public void addRoutes(RouteTable routes) {
        routes.get("/login", this::form, Access.PUBLIC)
                .post("/login", this::login, Access.PUBLIC)
                .post("/logout", this::logout, Access.STAFF);
    }

    void form(Context ctx) {
        renderForm(ctx, 200, "", null);
    }

    void login(Context ctx) {
        String cookieToken = ctx.cookie(LOGIN_CSRF_COOKIE);
        if (cookieToken == null || !Secrets.constantTimeEquals(cookieToken, ctx.formParam(AuthFilter.CSRF_FIELD))) {
            throw new HttpProblem(403, "the login form's security token is missing or out of date; "
                    + "reload the login page and try again (cookies must be enabled)");
        }
        String email = Optional.ofNullable(ctx.formParam("email")).orElse("").strip();
        String password = Optional.ofNullable(ctx.formParam("password")).orElse("");
        String address = ctx.ip();
        // refused before the password is looked at: a locked account cannot be probed at all
        Optional<LoginThrottle.Refusal> refusal = throttle.admit(email, address);
        if (refusal.isPresent()) {
            long seconds = refusal.get().seconds();
            log.info("login refused, too many failures ip={} retryAfterSeconds={}", address, seconds);
            ctx.header("Retry-After", Long.toString(seconds));
            renderForm(ctx, 429, email, "Too many failed logins, try again in " + seconds + " s.");
            return;
        }
        // a wrong one-time code looks like a wrong password: the answer does not say which one was right
        Optional<StaffUser> user = accounts.authenticate(email, password)
                .filter(u -> totp.accepts(u.id(), ctx.formParam("code")));
        if (user.isEmpty()) {
            throttle.failed(email, address);
            log.info("login failed ip={}", address);
            renderForm(ctx, 401, email, FAILED);
            return;
        }
        throttle.succeeded(email, address);
        WebSessions.NewSession session = sessions.create(user.get().id());
        ctx.cookie(cookie(AuthFilter.SESSION_COOKIE, session.token(), "/", (int) sessions.ttl().toSeconds()));
        ctx.cookie(cookie(LOGIN_CSRF_COOKIE, "", "/login", 0));
        log.info("login user={} ip={}", user.get().id(), ctx.ip());
        ctx.redirect("/tickets", HttpStatus.SEE_OTHER);
    }

    /** The filter has checked the session and its CSRF token already. */
    void logout(Context ctx) {
        WebSessions.Session session = Pages.session(ctx);
        sessions.delete(session);
        ctx.cookie(cookie(AuthFilter.SESSION_COOKIE, "", "/", 0));
        log.info("logout user={}", session.user().id());
        ctx.redirect("/login", HttpStatus.SEE_OTHER);
    }

    private void renderForm(Context ctx, int status, String email, String error) {
        String token = Secrets.newToken();
        ctx.cookie(cookie(LOGIN_CSRF_COOKIE, token, "/login", 3600));
        Map<String, Object> model = new HashMap<>();
        model.put("csrf", token);
        model.put("email", email);
        model.put("error", error);
        ctx.status(status);
        Pages.render(ctx, "login.jte", model);
    }

    private Cookie cookie(String name, String value, String path, int maxAgeSeconds) {
        return new Cookie(name, value, path, maxAgeSeconds, secureCookies, true, null, SameSite.LAX);
    }
}
