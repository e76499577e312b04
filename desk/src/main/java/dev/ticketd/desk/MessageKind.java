package dev.ticketd.desk;

import com.fasterxml.jackson.annotation.JsonValue;

import java.util.Arrays;
import java.util.Locale;

/** The values of {@code ticket_message.kind} (check constraint {@code ticket_message_kind_chk}). */
public enum MessageKind {
    /** A customer's mail (or a mail imported from the quarantine, or a bounce). */
    INBOUND,
    /** A staff reply, mailed to the requester when the ticket has a mailbox. */
    OUTBOUND,
    /** A staff note, never mailed. */
    NOTE;

    @JsonValue
    public String value() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The kind read from {@code ticket_message.kind}; the check constraint makes any other value impossible. */
    public static MessageKind stored(String value) {
        return Arrays.stream(values()).filter(k -> k.value().equals(value)).findFirst()
                .orElseThrow(() -> new IllegalStateException("ticket_message.kind holds an unknown value: " + value));
    }
}
