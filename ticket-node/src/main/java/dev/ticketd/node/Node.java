package dev.ticketd.node;

import dev.ticketd.cluster.ClusterAdmin;
import dev.ticketd.cluster.ClusterMember;
import dev.ticketd.cluster.ClusterView;
import dev.ticketd.cluster.DutyLeases;
import dev.ticketd.cluster.EnsembleProbe;
import dev.ticketd.cluster.LeadershipListener;
import dev.ticketd.cluster.MailboxLeases;
import dev.ticketd.db.Database;
import dev.ticketd.db.Migrations;
import dev.ticketd.db.Transactions;
import dev.ticketd.desk.Audit;
import dev.ticketd.desk.Tickets;
import dev.ticketd.mail.IngestStore;
import dev.ticketd.mail.MailParser;
import dev.ticketd.mail.MailboxSettings;
import dev.ticketd.mail.MailboxStatusStore;
import dev.ticketd.mail.TicketsFromMail;
import dev.ticketd.mail.TransportSecurity;
import dev.ticketd.mail.outbound.Acknowledgements;
import dev.ticketd.node.admin.AdminRoutes;
import dev.ticketd.node.admin.MailboxAnnouncer;
import dev.ticketd.node.apidoc.ApiDocument;
import dev.ticketd.node.auth.ApiTokens;
import dev.ticketd.node.auth.LoginThrottle;
import dev.ticketd.node.auth.StaffAccounts;
import dev.ticketd.node.auth.StaffGroups;
import dev.ticketd.node.auth.Totp;
import dev.ticketd.node.auth.WebSessions;
import dev.ticketd.node.clusterpage.ClusterHandlers;
import dev.ticketd.node.clusterpage.ClusterStatusService;
import dev.ticketd.node.config.NodeConfig;
import dev.ticketd.node.health.DatabaseHealth;
import dev.ticketd.node.health.HealthHandlers;
import dev.ticketd.node.intake.EarlyHandover;
import dev.ticketd.node.intake.GiveUps;
import dev.ticketd.node.intake.IntakeSettings;
import dev.ticketd.node.intake.MailCounters;
import dev.ticketd.node.intake.MailIntake;
import dev.ticketd.node.intake.MailboxCatalog;
import dev.ticketd.node.intake.MailboxDirectory;
import dev.ticketd.node.intake.NodeSecrets;
import dev.ticketd.node.intake.ReachProbes;
import dev.ticketd.node.lifecycle.TicketTimerSettings;
import dev.ticketd.node.live.LiveRoutes;
import dev.ticketd.node.macro.MacroRoutes;
import dev.ticketd.node.macro.MacroUse;
import dev.ticketd.node.macro.Macros;
import dev.ticketd.node.live.LiveSettings;
import dev.ticketd.node.lifecycle.TicketTimers;
import dev.ticketd.node.metrics.NodeMetrics;
import dev.ticketd.node.quarantine.QuarantineRoutes;
import dev.ticketd.node.quarantine.QuarantineService;
import dev.ticketd.node.sla.SlaAdmin;
import dev.ticketd.node.sla.SlaRoutes;
import dev.ticketd.node.ticket.ReplyAttachments;
import dev.ticketd.node.ticket.HeldReplies;
import dev.ticketd.node.ticket.ReplyService;
import dev.ticketd.node.ticket.TicketChanges;
import dev.ticketd.node.ticket.TicketQueries;
import dev.ticketd.node.ticket.SavedViews;
import dev.ticketd.node.ticket.TicketMerging;
import dev.ticketd.node.ticket.TicketRelationRoutes;
import dev.ticketd.node.ticket.TicketRoutes;
import dev.ticketd.node.watch.SelfWatch;
import dev.ticketd.node.watch.StallBanner;
import dev.ticketd.node.watch.WatchRoutes;
import dev.ticketd.node.web.PageHeader;
import dev.ticketd.node.web.WebServer;
import dev.ticketd.node.web.WebSettings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * The composition root of one ticket node: builds every part with constructors, starts them in
 * order (database, migrations, web, mail intake, cluster membership) and closes them in reverse.
 * No other class builds a service; features get theirs here and add their routes to the web
 * server's one route table ({@link #staffWeb}).
 */
public final class Node implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Node.class);
    /** How many due tickets the ticket timers change per query; the next query takes the rest. */
    private static final int TIMER_BATCH = 500;
    /** How long the self-watch waits for each ZooKeeper server's answer to {@code srvr}. */
    private static final Duration ENSEMBLE_TIMEOUT = Duration.ofSeconds(1);

    private final NodeConfig config;
    private final Clock clock;
    private final Deque<AutoCloseable> started = new ArrayDeque<>();
    private WebServer web;
    private volatile ClusterMember member;
    private volatile MailIntake intake;
    private volatile SelfWatch selfWatch;

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
            // the names of the mailbox secrets this node holds, for the admin screens (never a value)
            new NodeSecrets(db).report(config.nodeId(), config.secretRefs());

            NodeMetrics metrics = new NodeMetrics(config.nodeId());
            metrics.watch(db, () -> member != null && member.isConnected());
            metrics.watchMail(this::mailCounters);
            // the one writer of tickets, their messages and the audit log, shared by intake and staff
            Tickets tickets = new Tickets(new Audit());
            TicketsFromMail ticketsFromMail = new TicketsFromMail(TicketsFromMail.DEFAULT_TOKEN, Acknowledgements.defaults(), tickets,
                    config.tickets().replyToClosedOpensNew());
            web = staffWeb(db, config.web(), clock, this::clusterView, this::mailCounters, config.nodeId(), metrics, tickets,
                    ticketsFromMail, config.tickets().pendingDefault(), mailboxId -> {
                        // as `ticketd mailbox add` does: a Helix admin connection for this one change
                        try (ClusterAdmin admin = ClusterAdmin.open(config.cluster().zkAddress(), config.cluster().clusterName())) {
                            admin.addMailboxes(Set.of(mailboxId));
                        }
                    }, () -> selfWatch == null ? WatchRoutes.Status.NOT_WATCHING : selfWatch.status());
            web.start();
            started.push(web);

            MailboxCatalog catalog = new MailboxCatalog(db);
            Set<String> mailboxIds = catalog.enabled(config).stream().map(MailboxSettings::id).collect(Collectors.toSet());
            ClusterMember member = new ClusterMember(config.cluster());
            GiveUps giveUps = new GiveUps(member, config.mail().giveUpCoolDown());
            started.push(giveUps);
            // what this node can reach, published for the others: a leader cut off from the mail
            // server or the database hands over in seconds when another node is not
            ReachProbes reach = new ReachProbes(config.nodeId(), () -> imapServers(catalog), db.dataSource(), member::publishReach, clock);
            MailIntake intake = new MailIntake(catalog.directory(config), db,
                    new MailboxLeases(db.transactions(), config.leaseLockTimeout()),
                    new IngestStore(db, new MailParser(), ticketsFromMail, metrics, config.mail().budget()),
                    new MailboxStatusStore(db), giveUps,
                    EarlyHandover.byReach(reach::latest, member::reachReports, member::otherNodesThatCouldLead, clock),
                    new IntakeSettings(config.nodeId(), config.mail().giveUpAfter(), config.outbox().claimExpiry(),
                            config.mail().handoverAfter()), clock);
            started.push(intake);
            this.intake = intake;
            // the ticket timers: one node at a time runs them, fenced by the duty's epoch
            GiveUps dutyGiveUps = GiveUps.forDuties(member, config.mail().giveUpCoolDown());
            started.push(dutyGiveUps);
            TicketTimers timers = new TicketTimers(db, new DutyLeases(db.transactions(), config.leaseLockTimeout()), tickets,
                    new TicketTimerSettings(config.nodeId(), config.tickets().closeResolvedAfter(), config.tickets().timerInterval(),
                            TIMER_BATCH, config.mail().giveUpCoolDown(), config.mail().giveUpAfter(), config.publicUrl()), clock, dutyGiveUps);
            started.push(timers);
            metrics.watchTimers(timers);
            // the self-watch: every node runs it; the duty's leader (or a stand-in) looks and alerts
            DatabaseHealth watchHealth = new DatabaseHealth(db, HealthHandlers.READY_TIMEOUT);
            started.push(watchHealth);
            MailboxDirectory directory = catalog.directory(config);
            SelfWatch selfWatch = SelfWatch.create(config.nodeId(), config.cluster().clusterName(), config.watch(), db, watchHealth,
                    this::clusterView, new EnsembleProbe(config.cluster().zkAddress(), ENSEMBLE_TIMEOUT), directory::mailbox,
                    directory::smtp, () -> watchHealth.status().primaryReachable(), clock);
            started.push(selfWatch);
            this.selfWatch = selfWatch;
            metrics.watchSelfWatch(selfWatch);

            // last in, first out: on close the node leaves the cluster (stopping its leader work)
            // before anything else stops, so the other nodes take over at once
            member.announceHttpUrl(publicUrl());
            started.push(member);
            member.start(mailboxIds, metrics.counting(intake), Set.of(TicketTimers.DUTY, SelfWatch.DUTY), duties(timers, selfWatch));
            this.member = member;
            started.push(reach);
            reach.start();
            selfWatch.start();
            log.info("node started node={} httpPort={}", config.nodeId(), web.port());
        } catch (Exception e) {
            close();
            throw new IllegalStateException("node could not start: " + e.getMessage(), e);
        }
    }

    /**
     * The staff web UI and API over one database, not started: every feature built from its services.
     * A node serves it with its cluster; tests serve it alone.
     *
     * @param cluster      reads the cluster from ZooKeeper for the cluster page; may throw when ZooKeeper is out of reach
     * @param mailCounters what this node's mailbox readers and outbox senders counted, for the cluster page
     * @param nodeId       this node's name, shown as the one that served a page
     * @param tickets      the desk's writer, for staff replies and quarantine decisions
     * @param ticketsFromMail how a mail becomes a ticket, for the quarantine's retry and import
     */
    public static WebServer staffWeb(Database db, WebSettings settings, Clock clock, Supplier<ClusterView> cluster,
                                     Supplier<List<MailCounters>> mailCounters, String nodeId, NodeMetrics metrics,
                                     Tickets tickets, TicketsFromMail ticketsFromMail) {
        return staffWeb(db, settings, clock, cluster, mailCounters, nodeId, metrics, tickets, ticketsFromMail, TicketChanges.DEFAULT_PENDING,
                MailboxAnnouncer.OUTSIDE_A_CLUSTER, () -> WatchRoutes.Status.NOT_WATCHING);
    }

    /**
     * @param pendingDefault  how long a ticket set pending without a time waits ({@code tickets.pending-default})
     * @param announceMailbox tells the running cluster about a mailbox saved on the admin screens
     * @param watch           what this node's self-watch sees now ({@code /health/watch})
     */
    public static WebServer staffWeb(Database db, WebSettings settings, Clock clock, Supplier<ClusterView> cluster,
                                     Supplier<List<MailCounters>> mailCounters, String nodeId, NodeMetrics metrics,
                                     Tickets tickets, TicketsFromMail ticketsFromMail, Duration pendingDefault,
                                     MailboxAnnouncer announceMailbox, Supplier<WatchRoutes.Status> watch) {
        DatabaseHealth databaseHealth = new DatabaseHealth(db, HealthHandlers.READY_TIMEOUT);
        // staff requests retry a write only briefly; background work keeps the database's long budget
        Transactions webWrites = db.transactions().withRetryBudget(settings.dbRetryBudget());
        ReplyService replies = new ReplyService(webWrites, tickets);
        QuarantineService quarantine = new QuarantineService(db, webWrites, new MailParser(), ticketsFromMail, tickets);
        StaffGroups groups = new StaffGroups(db, webWrites);
        LoginThrottle throttle = new LoginThrottle(webWrites, tickets.audit(), clock, LoginThrottle.Policy.DEFAULT);
        StaffAccounts accounts = new StaffAccounts(db, webWrites);
        ApiTokens apiTokens = new ApiTokens(db, webWrites, clock);
        TicketQueries ticketQueries = new TicketQueries(db);
        LiveRoutes live = new LiveRoutes(db, webWrites, LiveSettings.DEFAULT);
        metrics.watchLive(live::streams, live::listening);
        TicketChanges changes = new TicketChanges(webWrites, tickets, pendingDefault, clock);
        Macros macros = new Macros(db, webWrites);
        MacroUse macroUse = new MacroUse(db, macros, changes);
        Supplier<List<String>> groupNames = () -> groups.list().stream().map(StaffGroups.Group::name).toList();
        return new WebServer(settings, accounts, throttle, new Totp(db, webWrites, clock),
                new WebSessions(db, webWrites, clock, settings.sessionTtl(), settings.sessionIdleTimeout()),
                apiTokens, ReplyAttachments.MAX_TOTAL_BYTES, List.of(
                        new HealthHandlers(databaseHealth),
                        new WatchRoutes(watch),
                        metrics.route(),
                        new TicketRoutes(ticketQueries, replies, changes, new SavedViews(db, webWrites), new HeldReplies(db), groupNames,
                                macroUse),
                        new TicketRelationRoutes(new TicketMerging(webWrites, tickets)),
                        new ClusterHandlers(new ClusterStatusService(db, databaseHealth, cluster, nodeId, mailCounters)),
                        new QuarantineRoutes(quarantine),
                        new AdminRoutes(accounts, groups, apiTokens, new MailboxCatalog(db), ticketQueries, announceMailbox,
                                new NodeSecrets(db), clock),
                        new SlaRoutes(new SlaAdmin(db, webWrites), groupNames),
                        new MacroRoutes(macros, macroUse, groupNames),
                        ApiDocument.fromClasspath(),
                        live),
                PageHeader.of(user -> TicketQueries.shownCount(ticketQueries.myOpenCount(user.viewer()).value()),
                        new StallBanner(db, clock)::lines));
    }

    /** Every enabled mailbox's IMAP server, by mailbox id: what {@link ReachProbes} checks. Reads the database. */
    private static Map<String, ReachProbes.ImapServer> imapServers(MailboxCatalog catalog) {
        return catalog.list().stream().filter(MailboxCatalog.Listed::enabled).collect(Collectors.toMap(MailboxCatalog.Listed::id,
                m -> new ReachProbes.ImapServer(m.imapHost(), m.imapPort(), TransportSecurity.parse(m.imapSecurity()))));
    }

    /** One listener for the node's duties: each is told of its own duty only. */
    private static LeadershipListener duties(LeadershipListener... listeners) {
        return new LeadershipListener() {
            @Override
            public void leadershipGained(String duty) {
                for (LeadershipListener l : listeners) {
                    l.leadershipGained(duty);
                }
            }

            @Override
            public void leadershipLost(String duty) {
                for (LeadershipListener l : listeners) {
                    l.leadershipLost(duty);
                }
            }
        };
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
