package dev.ticketd.node.clusterpage;

import dev.ticketd.cluster.ClusterView;
import dev.ticketd.db.Database;
import dev.ticketd.db.Read;
import dev.ticketd.node.health.DatabaseHealth;
import dev.ticketd.node.intake.MailCounters;
import org.jooq.Field;
import org.jooq.Record;
import org.jooq.impl.DSL;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.stream.Collectors;

import static dev.ticketd.db.generated.Tables.CANARY_PROBE;
import static dev.ticketd.db.generated.Tables.MAILBOX;
import static dev.ticketd.db.generated.Tables.DUTY_LEASE;
import static dev.ticketd.db.generated.Tables.MAILBOX_LEASE;
import static dev.ticketd.db.generated.Tables.MAILBOX_STATUS;
import static dev.ticketd.db.generated.Tables.MAIL_FAILURE;

/** Builds {@link ClusterStatus}; knows nothing of HTTP. */
public final class ClusterStatusService {

    private final Database db;
    private final DatabaseHealth databaseHealth;
    private final Supplier<ClusterView> cluster;
    private final String nodeId;
    private final Supplier<List<MailCounters>> mailCounters;

    /** A node that runs no readers or senders (it shows no counts of its own). */
    public ClusterStatusService(Database db, DatabaseHealth databaseHealth, Supplier<ClusterView> cluster, String nodeId) {
        this(db, databaseHealth, cluster, nodeId, List::of);
    }

    /**
     * @param cluster      reads the cluster from ZooKeeper; may throw when ZooKeeper is out of reach
     * @param mailCounters what this node's readers and senders counted
     */
    public ClusterStatusService(Database db, DatabaseHealth databaseHealth, Supplier<ClusterView> cluster, String nodeId,
                                Supplier<List<MailCounters>> mailCounters) {
        this.db = db;
        this.databaseHealth = databaseHealth;
        this.cluster = cluster;
        this.nodeId = nodeId;
        this.mailCounters = mailCounters;
    }

    /** Mails of the mailbox whose last pass failed and that are not stored yet. */
    private static final Field<Integer> FAILING = DSL.field(DSL.selectCount().from(MAIL_FAILURE)
            .where(MAIL_FAILURE.MAILBOX_ID.eq(MAILBOX.ID))).as("failing_mails");
    /** The mailbox's latest canary (one row by the (mailbox, sent_at) index): when sent, when back, why not sent. */
    private static final Field<OffsetDateTime> CANARY_SENT = latestCanary(CANARY_PROBE.SENT_AT, "canary_sent_at");
    private static final Field<OffsetDateTime> CANARY_BACK = latestCanary(CANARY_PROBE.RECEIVED_AT, "canary_received_at");
    private static final Field<String> CANARY_ERROR = latestCanary(CANARY_PROBE.SEND_ERROR, "canary_error");

    private static <T> Field<T> latestCanary(Field<T> column, String alias) {
        return DSL.field(DSL.select(column).from(CANARY_PROBE).where(CANARY_PROBE.MAILBOX_ID.eq(MAILBOX.ID))
                .orderBy(CANARY_PROBE.SENT_AT.desc()).limit(1)).as(alias);
    }

    private static Instant instant(OffsetDateTime t) {
        return t == null ? null : t.toInstant();
    }

    /** From a standby (and marked so) while the primary of a replicated database is out of reach. */
    public Read<ClusterStatus> status() {
        ClusterView view = null;
        String zooKeeper;
        try {
            view = cluster.get();
            zooKeeper = "connected";
        } catch (RuntimeException e) {
            zooKeeper = "unreachable from " + nodeId + ": " + e.getMessage();
        }
        Map<String, ClusterView.Mailbox> led = view == null ? Map.of()
                : view.mailboxes().stream().collect(Collectors.toMap(ClusterView.Mailbox::id, m -> m));
        List<ClusterStatus.Mailbox> mailboxes = new ArrayList<>();
        Read<List<Record>> rows = db.read(dsl -> dsl.select(MAILBOX.ID, MAILBOX.ADDRESS, MAILBOX.ENABLED, MAILBOX_LEASE.EPOCH, MAILBOX_LEASE.HOLDER,
                        MAILBOX_STATUS.LAST_PASS_AT, MAILBOX_STATUS.BACKLOG, MAILBOX_STATUS.LAST_ERROR, FAILING,
                        CANARY_SENT, CANARY_BACK, CANARY_ERROR)
                .from(MAILBOX)
                .leftJoin(MAILBOX_LEASE).on(MAILBOX_LEASE.MAILBOX_ID.eq(MAILBOX.ID))
                .leftJoin(MAILBOX_STATUS).on(MAILBOX_STATUS.MAILBOX_ID.eq(MAILBOX.ID))
                .orderBy(MAILBOX.ID)
                .fetch()
                .stream().map(r -> (Record) r).toList());
        for (Record r : rows.value()) {
            ClusterView.Mailbox m = led.get(r.get(MAILBOX.ID));
            OffsetDateTime lastPass = r.get(MAILBOX_STATUS.LAST_PASS_AT);
            Long epoch = r.get(MAILBOX_LEASE.EPOCH);
            mailboxes.add(new ClusterStatus.Mailbox(r.get(MAILBOX.ID), r.get(MAILBOX.ADDRESS),
                    m == null ? null : m.leader(), m == null ? List.of() : m.standbys(),
                    epoch == null ? 0 : epoch, r.get(MAILBOX_LEASE.HOLDER),
                    lastPass == null ? null : lastPass.toInstant(), r.get(MAILBOX_STATUS.BACKLOG),
                    r.get(MAILBOX_STATUS.LAST_ERROR), !r.get(MAILBOX.ENABLED), r.get(FAILING),
                    instant(r.get(CANARY_SENT)), instant(r.get(CANARY_BACK)), r.get(CANARY_ERROR)));
        }
        List<ClusterStatus.Node> nodes = view == null ? List.of() : view.nodes().stream()
                .map(n -> new ClusterStatus.Node(n.id(), n.httpUrl(), n.live(), n.enabled(), n.upSince(), n.disabledMailboxes(),
                        ClusterStatus.Node.reachText(n.reach())))
                .toList();
        Read<List<ClusterStatus.Duty>> duties = db.read(dsl -> dsl.selectFrom(DUTY_LEASE).orderBy(DUTY_LEASE.DUTY)
                .fetch(d -> new ClusterStatus.Duty(d.getDuty(), d.getEpoch(), d.getHolder(),
                        d.getAcquiredAt() == null ? null : d.getAcquiredAt().toInstant())));
        return new Read<>(new ClusterStatus(nodeId, zooKeeper, view == null ? null : view.controller(), nodes, List.copyOf(mailboxes),
                databaseHealth.status(), mailCounters.get(), duties.value()), rows.fromStandby() || duties.fromStandby());
    }
}
