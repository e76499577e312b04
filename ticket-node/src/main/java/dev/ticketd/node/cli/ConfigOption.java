package dev.ticketd.node.cli;

import dev.ticketd.db.Database;
import dev.ticketd.db.Migrations;
import dev.ticketd.node.config.ConfigLoader;
import dev.ticketd.node.config.NodeConfig;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/** The {@code --config FILE} option shared by every command that talks to a deployment. */
final class ConfigOption {

    @Option(names = "--config", required = true, paramLabel = "FILE",
            description = "Configuration file (properties; every key can be overridden as TICKETD_KEY in the environment).")
    Path file;

    NodeConfig load() {
        return ConfigLoader.load(file, System.getenv());
    }

    /** A connection pool on a migrated schema, for one admin command. */
    Database openMigrated(String purpose) {
        Database db = Database.open(load().database(), purpose);
        try {
            Migrations.migrate(db.dataSource());
            return db;
        } catch (RuntimeException e) {
            db.close();
            throw e;
        }
    }
}
