package dev.ticketd.chaos.mail;

import dev.ticketd.chaos.RoleDefaults;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The benchmark's node starts with the JVM the Ansible role deploys, and its options are checked before anything starts. */
class BenchNodeOptionsTest {

    @Test
    void theHeapComesFirstThenTheRoleOptionsInTheirOrder(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("main.yml");
        Files.writeString(file, "ticket_node_heap_mb: 300\nticket_node_java_options:\n  - -Xms16m\n  - -XX:+UseSerialGC\n");

        assertThat(BenchNode.deployedJvmOptions(RoleDefaults.read(file))).containsExactly("-Xmx300m", "-Xms16m", "-XX:+UseSerialGC");
    }

    @Test
    void theRepositoryRoleSetsAHeapCeilingAndAStartBelowIt() {
        List<String> options = BenchNode.deployedJvmOptions(RoleDefaults.of("ticket_node"));

        assertThat(options.get(0)).matches("-Xmx[0-9]+m");
        assertThat(options).anyMatch(o -> o.startsWith("-Xms")).contains("-XX:+ExitOnOutOfMemoryError");
    }

    @Test
    void optionsThatAreNotAListOfTextsNameTheFileAndTheKey(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("main.yml");
        Files.writeString(file, "ticket_node_heap_mb: 300\nticket_node_java_options: -Xms16m\n");
        assertThatThrownBy(() -> BenchNode.deployedJvmOptions(RoleDefaults.read(file)))
                .hasMessageContaining("main.yml").hasMessageContaining("ticket_node_java_options must be a list");

        Files.writeString(file, "ticket_node_heap_mb: 300\nticket_node_java_options:\n  - [-Xms16m]\n");
        assertThatThrownBy(() -> BenchNode.deployedJvmOptions(RoleDefaults.read(file)))
                .hasMessageContaining("ticket_node_java_options must hold texts only");
    }

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
