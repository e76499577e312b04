package dev.ticketd.node.watch;

import java.util.Locale;

/**
 * What one rule says of one subject in one sample: something is wrong. The same rule and subject in
 * the next sample is the same trouble going on; an alert episode is opened for it once it fired
 * long enough ({@link Hysteresis}).
 *
 * @param rule    which rule ({@code mailbox-stalled}, {@code outbox-stuck}, {@code node-down}, …)
 * @param subject what it is about (a mailbox's address, a node's id, {@code database})
 * @param summary one sentence an operator can act on
 */
public record Finding(String rule, String subject, Severity severity, String summary) {

    /** How bad it is: a stall loses customers' time now; a warning will; info is worth knowing. */
    public enum Severity {
        STALL, WARNING, INFO;

        public String value() {
            return name().toLowerCase(Locale.ROOT);
        }

        public static Severity of(String value) {
            return valueOf(value.toUpperCase(Locale.ROOT));
        }
    }

    /** Rule and subject: what makes two findings the same trouble. */
    public record Key(String rule, String subject) {
        @Override
        public String toString() {
            return rule + " " + subject;
        }
    }

    public Key key() {
        return new Key(rule, subject);
    }
}
