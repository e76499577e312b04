package dev.ticketd.desk;

/** The thing asked for does not exist; the message names it and is safe to show. */
public final class NotFoundException extends RuntimeException {
    public NotFoundException(String message) {
        super(message);
    }
}
