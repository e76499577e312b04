package dev.ticketd.node.lifecycle;

import java.time.Duration;

/**
 * How the ticket timers run.
 *
 * @param nodeId             this node's name, recorded as the duty's lease holder
 * @param closeResolvedAfter a ticket resolved this long ago is closed
 * @param interval           how often the runner looks for due tickets
 * @param batch              at most this many tickets per due query (the runner queries again while a batch is full)
 * @param fencedCoolDown     how long a runner whose lease another took waits before taking it again, if still leader
 * @param giveUpAfter        a runner that could not take the lease or complete a run this long gives the duty up to
 *                           another node (when there is one), like a mailbox's reader ({@code mail.give-up-after})
 * @param publicUrl          the staff URL that links in the SLA escalation mails start with ({@code http.public-url})
 */
public record TicketTimerSettings(String nodeId, Duration closeResolvedAfter, Duration interval, int batch, Duration fencedCoolDown,
                                  Duration giveUpAfter, String publicUrl) {

    /** For tests and tools that mail no links anyone follows: links point at {@code http://localhost:8080}. */
    public TicketTimerSettings(String nodeId, Duration closeResolvedAfter, Duration interval, int batch, Duration fencedCoolDown,
                               Duration giveUpAfter) {
        this(nodeId, closeResolvedAfter, interval, batch, fencedCoolDown, giveUpAfter, "http://localhost:8080");
    }

    public TicketTimerSettings {
        if (batch < 1) {
            throw new IllegalArgumentException("batch must be at least 1, was " + batch);
        }
    }
}
