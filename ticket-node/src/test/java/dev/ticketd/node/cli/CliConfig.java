package dev.ticketd.node.cli;

import dev.ticketd.db.DatabaseSettings;
import dev.ticketd.node.Main;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The node configuration file a CLI test hands to {@code --config} (its database and ZooKeeper, plus
 * any extra lines), and running {@code ticketd} on it as an admin would.
 */
final class CliConfig {

    private CliConfig() {
    }

    static Path write(Path file, DatabaseSettings db, String zooKeeper, String... extraLines) throws IOException {
        List<String> lines = new ArrayList<>(List.of(
                "db.url=" + db.jdbcUrl(),
                "db.user=" + db.user(),
                "db.password=" + db.password(),
                "zk.address=" + zooKeeper));
        lines.addAll(List.of(extraLines));
        lines.add("");
        return Files.writeString(file, String.join("\n", lines));
    }

    /** Runs {@code ticketd args}; its standard output goes to {@code out}. @return the exit code */
    static int run(StringWriter out, String... args) {
        return run(out, new StringWriter(), args);
    }

    /** Runs {@code ticketd args}; its error output goes to {@code err}. @return the exit code */
    static int runErr(StringWriter err, String... args) {
        return run(new StringWriter(), err, args);
    }

    private static int run(StringWriter out, StringWriter err, String... args) {
        CommandLine cli = Main.commandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        return cli.execute(args);
    }
}
