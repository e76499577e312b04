package dev.ticketd.chaos.scenario;

import dev.ticketd.chaos.Poll;
import dev.ticketd.chaos.Procs;
import dev.ticketd.chaos.db.PatroniCluster;
import dev.ticketd.chaos.net.Host;
import dev.ticketd.chaos.net.Hosts;
import dev.ticketd.chaos.scenario.AlertCapture.Notice;
import dev.ticketd.chaos.scenario.Nemesis.Outcome;
import dev.ticketd.chaos.scenario.Nemesis.Type;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * The silent faults of {@link Nemesis}: troubles under which every process keeps running and
 * nothing fails loudly, so only the self-watch (or, for the whole cluster, the outside watcher) can
 * tell. Each is confirmed by its effect and by what reached operations — the notices the harness's
 * {@link AlertCapture} received, never rows in the database — then repaired; its detail gives the
 * alert and all-clear times per channel. Used by one thread, the scenario's.
 */
final class SilentFaults {

    private static final Logger log = LoggerFactory.getLogger(SilentFaults.class);
    /** How long the stall of a silent fault may take to be alerted before the fault counts as unconfirmed. */
    private static final Duration ALERT_WAIT = Duration.ofSeconds(300);
    /** How long the all-clear may take after a repair before the wait gives up. */
    private static final Duration CLEAR_WAIT = Duration.ofSeconds(180);

    private final ThreeHostCluster cluster;
    private final Random random;

    SilentFaults(ThreeHostCluster cluster, Random random) {
        this.cluster = cluster;
        this.random = random;
    }

    /**
     * The support mailbox's password is changed on the mail server (every session ends), so no node
     * can read it while every node keeps running: confirmed when a stall alert reaches operations.
     * Then the password is put back; the all-clear must follow. The detail gives the times per channel.
     */
    Outcome mailboxPassword() throws Exception {
        Instant start = Instant.now();
        cluster.mail().setPassword(ThreeHostCluster.SUPPORT, "rotated-" + Math.abs(random.nextInt()));
        Instant alerted = awaitStallAlert(start, ALERT_WAIT, AlertCapture.CHANNELS);
        Instant repaired = Instant.now();
        cluster.mail().setPassword(ThreeHostCluster.SUPPORT, null);
        Instant cleared = alerted == null ? null : awaitAllClear(start, CLEAR_WAIT, AlertCapture.CHANNELS);
        Instant end = Instant.now();
        return new Outcome(Type.MAILBOX_PASSWORD, "mail", start, end, alerted != null && cleared != null,
                "support's password changed on the mail server (Dovecot restarted, every session ended); "
                        + alerting(start, repaired, end, alerted), repaired);
    }

    /**
     * The database primary refuses every write ({@code default_transaction_read_only} set by a
     * superuser and reloaded) while it answers reads and stays Patroni's leader: no failover comes.
     * Confirmed by a new session of the application's role seeing it on, and by a stall alert; then
     * reset on every member. While writes fail the alerts' claims in the database fail too, so the
     * nodes send directly: one opening per node may arrive, never none.
     */
    Outcome pgReadOnly() throws Exception {
        PatroniCluster patroni = cluster.patroni();
        int p = patroni.primary().orElseThrow(() -> new IllegalStateException("no single database primary"));
        String name = patroni.members().get(p).name();
        Instant start = Instant.now();
        Instant repaired = null;
        Instant alerted = null;
        Instant cleared = null;
        String seen;
        try {
            patroni.superuser(p, "alter system set default_transaction_read_only = on", "select pg_reload_conf()");
            String[] shown = {"?"};
            try {
                Poll.until("a read-only default on " + name, Duration.ofSeconds(15), Duration.ofMillis(250), () -> {
                    try {
                        shown[0] = patroni.showAsApp(p, "default_transaction_read_only");
                    } catch (java.sql.SQLException e) {
                        shown[0] = e.getMessage();
                    }
                    return shown[0].equals("on");
                });
            } catch (IllegalStateException e) {
                log.warn("{}", e.getMessage());
            }
            seen = shown[0];
            if (seen.equals("on")) {
                alerted = awaitStallAlert(start, ALERT_WAIT, AlertCapture.CHANNELS);
            }
        } finally {
            repaired = Instant.now();
            resetReadOnly(patroni);
        }
        String after = patroni.showAsApp(p, "default_transaction_read_only");
        if (alerted != null) {
            cleared = awaitAllClear(start, CLEAR_WAIT, AlertCapture.CHANNELS);
        }
        Instant end = Instant.now();
        return new Outcome(Type.PG_READ_ONLY, name, start, end, seen.equals("on") && after.equals("off") && alerted != null && cleared != null,
                "primary " + name + " made read-only (a new app session shows default_transaction_read_only=" + seen + ", after the reset "
                        + after + "); " + alerting(start, repaired, end, alerted), repaired);
    }

    /** Resets the read-only default on every member that answers (a failover may have moved the primary meanwhile). */
    private void resetReadOnly(PatroniCluster patroni) {
        for (int i = 0; i < patroni.members().size(); i++) {
            try {
                patroni.superuser(i, "alter system reset default_transaction_read_only", "select pg_reload_conf()");
            } catch (java.sql.SQLException e) {
                log.warn("cannot reset default_transaction_read_only on {}: {}", patroni.members().get(i).name(), e.getMessage());
            }
        }
    }

    /**
     * The Dovecot {@code imap} processes serving the mailbox leader's sessions frozen with SIGSTOP
     * for {@link #IMAP_FREEZE}: its IDLE never ends and no answer comes. The reader is built to notice
     * (it ends an IDLE after the poll interval and times out waiting) and to reconnect, so intake
     * should recover by itself and no stall be alerted; a stall that does come is reported with its
     * times. Confirmed by the processes' state T. The scenario adds how long intake stopped.
     */
    Outcome imapIdleFreeze(String h) throws Exception {
        String address = cluster.hosts().host(h).address();
        // a session may end between being found and being stopped (the watch's short looks do): stop
        // each one that is there, and look again until at least one is frozen
        List<Long> pids = new ArrayList<>();
        Instant start = Instant.now();
        Poll.until("a frozen IMAP session of the leader " + h + " on the mail server", Duration.ofSeconds(20), Duration.ofMillis(250), () -> {
            try {
                for (long pid : cluster.mail().imapProcessesOf(address)) {
                    if (!pids.contains(pid)) {
                        try {
                            Procs.run(List.of("kill", "-STOP", Long.toString(pid)));
                            pids.add(pid);
                        } catch (IOException | RuntimeException gone) {
                            log.info("imap process {} ended before SIGSTOP", pid);
                        }
                    }
                }
                return pids.stream().anyMatch(pid -> stateOf(pid).equals("T"));
            } catch (IOException | InterruptedException e) {
                return false;
            }
        });
        List<Long> frozen = pids.stream().filter(pid -> stateOf(pid).equals("T")).toList();
        boolean stopped = !frozen.isEmpty();
        try {
            Thread.sleep(IMAP_FREEZE.toMillis());
        } finally {
            for (long pid : pids) {
                try {
                    Procs.run(List.of("kill", "-CONT", Long.toString(pid)));
                } catch (IOException | RuntimeException gone) {
                    log.info("imap process {} gone before SIGCONT", pid);
                }
            }
        }
        Instant repaired = Instant.now();
        Instant alerted = cluster.alerts().notices().stream().filter(n -> !n.at().isBefore(start) && n.stallOpen())
                .map(Notice::at).findFirst().orElse(null);
        if (alerted != null) {
            awaitAllClear(start, CLEAR_WAIT, AlertCapture.CHANNELS);
        }
        Thread.sleep(10_000);
        Instant end = Instant.now();
        return new Outcome(Type.IMAP_IDLE_FREEZE, h, start, end, stopped,
                "leader " + h + "'s " + frozen.size() + " IMAP session process(es) " + frozen + " frozen with SIGSTOP (state T: " + stopped
                        + ") for " + IMAP_FREEZE.toSeconds() + " s, then SIGCONT; "
                        + (alerted == null ? "no stall alert reached operations (the reader went on by itself)"
                        : alerting(start, repaired, end, alerted)), repaired);
    }

    private static final Duration IMAP_FREEZE = Duration.ofSeconds(120);

    /** A process's state letter, or "gone". */
    private static String stateOf(long pid) {
        try {
            return Nemesis.procState(pid);
        } catch (IOException gone) {
            return "gone";
        }
    }

    /**
     * Postfix keeps taking mail (250 to the data) but delivers none to the INBOX: only the canary can
     * tell. Confirmed when mail piles up in Postfix's queue and a stall alert arrives (within 300 s);
     * then delivery resumes and the queue is flushed.
     */
    Outcome deliveryStop() throws Exception {
        Instant start = Instant.now();
        Instant alerted = null;
        int[] queued = {0};
        Instant repaired;
        try {
            cluster.mail().deferDelivery(true);
            try {
                Poll.until("mail queued at Postfix", Duration.ofSeconds(30), Duration.ofMillis(500), () -> {
                    try {
                        queued[0] = cluster.mail().queuedMails();
                    } catch (IOException e) {
                        return false;
                    }
                    return queued[0] > 0;
                });
            } catch (IllegalStateException e) {
                log.warn("{}", e.getMessage());
            }
            alerted = awaitStallAlert(start, ALERT_WAIT, AlertCapture.CHANNELS);
        } finally {
            repaired = Instant.now();
            cluster.mail().deferDelivery(false);
        }
        Instant cleared = alerted == null ? null : awaitAllClear(start, CLEAR_WAIT, AlertCapture.CHANNELS);
        Instant end = Instant.now();
        return new Outcome(Type.DELIVERY_STOP, "mail", start, end, queued[0] > 0 && alerted != null && cleared != null,
                "Postfix took mail but deferred every delivery to Dovecot (" + queued[0] + " mails queued when first looked at); "
                        + (alerted == null ? "no stall alert within " + ALERT_WAIT.toSeconds() + " s: the stop went unseen; " : "")
                        + alerting(start, repaired, end, alerted), repaired);
    }

    /**
     * The operations relay unreachable from every host (packets dropped) while the support mailbox's
     * password is changed: the webhook must still tell, the mail channel cannot. After the password
     * and then the relay are back, the mail channel must get its all-clear (within 90 s: a failed
     * notice is retried after a minute), whatever else reaches it late is recorded.
     */
    Outcome opsRelayCut() throws Exception {
        AlertCapture alerts = cluster.alerts();
        List<Hosts.PortBlock> blocks = new ArrayList<>();
        try {
            for (Host host : cluster.nodeHosts()) {
                blocks.add(cluster.hosts().blockPort(host, alerts.address(), alerts.relayPort()));
            }
            Instant start = Instant.now();
            cluster.mail().setPassword(ThreeHostCluster.SUPPORT, "rotated-" + Math.abs(random.nextInt()));
            Instant alerted = awaitStallAlert(start, ALERT_WAIT, List.of(AlertCapture.WEBHOOK));
            Instant repaired = Instant.now();
            cluster.mail().setPassword(ThreeHostCluster.SUPPORT, null);
            Instant cleared = alerted == null ? null : awaitAllClear(start, CLEAR_WAIT, List.of(AlertCapture.WEBHOOK));
            long smtpDuringCut = alerts.notices().stream().filter(n -> !n.at().isBefore(start) && n.channel().equals(AlertCapture.SMTP)).count();
            Instant relayBack = Instant.now();
            for (Hosts.PortBlock b : blocks) {
                cluster.hosts().unblock(b);
            }
            blocks.clear();
            // a notice whose channel failed is tried again a minute later: the mail channel owes the
            // all-clear (marked as its first notice of the trouble when the opening never got through)
            Optional<Notice> lateClear = alerts.await(relayBack, n -> n.channel().equals(AlertCapture.SMTP) && "clear".equals(n.event()),
                    Duration.ofSeconds(90));
            Instant end = Instant.now();
            List<String> lateMail = alerts.notices().stream().filter(n -> !n.at().isBefore(relayBack) && n.channel().equals(AlertCapture.SMTP))
                    .map(n -> n.event() + " " + n.rule() + " " + AlertMeasure.seconds(Duration.between(relayBack, n.at()).toMillis())
                            + " after the relay came back").toList();
            return new Outcome(Type.OPS_RELAY_CUT, "relay", start, end, alerted != null && cleared != null && smtpDuringCut == 0
                    && lateClear.isPresent(),
                    "relay " + alerts.address() + ":" + alerts.relayPort() + " cut off from every host while support's password was changed; "
                            + alerting(start, repaired, end, alerted) + "; mail notices during the cut: " + smtpDuringCut
                            + "; mail after the relay came back: " + (lateMail.isEmpty() ? "none within 90 s" : lateMail), repaired);
        } finally {
            for (Hosts.PortBlock b : blocks) {
                cluster.hosts().unblock(b);
            }
        }
    }

    /**
     * Every node killed ({@code kill -9}): nothing inside the cluster is left to tell, only the
     * outside watcher ({@code ticketd watch}, started by the harness). Confirmed by its
     * {@code cluster-silent} alert (its {@code watch.silent-after} is 120 s); then the nodes restart
     * and its all-clear must follow.
     */
    Outcome allNodesKill() throws Exception {
        if (!cluster.outsideWatchAlive()) {
            throw new IllegalStateException("the outside watcher is not running");
        }
        Instant start = Instant.now();
        boolean gone = true;
        for (String h : ThreeHostCluster.NODE_HOSTS) {
            cluster.node(h).destroyForcibly();
        }
        for (String h : ThreeHostCluster.NODE_HOSTS) {
            gone &= cluster.node(h).waitFor(10, TimeUnit.SECONDS);
        }
        Instant alerted = cluster.alerts().await(start, n -> n.stallOpen() && "cluster-silent".equals(n.rule()), ALERT_WAIT)
                .map(Notice::at).orElse(null);
        if (alerted != null) {
            awaitStallAlert(start, Duration.ofSeconds(20), AlertCapture.CHANNELS);
        }
        Instant repaired = Instant.now();
        for (String h : ThreeHostCluster.NODE_HOSTS) {
            cluster.startNode(h);
        }
        cluster.awaitLiveNodes(3, Duration.ofSeconds(120));
        Instant cleared = alerted == null ? null : awaitAllClear(start, CLEAR_WAIT, AlertCapture.CHANNELS);
        Instant end = Instant.now();
        return new Outcome(Type.ALL_NODES_KILL, "h1,h2,h3", start, end, gone && alerted != null && cleared != null,
                "every node killed with kill -9 (all exited: " + gone + "), restarted after the outside watcher's alert; "
                        + alerting(start, repaired, end, alerted), repaired);
    }

    /** The fault's figures per channel as a sentence, or why there are none. */
    private String alerting(Instant start, Instant repaired, Instant end, Instant alerted) {
        if (alerted == null) {
            return "no stall alert reached operations within " + ALERT_WAIT.toSeconds() + " s";
        }
        return AlertMeasure.describe(AlertMeasure.measure(cluster.alerts().notices(), start, repaired, end.plusMillis(1)));
    }

    /**
     * When the first stall alert opened since {@code since} reached operations on any channel; then
     * waits up to 20 s more for it on each of {@code channels} (one round sends on all). Null: none
     * within {@code timeout}.
     */
    private Instant awaitStallAlert(Instant since, Duration timeout, List<String> channels) throws InterruptedException {
        AlertCapture alerts = cluster.alerts();
        Optional<Notice> first = alerts.await(since, n -> n.stallOpen() && channels.contains(n.channel()), timeout);
        if (first.isEmpty()) {
            return null;
        }
        for (String channel : channels) {
            alerts.await(since, n -> n.stallOpen() && n.channel().equals(channel), Duration.ofSeconds(20));
        }
        return first.get().at();
    }

    /**
     * Waits until, on each of {@code channels}, every stall alert opened since {@code since} has had
     * its all-clear; returns when the last came, or null when that did not happen within {@code timeout}.
     */
    private Instant awaitAllClear(Instant since, Duration timeout, List<String> channels) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            List<Notice> notices = cluster.alerts().notices().stream().filter(n -> !n.at().isBefore(since)).toList();
            Instant last = null;
            boolean all = true;
            for (String channel : channels) {
                for (Notice open : notices.stream().filter(n -> n.channel().equals(channel) && n.stallOpen()).toList()) {
                    Optional<Instant> clear = notices.stream().filter(n -> n.channel().equals(channel) && "clear".equals(n.event())
                            && n.episode().equals(open.episode()) && !n.at().isBefore(open.at())).map(Notice::at).findFirst();
                    if (clear.isEmpty()) {
                        all = false;
                    } else if (last == null || clear.get().isAfter(last)) {
                        last = clear.get();
                    }
                }
            }
            if (all && last != null) {
                return last;
            }
            Thread.sleep(500);
        }
        return null;
    }
}
