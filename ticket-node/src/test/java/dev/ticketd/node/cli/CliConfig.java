package dev.ticketd.node.cli;

import dev.ticketd.db.DatabaseSettings;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The node configuration file a CLI test hands to {@code --config}: its database and ZooKeeper, plus any extra lines. */
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
}
