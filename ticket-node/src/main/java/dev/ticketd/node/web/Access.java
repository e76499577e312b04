package dev.ticketd.node.web;

import dev.ticketd.node.auth.Role;
import io.javalin.security.RouteRole;

/**
 * Who may use a route; every route in {@link Routes} names one. A route without any is treated as
 * {@link #STAFF} (fail closed).
 */
public enum Access implements RouteRole {
    /** Anyone, without login. */
    PUBLIC,
    /** Any logged-in staff member (agent or admin). */
    STAFF,
    /** Logged-in admins only. */
    ADMIN;

    boolean allows(Role role) {
        return switch (this) {
            case PUBLIC, STAFF -> true;
            case ADMIN -> role == Role.ADMIN;
        };
    }
}
