package dev.ticketd.chaos;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The benchmark's and the scenario's nodes start with the JVM the Ansible role deploys, read and checked before anything starts. */
class DeployedJvmTest {

    @Test
    void theHeapComesFirstThenTheRoleOptionsInTheirOrderAndTheEnvironment(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("main.yml");
        Files.writeString(file, "ticket_node_heap_mb: 300\nticket_node_java_options:\n  - -Xms16m\n  - -XX:+UseSerialGC\n"
                + "ticket_node_environment:\n  MALLOC_ARENA_MAX: 2\n");

        DeployedJvm jvm = DeployedJvm.of(RoleDefaults.read(file));

        assertThat(jvm.options()).containsExactly("-Xmx300m", "-Xms16m", "-XX:+UseSerialGC");
        assertThat(jvm.environment()).containsExactly(java.util.Map.entry("MALLOC_ARENA_MAX", "2"));
    }

    @Test
    void theRepositoryRoleSetsAHeapCeilingAndAStartBelowIt() {
        DeployedJvm jvm = DeployedJvm.ofRepositoryRole();

        assertThat(jvm.options().get(0)).matches("-Xmx[0-9]+m");
        assertThat(jvm.options()).anyMatch(o -> o.startsWith("-Xms")).contains("-XX:+ExitOnOutOfMemoryError");
        assertThat(jvm.environment()).containsKey("MALLOC_ARENA_MAX");
    }

    @Test
    void optionsThatAreNotAListOfTextsNameTheFileAndTheKey(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("main.yml");
        Files.writeString(file, "ticket_node_heap_mb: 300\nticket_node_java_options: -Xms16m\nticket_node_environment: {}\n");
        assertThatThrownBy(() -> DeployedJvm.of(RoleDefaults.read(file)))
                .hasMessageContaining("main.yml").hasMessageContaining("ticket_node_java_options must be a list");

        Files.writeString(file, "ticket_node_heap_mb: 300\nticket_node_java_options:\n  - [-Xms16m]\nticket_node_environment: {}\n");
        assertThatThrownBy(() -> DeployedJvm.of(RoleDefaults.read(file)))
                .hasMessageContaining("ticket_node_java_options must hold texts only");
    }

    @Test
    void anEnvironmentThatIsNotAMappingNamesTheKey(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("main.yml");
        Files.writeString(file, "ticket_node_heap_mb: 300\nticket_node_java_options: []\nticket_node_environment: [MALLOC_ARENA_MAX=2]\n");
        assertThatThrownBy(() -> DeployedJvm.of(RoleDefaults.read(file)))
                .hasMessageContaining("ticket_node_environment must be a mapping");
    }
}
