package dev.ticketd.node.cli;

import dev.ticketd.node.Main;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code ticketd watch --once} as an operator tries it before leaving it running: what each node answered, and the exit code. */
class WatchCommandTest {

    @TempDir
    Path dir;

    @Test
    void onceReportsEachNodeAndFailsWhenNoneIsReady() throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        Path config = Files.writeString(dir.resolve("watch.properties"), String.join("\n",
                "watch.nodes=http://127.0.0.1:" + closedPort + "/",
                "alert.webhook.url=http://127.0.0.1:" + closedPort + "/hook", ""));
        StringWriter out = new StringWriter();
        CommandLine cli = Main.commandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(new StringWriter(), true));
        assertThat(cli.execute("watch", "--once", "--config", config.toString())).isEqualTo(1);
        assertThat(out.toString()).contains("http://127.0.0.1:" + closedPort + "/ no answer: ConnectException");
    }
}
