package dev.ticketd.node.clusterpage;

import dev.ticketd.cluster.ReachReport;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** A node's reach report as the cluster page and {@code GET /api/v1/cluster} show it. */
class ReachShownTest {

    private static final Instant T = Instant.parse("2026-12-06T10:00:00.456Z");

    @Test
    void everyTargetIsNamedAndOneOutOfReachSaysSinceWhenAndWhy() {
        ReachReport r = new ReachReport("node-1", T, new ReachReport.Reach(true, T.minusSeconds(600), null), Map.of(
                "support", new ReachReport.Reach(false, T.minusSeconds(12), "imap.example.test:993: SocketTimeoutException after 1501 ms"),
                "billing", new ReachReport.Reach(true, T.minusSeconds(600), null)));

        assertThat(ClusterStatus.Node.reachText(r)).isEqualTo("checked 2026-12-06T10:00:00Z: database reachable; mailbox billing reachable;"
                + " mailbox support OUT OF REACH since 2026-12-06T09:59:48Z (imap.example.test:993: SocketTimeoutException after 1501 ms)");
    }

    @Test
    void aNodeWithoutAReportShowsNone() {
        assertThat(ClusterStatus.Node.reachText(null)).isNull();
    }
}
