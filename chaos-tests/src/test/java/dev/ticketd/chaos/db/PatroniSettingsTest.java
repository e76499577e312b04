package dev.ticketd.chaos.db;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ticketd.chaos.RoleDefaults;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The harness's Patroni members run with the Ansible role patroni's cluster settings, not settings of their own. */
class PatroniSettingsTest {

    private static final PatroniCluster.Member MEMBER = new PatroniCluster.Member("pg1", "10.1.0.11", 5432, 8008);

    @Test
    void theHarnessConfigTakesTheDcsSettingsParametersAndInitdbFromTheRoleDefaults(@TempDir Path dir) throws IOException {
        Path defaults = Files.copy(RoleDefaults.repositoryFile("patroni"), dir.resolve("main.yml"));
        // the role's values changed: the harness's configuration must follow every one of them
        String changed = Files.readString(defaults)
                .replace("patroni_ttl: 7", "patroni_ttl: 17")
                .replace("patroni_loop_wait: 1", "patroni_loop_wait: 3")
                .replace("patroni_synchronous_mode_strict: true", "patroni_synchronous_mode_strict: false")
                .replace("  shared_buffers: 32MB", "  shared_buffers: 48MB\n  work_mem: 8MB")
                .replace("  - data-checksums", "  - data-checksums\n  - auth: scram-sha-256");
        assertThat(changed).contains("patroni_ttl: 17", "patroni_loop_wait: 3", "work_mem", "auth: scram");
        Files.writeString(defaults, changed);

        JsonNode c = PatroniCluster.config(RoleDefaults.read(defaults), MEMBER, "10.1.0.11:2181,10.1.0.12:2181", dir, "10.1.0.0/24");

        JsonNode dcs = c.at("/bootstrap/dcs");
        assertThat(dcs.get("ttl").intValue()).isEqualTo(17);
        assertThat(dcs.get("loop_wait").intValue()).isEqualTo(3);
        assertThat(dcs.get("synchronous_mode").booleanValue()).isTrue();
        assertThat(dcs.get("synchronous_mode_strict").booleanValue()).isFalse();
        assertThat(dcs.at("/postgresql/parameters/shared_buffers").asText()).isEqualTo("48MB");
        assertThat(dcs.at("/postgresql/parameters/work_mem").asText()).isEqualTo("8MB");
        assertThat(c.at("/bootstrap/initdb").toString()).contains("data-checksums", "\"auth\":\"scram-sha-256\"");
        assertThat(c.at("/zookeeper/hosts").toString()).isEqualTo("[\"10.1.0.11:2181\",\"10.1.0.12:2181\"]");
        assertThat(c.at("/restapi/listen").asText()).isEqualTo("10.1.0.11:8008");
    }

    @Test
    void theRoleDefaultsHoldEverySettingTheHarnessNeeds(@TempDir Path dir) {
        var role = RoleDefaults.of("patroni");

        JsonNode c = PatroniCluster.config(role, MEMBER, "127.0.0.1:2181", dir, "127.0.0.1/32");

        assertThat(c.at("/bootstrap/dcs/ttl").intValue()).isEqualTo(role.integer("patroni_ttl"));
        assertThat(c.at("/bootstrap/dcs/postgresql/parameters").size()).isEqualTo(role.strings("patroni_pg_parameters").size());
        // the chaos checkers order commits by their commit times: the role keeps them on for every member
        assertThat(c.at("/bootstrap/dcs/postgresql/parameters/track_commit_timestamp").asText()).isEqualTo("on");
    }

    @Test
    void aMissingSettingNamesTheFileAndTheKey(@TempDir Path dir) throws IOException {
        Path defaults = dir.resolve("main.yml");
        Files.writeString(defaults, Files.readString(RoleDefaults.repositoryFile("patroni")).replace("patroni_retry_timeout: 3\n", ""));

        assertThatThrownBy(() -> PatroniCluster.config(RoleDefaults.read(defaults), MEMBER, "127.0.0.1:2181", dir, "127.0.0.1/32"))
                .hasMessageContaining("main.yml").hasMessageContaining("patroni_retry_timeout");
    }
}
