package dev.ticketd.node.auth;

/** An active staff member as the web layer sees them: never carries the password hash. */
public record StaffUser(long id, String email, String displayName, Role role) {
}
