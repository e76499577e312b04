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
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Two nodes against a real ZooKeeper server publish what they can reach; each reads both reports,
 * a newer report replaces the older, and the report of a node that left disappears with it.
 */
class ReachReportsTest {

    @TempDir
    Path dir;

    private EmbeddedZooKeeper zooKeeper;
    private ClusterMember a;
    private ClusterMember b;

    @AfterEach
    void tearDown() {
        if (a != null) {
            a.close();
        }
        if (b != null) {
            b.close();
        }
        if (zooKeeper != null) {
            zooKeeper.close();
        }
    }

    @Test
    void everyNodeReadsEveryLiveNodesLatestReportAndALeftNodesReportIsGone() throws Exception {
        zooKeeper = EmbeddedZooKeeper.start(dir.resolve("zk"), freePort());
        a = member("node-a");
        b = member("node-b");
        Instant t0 = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        ReachReport fromA = new ReachReport("node-a", t0, new ReachReport.Reach(false, t0.minusSeconds(3),
                "no answer within 1500 ms (SocketTimeoutException)"),
                Map.of("support", new ReachReport.Reach(true, t0.minusSeconds(60), null)));
        a.publishReach(fromA);
        b.publishReach(new ReachReport("node-b", t0, new ReachReport.Reach(true, t0, null), Map.of()));

        assertThat(b.reachReports()).containsExactlyInAnyOrder(fromA,
                new ReachReport("node-b", t0, new ReachReport.Reach(true, t0, null), Map.of()));
        assertThat(b.view().nodes()).as("the cluster view carries each live node's report")
                .filteredOn(n -> n.id().equals("node-a")).singleElement().extracting(ClusterView.Node::reach).isEqualTo(fromA);

        ReachReport newer = new ReachReport("node-a", t0.plusSeconds(1), new ReachReport.Reach(true, t0.plusSeconds(1), null),
                Map.of("support", new ReachReport.Reach(true, t0.minusSeconds(60), null)));
        a.publishReach(newer);
        assertThat(b.reachReports()).contains(newer).doesNotContain(fromA);
        assertThatThrownBy(() -> a.publishReach(new ReachReport("node-b", t0, new ReachReport.Reach(true, t0, null), Map.of())))
                .hasMessageContaining("its own report");

        a.close();
        await().atMost(TestTimeouts.seconds(10)).until(() -> b.reachReports().stream().noneMatch(r -> r.node().equals("node-a")));
        assertThat(b.reachReports()).extracting(ReachReport::node).containsExactly("node-b");
    }

    private ClusterMember member(String id) throws Exception {
        ClusterMember m = new ClusterMember(new ClusterSettings(zooKeeper.connectString(), "reach", id, Duration.ofSeconds(4)));
        m.start(Set.of("support"), new LeadershipListener() {
            @Override
            public void leadershipGained(String mailboxId) {
            }

            @Override
            public void leadershipLost(String mailboxId) {
            }
        });
        return m;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
