package dev.ticketd.node.watch;

import dev.ticketd.db.Database;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;

/**
 * The lines of the banner every staff page shows while a mailbox's intake is stalled ("support@… has
 * not been read for 3 min; operations were alerted at 10:42 UTC"), from the open stall episodes in the
 * database — so every node shows them, whichever node watches. Read at most once per {@link #CACHE_FOR}
 * (one indexed query of the open episodes, a few rows), and never worth failing a page: on a database
 * error the last lines stay. Thread-safe.
 */
public final class StallBanner {

    static final Duration CACHE_FOR = Duration.ofSeconds(5);
    private static final int MAX_LINES = 5;
    private static final DateTimeFormatter HH_MM = DateTimeFormatter.ofPattern("HH:mm 'UTC'").withZone(ZoneOffset.UTC);

    private final AlertEpisodes episodes;
    private final Clock clock;
    private Instant readAt = Instant.EPOCH;
    private List<String> lines = List.of();

    public StallBanner(Database db, Clock clock) {
        this.episodes = new AlertEpisodes(db, SelfWatch.RETRY_BUDGET);
        this.clock = clock;
    }

    /** The banner's lines, oldest stall first; empty when intake flows. */
    public synchronized List<String> lines() {
        Instant now = clock.instant();
        if (Duration.between(readAt, now).compareTo(CACHE_FOR) < 0) {
            return lines;
        }
        readAt = now;
        try {
            List<String> out = new ArrayList<>();
            for (AlertEpisodes.OpenStall s : episodes.openStalls(MAX_LINES)) {
                out.add(s.summary() + ". " + (s.alertedAt() == null
                        ? "Operations have not been reached yet (since " + HH_MM.format(s.openedAt()) + ")."
                        : "Operations were alerted at " + HH_MM.format(s.alertedAt()) + "."));
            }
            lines = List.copyOf(out);
        } catch (RuntimeException e) {
            // the database failing over: keep showing what was shown
        }
        return lines;
    }
}
