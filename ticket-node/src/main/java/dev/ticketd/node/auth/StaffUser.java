package dev.ticketd.node.auth;

import dev.ticketd.desk.Viewer;

/** An active staff member as the web layer sees them: never carries the password hash. */
public record StaffUser(long id, String email, String displayName, Role role) {

    /** This member of staff as the desk's access rule knows them. */
    public Viewer viewer() {
        return new Viewer(id, email, role == Role.ADMIN);
    }
}
