package dev.ticketd.node.web;

import java.time.Duration;
import java.util.Objects;

/**
 * How the web server listens and how long staff sessions last.
 *
 * @param port          0 binds any free port (see {@link WebServer#port()})
 * @param secureCookies set when staff reach the node over HTTPS (directly or via the load balancer)
 */
public record WebSettings(String host, int port, Duration sessionTtl, boolean secureCookies) {

    public WebSettings {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(sessionTtl, "sessionTtl");
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be between 0 and 65535, was " + port);
        }
        if (sessionTtl.isNegative() || sessionTtl.isZero()) {
            throw new IllegalArgumentException("sessionTtl must be positive, was " + sessionTtl);
        }
    }
}
