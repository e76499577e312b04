package dev.ticketd.db;

import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.output.MigrateResult;

import javax.sql.DataSource;

/** Applies the schema's Flyway migrations; safe to run from several nodes at once (Flyway locks). */
public final class Migrations {

    private Migrations() {
    }

    /** @return how many migrations this call applied */
    public static int migrate(DataSource dataSource) {
        MigrateResult result = Flyway.configure()
                .dataSource(dataSource)
                .locations("classpath:db/migration")
                .failOnMissingLocations(true)
                .load()
                .migrate();
        return result.migrationsExecuted;
    }
}
