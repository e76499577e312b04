package dev.ticketd.desk;

import com.fasterxml.jackson.annotation.JsonValue;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/**
 * Whom a pending ticket waits for, as stored in {@code ticket.pending_kind} (its check constraint
 * {@code ticket_pending_kind_chk} allows exactly these): the customer, or someone of ours.
 */
public enum PendingKind {
    CUSTOMER, INTERNAL;

    @JsonValue
    public String value() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The kind written as {@code value}, if it is one. */
    public static Optional<PendingKind> of(String value) {
        return Arrays.stream(values()).filter(k -> k.value().equals(value)).findFirst();
    }

    /** The kind read from {@code ticket.pending_kind}; the check constraint makes any other value impossible. */
    public static PendingKind stored(String value) {
        return of(value).orElseThrow(() -> new IllegalStateException("ticket.pending_kind holds an unknown value: " + value));
    }
}
