package dev.ticketd.node;

import dev.ticketd.cluster.ClusterMember;
import dev.ticketd.cluster.ClusterView;
import dev.ticketd.cluster.MailboxLeases;
import dev.ticketd.db.Database;
import dev.ticketd.db.Migrations;
import dev.ticketd.mail.IngestStore;
import dev.ticketd.mail.MailboxSettings;
import dev.ticketd.mail.MailboxStatusStore;
import dev.ticketd.mail.MailParser;
import dev.ticketd.mail.TicketsFromMail;
import dev.ticketd.node.config.NodeConfig;
import dev.ticketd.node.intake.GiveUps;
import dev.ticketd.node.intake.MailCounters;
import dev.ticketd.node.intake.MailIntake;
import dev.ticketd.node.intake.MailboxCatalog;
import dev.ticketd.node.metrics.NodeMetrics;
import dev.ticketd.node.web.WebServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The composition root of one ticket node: builds every part with constructors, starts them in
 * order (database, migrations, web, mail intake, cluster membership) and closes them in reverse.
 */
public final class Node implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Node.class);

    private final NodeConfig config;
    private final Clock clock;
    private final Deque<AutoCloseable> started = new ArrayDeque<>();
    private WebServer web;
    private volatile ClusterMember member;
    private volatile MailIntake intake;

    public Node(NodeConfig config, Clock clock) {
        this.config = config;
        this.clock = clock;
    }

    public void start() {
        log.info("node starting config={}", config);
        try {
            Database db = Database.open(config.database(), "ticketd-" + config.nodeId());
            started.push(db);
            int applied = Migrations.migrate(db.dataSource());
            log.info("schema migrated applied={}", applied);

            NodeMetrics metrics = new NodeMetrics(config.nodeId());
            metrics.watch(db, () -> member != null && member.isConnected());
            metrics.watchMail(this::mailCounters);
            web = new WebServer(db, config.web(), clock, this::clusterView, config.nodeId(), metrics::scrape, this::mailCounters);
            web.start();
            started.push(web);

            MailboxCatalog catalog = new MailboxCatalog(db);
            Set<String> mailboxIds = catalog.enabled(config).stream().map(MailboxSettings::id).collect(Collectors.toSet());
            GiveUps giveUps = new GiveUps(config.mail().giveUpCoolDown());
            started.push(giveUps);
            MailIntake intake = new MailIntake(id -> catalog.find(id, config), id -> catalog.smtp(id, config), db,
                    new MailboxLeases(db.transactions(), config.leaseLockTimeout()),
                    new IngestStore(db, new MailParser(), new TicketsFromMail(), metrics, config.mail().budget()), new MailboxStatusStore(db),
                    giveUps, config.mail().giveUpAfter(), config.outbox().claimExpiry(), config.nodeId(), clock);
            started.push(intake);
            this.intake = intake;

            // last in, first out: on close the node leaves the cluster (stopping its leader work)
            // before anything else stops, so the other nodes take over at once
            ClusterMember member = new ClusterMember(config.cluster(), metrics.counting(intake));
            giveUps.attach(member);
            member.announceHttpUrl(publicUrl());
            started.push(member);
            member.start(mailboxIds);
            this.member = member;
            log.info("node started node={} httpPort={}", config.nodeId(), web.port());
        } catch (Exception e) {
            close();
            throw new IllegalStateException("node could not start: " + e.getMessage(), e);
        }
    }

    public int httpPort() {
        return web.port();
    }

    private ClusterView clusterView() {
        ClusterMember m = member;
        if (m == null) {
            throw new IllegalStateException("this node is still joining the cluster");
        }
        return m.view();
    }

    /** What this node's readers and senders counted; nothing before the mail intake exists. */
    private List<MailCounters> mailCounters() {
        MailIntake i = intake;
        return i == null ? List.of() : i.counters();
    }

    /** The configured public URL, with the bound port when the configuration asked for any free port. */
    private String publicUrl() {
        return config.web().port() == 0 ? config.publicUrl().replace(":0/", ":" + web.port() + "/") : config.publicUrl();
    }

    @Override
    public void close() {
        while (!started.isEmpty()) {
            AutoCloseable part = started.pop();
            try {
                part.close();
            } catch (Exception e) {
                log.warn("error while stopping {}: {}", part.getClass().getSimpleName(), e.toString());
            }
        }
    }
}
