package dev.ticketd.desk;

/** The caller may see the thing but not change it (read-only access to its group); the message says why and is safe to show. */
public final class ForbiddenException extends RuntimeException {
    public ForbiddenException(String message) {
        super(message);
    }
}
