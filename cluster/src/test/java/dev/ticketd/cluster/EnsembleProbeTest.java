package dev.ticketd.cluster;

import dev.ticketd.cluster.testing.TestZooKeeperEnsemble;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The probe against a real three-server ZooKeeper ensemble, one of whose servers is killed. */
class EnsembleProbeTest {

    @Test
    void everyServerOfTheConnectStringIsAskedAndAKilledOneIsNamedWhileTheOthersServe() throws Exception {
        try (TestZooKeeperEnsemble zk = TestZooKeeperEnsemble.start()) {
            EnsembleProbe probe = new EnsembleProbe(zk.connectString() + "/ticketd", Duration.ofSeconds(1));
            assertThat(probe.size()).isEqualTo(3);
            await().atMost(Duration.ofSeconds(60)).until(() -> probe.probe().stream().allMatch(EnsembleProbe.Server::serving));
            List<EnsembleProbe.Server> whole = probe.probe();
            assertThat(whole).extracting(EnsembleProbe.Server::mode).containsOnly("leader", "follower")
                    .filteredOn("leader"::equals).hasSize(1);

            zk.kill(2);
            await().atMost(Duration.ofSeconds(30)).until(() -> !probe.probe().get(2).serving());
            List<EnsembleProbe.Server> degraded = probe.probe();
            assertThat(degraded.get(2).problem()).startsWith("no answer");
            assertThat(degraded.get(2).address()).isEqualTo(zk.connectString().split(",")[2]);
            await().atMost(Duration.ofSeconds(60)).until(() -> probe.probe().subList(0, 2).stream().allMatch(EnsembleProbe.Server::serving));
        }
    }

    @Test
    void anAnswerIsJudgedByWhatTheServerSays() {
        assertThat(EnsembleProbe.judge("zk1:2181", "Zookeeper version: 3.9\nMode: follower\nNode count: 5\n"))
                .isEqualTo(new EnsembleProbe.Server("zk1:2181", "follower", null));
        assertThat(EnsembleProbe.judge("zk1:2181", "This ZooKeeper instance is not currently serving requests\n").problem())
                .contains("does not serve");
        assertThat(EnsembleProbe.judge("zk1:2181", "srvr is not executed because it is not in the whitelist.\n").serving())
                .as("a server that may not say is not held to be down").isTrue();
        assertThat(EnsembleProbe.judge("zk1:2181", "").problem()).contains("without an answer");
        assertThat(EnsembleProbe.servers("a:1,b:2/chroot")).hasSize(2);
        assertThat(EnsembleProbe.servers("a").get(0).getPort()).isEqualTo(2181);
    }
}
