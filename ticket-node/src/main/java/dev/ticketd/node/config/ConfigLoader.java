package dev.ticketd.node.config;

import dev.ticketd.cluster.ClusterSettings;
import dev.ticketd.db.DatabaseSettings;
import dev.ticketd.db.RetryPolicy;
import dev.ticketd.db.patroni.PatroniLeader;
import dev.ticketd.mail.MailBudget;
import dev.ticketd.mail.MailboxSettings;
import dev.ticketd.mail.TransportSecurity;
import dev.ticketd.mail.outbound.OutboxSender;
import dev.ticketd.mail.outbound.SmtpSettings;
import dev.ticketd.node.watch.OutsideWatch;
import dev.ticketd.node.watch.WatchSettings;
import dev.ticketd.node.web.WebSettings;

import java.io.IOException;
import java.io.Reader;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.net.URI;
import java.util.HashMap;
import java.util.List;
import java.util.HashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads a node's configuration: a properties file, then environment overrides, validated into a
 * {@link NodeConfig}. Every key {@code a.b-c} can be overridden by the environment variable
 * {@code TICKETD_A_B_C}; mailbox secrets come from {@code secret.REF} or {@code TICKETD_SECRET_REF}.
 * An unknown key, a missing required key or a bad value fails with a message naming the key.
 */
public final class ConfigLoader {

    static final Set<String> KNOWN_KEYS = Set.of(
            "node.id",
            "http.host", "http.port", "http.secure-cookies", "http.session-ttl", "http.session-idle-timeout", "http.public-url",
            "db.url", "db.user", "db.password", "db.pool-size", "db.connect-timeout", "db.socket-timeout",
            "db.retry-budget", "db.web-retry-budget", "db.patroni-urls", "db.page-read-timeout",
            "zk.address", "zk.session-timeout", "cluster.name",
            "lease.lock-timeout",
            "mail.poll-interval", "mail.io-timeout", "mail.max-message-bytes", "mail.give-up-after", "mail.give-up-cooldown",
            "mail.handover-after", "mail.parse-timeout", "mail.max-failed-passes",
            "smtp.connect-timeout", "smtp.read-timeout", "smtp.write-timeout", "outbox.claim-expiry",
            "tickets.close-resolved-after", "tickets.pending-default", "tickets.timer-interval", "tickets.reply-to-closed-opens-new",
            "watch.interval", "watch.stall-after", "watch.look-interval", "watch.remind-every", "watch.outbox-stuck-after",
            "watch.take-over-after", "watch.heartbeat-url", "watch.canary-interval", "watch.canary-deadline",
            "alert.smtp.host", "alert.smtp.port", "alert.smtp.security", "alert.smtp.user", "alert.smtp.password",
            "alert.smtp.from", "alert.smtp.to", "alert.webhook.url", "alert.webhook.format", "alert.webhook.authorization");
    private static final String SECRET_PREFIX = "secret.";
    private static final Pattern DURATION = Pattern.compile("(\\d+)\\s*(ms|s|m|h|d)");

    private ConfigLoader() {
    }

    public static NodeConfig load(Path file, Map<String, String> environment) {
        return fromMap(read(file), environment);
    }

    /** The keys of {@code ticketd watch}'s file, the watcher outside the cluster. */
    static final Set<String> OUTSIDE_WATCH_KEYS = Set.of("cluster.name", "watch.nodes", "watch.interval", "watch.silent-after",
            "watch.remind-every",
            "alert.smtp.host", "alert.smtp.port", "alert.smtp.security", "alert.smtp.user", "alert.smtp.password",
            "alert.smtp.from", "alert.smtp.to", "alert.webhook.url", "alert.webhook.format", "alert.webhook.authorization");

    /** The configuration of {@code ticketd watch}: the nodes to ask, and its own channels. */
    public record OutsideWatchConfig(OutsideWatch.Settings settings, WatchSettings channels) {
    }

    public static OutsideWatchConfig loadOutsideWatch(Path file, Map<String, String> environment) {
        return outsideWatchFromMap(read(file), environment);
    }

    public static OutsideWatchConfig outsideWatchFromMap(Map<String, String> fileValues, Map<String, String> environment) {
        Map<String, String> values = new HashMap<>(fileValues);
        fileValues.keySet().stream().filter(k -> !OUTSIDE_WATCH_KEYS.contains(k)).sorted().findFirst().ifPresent(key -> {
            throw new ConfigException(key, "unknown key for ticketd watch (known: "
                    + String.join(", ", OUTSIDE_WATCH_KEYS.stream().sorted().toList()) + ")");
        });
        for (String key : OUTSIDE_WATCH_KEYS) {
            String fromEnv = environment.get(envName(key));
            if (fromEnv != null) {
                values.put(key, fromEnv.strip());
            }
        }
        Values r = new Values(values);
        String clusterName = r.optional("cluster.name").orElse("ticketd");
        List<URI> nodes = r.build("watch.nodes", () -> List.of(r.required("watch.nodes").split("\\s*,\\s*")).stream().map(u -> {
            URI uri = URI.create(u);
            if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme())) {
                throw new IllegalArgumentException("each node is an http(s) URL, was '" + u + "'");
            }
            return uri;
        }).toList());
        OutsideWatch.Settings settings = r.build("watch.silent-after", () -> new OutsideWatch.Settings(clusterName, nodes,
                r.atLeast("watch.interval", Duration.ofSeconds(15), Duration.ofMillis(200)),
                r.atLeast("watch.silent-after", Duration.ofSeconds(120), Duration.ofSeconds(1)),
                r.atLeast("watch.remind-every", WatchSettings.DEFAULT_REMIND_EVERY, Duration.ofMinutes(1))));
        WatchSettings channels = WatchSettings.defaults().withChannels(alertSmtp(r, SmtpSettings.DEFAULT_CONNECT_TIMEOUT,
                SmtpSettings.DEFAULT_READ_TIMEOUT, SmtpSettings.DEFAULT_WRITE_TIMEOUT), alertWebhook(r));
        if (channels.smtp() == null && channels.webhook() == null) {
            throw new ConfigException("alert.webhook.url", "ticketd watch needs a channel to alert through: alert.smtp.host or alert.webhook.url");
        }
        return new OutsideWatchConfig(settings, channels);
    }

    private static Map<String, String> read(Path file) {
        Properties props = new Properties();
        if (!Files.isRegularFile(file)) {
            throw new ConfigException("--config", "no such file: " + file);
        }
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            props.load(r);
        } catch (IOException | IllegalArgumentException e) {
            throw new ConfigException("--config", "cannot read " + file + ": " + e.getMessage());
        }
        Map<String, String> values = new HashMap<>();
        props.stringPropertyNames().forEach(k -> values.put(k.strip(), props.getProperty(k).strip()));
        return values;
    }

    /** Builds the configuration from key/value pairs (a parsed file) and the environment. */
    public static NodeConfig fromMap(Map<String, String> fileValues, Map<String, String> environment) {
        Map<String, String> values = new HashMap<>(fileValues);
        Map<String, String> secrets = new HashMap<>();
        Set<String> unknown = new HashSet<>();
        for (String key : fileValues.keySet()) {
            if (key.startsWith(SECRET_PREFIX)) {
                secrets.put(key.substring(SECRET_PREFIX.length()), fileValues.get(key));
            } else if (!KNOWN_KEYS.contains(key)) {
                unknown.add(key);
            }
        }
        if (!unknown.isEmpty()) {
            String key = unknown.stream().sorted().findFirst().orElseThrow();
            throw new ConfigException(key, "unknown configuration key (known: " + String.join(", ", KNOWN_KEYS.stream().sorted().toList()) + ")");
        }
        for (String key : KNOWN_KEYS) {
            String fromEnv = environment.get(envName(key));
            if (fromEnv != null) {
                values.put(key, fromEnv.strip());
            }
        }
        environment.forEach((name, value) -> {
            if (name.startsWith("TICKETD_SECRET_") && name.length() > "TICKETD_SECRET_".length()) {
                secrets.put(name.substring("TICKETD_SECRET_".length()).toLowerCase(Locale.ROOT).replace('_', '-'), value);
            }
        });

        Values r = new Values(values);
        String nodeId = r.optional("node.id").orElseGet(ConfigLoader::hostname);
        if (!nodeId.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,99}")) {
            throw new ConfigException("node.id", "must be 1-100 letters, digits, '.', '_' or '-', was '" + nodeId + "'");
        }
        // an https public URL means staff use https: Secure cookies and HSTS, whatever http.secure-cookies says
        boolean https = r.optional("http.public-url").map(u -> u.startsWith("https://")).orElse(false);
        WebSettings web = r.build("http.port", () -> new WebSettings(
                r.optional("http.host").orElse("0.0.0.0"),
                r.integer("http.port", 8080, 0, 65535),
                r.duration("http.session-ttl", Duration.ofHours(12)),
                r.atLeast("http.session-idle-timeout", WebSettings.DEFAULT_SESSION_IDLE_TIMEOUT, Duration.ofMinutes(1)),
                r.bool("http.secure-cookies", false) || https,
                https,
                r.duration("db.web-retry-budget", RetryPolicy.DEFAULT_WEB_BUDGET)));
        List<URI> patroniUrls = r.build("db.patroni-urls",
                () -> r.optional("db.patroni-urls").map(PatroniLeader::parseUrls).orElse(List.of()));
        DatabaseSettings db = r.build("db.url", () -> new DatabaseSettings(
                r.required("db.url"),
                r.required("db.user"),
                r.optional("db.password").orElse(""),
                r.integer("db.pool-size", 10, 1, 500),
                r.duration("db.connect-timeout", DatabaseSettings.DEFAULT_CONNECT_TIMEOUT),
                r.duration("db.socket-timeout", DatabaseSettings.DEFAULT_SOCKET_TIMEOUT),
                r.duration("db.retry-budget", RetryPolicy.DEFAULT_BACKGROUND_BUDGET),
                patroniUrls,
                r.atLeast("db.page-read-timeout", DatabaseSettings.DEFAULT_PAGE_READ_TIMEOUT, Duration.ofSeconds(1))));
        String clusterName = r.optional("cluster.name").orElse("ticketd");
        if (!ClusterSettings.isValidClusterName(clusterName)) {
            throw new ConfigException("cluster.name", "must be letters, digits, '-' or '_', was '" + clusterName + "'");
        }
        String zkAddress = r.required("zk.address");
        ClusterSettings cluster = r.build("zk.session-timeout", () -> new ClusterSettings(zkAddress, clusterName, nodeId,
                r.duration("zk.session-timeout", ClusterSettings.DEFAULT_SESSION_TIMEOUT)));
        Duration pollInterval = r.atLeast("mail.poll-interval", MailboxSettings.DEFAULT_POLL_INTERVAL, Duration.ofMillis(100));
        Duration giveUpAfter = r.atLeast("mail.give-up-after", Duration.ofSeconds(60), Duration.ofSeconds(5));
        NodeConfig.MailDefaults mail = new NodeConfig.MailDefaults(
                pollInterval,
                r.atLeast("mail.io-timeout", MailboxSettings.DEFAULT_IO_TIMEOUT, Duration.ofMillis(100)),
                r.longValue("mail.max-message-bytes", MailboxSettings.DEFAULT_MAX_MESSAGE_BYTES, 1024, Long.MAX_VALUE),
                giveUpAfter,
                r.atLeast("mail.give-up-cooldown", Duration.ofMinutes(5), Duration.ofSeconds(1)),
                new MailBudget(r.atLeast("mail.parse-timeout", MailBudget.DEFAULT_PARSE_TIMEOUT, Duration.ofMillis(100)),
                        r.integer("mail.max-failed-passes", MailBudget.DEFAULT_MAX_FAILED_PASSES, 1, 1000)),
                handoverAfter(r, pollInterval, giveUpAfter));
        NodeConfig.OutboxDefaults outbox = outbox(r);
        String publicUrl = r.optional("http.public-url").orElseGet(() -> "http://"
                + ("0.0.0.0".equals(web.host()) || "::".equals(web.host()) ? hostname() : web.host()) + ":" + web.port() + "/");
        if (!publicUrl.matches("https?://[^\\s/]+(/.*)?")) {
            throw new ConfigException("http.public-url", "not an http(s) URL: '" + publicUrl + "'");
        }
        NodeConfig.TicketRules tickets = new NodeConfig.TicketRules(
                r.atLeast("tickets.close-resolved-after", Duration.ofDays(7), Duration.ofMinutes(1)),
                r.atLeast("tickets.pending-default", Duration.ofDays(3), Duration.ofMinutes(1)),
                r.atLeast("tickets.timer-interval", Duration.ofMinutes(1), Duration.ofSeconds(1)),
                r.bool("tickets.reply-to-closed-opens-new", true));
        return new NodeConfig(nodeId, web, publicUrl, db, cluster, mail, outbox, r.duration("lease.lock-timeout", Duration.ofSeconds(2)), secrets,
                tickets, watch(r, outbox, mail.pollInterval()));
    }

    /** The self-watch ({@code watch.*}) and its channels ({@code alert.*}); a channel whose first key is absent is off. */
    private static WatchSettings watch(Values r, NodeConfig.OutboxDefaults outbox, Duration pollInterval) {
        WatchSettings d = WatchSettings.defaults();
        Duration stallAfter = r.atLeast("watch.stall-after", d.stallAfter(), Duration.ofSeconds(1));
        if (stallAfter.compareTo(pollInterval.multipliedBy(2)) <= 0) {
            // a quiet mailbox completes a pass every poll interval at the latest: a shorter stall time would alert on quiet
            throw new ConfigException("watch.stall-after", "must be more than twice mail.poll-interval ("
                    + pollInterval.toMillis() + "ms), was " + stallAfter.toMillis() + "ms: a quiet mailbox would look stalled");
        }
        Duration interval = r.atLeast("watch.interval", d.interval(), Duration.ofMillis(200));
        WatchSettings.AlertSmtp smtp = alertSmtp(r, outbox.smtpConnectTimeout(), outbox.smtpReadTimeout(), outbox.smtpWriteTimeout());
        WatchSettings.AlertWebhook webhook = alertWebhook(r);
        URI heartbeat = r.optional("watch.heartbeat-url").map(u -> r.build("watch.heartbeat-url", () -> {
            URI uri = URI.create(u);
            if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme())) {
                throw new IllegalArgumentException("must be an http or https URL, was '" + uri.getScheme() + ":…'");
            }
            return uri;
        })).orElse(null);
        return r.build("watch.stall-after", () -> new WatchSettings(interval, stallAfter,
                r.atLeast("watch.look-interval", d.lookInterval(), Duration.ofMillis(200)),
                r.atLeast("watch.remind-every", d.remindEvery(), Duration.ofMinutes(1)),
                r.atLeast("watch.outbox-stuck-after", d.outboxStuckAfter(), Duration.ofSeconds(1)),
                r.atLeast("watch.take-over-after", d.takeOverAfter(), Duration.ofSeconds(1)),
                d.rankStep(), d.raiseAfter(), d.clearAfter(),
                canaryInterval(r, d.canaryInterval()),
                r.atLeast("watch.canary-deadline", d.canaryDeadline(), Duration.ofSeconds(1)), heartbeat, smtp, webhook));
    }

    /**
     * {@code mail.handover-after}: at least the poll interval, because a quiet, healthy reader completes
     * a pass only every poll interval and must not count as stuck in between; at most
     * {@code mail.give-up-after}, which it is meant to shorten. Unset: 5 s, within those bounds.
     */
    private static Duration handoverAfter(Values r, Duration pollInterval, Duration giveUpAfter) {
        if (r.optional("mail.handover-after").isEmpty()) {
            Duration d = NodeConfig.MailDefaults.DEFAULT_HANDOVER_AFTER.compareTo(pollInterval) < 0 ? pollInterval : NodeConfig.MailDefaults.DEFAULT_HANDOVER_AFTER;
            return d.compareTo(giveUpAfter) > 0 ? giveUpAfter : d;
        }
        Duration d = r.atLeast("mail.handover-after", NodeConfig.MailDefaults.DEFAULT_HANDOVER_AFTER, Duration.ofSeconds(1));
        if (d.compareTo(pollInterval) < 0) {
            throw new ConfigException("mail.handover-after", "must be at least mail.poll-interval (" + pollInterval.toMillis()
                    + "ms), was " + d.toMillis() + "ms: a quiet, healthy reader completes a pass only every poll interval");
        }
        if (d.compareTo(giveUpAfter) > 0) {
            throw new ConfigException("mail.handover-after", "must be at most mail.give-up-after (" + giveUpAfter.toMillis()
                    + "ms), was " + d.toMillis() + "ms");
        }
        return d;
    }

    /** {@code watch.canary-interval}: 0s turns the canary off, else at least a second. */
    private static Duration canaryInterval(Values r, Duration fallback) {
        Duration d = r.duration("watch.canary-interval", fallback);
        if (!d.isZero() && d.compareTo(Duration.ofSeconds(1)) < 0) {
            throw new ConfigException("watch.canary-interval", "must be 0s (no canary) or at least 1000ms, was " + d.toMillis() + "ms");
        }
        return d;
    }

    /** The operations relay ({@code alert.smtp.*}), or null when {@code alert.smtp.host} is absent. */
    private static WatchSettings.AlertSmtp alertSmtp(Values r, Duration connect, Duration read, Duration write) {
        return r.optional("alert.smtp.host").map(host -> r.build("alert.smtp.host", () -> {
            List<String> to = r.optional("alert.smtp.to").map(v -> List.of(v.split("\\s*,\\s*")))
                    .orElseThrow(() -> new ConfigException("alert.smtp.to", "required with alert.smtp.host: who receives the alerts"));
            TransportSecurity security = r.build("alert.smtp.security",
                    () -> TransportSecurity.parse(r.optional("alert.smtp.security").orElse("starttls")));
            return new WatchSettings.AlertSmtp(new SmtpSettings(host,
                    r.integer("alert.smtp.port", security == TransportSecurity.TLS ? 465 : 587, 1, 65535), security,
                    r.optional("alert.smtp.user").orElse(null), r.optional("alert.smtp.password").orElse(null),
                    r.optional("alert.smtp.from").orElseThrow(() -> new ConfigException("alert.smtp.from",
                            "required with alert.smtp.host: the alerts' sender address")),
                    "ticketd alerts", connect, read, write), to);
        })).orElse(null);
    }

    /** The alert webhook ({@code alert.webhook.*}), or null when {@code alert.webhook.url} is absent. */
    private static WatchSettings.AlertWebhook alertWebhook(Values r) {
        return r.optional("alert.webhook.url").map(url -> r.build("alert.webhook.url",
                () -> new WatchSettings.AlertWebhook(URI.create(url),
                        r.build("alert.webhook.format", () -> WatchSettings.WebhookFormat.parse(r.optional("alert.webhook.format").orElse("json"))),
                        r.optional("alert.webhook.authorization").orElse("")))).orElse(null);
    }

    private static NodeConfig.OutboxDefaults outbox(Values r) {
        Duration connect = r.atLeast("smtp.connect-timeout", SmtpSettings.DEFAULT_CONNECT_TIMEOUT, Duration.ofMillis(100));
        Duration read = r.atLeast("smtp.read-timeout", SmtpSettings.DEFAULT_READ_TIMEOUT, Duration.ofMillis(100));
        Duration write = r.atLeast("smtp.write-timeout", SmtpSettings.DEFAULT_WRITE_TIMEOUT, Duration.ofMillis(100));
        Duration longestSend = SmtpSettings.longestSend(connect, read, write);
        Duration expiry = r.duration("outbox.claim-expiry", OutboxSender.Options.defaultClaimExpiry(longestSend));
        if (expiry.compareTo(longestSend) <= 0) {
            throw new ConfigException("outbox.claim-expiry", "must be longer than the longest SMTP send the smtp.*-timeout "
                    + "settings allow (" + longestSend.toSeconds() + " s: connect + write + 12 replies), was "
                    + expiry.toSeconds() + " s; a shorter expiry would send a mail twice while its first send is still running");
        }
        return new NodeConfig.OutboxDefaults(connect, read, write, expiry);
    }

    /** {@code db.pool-size} → {@code TICKETD_DB_POOL_SIZE}. */
    public static String envName(String key) {
        return "TICKETD_" + key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
    }

    /** Parses {@code 500ms}, {@code 5s}, {@code 2m}, {@code 12h}. */
    static Duration parseDuration(String key, String value) {
        Matcher m = DURATION.matcher(value.strip());
        if (!m.matches()) {
            throw new ConfigException(key, "not a duration: '" + value + "' (write e.g. 500ms, 5s, 2m, 12h, 7d)");
        }
        Duration d;
        try {
            long n = Long.parseLong(m.group(1));
            d = switch (m.group(2)) {
                case "ms" -> Duration.ofMillis(n);
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                case "h" -> Duration.ofHours(n);
                default -> Duration.ofDays(n);
            };
        } catch (NumberFormatException | ArithmeticException e) {
            throw new ConfigException(key, "duration out of range: '" + value + "'");
        }
        if (d.isZero()) {
            throw new ConfigException(key, "must be greater than zero");
        }
        return d;
    }

    private static String hostname() {
        try {
            return InetAddress.getLocalHost().getHostName().replaceAll("[^A-Za-z0-9._-]", "-");
        } catch (UnknownHostException e) {
            throw new ConfigException("node.id", "not set and the host name cannot be read: " + e.getMessage());
        }
    }

    /** Typed access to the raw values; every error names its key. */
    private record Values(Map<String, String> values) {

        Optional<String> optional(String key) {
            String v = values.get(key);
            return v == null || v.isEmpty() ? Optional.empty() : Optional.of(v);
        }

        String required(String key) {
            return optional(key).orElseThrow(() -> new ConfigException(key, "missing (set it in the file or as " + envName(key) + ")"));
        }

        int integer(String key, int fallback, int min, int max) {
            return (int) longValue(key, fallback, min, max);
        }

        long longValue(String key, long fallback, long min, long max) {
            String v = optional(key).orElse(null);
            if (v == null) {
                return fallback;
            }
            try {
                long n = Long.parseLong(v);
                if (n < min || n > max) {
                    throw new ConfigException(key, "must be between " + min + " and " + max + ", was " + n);
                }
                return n;
            } catch (NumberFormatException e) {
                throw new ConfigException(key, "not a whole number: '" + v + "'");
            }
        }

        boolean bool(String key, boolean fallback) {
            String v = optional(key).orElse(null);
            if (v == null) {
                return fallback;
            }
            return switch (v.toLowerCase(Locale.ROOT)) {
                case "true", "yes", "on" -> true;
                case "false", "no", "off" -> false;
                default -> throw new ConfigException(key, "not a boolean: '" + v + "' (true or false)");
            };
        }

        Duration duration(String key, Duration fallback) {
            return optional(key).map(v -> parseDuration(key, v)).orElse(fallback);
        }

        Duration atLeast(String key, Duration fallback, Duration minimum) {
            Duration d = duration(key, fallback);
            if (d.compareTo(minimum) < 0) {
                throw new ConfigException(key, "must be at least " + minimum.toMillis() + "ms, was " + d.toMillis() + "ms");
            }
            return d;
        }

        /** Runs a record constructor, turning its validation error into one that names a key. */
        <T> T build(String key, Supplier<T> constructor) {
            try {
                return constructor.get();
            } catch (IllegalArgumentException e) {
                throw new ConfigException(key, e.getMessage());
            }
        }
    }
}
