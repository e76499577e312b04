package dev.ticketd.desk;

import java.util.Objects;

/** Who did what an audit entry records, as stored in {@code audit_log.actor}. */
public record Actor(String name) {

    public Actor {
        Objects.requireNonNull(name);
    }

    /** Mail intake and its acknowledgements, working for one mailbox: {@code mailbox:<id>}. */
    public static Actor mailbox(String mailboxId) {
        return new Actor("mailbox:" + mailboxId);
    }

    /** The node itself doing a cluster duty (a timer that reopens or closes tickets): {@code system:<duty>}. */
    public static Actor system(String duty) {
        return new Actor("system:" + duty);
    }

    /** A member of staff, by e-mail address. */
    public static Actor staff(String email) {
        return new Actor(email);
    }
}
