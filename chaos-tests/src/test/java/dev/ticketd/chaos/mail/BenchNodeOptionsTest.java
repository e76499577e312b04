package dev.ticketd.chaos.mail;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@code ingest-bench --reader}: which reader measures, and what a node reader can measure. (The node's JVM: {@code DeployedJvmTest}.) */
class BenchNodeOptionsTest {

    @Test
    void aNodeReaderMeasuresABacklogOnly() {
        assertThat(DovecotIngestBenchmark.Options.parse(new String[] {"--reader", "node"}).node()).isTrue();
        assertThat(DovecotIngestBenchmark.Options.parse(new String[0]).node()).isFalse();
        assertThatThrownBy(() -> DovecotIngestBenchmark.Options.parse(new String[] {"--reader", "node", "--stream-rate", "50"}))
                .hasMessageContaining("--reader node measures a backlog only");
        assertThatThrownBy(() -> DovecotIngestBenchmark.Options.parse(new String[] {"--reader", "thread"}))
                .hasMessageContaining("--reader: in-process or node, not thread");
    }
}
