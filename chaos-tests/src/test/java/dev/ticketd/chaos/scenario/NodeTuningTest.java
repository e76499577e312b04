package dev.ticketd.chaos.scenario;

import dev.ticketd.chaos.RoleDefaults;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The harness's nodes run with the timings of the Ansible role ticket_node, not timings of their own. */
class NodeTuningTest {

    @Test
    void theHarnessNodesGetTheRoleTuningAndItsSessionTimeout() {
        var tuning = RoleDefaults.of("ticket_node").strings("ticket_node_tuning");

        assertThat(ThreeHostCluster.NODE_TUNING).isEqualTo(tuning);
        assertThat(tuning).containsKeys("zk.session-timeout", "mail.poll-interval", "mail.give-up-after", "outbox.claim-expiry");
        String timeout = tuning.get("zk.session-timeout");
        assertThat(ThreeHostCluster.sessionTimeout()).isEqualTo(timeout.endsWith("ms")
                ? Duration.ofMillis(Long.parseLong(timeout.replace("ms", "")))
                : Duration.ofSeconds(Long.parseLong(timeout.replace("s", ""))));
    }

    @Test
    void aTuningValueThatIsNotPlainNamesTheFileAndTheKey(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("main.yml");
        Files.writeString(file, "ticket_node_tuning:\n  mail.poll-interval: 1s\n  db.pool-size: [6]\n");

        assertThatThrownBy(() -> RoleDefaults.read(file).strings("ticket_node_tuning"))
                .hasMessageContaining("main.yml").hasMessageContaining("ticket_node_tuning.db.pool-size must be a plain value");
    }
}
