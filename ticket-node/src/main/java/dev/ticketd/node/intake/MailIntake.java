package dev.ticketd.node.intake;

import dev.ticketd.cluster.MailboxLeases;
import dev.ticketd.mail.IngestStore;
import dev.ticketd.mail.MailboxReader;
import dev.ticketd.mail.MailboxSettings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Runs this node's mailbox readers. For each mailbox it takes the lease (a new epoch) with retry,
 * so a database that is down at start-up only delays intake, then starts a reader under that
 * epoch. Until the cluster issue adds Helix, every node that runs this reads every mailbox, and
 * the latest lease wins: an earlier node's reader is fenced out by the database and stops.
 *
 * <p>Lifecycle: {@link #start()} once, {@link #close()} once.
 */
public final class MailIntake implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(MailIntake.class);
    private static final Duration MAX_RETRY = Duration.ofSeconds(30);

    private final List<MailboxSettings> mailboxes;
    private final MailboxLeases leases;
    private final IngestStore store;
    private final String nodeId;
    private final Clock clock;
    private final Map<String, MailboxReader> readers = new ConcurrentHashMap<>();
    private final CountDownLatch stopping = new CountDownLatch(1);
    private final List<Thread> starters = new ArrayList<>();

    public MailIntake(List<MailboxSettings> mailboxes, MailboxLeases leases, IngestStore store, String nodeId, Clock clock) {
        this.mailboxes = List.copyOf(mailboxes);
        this.leases = leases;
        this.store = store;
        this.nodeId = nodeId;
        this.clock = clock;
    }

    public void start() {
        if (mailboxes.isEmpty()) {
            log.warn("no enabled mailbox: this node takes in no mail (add one with `ticketd mailbox add`)");
        }
        for (MailboxSettings m : mailboxes) {
            Thread t = new Thread(() -> leaseThenRead(m), "mailbox-lease-" + m.id());
            t.setDaemon(true);
            starters.add(t);
            t.start();
        }
    }

    public List<MailboxReader.Status> status() {
        return readers.values().stream().map(MailboxReader::status).toList();
    }

    private void leaseThenRead(MailboxSettings mailbox) {
        Duration wait = Duration.ofSeconds(1);
        while (stopping.getCount() > 0) {
            try {
                long epoch = leases.acquire(mailbox.id(), nodeId);
                MailboxReader reader = new MailboxReader(mailbox, store, epoch, clock);
                synchronized (this) {
                    if (stopping.getCount() == 0) {
                        return;
                    }
                    readers.put(mailbox.id(), reader);
                    reader.start();
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

    @Override
    public void close() {
        synchronized (this) {
            stopping.countDown();
        }
        for (Thread t : starters) {
            try {
                t.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        readers.values().forEach(MailboxReader::close);
    }
}
