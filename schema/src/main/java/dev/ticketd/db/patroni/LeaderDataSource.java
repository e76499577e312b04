package dev.ticketd.db.patroni;

import org.postgresql.Driver;

import javax.sql.DataSource;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.time.Duration;
import java.util.Optional;
import java.util.Properties;
import java.util.logging.Logger;

/**
 * Connections to the server Patroni names as leader: the configured multi-host URL with its host
 * list replaced by the leader's address (and {@code targetServerType=primary} kept, so a member
 * that is not yet promoted is refused). Until Patroni has named a leader, the configured URL is
 * used as it is.
 */
public final class LeaderDataSource implements DataSource {

    private final String jdbcUrl;
    private final Properties properties;
    private final PatroniLeader leader;
    private final Driver driver = new Driver();
    private final Duration patience;
    /** How often a failed connection is tried again while Patroni names no other leader. */
    static final Duration RETRY_EVERY = Duration.ofMillis(250);

    /**
     * {@code properties} carry user, password and the driver's timeouts; {@code patience} is how long
     * one {@link #getConnection()} keeps trying while the leader cannot be reached.
     */
    public LeaderDataSource(String jdbcUrl, Properties properties, PatroniLeader leader, Duration patience) {
        this.jdbcUrl = jdbcUrl;
        this.properties = (Properties) properties.clone();
        this.leader = leader;
        this.patience = patience;
    }

    /** {@code jdbc:postgresql://h1:p1,h2:p2/db?x} with the hosts replaced by {@code endpoint}. */
    static String withHost(String jdbcUrl, PatroniLeader.Endpoint endpoint) {
        String prefix = "jdbc:postgresql://";
        if (!jdbcUrl.startsWith(prefix)) {
            return jdbcUrl;
        }
        int slash = jdbcUrl.indexOf('/', prefix.length());
        String rest = slash < 0 ? "/" : jdbcUrl.substring(slash);
        String host = endpoint.host().contains(":") ? "[" + endpoint.host() + "]" : endpoint.host();
        return prefix + host + ":" + endpoint.port() + rest;
    }

    String currentUrl() {
        return leader.leader().map(e -> withHost(jdbcUrl, e)).orElse(jdbcUrl);
    }

    @Override
    public Connection getConnection() throws SQLException {
        return connect(properties);
    }

    @Override
    public Connection getConnection(String username, String password) throws SQLException {
        Properties p = (Properties) properties.clone();
        p.setProperty("user", username);
        p.setProperty("password", password);
        return connect(p);
    }

    /**
     * A connection to the leader. An attempt that fails to connect (SQLState class 08: refused, timed
     * out, or the member is not primary yet) is made again, for up to {@code patience}: at once when
     * Patroni names another leader, else every {@link #RETRY_EVERY} (a named leader may still be
     * finishing its promotion). HikariCP's own retry of a failed connection backs off up to 5 s, so
     * after a failover of a few seconds the pool would stay empty for up to 5 s after the promotion;
     * retried here, the first connection comes within one Patroni poll of it.
     */
    private Connection connect(Properties props) throws SQLException {
        long deadline = System.nanoTime() + patience.toNanos();
        while (true) {
            Optional<PatroniLeader.Endpoint> seen = leader.leader();
            String url = seen.map(e -> withHost(jdbcUrl, e)).orElse(jdbcUrl);
            try {
                Connection c = driver.connect(url, props);
                if (c == null) {
                    throw new SQLException("the PostgreSQL driver does not accept the URL", "08001");
                }
                return c;
            } catch (SQLException e) {
                long left = deadline - System.nanoTime();
                if (e.getSQLState() == null || !e.getSQLState().startsWith("08") || left <= 0) {
                    throw e;
                }
                try {
                    leader.awaitOtherThan(seen.orElse(null), Duration.ofNanos(Math.min(left, RETRY_EVERY.toNanos())));
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }

    @Override
    public PrintWriter getLogWriter() {
        return null;
    }

    @Override
    public void setLogWriter(PrintWriter out) {
        // the driver logs through java.util.logging
    }

    @Override
    public void setLoginTimeout(int seconds) {
        properties.setProperty("loginTimeout", Integer.toString(seconds));
    }

    @Override
    public int getLoginTimeout() {
        return Integer.parseInt(properties.getProperty("loginTimeout", "0"));
    }

    @Override
    public Logger getParentLogger() throws SQLFeatureNotSupportedException {
        throw new SQLFeatureNotSupportedException("no java.util.logging parent logger");
    }

    @Override
    public <T> T unwrap(Class<T> iface) throws SQLException {
        if (iface.isInstance(this)) {
            return iface.cast(this);
        }
        throw new SQLException("not a wrapper for " + iface.getName());
    }

    @Override
    public boolean isWrapperFor(Class<?> iface) {
        return iface.isInstance(this);
    }
}
