package dev.ticketd.node.live;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * This node's open event streams, and the fan-out of every {@link DeskEvent} to those whose
 * audience may learn of it. Bounded: a stream's queue holds {@link LiveSettings#queuePerStream()}
 * events, a member of staff holds at most {@link LiveSettings#streamsPerUser()} streams and the node
 * {@link LiveSettings#streamsPerNode()}.
 *
 * <p>Threading: {@link #publish} is called by the one listening thread and never blocks; each
 * {@link Subscription} is read by the one request thread that serves its stream.
 */
final class EventHub {

    /** A member of staff or the node holds as many streams as allowed. */
    static final class TooManyStreams extends RuntimeException {
        TooManyStreams(String message) {
            super(message);
        }
    }

    /** Put in a closed subscription's queue, so the thread waiting on it wakes and ends its stream. */
    static final DeskEvent WAKE = new DeskEvent(DeskEvent.Kind.PRESENCE, -1, -1, -1, null);

    private final LiveSettings settings;
    private final Set<Subscription> subscriptions = ConcurrentHashMap.newKeySet();

    EventHub(LiveSettings settings) {
        this.settings = settings;
    }

    /** Opens a subscription; the caller closes it. */
    synchronized Subscription subscribe(Audience audience) {
        if (subscriptions.size() >= settings.streamsPerNode()) {
            throw new TooManyStreams("this node serves " + settings.streamsPerNode() + " live streams already");
        }
        long mine = subscriptions.stream().filter(s -> s.audience.staffId() == audience.staffId()).count();
        if (mine >= settings.streamsPerUser()) {
            throw new TooManyStreams("you have " + mine + " live pages open on this node; close one");
        }
        Subscription s = new Subscription(audience, settings.queuePerStream());
        subscriptions.add(s);
        return s;
    }

    /** Hands the event to every subscription that may see it; a full queue ends its subscription. */
    void publish(DeskEvent event) {
        for (Subscription s : subscriptions) {
            if (event.visibleTo(s.audience) && !s.queue.offer(event)) {
                s.overflowed = true;
            }
        }
    }

    int size() {
        return subscriptions.size();
    }

    /** Ends every subscription (the node is stopping): their streams end and the browsers go elsewhere. */
    void closeAll() {
        for (Subscription s : subscriptions) {
            s.close();
        }
    }

    /** One stream's queue. */
    final class Subscription implements AutoCloseable {
        private final Audience audience;
        private final BlockingQueue<DeskEvent> queue;
        private volatile boolean overflowed;
        private volatile boolean closed;

        private Subscription(Audience audience, int capacity) {
            this.audience = audience;
            this.queue = new ArrayBlockingQueue<>(capacity);
        }

        Audience audience() {
            return audience;
        }

        /** The next event, or null after {@code wait} without one. */
        DeskEvent poll(Duration wait) throws InterruptedException {
            return queue.poll(wait.toMillis(), TimeUnit.MILLISECONDS);
        }

        /** Whether events were dropped for want of room (the stream must end so the browser resumes), or it was closed. */
        boolean ended() {
            return overflowed || closed;
        }

        @Override
        public void close() {
            closed = true;
            subscriptions.remove(this);
            queue.clear();
            queue.offer(WAKE);
        }
    }
}
