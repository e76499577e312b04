package dev.ticketd.node.intake;

import dev.ticketd.cluster.LeadershipListener;
import dev.ticketd.cluster.MailboxLeases;
import dev.ticketd.mail.IngestStore;
import dev.ticketd.mail.MailboxReader;
import dev.ticketd.mail.MailboxSettings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Runs the mailbox readers of the mailboxes this node leads. When the cluster makes this node a
 * mailbox's leader, a worker takes the mailbox's lease (a new epoch) with retry — so a database
 * that is down only delays intake and never fails a Helix transition — and then runs a reader
 * under that epoch. When leadership goes, the worker stops the reader promptly. The epoch, not
 * leadership, keeps the data safe: a reader whose epoch is stale is refused by the database.
 *
 * <p>Thread-safe: leadership calls come from cluster threads. Lifecycle: {@link #close()} once.
 */
public final class MailIntake implements LeadershipListener, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(MailIntake.class);
    private static final Duration MAX_RETRY = Duration.ofSeconds(30);

    private final Map<String, MailboxSettings> mailboxes;
    private final MailboxLeases leases;
    private final IngestStore store;
    private final String nodeId;
    private final Clock clock;
    private final Map<String, Worker> workers = new ConcurrentHashMap<>();
    private boolean closed;

    public MailIntake(List<MailboxSettings> mailboxes, MailboxLeases leases, IngestStore store, String nodeId, Clock clock) {
        this.mailboxes = mailboxes.stream().collect(Collectors.toUnmodifiableMap(MailboxSettings::id, Function.identity()));
        this.leases = leases;
        this.store = store;
        this.nodeId = nodeId;
        this.clock = clock;
    }

    public Set<String> mailboxIds() {
        return mailboxes.keySet();
    }

    @Override
    public synchronized void leadershipGained(String mailboxId) {
        if (closed || workers.containsKey(mailboxId)) {
            return;
        }
        MailboxSettings settings = mailboxes.get(mailboxId);
        if (settings == null) {
            log.warn("leading mailbox={} but this node has no settings for it (added after this node started?)", mailboxId);
            return;
        }
        Worker worker = new Worker(settings);
        workers.put(mailboxId, worker);
        worker.start();
    }

    @Override
    public void leadershipLost(String mailboxId) {
        Worker worker;
        synchronized (this) {
            worker = workers.remove(mailboxId);
        }
        if (worker != null) {
            worker.stop();
        }
    }

    public List<MailboxReader.Status> status() {
        return workers.values().stream().map(w -> w.reader).filter(r -> r != null).map(MailboxReader::status).toList();
    }

    @Override
    public void close() {
        List<Worker> all;
        synchronized (this) {
            closed = true;
            all = List.copyOf(workers.values());
            workers.clear();
        }
        all.forEach(Worker::stop);
    }

    /** Takes the lease, then runs the reader, until stopped. */
    private final class Worker {
        private final MailboxSettings mailbox;
        private final CountDownLatch stopping = new CountDownLatch(1);
        private final Thread thread;
        private volatile MailboxReader reader;

        Worker(MailboxSettings mailbox) {
            this.mailbox = mailbox;
            this.thread = new Thread(this::leaseThenRead, "mailbox-lease-" + mailbox.id());
            this.thread.setDaemon(true);
        }

        void start() {
            thread.start();
        }

        private void leaseThenRead() {
            Duration wait = Duration.ofSeconds(1);
            while (stopping.getCount() > 0) {
                try {
                    long epoch = leases.acquire(mailbox.id(), nodeId);
                    MailboxReader r = new MailboxReader(mailbox, store, epoch, clock);
                    synchronized (this) {
                        if (stopping.getCount() == 0) {
                            return;
                        }
                        reader = r;
                        r.start();
                    }
                    return;
                } catch (RuntimeException e) {
                    log.warn("cannot take mailbox lease yet mailbox={} retryIn={} error={}", mailbox.id(), wait, e.toString());
                    try {
                        if (stopping.await(wait.toMillis(), TimeUnit.MILLISECONDS)) {
                            return;
                        }
                    } catch (InterruptedException ie) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                    wait = wait.multipliedBy(2).compareTo(MAX_RETRY) > 0 ? MAX_RETRY : wait.multipliedBy(2);
                }
            }
        }

        void stop() {
            synchronized (this) {
                stopping.countDown();
            }
            try {
                thread.join(mailbox.ioTimeout().toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            MailboxReader r = reader;
            if (r != null) {
                r.close();
            }
        }
    }
}
