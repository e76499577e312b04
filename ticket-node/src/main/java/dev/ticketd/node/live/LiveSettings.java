package dev.ticketd.node.live;

import java.time.Duration;

/**
 * The bounds of live updates and presence on one node.
 *
 * @param queuePerStream    events one stream may have waiting; a stream that falls further behind is
 *                          ended and its browser resumes from its last position
 * @param streamsPerUser    event streams one member of staff may hold open on this node
 * @param streamsPerNode    event streams this node holds open at most (each holds a web server thread)
 * @param heartbeat         how often a quiet stream sends a comment, so proxies and browsers keep it
 * @param streamLifetime    how long one stream lives; the browser then reconnects, and login, role and
 *                          groups are checked again
 * @param presenceExpiry    a page's presence that was not refreshed for this long counts as gone
 * @param sweepInterval     how often each node deletes expired presence and old events
 * @param eventsKept        how long positions can be resumed from
 * @param replayLimit       the most events one resume replays; more, and the page reloads what it shows
 */
public record LiveSettings(int queuePerStream, int streamsPerUser, int streamsPerNode, Duration heartbeat, Duration streamLifetime,
                           Duration presenceExpiry, Duration sweepInterval, Duration eventsKept, int replayLimit) {

    public static final LiveSettings DEFAULT = new LiveSettings(256, 4, 100, Duration.ofSeconds(15), Duration.ofMinutes(2),
            Duration.ofSeconds(15), Duration.ofSeconds(5), Duration.ofDays(1), 1000);

    public LiveSettings {
        if (queuePerStream < 1 || streamsPerUser < 1 || streamsPerNode < 1 || replayLimit < 1) {
            throw new IllegalArgumentException("live settings: every bound must be at least 1");
        }
    }
}
