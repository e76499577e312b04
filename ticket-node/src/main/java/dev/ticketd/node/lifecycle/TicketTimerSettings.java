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
 */
public record TicketTimerSettings(String nodeId, Duration closeResolvedAfter, Duration interval, int batch, Duration fencedCoolDown) {

    public TicketTimerSettings {
        if (batch < 1) {
            throw new IllegalArgumentException("batch must be at least 1, was " + batch);
        }
    }
}
