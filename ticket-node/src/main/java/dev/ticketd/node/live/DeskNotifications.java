package dev.ticketd.node.live;

import dev.ticketd.db.Database;
import org.jooq.DSLContext;
import org.jooq.SQLDialect;
import org.jooq.impl.DSL;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * This node's one listener on channel {@value DeskEvent#CHANNEL}: a connection of its own, outside
 * the pool ({@link Database#openUnpooledConnection()}: the primary, found as the pool finds it), on a
 * thread of its own, handing every notification to {@code sink}. Every node runs one; there is no
 * singleton.
 *
 * <p>When the connection is lost (a failover, a restart of the database) it connects again with
 * backoff, LISTENs, and then replays from {@code desk_event} what came after the last position it
 * handed on (with the {@link EventLog} look-back), followed by a presence event for every ticket
 * (presence has no log). Events may so be handed on twice, never lost while the log keeps them.
 * A connection that answers nothing is found by a validity check every {@link #CHECK_EVERY}.
 *
 * <p>Lifecycle: the constructor does no I/O; {@link #start()} once; {@link #close()} stops the
 * thread and closes the connection, idempotent.
 */
final class DeskNotifications implements AutoCloseable {

    private enum State { NEW, STARTED, CLOSED }

    private static final Logger log = LoggerFactory.getLogger(DeskNotifications.class);
    private static final Duration POLL = Duration.ofMillis(500);
    static final Duration CHECK_EVERY = Duration.ofSeconds(5);
    /** The listening connection's {@code application_name}. */
    static final String APPLICATION_NAME = "ticketd-desk-listener";
    private static final Duration CHECK_TIMEOUT = Duration.ofSeconds(2);
    private static final Duration FIRST_BACKOFF = Duration.ofMillis(100);
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(2);
    /** While the database stays out of reach, a failed attempt is logged at WARN this often (the others at DEBUG). */
    private static final Duration WARN_EVERY = Duration.ofSeconds(30);

    private final Database db;
    private final Consumer<DeskEvent> sink;
    private final int replayLimit;
    private final AtomicReference<State> state = new AtomicReference<>(State.NEW);
    private final CountDownLatch closing = new CountDownLatch(1);
    private final Thread thread;
    private volatile long position;     // the newest position handed on; written by the listening thread only
    private volatile boolean listening;

    DeskNotifications(Database db, Consumer<DeskEvent> sink, int replayLimit) {
        this.db = db;
        this.sink = sink;
        this.replayLimit = replayLimit;
        this.thread = new Thread(this::run, "desk-notifications");
        this.thread.setDaemon(true);
    }

    void start() {
        if (!state.compareAndSet(State.NEW, State.STARTED)) {
            throw new IllegalStateException("desk notifications were already started or closed: " + state.get());
        }
        thread.start();
    }

    /** Whether the listening connection is up now. */
    boolean listening() {
        return listening;
    }

    private void run() {
        Duration backoff = FIRST_BACKOFF;
        boolean first = true;
        long lastWarning = System.nanoTime() - WARN_EVERY.toNanos();
        while (state.get() == State.STARTED) {
            try (Connection c = db.openUnpooledConnection()) {
                c.setClientInfo("ApplicationName", APPLICATION_NAME); // so operators see it in pg_stat_activity
                try (Statement s = c.createStatement()) {
                    s.execute("LISTEN " + DeskEvent.CHANNEL);
                }
                listening = true;
                catchUp(DSL.using(c, SQLDialect.POSTGRES), first);
                log.info("listening for desk events position={}", position);
                first = false;
                backoff = FIRST_BACKOFF;
                listen(c);
            } catch (SQLException | RuntimeException e) {
                if (state.get() != State.STARTED) {
                    break;
                }
                if (backoff.equals(FIRST_BACKOFF) || System.nanoTime() - lastWarning >= WARN_EVERY.toNanos()) {
                    lastWarning = System.nanoTime();
                    log.warn("desk event listener has no connection, connecting again backoff={} error={}", backoff, e.toString());
                } else {
                    log.debug("desk event listener still has no connection backoff={} error={}", backoff, e.toString());
                }
            } finally {
                listening = false;
            }
            try {
                if (closing.await(backoff.toMillis(), TimeUnit.MILLISECONDS)) {
                    break;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            backoff = backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff.multipliedBy(2);
        }
    }

    /** After (re)connecting: the first time, only where the log stands; later, what was missed. */
    private void catchUp(DSLContext dsl, boolean first) {
        if (first) {
            position = Math.max(position, EventLog.latest(dsl));
            return;
        }
        EventLog.Replay replay = EventLog.since(dsl, position, replayLimit);
        for (DeskEvent e : replay.events()) {
            hand(e);
        }
        if (!replay.complete()) {
            log.warn("desk event listener missed more than it can replay position={}", position);
            position = Math.max(position, EventLog.latest(dsl));
        }
        hand(DeskEvent.presenceOfAll());
    }

    private void listen(Connection c) throws SQLException {
        PGConnection pg = c.unwrap(PGConnection.class);
        long nextCheck = System.nanoTime() + CHECK_EVERY.toNanos();
        while (state.get() == State.STARTED) {
            PGNotification[] notifications = pg.getNotifications((int) POLL.toMillis());
            if (notifications != null) {
                for (PGNotification n : notifications) {
                    DeskEvent.parse(n.getParameter()).ifPresentOrElse(this::hand,
                            () -> log.debug("desk event not understood, ignored"));
                }
            }
            if (System.nanoTime() - nextCheck > 0) {
                if (!c.isValid((int) CHECK_TIMEOUT.toSeconds())) {
                    throw new SQLException("the listening connection does not answer", "08006");
                }
                nextCheck = System.nanoTime() + CHECK_EVERY.toNanos();
            }
        }
    }

    private void hand(DeskEvent e) {
        if (e.position() > position) {
            position = e.position();
        }
        try {
            sink.accept(e);
        } catch (RuntimeException failure) {
            log.warn("desk event not handed on position={} ticket={} error={}", e.position(), e.ticketId(), failure.toString());
        }
    }

    @Override
    public void close() {
        State previous = state.getAndSet(State.CLOSED);
        if (previous == State.CLOSED) {
            return;
        }
        closing.countDown();
        if (previous == State.STARTED) {
            try {
                thread.join(POLL.multipliedBy(4).toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
