package dev.ticketd.desk.sla;

import com.fasterxml.jackson.annotation.JsonValue;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/**
 * The targets of a service level policy, as stored in {@code ticket_sla_clock.kind} and
 * {@code sla_escalation.kind} (check constraint {@code ticket_sla_clock_kind_chk}).
 */
public enum SlaKind {
    /** From a ticket's opening to the first staff reply. */
    FIRST_RESPONSE("first response"),
    /** From a customer's further message to the staff reply that answers it. */
    NEXT_RESPONSE("next response"),
    /** From a ticket's opening (or reopening after it was resolved) until it is resolved. */
    RESOLUTION("resolution");

    private final String label;

    SlaKind(String label) {
        this.label = label;
    }

    @JsonValue
    public String value() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** How staff read it: "first response". */
    public String label() {
        return label;
    }

    public static Optional<SlaKind> of(String value) {
        return Arrays.stream(values()).filter(k -> k.value().equals(value)).findFirst();
    }

    /** The kind read from the database; the check constraint makes any other value impossible. */
    public static SlaKind stored(String value) {
        return of(value).orElseThrow(() -> new IllegalStateException("an SLA clock holds an unknown kind: " + value));
    }
}
