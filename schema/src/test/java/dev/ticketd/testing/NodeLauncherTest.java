package dev.ticketd.testing;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class NodeLauncherTest {

    @Test
    void aNodeRunsTheJarWithThisJvmsJavaBehindTheHostsPrefix() {
        NodeLauncher launcher = NodeLauncher.of(Path.of("target", "ticketd.jar")).behind(List.of("ip", "netns", "exec", "h1"));

        List<String> command = launcher.processBuilder(NodeLauncher.NODE_JVM_OPTIONS, List.of("serve", "--config", "n1.properties"))
                .command();

        assertThat(command.subList(0, 4)).containsExactly("ip", "netns", "exec", "h1");
        assertThat(command.get(4)).isEqualTo(ProcessHandle.current().info().command().orElse("java"));
        assertThat(command.subList(5, command.size())).containsExactly("-Xmx256m", "-XX:TieredStopAtLevel=1", "-jar",
                Path.of("target", "ticketd.jar").toAbsolutePath().toString(), "serve", "--config", "n1.properties");
    }

    @Test
    void aCliCommandThatFailsFailsLoudlyWithItsOutput(@TempDir Path dir) {
        NodeLauncher missing = NodeLauncher.of(dir.resolve("no-such.jar"));

        assertThatThrownBy(() -> missing.run(List.of("user", "add"), "secret", TestTimeouts.seconds(30)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("ticketd user add failed (exit 1)").hasMessageContaining("no-such.jar");
    }
}
