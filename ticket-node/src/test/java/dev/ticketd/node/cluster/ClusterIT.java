package dev.ticketd.node.cluster;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Three ticket nodes as separate processes against a three-server ZooKeeper ensemble, a real
 * PostgreSQL and GreenMail (see {@link ThreeNodeCluster}). One node leads the mailbox; when it is
 * killed another takes over and every mail still becomes exactly one ticket.
 */
class ClusterIT {

    private ThreeNodeCluster cluster;

    @BeforeEach
    void setUp() throws Exception {
        // all three at once: racing to create the Helix cluster must be safe (README: "safe when several nodes start at once")
        cluster = ThreeNodeCluster.start("ClusterIT", true);
    }

    @AfterEach
    void tearDown() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void aKilledLeaderIsReplacedAndEveryMailStillBecomesExactlyOneTicket() throws Exception {
        // stable: right after start-up Helix may still hand the first leadership on
        String first = cluster.awaitLeader(null, Duration.ofSeconds(2)).holder();
        cluster.send("cluster", 0, 5);
        cluster.awaitTickets(5);

        long killedAt = System.nanoTime();
        cluster.kill9(first);
        cluster.send("cluster", 5, 10);
        String second = cluster.awaitLeader(first, Duration.ZERO).holder();
        cluster.awaitTickets(10);
        System.out.printf("ClusterIT: kill -9 of %s -> %s holds the lease, all mail ticketed after %d ms%n",
                first, second, Duration.ofNanos(System.nanoTime() - killedAt).toMillis());

        long stoppedAt = System.nanoTime();
        cluster.terminate(second); // SIGTERM: a planned shutdown hands over at once
        String third = cluster.awaitLeader(second, Duration.ZERO).holder();
        System.out.printf("ClusterIT: SIGTERM of %s -> %s holds the lease after %d ms%n",
                second, third, Duration.ofNanos(System.nanoTime() - stoppedAt).toMillis());
        assertThat(cluster.process(second).waitFor(30, TimeUnit.SECONDS)).as("SIGTERM ends the node").isTrue();
        cluster.send("cluster", 10, 15);
        cluster.awaitTickets(15);

        cluster.assertEveryMailIsExactlyOneTicket("cluster", 15);
    }
}
