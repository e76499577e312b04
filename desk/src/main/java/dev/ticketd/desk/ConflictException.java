package dev.ticketd.desk;

/** The request contradicts what is stored (e.g. an idempotency key reused for another ticket). */
public final class ConflictException extends RuntimeException {
    public ConflictException(String message) {
        super(message);
    }
}
