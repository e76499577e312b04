package dev.ticketd.db;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import org.jooq.DSLContext;
import org.jooq.SQLDialect;
import org.jooq.conf.Settings;
import org.jooq.impl.DSL;

import javax.sql.DataSource;
import java.time.Duration;

/**
 * A node's connection pool and the jOOQ context over it. Closing it closes the pool.
 */
public final class Database implements AutoCloseable {

    static final Duration IDLE_IN_TRANSACTION_TIMEOUT = Duration.ofSeconds(10);

    private final HikariDataSource dataSource;
    private final DSLContext dsl;
    private final Transactions transactions;

    private Database(HikariDataSource dataSource) {
        this.dataSource = dataSource;
        this.dsl = context(dataSource);
        this.transactions = new Transactions(dataSource);
    }

    /** Opens the pool; fails fast (within the connect timeout) when the database does not answer. */
    public static Database open(DatabaseSettings settings, String poolName) {
        HikariConfig config = new HikariConfig();
        config.setPoolName(poolName);
        config.setJdbcUrl(settings.jdbcUrl());
        config.setUsername(settings.user());
        config.setPassword(settings.password());
        config.setMaximumPoolSize(settings.maxPoolSize());
        config.setMinimumIdle(Math.min(2, settings.maxPoolSize()));
        long connectMillis = settings.connectTimeout().toMillis();
        config.setConnectionTimeout(Math.max(250, connectMillis));
        config.setValidationTimeout(Math.max(250, Math.min(connectMillis, 5_000)));
        config.setInitializationFailTimeout(connectMillis);
        config.addDataSourceProperty("connectTimeout", Math.max(1, settings.connectTimeout().toSeconds()));
        config.addDataSourceProperty("loginTimeout", Math.max(1, settings.connectTimeout().toSeconds()));
        config.addDataSourceProperty("socketTimeout", Math.max(1, settings.socketTimeout().toSeconds()));
        config.addDataSourceProperty("tcpKeepAlive", true);
        // A frozen or partitioned old leader must not hold the lease row's share lock for ever: the
        // server ends a transaction that sits idle this long, so a new leader's epoch bump goes
        // through. (Aborting before commit is always safe; our transactions never idle on purpose.)
        config.addDataSourceProperty("options", "-c idle_in_transaction_session_timeout="
                + IDLE_IN_TRANSACTION_TIMEOUT.toMillis());
        config.addDataSourceProperty("ApplicationName", poolName);
        return new Database(new HikariDataSource(config));
    }

    /** A jOOQ context for PostgreSQL over any data source or connection-bound context. */
    public static DSLContext context(DataSource dataSource) {
        return DSL.using(dataSource, SQLDialect.POSTGRES, new Settings().withRenderSchema(false));
    }

    public DataSource dataSource() {
        return dataSource;
    }

    /** For reads and single statements in auto-commit mode. */
    public DSLContext dsl() {
        return dsl;
    }

    /** For writes that must commit durably or not at all. */
    public Transactions transactions() {
        return transactions;
    }

    @Override
    public void close() {
        dataSource.close();
    }
}
