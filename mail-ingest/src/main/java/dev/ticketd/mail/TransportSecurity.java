package dev.ticketd.mail;

import java.util.Locale;

/** How a connection to a mail server is protected. */
public enum TransportSecurity {
    /** Plain text: only for loopback test servers. */
    NONE,
    /** Plain connect, then STARTTLS, which is required. */
    STARTTLS,
    /** TLS from the first byte (imaps, smtps). */
    TLS;

    public static TransportSecurity parse(String value) {
        try {
            return valueOf(value.strip().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown transport security '" + value + "' (expected none, starttls or tls)");
        }
    }

    public String dbValue() {
        return name().toLowerCase(Locale.ROOT);
    }
}
