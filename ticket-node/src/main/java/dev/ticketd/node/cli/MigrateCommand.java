package dev.ticketd.node.cli;

import dev.ticketd.db.Database;
import dev.ticketd.db.Migrations;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.util.concurrent.Callable;

@Command(name = "migrate", mixinStandardHelpOptions = true, description = "Apply the schema migrations and exit.")
public final class MigrateCommand implements Callable<Integer> {

    @Mixin
    ConfigOption config;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        try (Database db = Database.open(config.load().database(), "ticketd-migrate")) {
            int applied = Migrations.migrate(db.dataSource());
            spec.commandLine().getOut().println("migrations applied: " + applied);
        }
        return 0;
    }
}
