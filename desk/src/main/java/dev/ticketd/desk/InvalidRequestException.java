package dev.ticketd.desk;

/** Input that can never succeed as sent; the message says what to change and is safe to show. */
public final class InvalidRequestException extends RuntimeException {
    public InvalidRequestException(String message) {
        super(message);
    }
}
