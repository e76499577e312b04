package dev.ticketd.chaos;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Everything the harness starts is registered here the moment it exists, and a JVM shutdown hook
 * closes whatever is still registered, newest first: a run that fails, or is stopped with Ctrl-C
 * or SIGTERM, leaves no process, namespace or folder behind. Normal code closes things itself and
 * unregisters them.
 */
public final class Reaper {

    private static final Logger log = LoggerFactory.getLogger(Reaper.class);
    private static final Deque<AutoCloseable> OPEN = new ArrayDeque<>();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(Reaper::closeAll, "reaper"));
    }

    private Reaper() {
    }

    public static synchronized <T extends AutoCloseable> T register(T resource) {
        OPEN.push(resource);
        return resource;
    }

    public static synchronized void unregister(AutoCloseable resource) {
        OPEN.remove(resource);
    }

    /** Closes every registered resource, newest first; a failure is logged and the rest still closed. */
    public static void closeAll() {
        while (true) {
            AutoCloseable next;
            synchronized (Reaper.class) {
                next = OPEN.poll();
            }
            if (next == null) {
                return;
            }
            try {
                next.close();
            } catch (Exception e) {
                log.warn("cleanup of {} failed", next, e);
            }
        }
    }
}
