package dev.ticketd.node.auth;

import java.util.Locale;

/** A staff member's role, stored in {@code staff_user.role} as its lower-case name. */
public enum Role {
    AGENT,
    ADMIN;

    public String dbValue() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Role fromDb(String value) {
        return valueOf(value.toUpperCase(Locale.ROOT));
    }
}
