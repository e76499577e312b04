package dev.ticketd.node.web;

import dev.ticketd.db.RetryPolicy;

import java.time.Duration;
import java.util.Objects;

/**
 * How the web server listens and how long staff sessions last.
 *
 * @param port               0 binds any free port (see {@link WebServer#port()})
 * @param sessionTtl         a session ends this long after login, however busy
 * @param sessionIdleTimeout a session ends this long after its last request
 * @param secureCookies      set when staff reach the node over HTTPS (directly or via the load balancer)
 * @param https              staff reach the node over HTTPS ({@code http.public-url} is https): cookies
 *                           are Secure and every answer carries {@code Strict-Transport-Security}
 * @param dbRetryBudget      how long a staff request retries a write while the database fails over,
 *                           before it answers 503 (short: a page must not hang)
 */
public record WebSettings(String host, int port, Duration sessionTtl, Duration sessionIdleTimeout, boolean secureCookies,
                          boolean https, Duration dbRetryBudget) {

    public static final Duration DEFAULT_SESSION_IDLE_TIMEOUT = Duration.ofMinutes(30);

    public WebSettings(String host, int port, Duration sessionTtl, boolean secureCookies) {
        this(host, port, sessionTtl, DEFAULT_SESSION_IDLE_TIMEOUT, secureCookies, false, RetryPolicy.DEFAULT_WEB_BUDGET);
    }

    public WebSettings {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(sessionTtl, "sessionTtl");
        Objects.requireNonNull(sessionIdleTimeout, "sessionIdleTimeout");
        Objects.requireNonNull(dbRetryBudget, "dbRetryBudget");
        if (dbRetryBudget.isNegative()) {
            throw new IllegalArgumentException("dbRetryBudget must not be negative, was " + dbRetryBudget);
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be between 0 and 65535, was " + port);
        }
        if (sessionTtl.isNegative() || sessionTtl.isZero()) {
            throw new IllegalArgumentException("sessionTtl must be positive, was " + sessionTtl);
        }
        if (sessionIdleTimeout.isNegative() || sessionIdleTimeout.isZero()) {
            throw new IllegalArgumentException("sessionIdleTimeout must be positive, was " + sessionIdleTimeout);
        }
        if (https && !secureCookies) {
            throw new IllegalArgumentException("over https the cookies must be secure");
        }
    }

    /** The same settings, served over https (Secure cookies and HSTS). */
    public WebSettings overHttps() {
        return new WebSettings(host, port, sessionTtl, sessionIdleTimeout, true, true, dbRetryBudget);
    }
}
