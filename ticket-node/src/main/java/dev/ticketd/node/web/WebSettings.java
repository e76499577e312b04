package dev.ticketd.node.web;

import dev.ticketd.db.RetryPolicy;

import java.time.Duration;
import java.util.Objects;

/**
 * How the web server listens and how long staff sessions last.
 *
 * @param port          0 binds any free port (see {@link WebServer#port()})
 * @param secureCookies set when staff reach the node over HTTPS (directly or via the load balancer)
 * @param dbRetryBudget how long a staff request retries a write while the database fails over,
 *                      before it answers 503 (short: a page must not hang)
 */
public record WebSettings(String host, int port, Duration sessionTtl, boolean secureCookies, Duration dbRetryBudget) {

    public WebSettings(String host, int port, Duration sessionTtl, boolean secureCookies) {
        this(host, port, sessionTtl, secureCookies, RetryPolicy.DEFAULT_WEB_BUDGET);
    }

    public WebSettings {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(sessionTtl, "sessionTtl");
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
    }
}
