package dev.ticketd.db;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.util.DriverDataSource;
import org.jooq.DSLContext;
import org.jooq.SQLDialect;
import org.jooq.conf.Settings;
import org.jooq.impl.DSL;

import dev.ticketd.db.patroni.LeaderDataSource;
import dev.ticketd.db.patroni.PatroniLeader;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Properties;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Function;

/**
 * A node's connection pool and the jOOQ context over it. Closing it closes the pool.
 *
 * <p>When the URL lists several servers (a replicated database), there is also a small read-only
 * pool that prefers a standby ({@code targetServerType=preferSecondary}) and a {@link PrimaryWatch};
 * {@link #read} then serves a read from a standby while no primary is reachable, and says so.
 * With a single server there is neither, and everything goes to that server as before.
 */
public final class Database implements AutoCloseable {

    /**
     * No longer than the default ZooKeeper session timeout: a leader whose host went silent inside
     * a transaction holds the lease row's share lock until the server ends that transaction, and
     * the next leader arrives about one session timeout after the silence (with 10 s here, the
     * three-host scenario measured intake gaps of 11 s after a host loss, all of it this wait).
     */
    static final Duration IDLE_IN_TRANSACTION_TIMEOUT = Duration.ofSeconds(4);
    /** How often the primary is checked when the database is replicated. */
    static final Duration PRIMARY_CHECK_INTERVAL = Duration.ofSeconds(1);
    /** Reads from a standby are a fallback for pages: they must answer fast or not at all. */
    static final Duration STANDBY_TIMEOUT = Duration.ofSeconds(2);
    /** How often Patroni is asked who leads, when {@code db.patroni-urls} is set. */
    static final Duration PATRONI_POLL_INTERVAL = Duration.ofMillis(500);

    private static final String QUERY_CANCELED = "57014";

    private final HikariDataSource dataSource;
    private final DSLContext dsl;
    private final DSLContext readDsl;                 // dsl with the page read timeout
    private final Transactions transactions;
    private final HikariDataSource standbyDataSource; // null with a single-server URL
    private final DSLContext standbyDsl;              // with the page read timeout
    private final PrimaryWatch primaryWatch;          // null with a single-server URL
    private final PatroniLeader patroniLeader;        // null without db.patroni-urls
    private final DataSource unpooled;

    private Database(HikariDataSource dataSource, RetryPolicy retry, HikariDataSource standbyDataSource, PrimaryWatch primaryWatch,
                     PatroniLeader patroniLeader, DataSource unpooled, Duration pageReadTimeout) {
        this.dataSource = dataSource;
        this.unpooled = unpooled;
        this.dsl = context(dataSource);
        this.readDsl = DSL.using(dataSource, SQLDialect.POSTGRES, settings().withQueryTimeout((int) pageReadTimeout.toSeconds()));
        this.transactions = new Transactions(dataSource, retry, patroniLeader == null ? Transactions.RetryWait.SLEEP
                : new Transactions.RetryWait() {
                    @Override
                    public Object view() {
                        return patroniLeader.leader().orElse(null);
                    }

                    @Override
                    public void await(Object seen, long millis) throws InterruptedException {
                        patroniLeader.awaitOtherThan((PatroniLeader.Endpoint) seen, Duration.ofMillis(millis));
                    }
                });
        this.standbyDataSource = standbyDataSource;
        this.standbyDsl = standbyDataSource == null ? null
                : DSL.using(standbyDataSource, SQLDialect.POSTGRES, settings().withQueryTimeout((int) pageReadTimeout.toSeconds()));
        this.primaryWatch = primaryWatch;
        this.patroniLeader = patroniLeader;
    }

    /** Opens the pool; fails fast (within the connect timeout) when the database does not answer. */
    public static Database open(DatabaseSettings settings, String poolName) {
        boolean replicated = settings.multiHost();
        // writes must only ever reach a primary, whatever the URL says; and the driver must not trust
        // its memory of which host was the primary for long (its default is 10 s)
        String url = replicated ? JdbcUrls.withParameter(JdbcUrls.withParameter(settings.jdbcUrl(), "targetServerType", "primary"),
                "hostRecheckSeconds", "2") : settings.jdbcUrl();
        HikariConfig config = baseConfig(settings, poolName, url);
        config.setMaximumPoolSize(settings.maxPoolSize());
        config.setMinimumIdle(Math.min(2, settings.maxPoolSize()));
        long connectMillis = settings.connectTimeout().toMillis();
        config.setInitializationFailTimeout(connectMillis);
        config.addDataSourceProperty("socketTimeout", Math.max(1, settings.socketTimeout().toSeconds()));
        // A frozen or partitioned old leader must not hold the lease row's share lock for ever: the
        // server ends a transaction that sits idle this long, so a new leader's epoch bump goes
        // through. (Aborting before commit is always safe; our transactions never idle on purpose.)
        config.addDataSourceProperty("options", "-c idle_in_transaction_session_timeout="
                + IDLE_IN_TRANSACTION_TIMEOUT.toMillis());
        // the pool's driver settings, as strings: the driver reads its settings with getProperty(),
        // which ignores an Integer (the socket and connect timeouts were silently lost that way)
        Properties props = new Properties();
        config.getDataSourceProperties().forEach((k, v) -> props.setProperty(k.toString(), String.valueOf(v)));
        props.setProperty("user", settings.user());
        props.setProperty("password", settings.password());
        DataSource unpooled = new DriverDataSource(url, null, props, settings.user(), settings.password());
        PatroniLeader leader = null;
        if (!settings.patroniUrls().isEmpty()) {
            // connect only to the member Patroni names leader: a primary whose Patroni died still
            // calls itself primary, and its commits hang (see PatroniLeader)
            leader = new PatroniLeader(settings.patroniUrls(), PATRONI_POLL_INTERVAL);
            // a TCP connect to a member answers within milliseconds or its host is gone: one
            // second (the driver's least) bounds an attempt stuck on a vanished primary, and the
            // data source tries again, on the member Patroni names next, until the connect timeout
            props.setProperty("connectTimeout", "1");
            unpooled = new LeaderDataSource(url, props, leader, settings.connectTimeout());
            config.setDataSource(unpooled);
            config.setJdbcUrl(null);
        }
        HikariDataSource primary;
        try {
            primary = new HikariDataSource(config);
        } catch (RuntimeException e) {
            if (leader != null) {
                leader.close();
            }
            throw e;
        }
        if (leader != null) {
            // connections kept to the old leader are replaced; one in use ends at its socket timeout
            leader.onChange(() -> primary.getHikariPoolMXBean().softEvictConnections());
        }
        if (!replicated) {
            return new Database(primary, RetryPolicy.withBudget(settings.retryBudget()), null, null, leader, unpooled,
                    settings.pageReadTimeout());
        }
        HikariDataSource standby = null;
        PrimaryWatch watch = null;
        try {
            standby = new HikariDataSource(standbyConfig(settings, poolName));
            watch = new PrimaryWatch(JdbcUrls.withParameter(settings.jdbcUrl(), "targetServerType", "primary"),
                    settings.user(), settings.password(), PRIMARY_CHECK_INTERVAL,
                    min(settings.connectTimeout(), STANDBY_TIMEOUT));
            watch.start();
        } catch (RuntimeException e) {
            if (watch != null) {
                watch.close();
            }
            if (standby != null) {
                standby.close();
            }
            primary.close();
            if (leader != null) {
                leader.close();
            }
            throw e;
        }
        return new Database(primary, RetryPolicy.withBudget(settings.retryBudget()), standby, watch, leader, unpooled,
                settings.pageReadTimeout());
    }

    private static HikariConfig baseConfig(DatabaseSettings settings, String poolName, String url) {
        HikariConfig config = new HikariConfig();
        config.setPoolName(poolName);
        config.setJdbcUrl(url);
        config.setUsername(settings.user());
        config.setPassword(settings.password());
        long connectMillis = settings.connectTimeout().toMillis();
        config.setConnectionTimeout(Math.max(250, connectMillis));
        config.setValidationTimeout(Math.max(250, Math.min(connectMillis, 5_000)));
        config.addDataSourceProperty("connectTimeout", Math.max(1, settings.connectTimeout().toSeconds()));
        config.addDataSourceProperty("loginTimeout", Math.max(1, settings.connectTimeout().toSeconds()));
        config.addDataSourceProperty("tcpKeepAlive", true);
        config.addDataSourceProperty("ApplicationName", poolName);
        return config;
    }

    /**
     * Read-only, small, quick to give up, and holding no connection while it is not needed (a
     * standby that is down must not slow the node's start or fill its log).
     */
    private static HikariConfig standbyConfig(DatabaseSettings settings, String poolName) {
        Duration timeout = min(settings.connectTimeout(), STANDBY_TIMEOUT);
        DatabaseSettings quick = settings.withTimeouts(timeout, timeout);
        String url = JdbcUrls.withParameter(JdbcUrls.withParameter(settings.jdbcUrl(), "targetServerType", "preferSecondary"),
                "hostRecheckSeconds", "2");
        HikariConfig config = baseConfig(quick, poolName + "-standby", url);
        config.setMaximumPoolSize(Math.max(1, Math.min(4, settings.maxPoolSize())));
        config.setMinimumIdle(0);
        config.setReadOnly(true);
        config.setInitializationFailTimeout(-1);
        config.addDataSourceProperty("socketTimeout", Math.max(1, settings.socketTimeout().toSeconds()));
        return config;
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    /** A jOOQ context for PostgreSQL over any data source or connection-bound context. */
    public static DSLContext context(DataSource dataSource) {
        return DSL.using(dataSource, SQLDialect.POSTGRES, settings());
    }

    /**
     * jOOQ's settings for every context: no schema in the SQL, and no execute logging (its listener
     * costs every statement a look at the logger, and at DEBUG it would write bound values — a
     * mail's text, a token's hash — into the log).
     */
    static Settings settings() {
        return new Settings().withRenderSchema(false).withExecuteLogging(false);
    }

    public DataSource dataSource() {
        return dataSource;
    }

    /**
     * A new connection to the primary outside the pool, with the pool's timeouts and the same way of
     * finding the primary (a multi-host URL asks for {@code targetServerType=primary}; with
     * {@code db.patroni-urls}, the member Patroni names). For the one long-lived connection that
     * LISTENs to notifications, which must not hold a pooled connection for ever. The caller closes it.
     */
    public Connection openUnpooledConnection() throws SQLException {
        return unpooled.getConnection();
    }

    /** For reads and single statements in auto-commit mode, always on the primary. */
    public DSLContext dsl() {
        return dsl;
    }

    /**
     * A read that a page may show slightly old: on the primary while it is reachable; on a hot
     * standby (result marked {@link Read#fromStandby()}) while the database is replicated and no
     * primary is reachable. Never on a standby when the primary is fine. A failure that is not a
     * connection problem is thrown as it is; when neither answers, {@link DatabaseUnavailableException}.
     * Each statement may run for {@link DatabaseSettings#pageReadTimeout()}; then the server cancels
     * it and it fails with SQLState {@code 57014} (see {@link #canceled}). Reads only: a write's
     * commit must never be cancelled (see {@link DatabaseSettings}).
     */
    public <T> Read<T> read(Function<DSLContext, T> query) {
        if (standbyDsl == null) {
            return Read.fresh(query.apply(readDsl));
        }
        RuntimeException primaryFailure = null;
        if (primaryWatch.primaryReachable()) {
            try {
                return Read.fresh(query.apply(readDsl));
            } catch (RuntimeException e) {
                if (!RetryableFailures.isRetryable(e)) {
                    throw e;
                }
                primaryWatch.reportFailure(e);
                primaryFailure = e;
            }
        }
        try {
            return new Read<>(query.apply(standbyDsl), true);
        } catch (RuntimeException e) {
            if (!RetryableFailures.isRetryable(e)) {
                throw e;
            }
            if (primaryFailure != null) {
                e.addSuppressed(primaryFailure);
            }
            throw new DatabaseUnavailableException("a read (primary and standby)", 1, 0, RetryableFailures.sqlState(e), e);
        }
    }

    /** Whether a statement failed because it was cancelled (SQLState 57014, e.g. its timeout), wherever it was wrapped. */
    public static boolean canceled(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof SQLException sql && QUERY_CANCELED.equals(sql.getSQLState())) {
                return true;
            }
        }
        return false;
    }

    /** For writes that must commit durably or not at all; retried for {@link DatabaseSettings#retryBudget()}. */
    public Transactions transactions() {
        return transactions;
    }

    /** Whether the URL lists several servers, so that reads may fall back to a standby. */
    public boolean replicated() {
        return standbyDsl != null;
    }

    /** The primary's health as last seen, when the database is replicated. */
    public Optional<PrimaryWatch.State> primaryState() {
        return primaryWatch == null ? Optional.empty() : Optional.of(primaryWatch.state());
    }

    /**
     * Asks for the primary now, on a fresh short-lived connection (not the pool, whose wait for a
     * connection is the full connect timeout): for health checks. Empty with a single server.
     */
    Optional<PrimaryWatch.State> checkPrimaryNow() {
        return primaryWatch == null ? Optional.empty() : Optional.of(primaryWatch.check());
    }

    /** The read-only standby context, when the database is replicated (for status pages). */
    public Optional<DSLContext> standbyDsl() {
        return Optional.ofNullable(standbyDsl);
    }

    /** The primary Patroni names, when {@code db.patroni-urls} is set and it has named one. */
    public Optional<String> patroniLeader() {
        return patroniLeader == null ? Optional.empty() : patroniLeader.leader().map(Object::toString);
    }

    @Override
    public void close() {
        if (patroniLeader != null) {
            patroniLeader.close();
        }
        if (primaryWatch != null) {
            primaryWatch.close();
        }
        if (standbyDataSource != null) {
            standbyDataSource.close();
        }
        dataSource.close();
    }
}
