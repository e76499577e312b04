package dev.ticketd.node.watch;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The stall rules on samples built by hand: each rule fires on what it names and stays quiet on the
 * look-alike that is no trouble (a draining backlog, a paused mailbox, a short database blip).
 */
class StallRulesTest {

    private static final Duration STALL_AFTER = WatchSettings.DEFAULT_STALL_AFTER;
    private static final Instant T0 = Instant.parse("2026-12-04T10:00:00Z");
    private final WatchSettings settings = WatchSettings.defaults();
    private final StallRules rules = new StallRules(settings, "node-a");

    private static Sample sample(Instant at, Sample.MailboxSignal m) {
        return new Sample(at, List.of(m), List.of(), new Sample.DatabaseSignal(null, false, 0), cluster("node-a"));
    }

    private static Sample.ClusterSignal cluster(String leader) {
        return new Sample.ClusterSignal(List.of(new Sample.NodeSignal(leader, null)));
    }

    private static Sample.MailboxSignal mailbox(Duration sinceLastPass, Sample.Look look) {
        return new Sample.MailboxSignal("support", "support@example.test", false, "node-a", sinceLastPass, null, look);
    }

    @Test
    void aMailboxNotReadForTheStallTimeIsStalled() {
        assertThat(rules.evaluate(sample(T0, mailbox(STALL_AFTER.minusSeconds(1), null)))).isEmpty();
        List<Finding> found = rules.evaluate(sample(T0.plusSeconds(5), mailbox(STALL_AFTER.plusSeconds(4), null)));
        assertThat(found).singleElement().satisfies(f -> {
            assertThat(f.rule()).isEqualTo(StallRules.MAILBOX_STALLED);
            assertThat(f.subject()).isEqualTo("support@example.test");
            assertThat(f.severity()).isEqualTo(Finding.Severity.STALL);
            assertThat(f.summary()).contains("has not been read for " + StallRules.human(STALL_AFTER.plusSeconds(4)))
                    .contains("led by node-a");
        });
    }

    @Test
    void aMailboxWithoutLeaderSaysSo() {
        Sample.MailboxSignal m = new Sample.MailboxSignal("support", "support@example.test", false, null, Duration.ofMinutes(5), null, null);
        assertThat(rules.evaluate(sample(T0, m))).singleElement().satisfies(f -> assertThat(f.summary()).contains("no node leads it"));
    }

    @Test
    void aPausedMailboxIsNeverStalled() {
        Sample.MailboxSignal m = new Sample.MailboxSignal("support", "support@example.test", true, null, Duration.ofHours(5), null, null);
        assertThat(rules.evaluate(sample(T0, m))).isEmpty();
    }

    @Test
    void aLongPassThatVisiblyDrainsTheInboxIsNotAStall() {
        // the reader is busy with a backlog: its pass has not completed for minutes, but the first mail keeps changing
        for (int i = 0; i < 10; i++) {
            Instant at = T0.plusSeconds(15L * i);
            Sample.Look look = new Sample.Look(5000 - 400 * i, 100 + 400L * i, Duration.ofSeconds(1), null);
            assertThat(rules.evaluate(sample(at, mailbox(Duration.ofSeconds(100 + 15L * i), look)))).as("look %d", i).isEmpty();
        }
    }

    @Test
    void theSameFirstMailForTheStallTimeIsAStallEvenWhilePassesComplete() {
        // passes complete (an IDLE that answers, a reader that skips the mail) but the first mail never goes
        Sample.Look look = new Sample.Look(3, 42, Duration.ofSeconds(10), null);
        assertThat(rules.evaluate(sample(T0, mailbox(Duration.ofSeconds(1), look)))).isEmpty();
        assertThat(rules.evaluate(sample(T0.plusSeconds(60), mailbox(Duration.ofSeconds(1), look)))).isEmpty();
        assertThat(rules.evaluate(sample(T0.plus(STALL_AFTER), mailbox(Duration.ofSeconds(1), look)))).singleElement()
                .satisfies(f -> assertThat(f.summary()).contains("the first of 3 waiting mail(s) has waited " + StallRules.human(STALL_AFTER)));
    }

    @Test
    void anEmptyInboxIsNoStallHoweverLongItStaysEmpty() {
        Sample.Look empty = new Sample.Look(0, 0, null, null);
        for (int i = 0; i < 20; i++) {
            assertThat(rules.evaluate(sample(T0.plusSeconds(30L * i), mailbox(Duration.ofSeconds(2), empty)))).isEmpty();
        }
    }

    @Test
    void aFailedLookIsNamedAsTheReason() {
        Sample.Look failed = Sample.Look.failed("AuthenticationFailedException: invalid credentials");
        assertThat(rules.evaluate(sample(T0, mailbox(Duration.ofMinutes(3), failed)))).singleElement()
                .satisfies(f -> assertThat(f.summary()).contains("the watch cannot read it either: AuthenticationFailedException"));
    }

    @Test
    void theDatabaseIsUnreachableOnlyAfterTheStallTime() {
        Sample.DatabaseSignal down = new Sample.DatabaseSignal("connection refused", true, 0);
        assertThat(rules.evaluate(new Sample(T0, List.of(), List.of(), down, cluster("node-a")))).isEmpty();
        assertThat(rules.evaluate(new Sample(T0.plusSeconds(30), List.of(), List.of(), down, cluster("node-a")))).isEmpty();
        // back for one sample: the time starts again
        assertThat(rules.evaluate(new Sample(T0.plusSeconds(60), List.of(), List.of(), new Sample.DatabaseSignal(null, true, 1),
                cluster("node-a")))).isEmpty();
        Instant again = T0.plusSeconds(120);
        assertThat(rules.evaluate(new Sample(again, List.of(), List.of(), down, cluster("node-a")))).isEmpty();
        assertThat(rules.evaluate(new Sample(again.plus(STALL_AFTER).minusSeconds(5), List.of(), List.of(), down, cluster("node-a"))))
                .isEmpty();
        assertThat(rules.evaluate(new Sample(again.plus(STALL_AFTER), List.of(), List.of(), down, cluster("node-a")))).singleElement()
                .satisfies(f -> {
                    assertThat(f.rule()).isEqualTo(StallRules.DATABASE_UNREACHABLE);
                    assertThat(f.summary()).contains("for " + StallRules.human(STALL_AFTER)).contains("connection refused");
                });
    }

    @Test
    void aReplicatedDatabaseWithoutSynchronousStandbyIsAWarningAfterTheStallTime() {
        Sample.DatabaseSignal noSync = new Sample.DatabaseSignal(null, true, 0);
        assertThat(rules.evaluate(new Sample(T0, List.of(), List.of(), noSync, cluster("node-a")))).isEmpty();
        assertThat(rules.evaluate(new Sample(T0.plus(STALL_AFTER), List.of(), List.of(), noSync, cluster("node-a")))).singleElement()
                .satisfies(f -> {
                    assertThat(f.rule()).isEqualTo(StallRules.NO_SYNC_STANDBY);
                    assertThat(f.severity()).isEqualTo(Finding.Severity.WARNING);
                });
        assertThat(rules.evaluate(new Sample(T0, List.of(), List.of(), new Sample.DatabaseSignal(null, false, 0), cluster("node-a"))))
                .as("a database without standbys by configuration").isEmpty();
    }

    @Test
    void anOutboundMailWaitingTooLongIsAWarning() {
        Sample s = new Sample(T0, List.of(), List.of(new Sample.OutboxSignal("support", "support@example.test", Duration.ofMinutes(11))),
                new Sample.DatabaseSignal(null, false, 0), cluster("node-a"));
        assertThat(rules.evaluate(s)).singleElement().satisfies(f -> {
            assertThat(f.rule()).isEqualTo(StallRules.OUTBOX_STUCK);
            assertThat(f.summary()).contains("has waited 11 min");
        });
        Sample fresh = new Sample(T0, List.of(), List.of(new Sample.OutboxSignal("support", "support@example.test", Duration.ofMinutes(2))),
                new Sample.DatabaseSignal(null, false, 0), cluster("node-a"));
        assertThat(rules.evaluate(fresh)).isEmpty();
    }

    @Test
    void aNodeNotReadyIsInformationOnly() {
        Sample s = new Sample(T0, List.of(), List.of(), new Sample.DatabaseSignal(null, false, 0), new Sample.ClusterSignal(List.of(
                new Sample.NodeSignal("node-a", null), new Sample.NodeSignal("node-b", "not connected to the cluster"))));
        assertThat(rules.evaluate(s)).singleElement().satisfies(f -> {
            assertThat(f.rule()).isEqualTo(StallRules.NODE_DOWN);
            assertThat(f.subject()).isEqualTo("node-b");
            assertThat(f.severity()).isEqualTo(Finding.Severity.INFO);
        });
    }

    @Test
    void zooKeeperOutOfReachForTheStallTimeIsAWarning() {
        Sample.DatabaseSignal up = new Sample.DatabaseSignal(null, false, 0);
        assertThat(rules.evaluate(new Sample(T0, List.of(), List.of(), up, null))).isEmpty();
        assertThat(rules.evaluate(new Sample(T0.plus(STALL_AFTER), List.of(), List.of(), up, null))).singleElement()
                .satisfies(f -> assertThat(f.rule()).isEqualTo(StallRules.ZOOKEEPER_UNREACHABLE));
    }

    @Test
    void aZooKeeperServerNotServingForTheStallTimeIsAWarningThatSaysHowManyMoreMayGo() {
        Sample.DatabaseSignal up = new Sample.DatabaseSignal(null, false, 0);
        Sample.ClusterSignal oneDown = new Sample.ClusterSignal(List.of(new Sample.NodeSignal("node-a", null)), List.of(
                new Sample.ZooKeeperServer("zk1:2181", null), new Sample.ZooKeeperServer("zk2:2181", "no answer (ConnectException)"),
                new Sample.ZooKeeperServer("zk3:2181", null)));
        Sample.ClusterSignal whole = new Sample.ClusterSignal(List.of(new Sample.NodeSignal("node-a", null)), List.of(
                new Sample.ZooKeeperServer("zk1:2181", null), new Sample.ZooKeeperServer("zk2:2181", null),
                new Sample.ZooKeeperServer("zk3:2181", null)));
        assertThat(rules.evaluate(new Sample(T0, List.of(), List.of(), up, oneDown))).as("a restart is no trouble").isEmpty();
        assertThat(rules.evaluate(new Sample(T0.plus(STALL_AFTER), List.of(), List.of(), up, oneDown))).singleElement()
                .satisfies(f -> {
                    assertThat(f.rule()).isEqualTo(StallRules.ZOOKEEPER_DEGRADED);
                    assertThat(f.severity()).isEqualTo(Finding.Severity.WARNING);
                    assertThat(f.summary()).startsWith("ZooKeeper serves on 2 of 3 servers").contains("zk2:2181: no answer")
                            .contains("losing one more server stops every leader election");
                });
        assertThat(rules.evaluate(new Sample(T0.plus(STALL_AFTER).plusSeconds(5), List.of(), List.of(), up, whole))).isEmpty();
        assertThat(rules.evaluate(new Sample(T0.plus(STALL_AFTER).plusSeconds(10), List.of(), List.of(), up, oneDown)))
                .as("the time counts again from the next loss").isEmpty();
    }

    @Test
    void aWatcherThatAloneLostTheDatabaseJudgesNothingButSaysSo() {
        Sample.DatabaseSignal down = new Sample.DatabaseSignal("connection refused", true, 0);
        Sample.ClusterSignal othersReady = new Sample.ClusterSignal(List.of(new Sample.NodeSignal("node-a", "not ready (HTTP 503)"),
                new Sample.NodeSignal("node-b", null)));
        for (int i = 0; i < 10; i++) {
            List<Finding> found = rules.evaluate(new Sample(T0.plusSeconds(30L * i), List.of(mailbox(Duration.ofMinutes(10 + i), null)),
                    List.of(), down, othersReady));
            assertThat(found).as("round %d", i).singleElement().satisfies(f -> {
                assertThat(f.rule()).isEqualTo(StallRules.WATCH_BLIND);
                assertThat(f.severity()).isEqualTo(Finding.Severity.INFO);
            });
        }
    }

    private static Sample.MailboxSignal led(long epoch, int quarantined) {
        return new Sample.MailboxSignal("support", "support@example.test", false, "node-a", Duration.ofSeconds(1), null, null, epoch,
                quarantined);
    }

    @Test
    void aLeaseChangingHandsSixTimesInTenMinutesIsFlappingButAFewFailoversAreNot() {
        // a failover every two minutes: five changes in ten minutes, no warning
        for (int i = 0; i <= 5; i++) {
            assertThat(rules.evaluate(sample(T0.plus(Duration.ofMinutes(2L * i)), led(10 + i, 0)))).as("change %d", i).isEmpty();
        }
        // then six changes within three minutes
        Instant t = T0.plus(Duration.ofMinutes(12));
        List<Finding> found = List.of();
        for (int i = 1; i <= 6; i++) {
            found = rules.evaluate(sample(t.plusSeconds(30L * i), led(15 + i, 0)));
        }
        assertThat(found).singleElement().satisfies(f -> {
            assertThat(f.rule()).isEqualTo(StallRules.LEADERSHIP_FLAPPING);
            assertThat(f.severity()).isEqualTo(Finding.Severity.WARNING);
            // within the last ten minutes: the two failovers before the burst count too
            assertThat(f.summary()).contains("changed hands 8 times").contains("epoch 21");
        });
        // and quiet again once the window has passed without a change
        assertThat(rules.evaluate(sample(t.plus(Duration.ofMinutes(14)), led(21, 0)))).isEmpty();
    }

    @Test
    void tenMailsQuarantinedInAnHourIsAWarning() {
        assertThat(rules.evaluate(sample(T0, led(1, 9)))).isEmpty();
        assertThat(rules.evaluate(sample(T0.plusSeconds(5), led(1, 10)))).singleElement().satisfies(f -> {
            assertThat(f.rule()).isEqualTo(StallRules.QUARANTINE_GROWING);
            assertThat(f.summary()).contains("10 mails went to the quarantine in the last hour");
        });
    }

    @Test
    void aSynchronousStandbyLaggingFor30SecondsIsAWarningOnlyWhenItLasts() {
        Sample.DatabaseSignal lagging = new Sample.DatabaseSignal(null, true, 1, Duration.ofSeconds(45));
        Sample.MailboxSignal m = led(1, 0);
        assertThat(rules.evaluate(new Sample(T0, List.of(m), List.of(), lagging, cluster("node-a")))).isEmpty();
        assertThat(rules.evaluate(new Sample(T0.plus(STALL_AFTER), List.of(m), List.of(), lagging, cluster("node-a"))))
                .singleElement().satisfies(f -> {
                    assertThat(f.rule()).isEqualTo(StallRules.REPLICATION_LAG);
                    assertThat(f.summary()).contains("45 s behind");
                });
        Sample.DatabaseSignal caughtUp = new Sample.DatabaseSignal(null, true, 1, Duration.ofMillis(20));
        assertThat(rules.evaluate(new Sample(T0.plus(STALL_AFTER).plusSeconds(5), List.of(m), List.of(), caughtUp, cluster("node-a"))))
                .isEmpty();
    }
}
