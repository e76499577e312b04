package dev.ticketd.db;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * How a node reaches PostgreSQL. Every timeout is explicit because the JDBC defaults wait forever.
 * There is deliberately no statement timeout on writes: cancelling a commit that waits for
 * synchronous replication reports success with only a warning (see {@link Transactions}). Reads
 * for pages ({@link Database#read}) have one, {@code pageReadTimeout}.
 *
 * @param jdbcUrl        a {@code jdbc:postgresql:} URL; may list several hosts
 * @param user           database role
 * @param password       its password; never logged (see {@link #toString()})
 * @param maxPoolSize    connections this node may hold
 * @param connectTimeout TCP connect and login limit
 * @param socketTimeout  how long a read may block before the connection is declared dead
 * @param retryBudget    how long background work (intake, outbox, leases) retries a transaction that
 *                       failed because the database went away; must cover a failover
 * @param patroniUrls    the Patroni members' REST APIs; when given, writes go to the member Patroni
 *                       names leader (see {@link dev.ticketd.db.patroni.PatroniLeader}); may be empty
 * @param pageReadTimeout how long one statement of a read for a page or an API answer may run before
 *                       the server cancels it (whole seconds; the driver's query timeout): a guard
 *                       against a query that went wrong holding a connection and a staff member's
 *                       page for minutes, far above what pages are meant to take
 */
public record DatabaseSettings(String jdbcUrl, String user, String password, int maxPoolSize,
                               Duration connectTimeout, Duration socketTimeout, Duration retryBudget,
                               List<URI> patroniUrls, Duration pageReadTimeout) {

    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(5);
    public static final Duration DEFAULT_SOCKET_TIMEOUT = Duration.ofSeconds(30);
    public static final Duration DEFAULT_PAGE_READ_TIMEOUT = Duration.ofSeconds(10);

    public DatabaseSettings {
        Objects.requireNonNull(jdbcUrl, "jdbcUrl");
        Objects.requireNonNull(user, "user");
        password = password == null ? "" : password;
        if (!jdbcUrl.startsWith("jdbc:postgresql:")) {
            throw new IllegalArgumentException("not a PostgreSQL JDBC URL (must start with jdbc:postgresql:): " + masked(jdbcUrl));
        }
        if (maxPoolSize < 1) {
            throw new IllegalArgumentException("pool size must be at least 1, was " + maxPoolSize);
        }
        if (retryBudget == null) {
            retryBudget = RetryPolicy.DEFAULT_BACKGROUND_BUDGET;
        }
        if (retryBudget.isNegative()) {
            throw new IllegalArgumentException("retry budget must not be negative, was " + retryBudget);
        }
        if (connectTimeout.isNegative() || connectTimeout.isZero() || socketTimeout.isNegative() || socketTimeout.isZero()) {
            throw new IllegalArgumentException("database timeouts must be positive");
        }
        patroniUrls = patroniUrls == null ? List.of() : List.copyOf(patroniUrls);
        if (pageReadTimeout == null) {
            pageReadTimeout = DEFAULT_PAGE_READ_TIMEOUT;
        }
        if (pageReadTimeout.toSeconds() < 1) {
            throw new IllegalArgumentException("page read timeout must be at least 1 s (the driver counts whole seconds), was "
                    + pageReadTimeout);
        }
    }

    public DatabaseSettings(String jdbcUrl, String user, String password, int maxPoolSize,
                            Duration connectTimeout, Duration socketTimeout, Duration retryBudget) {
        this(jdbcUrl, user, password, maxPoolSize, connectTimeout, socketTimeout, retryBudget, List.of(), null);
    }

    public static DatabaseSettings of(String jdbcUrl, String user, String password) {
        return new DatabaseSettings(jdbcUrl, user, password, 10, DEFAULT_CONNECT_TIMEOUT, DEFAULT_SOCKET_TIMEOUT);
    }

    public DatabaseSettings(String jdbcUrl, String user, String password, int maxPoolSize,
                            Duration connectTimeout, Duration socketTimeout) {
        this(jdbcUrl, user, password, maxPoolSize, connectTimeout, socketTimeout, RetryPolicy.DEFAULT_BACKGROUND_BUDGET);
    }

    public DatabaseSettings withMaxPoolSize(int size) {
        return new DatabaseSettings(jdbcUrl, user, password, size, connectTimeout, socketTimeout, retryBudget, patroniUrls, pageReadTimeout);
    }

    public DatabaseSettings withTimeouts(Duration connect, Duration socket) {
        return new DatabaseSettings(jdbcUrl, user, password, maxPoolSize, connect, socket, retryBudget, patroniUrls, pageReadTimeout);
    }

    public DatabaseSettings withRetryBudget(Duration budget) {
        return new DatabaseSettings(jdbcUrl, user, password, maxPoolSize, connectTimeout, socketTimeout, budget, patroniUrls, pageReadTimeout);
    }

    public DatabaseSettings withJdbcUrl(String url) {
        return new DatabaseSettings(url, user, password, maxPoolSize, connectTimeout, socketTimeout, retryBudget, patroniUrls, pageReadTimeout);
    }

    public DatabaseSettings withPatroniUrls(List<URI> urls) {
        return new DatabaseSettings(jdbcUrl, user, password, maxPoolSize, connectTimeout, socketTimeout, retryBudget, urls, pageReadTimeout);
    }

    public DatabaseSettings withPageReadTimeout(Duration timeout) {
        return new DatabaseSettings(jdbcUrl, user, password, maxPoolSize, connectTimeout, socketTimeout, retryBudget, patroniUrls, timeout);
    }

    /** Whether the URL lists more than one server (a replicated database; see {@link Database#read}). */
    public boolean multiHost() {
        return JdbcUrls.hosts(jdbcUrl).size() > 1;
    }

    @Override
    public String toString() {
        return "DatabaseSettings[jdbcUrl=" + masked(jdbcUrl) + ", user=" + user + ", password=***, maxPoolSize=" + maxPoolSize
                + ", connectTimeout=" + connectTimeout + ", socketTimeout=" + socketTimeout + ", retryBudget=" + retryBudget + ", patroniUrls=" + patroniUrls
                + ", pageReadTimeout=" + pageReadTimeout + "]";
    }

    /** The URL with any {@code password=} parameter value hidden, for logs and error messages. */
    public static String masked(String jdbcUrl) {
        return jdbcUrl.replaceAll("(?i)(password=)[^&;]*", "$1***");
    }
}
