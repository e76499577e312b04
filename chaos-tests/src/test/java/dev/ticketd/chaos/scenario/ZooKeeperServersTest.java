package dev.ticketd.chaos.scenario;

import dev.ticketd.chaos.RoleDefaults;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The harness's ZooKeeper servers run with the Ansible role's settings, not settings of their own. */
class ZooKeeperServersTest {

    private static final List<String> ADDRESSES = List.of("10.0.0.1", "10.0.0.2", "10.0.0.3");

    @Test
    void theHarnessWritesTheRoleDefaultsIntoEachServersConfiguration() {
        RoleDefaults role = RoleDefaults.of("zookeeper");
        String config = ZooKeeperServers.configuration(role, ADDRESSES, 1, Path.of("/data/zk2"));

        assertThat(config.lines()).contains(
                "tickTime=" + role.integer("zookeeper_tick_time"),
                "initLimit=" + role.integer("zookeeper_init_limit"),
                "syncLimit=" + role.integer("zookeeper_sync_limit"),
                "maxClientCnxns=" + role.integer("zookeeper_max_client_connections"),
                "clientPortAddress=10.0.0.2",
                "server.1=10.0.0.1:2888:3888", "server.2=10.0.0.2:2888:3888", "server.3=10.0.0.3:2888:3888");
    }

    @Test
    void aChangedRoleDefaultChangesTheHarness(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("main.yml");
        Files.writeString(file, Files.readString(RoleDefaults.repositoryFile("zookeeper")).replace(
                "zookeeper_tick_time: 500", "zookeeper_tick_time: 777"));

        assertThat(ZooKeeperServers.configuration(RoleDefaults.read(file), ADDRESSES, 0, dir).lines()).contains("tickTime=777");
    }

    @Test
    void aRoleWhosePortsDifferFromTheHarnessIsRefused(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("main.yml");
        Files.writeString(file, Files.readString(RoleDefaults.repositoryFile("zookeeper")).replace(
                "zookeeper_client_port: 2181", "zookeeper_client_port: 2182"));

        assertThatThrownBy(() -> ZooKeeperServers.configuration(RoleDefaults.read(file), ADDRESSES, 0, dir))
                .hasMessageContaining("ports differ");
    }

    @Test
    void aMissingSettingNamesTheFileAndTheKey(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("main.yml");
        Files.writeString(file, "zookeeper_tick_time: 500\n");

        assertThatThrownBy(() -> RoleDefaults.read(file).integer("zookeeper_init_limit"))
                .hasMessageContaining("main.yml").hasMessageContaining("zookeeper_init_limit must be an integer, is missing");
    }
}
