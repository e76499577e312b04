package dev.ticketd.node.watch;

import dev.ticketd.node.watch.Finding.Severity;

import java.time.Instant;
import java.util.Locale;

/**
 * One notice as a channel sends it: an alert opens, is repeated, or clears.
 *
 * @param event     what happened to the episode
 * @param reminder  the reminder's number (1, 2, …) for {@link Event#REMIND}, else 0
 * @param openedAt  when the episode opened
 * @param cluster   the cluster's name, so one ops address can serve several
 * @param node      the node that sends the notice
 * @param unannounced for an all-clear: the channel never carried the alert's opening (it failed
 *                  while the alert lasted), so this notice is the first it tells of it
 */
public record Alert(Event event, int reminder, String rule, String subject, Severity severity, String summary, Instant openedAt,
                    String cluster, String node, boolean unannounced) {

    public Alert(Event event, int reminder, String rule, String subject, Severity severity, String summary, Instant openedAt,
                 String cluster, String node) {
        this(event, reminder, rule, subject, severity, summary, openedAt, cluster, node, false);
    }

    public enum Event {
        OPEN, REMIND, CLEAR, TEST;

        public String value() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** A mail subject or a chat message's first line. */
    public String title() {
        String what = switch (event) {
            case OPEN -> "ALERT " + severity.value();
            case REMIND -> "STILL " + severity.value() + " (reminder " + reminder + ")";
            case CLEAR -> unannounced ? "RESOLVED " + severity.value() + " (its alert could not be sent here)" : "RESOLVED";
            case TEST -> "TEST";
        };
        return "[ticketd " + cluster + " " + what + "] " + rule + " " + subject;
    }

    /** The plain text of the notice. */
    public String text() {
        StringBuilder b = new StringBuilder();
        switch (event) {
            case OPEN, REMIND -> b.append(summary).append("\n\nSince ").append(openedAt).append(". An all-clear follows when it is over.");
            case CLEAR -> {
                b.append("Over now: ").append(summary).append("\n\nIt began at ").append(openedAt).append('.');
                if (unannounced) {
                    b.append(" Its alert could not be sent on this channel while it lasted, so this is the first notice of it here.");
                }
            }
            case TEST -> b.append(summary);
        }
        b.append("\n\nCluster ").append(cluster).append(", sent by node ").append(node)
                .append(". Every node's cluster page shows the mailboxes, nodes and database.");
        return b.toString();
    }
}
