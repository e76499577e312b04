package dev.ticketd.cluster;

import dev.ticketd.testing.TestTimeouts;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * One node's membership against a real ZooKeeper server: Helix makes it leader of every mailbox
 * partition, it stops the leader work when it cannot reach ZooKeeper for two thirds of the session
 * timeout, and resumes it when the same session comes back. (Several nodes are tested as separate
 * processes in ticket-node's ClusterIT.)
 */
class ClusterMemberTest {

    @TempDir
    Path dir;

    private EmbeddedZooKeeper zooKeeper;
    private ClusterMember member;
    private final List<String> events = new CopyOnWriteArrayList<>();

    @AfterEach
    void tearDown() {
        if (member != null) {
            member.close();
        }
        if (zooKeeper != null) {
            zooKeeper.close();
        }
    }

    @Test
    void aLoneNodeLeadsEveryMailboxAndGivesThemUpWhenItLeaves() throws Exception {
        zooKeeper = EmbeddedZooKeeper.start(dir.resolve("zk"), freePort());
        member = new ClusterMember(new ClusterSettings(zooKeeper.connectString(), "test", "node-a", Duration.ofSeconds(4)));
        member.start(Set.of("support", "billing"), recorder());

        await().atMost(TestTimeouts.seconds(30)).until(() -> member.leading().equals(Set.of("support", "billing")));
        assertThat(events).containsExactlyInAnyOrder("gained support", "gained billing");
        assertThat(member.isController()).isTrue();

        member.close();
        assertThat(events).contains("lost support", "lost billing");
    }

    @Test
    void theExtraClientOfHelixsControllerGetsOnlyTheServersThatAnswer() throws Exception {
        zooKeeper = EmbeddedZooKeeper.start(dir.resolve("zk"), freePort());
        int gone = freePort(); // nothing listens there: a server that refuses
        member = new ClusterMember(new ClusterSettings(zooKeeper.connectString() + ",127.0.0.1:" + gone, "test", "node-a",
                Duration.ofSeconds(4)));
        member.start(Set.of("support"), recorder());
        await().atMost(TestTimeouts.seconds(30)).until(() -> member.leading().equals(Set.of("support")));

        assertThat(member.metadataStoreConnectionString()).isEqualTo(zooKeeper.connectString());
    }

    @Test
    void leaderWorkPausesWhileZooKeeperIsUnreachableAndResumesWithTheSameSession() throws Exception {
        int port = freePort();
        zooKeeper = EmbeddedZooKeeper.start(dir.resolve("zk"), port);
        Duration session = Duration.ofSeconds(6);
        member = new ClusterMember(new ClusterSettings(zooKeeper.connectString(), "test", "node-a", session));
        member.start(Set.of("support"), recorder());
        await().atMost(TestTimeouts.seconds(30)).until(() -> member.leading().contains("support"));

        zooKeeper.close(); // the server goes away; the session lives on in its data directory
        long lostAt = System.nanoTime();
        await().atMost(TestTimeouts.seconds(10)).until(() -> events.contains("lost support"));
        Duration paused = Duration.ofNanos(System.nanoTime() - lostAt);
        assertThat(paused).as("not on the first disconnect").isGreaterThanOrEqualTo(Duration.ofSeconds(3));

        zooKeeper = EmbeddedZooKeeper.start(dir.resolve("zk"), port);
        await().atMost(TestTimeouts.seconds(30)).until(() -> member.leading().contains("support"));
        assertThat(events).containsSubsequence("gained support", "lost support", "gained support");
    }

    @Test
    void operatorsSeeTheClusterAndCanPauseAndDrain() throws Exception {
        zooKeeper = EmbeddedZooKeeper.start(dir.resolve("zk"), freePort());
        member = new ClusterMember(new ClusterSettings(zooKeeper.connectString(), "ops", "node-a", Duration.ofSeconds(4)));
        member.announceHttpUrl("http://127.0.0.1:8080/");
        member.start(Set.of("support"), recorder());
        await().atMost(TestTimeouts.seconds(30)).until(() -> member.leading().contains("support"));

        try (ClusterAdmin admin = ClusterAdmin.open(zooKeeper.connectString(), "ops")) {
            await().atMost(TestTimeouts.seconds(10)).until(() -> "node-a".equals(admin.status().mailboxes().get(0).leader()));
            ClusterView view = admin.status();
            assertThat(view.controller()).isEqualTo("node-a");
            assertThat(view.nodes()).singleElement().satisfies(n -> {
                assertThat(n.id()).isEqualTo("node-a");
                assertThat(n.live()).isTrue();
                assertThat(n.enabled()).isTrue();
                assertThat(n.httpUrl()).isEqualTo("http://127.0.0.1:8080/");
                assertThat(n.upSince()).isNotNull();
            });

            admin.pause("support");
            await().atMost(TestTimeouts.seconds(10)).until(() -> member.leading().isEmpty());
            admin.resume("support");
            await().atMost(TestTimeouts.seconds(10)).until(() -> member.leading().contains("support"));

            admin.drain("node-a");
            await().atMost(TestTimeouts.seconds(10)).until(() -> member.leading().isEmpty());
            assertThat(admin.status().nodes().get(0).enabled()).isFalse();
            admin.undrain("node-a");
            await().atMost(TestTimeouts.seconds(10)).until(() -> member.leading().contains("support"));

            member.disableMailbox("support", "test");
            await().atMost(TestTimeouts.seconds(10)).until(() -> member.leading().isEmpty());
            assertThat(member.view().nodes().get(0).disabledMailboxes()).containsExactly("support");
            member.enableMailbox("support");
            await().atMost(TestTimeouts.seconds(10)).until(() -> member.leading().contains("support"));

            assertThatThrownBy(() -> admin.drain("node-z")).hasMessageContaining("no node 'node-z'");
            assertThatThrownBy(() -> admin.removeNode("node-a")).hasMessageContaining("is live");
        }
    }

    @Test
    void exactlyOneOfTwoNodesRunsADutyAndTheOtherTakesItOverWhenTheFirstLeaves() throws Exception {
        zooKeeper = EmbeddedZooKeeper.start(dir.resolve("zk"), freePort());
        List<String> dutyEvents = new CopyOnWriteArrayList<>();
        member = new ClusterMember(new ClusterSettings(zooKeeper.connectString(), "duties", "node-a", Duration.ofSeconds(4)));
        ClusterMember second = new ClusterMember(new ClusterSettings(zooKeeper.connectString(), "duties", "node-b", Duration.ofSeconds(4)));
        try {
            member.start(Set.of("support"), recorder(), Set.of("ticket-timers"), recorder(dutyEvents, "node-a"));
            second.start(Set.of("support"), recorder(), Set.of("ticket-timers"), recorder(dutyEvents, "node-b"));

            await().atMost(TestTimeouts.seconds(30)).until(() -> member.leadingDuties().size() + second.leadingDuties().size() == 1
                    && member.leading().size() + second.leading().size() == 1);
            await().during(TestTimeouts.seconds(2)).atMost(TestTimeouts.seconds(5)).until(() ->
                    member.leadingDuties().size() + second.leadingDuties().size() == 1);
            assertThat(member.leading()).as("a duty is no mailbox").doesNotContain("ticket-timers");
            assertThat(second.leading()).doesNotContain("ticket-timers");
            ClusterMember runner = member.leadingDuties().contains("ticket-timers") ? member : second;
            ClusterMember other = runner == member ? second : member;

            runner.close();
            await().atMost(TestTimeouts.seconds(30)).until(() -> other.leadingDuties().equals(Set.of("ticket-timers")));
            assertThat(dutyEvents).filteredOn(e -> e.startsWith("gained")).hasSize(2);
        } finally {
            second.close();
        }
    }

    private static LeadershipListener recorder(List<String> into, String node) {
        return new LeadershipListener() {
            @Override
            public void leadershipGained(String duty) {
                into.add("gained " + duty + " " + node);
            }

            @Override
            public void leadershipLost(String duty) {
                into.add("lost " + duty + " " + node);
            }
        };
    }

    private LeadershipListener recorder() {
        return new LeadershipListener() {
            @Override
            public void leadershipGained(String mailboxId) {
                events.add("gained " + mailboxId);
            }

            @Override
            public void leadershipLost(String mailboxId) {
                events.add("lost " + mailboxId);
            }
        };
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
