package dev.ticketd.node.config;

import dev.ticketd.mail.MailBudget;
import dev.ticketd.node.watch.WatchSettings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ConfigLoaderTest {

    private static Map<String, String> minimal() {
        Map<String, String> m = new HashMap<>();
        m.put("node.id", "node-1");
        m.put("db.url", "jdbc:postgresql://db1:5432,db2:5432/ticketd?targetServerType=primary");
        m.put("db.user", "ticketd");
        m.put("zk.address", "zk1:2181,zk2:2181,zk3:2181");
        return m;
    }

    @Test
    void aMinimalFileGetsSaneDefaults() {
        NodeConfig c = ConfigLoader.fromMap(minimal(), Map.of());
        assertThat(c.nodeId()).isEqualTo("node-1");
        assertThat(c.web().port()).isEqualTo(8080);
        assertThat(c.database().maxPoolSize()).isEqualTo(10);
        assertThat(c.mail().pollInterval()).isEqualTo(Duration.ofSeconds(5));
        assertThat(c.database().retryBudget()).isEqualTo(Duration.ofSeconds(30));
        assertThat(c.web().dbRetryBudget()).isEqualTo(Duration.ofSeconds(3));
        assertThat(c.mail().budget()).isEqualTo(new MailBudget(Duration.ofSeconds(10), 3));
    }

    @Test
    void theTicketLifecycleHasDefaultsAndTakesDaysAndABadValueNamesItsKey() {
        NodeConfig defaults = ConfigLoader.fromMap(minimal(), Map.of());
        assertThat(defaults.tickets()).isEqualTo(new NodeConfig.TicketRules(Duration.ofDays(7), Duration.ofDays(3), Duration.ofMinutes(1), true));

        Map<String, String> file = minimal();
        file.put("tickets.close-resolved-after", "14d");
        file.put("tickets.pending-default", "36h");
        file.put("tickets.reply-to-closed-opens-new", "false");
        NodeConfig c = ConfigLoader.fromMap(file, Map.of("TICKETD_TICKETS_TIMER_INTERVAL", "30s"));
        assertThat(c.tickets()).isEqualTo(new NodeConfig.TicketRules(Duration.ofDays(14), Duration.ofHours(36), Duration.ofSeconds(30), false));

        assertThatThrownBy(() -> ConfigLoader.fromMap(minimal(), Map.of("TICKETD_TICKETS_CLOSE_RESOLVED_AFTER", "a week")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("tickets.close-resolved-after");
        assertThatThrownBy(() -> ConfigLoader.fromMap(minimal(), Map.of("TICKETD_TICKETS_CLOSE_RESOLVED_AFTER", "10s")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("tickets.close-resolved-after").hasMessageContaining("at least");
    }

    @Test
    void whatOneMailMayCostIsConfigurable() {
        NodeConfig c = ConfigLoader.fromMap(minimal(), Map.of("TICKETD_MAIL_PARSE_TIMEOUT", "30s", "TICKETD_MAIL_MAX_FAILED_PASSES", "5"));
        assertThat(c.mail().budget()).isEqualTo(new MailBudget(Duration.ofSeconds(30), 5));
    }

    @Test
    void theEarlyHandoverTimeIsFiveSecondsWithinThePollIntervalAndTheGiveUpTime() {
        assertThat(ConfigLoader.fromMap(minimal(), Map.of()).mail().handoverAfter()).isEqualTo(Duration.ofSeconds(5));
        assertThat(ConfigLoader.fromMap(minimal(), Map.of("TICKETD_MAIL_HANDOVER_AFTER", "8s")).mail().handoverAfter())
                .isEqualTo(Duration.ofSeconds(8));
        // unset, it follows a longer poll interval (a quiet reader passes only that often) and a shorter give-up time
        assertThat(ConfigLoader.fromMap(minimal(), Map.of("TICKETD_MAIL_POLL_INTERVAL", "10s")).mail().handoverAfter())
                .isEqualTo(Duration.ofSeconds(10));
        assertThat(ConfigLoader.fromMap(minimal(), Map.of("TICKETD_MAIL_POLL_INTERVAL", "500ms", "TICKETD_MAIL_GIVE_UP_AFTER", "5s"))
                .mail().handoverAfter()).isEqualTo(Duration.ofSeconds(5));

        assertThatThrownBy(() -> ConfigLoader.fromMap(minimal(), Map.of("TICKETD_MAIL_HANDOVER_AFTER", "3s",
                "TICKETD_MAIL_POLL_INTERVAL", "4s")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("mail.handover-after").hasMessageContaining("mail.poll-interval");
        assertThatThrownBy(() -> ConfigLoader.fromMap(minimal(), Map.of("TICKETD_MAIL_HANDOVER_AFTER", "90s")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("mail.handover-after").hasMessageContaining("mail.give-up-after");
        assertThatThrownBy(() -> ConfigLoader.fromMap(minimal(), Map.of("TICKETD_MAIL_HANDOVER_AFTER", "500ms",
                "TICKETD_MAIL_POLL_INTERVAL", "200ms")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("mail.handover-after").hasMessageContaining("at least");
    }

    @Test
    void anHttpsPublicUrlMeansSecureCookiesAndHstsAndPlainHttpMeansNeither() {
        NodeConfig plain = ConfigLoader.fromMap(minimal(), Map.of("TICKETD_HTTP_PUBLIC_URL", "http://desk.example.test/"));
        NodeConfig https = ConfigLoader.fromMap(minimal(), Map.of("TICKETD_HTTP_PUBLIC_URL", "https://desk.example.test/",
                "TICKETD_HTTP_SECURE_COOKIES", "false"));
        NodeConfig secureOnly = ConfigLoader.fromMap(minimal(), Map.of("TICKETD_HTTP_SECURE_COOKIES", "true"));

        assertThat(plain.web().secureCookies()).isFalse();
        assertThat(plain.web().https()).isFalse();
        assertThat(https.web().secureCookies()).as("implied by the https URL").isTrue();
        assertThat(https.web().https()).isTrue();
        assertThat(secureOnly.web().secureCookies()).isTrue();
        assertThat(secureOnly.web().https()).isFalse();
    }

    @Test
    void theSessionIdleTimeoutIsHalfAnHourUnlessConfiguredAndAtLeastAMinute() {
        assertThat(ConfigLoader.fromMap(minimal(), Map.of()).web().sessionIdleTimeout()).isEqualTo(Duration.ofMinutes(30));
        Map<String, String> file = minimal();
        file.put("http.session-idle-timeout", "10m");
        assertThat(ConfigLoader.fromMap(file, Map.of()).web().sessionIdleTimeout()).isEqualTo(Duration.ofMinutes(10));

        assertThatThrownBy(() -> ConfigLoader.fromMap(minimal(), Map.of("TICKETD_HTTP_SESSION_IDLE_TIMEOUT", "30s")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("http.session-idle-timeout");
    }

    @Test
    void theRetryBudgetsAreConfigurableAndABadOneNamesItsKey() {
        NodeConfig c = ConfigLoader.fromMap(minimal(), Map.of("TICKETD_DB_RETRY_BUDGET", "45s", "TICKETD_DB_WEB_RETRY_BUDGET", "1500ms"));
        assertThat(c.database().retryBudget()).isEqualTo(Duration.ofSeconds(45));
        assertThat(c.web().dbRetryBudget()).isEqualTo(Duration.ofMillis(1500));

        assertThatThrownBy(() -> ConfigLoader.fromMap(minimal(), Map.of("TICKETD_DB_RETRY_BUDGET", "soon")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("db.retry-budget");
    }

    @Test
    void theOutboxClaimExpiryFollowsTheSmtpTimeoutsAndMustOutlastTheLongestSend() {
        NodeConfig defaults = ConfigLoader.fromMap(minimal(), Map.of());
        assertThat(defaults.outbox().claimExpiry()).isEqualTo(Duration.ofMinutes(15));
        assertThat(defaults.outbox().smtpReadTimeout()).isEqualTo(Duration.ofSeconds(30));

        NodeConfig quick = ConfigLoader.fromMap(minimal(), Map.of("TICKETD_SMTP_CONNECT_TIMEOUT", "2s",
                "TICKETD_SMTP_READ_TIMEOUT", "5s", "TICKETD_SMTP_WRITE_TIMEOUT", "5s", "TICKETD_OUTBOX_CLAIM_EXPIRY", "90s"));
        assertThat(quick.outbox().claimExpiry()).isEqualTo(Duration.ofSeconds(90));
        assertThat(quick.outbox().smtpConnectTimeout()).isEqualTo(Duration.ofSeconds(2));

        // 2 s connect + 5 s write + 12 replies of up to 5 s = 67 s: an expiry of 60 s could re-send a mail still being sent
        assertThatThrownBy(() -> ConfigLoader.fromMap(minimal(), Map.of("TICKETD_SMTP_CONNECT_TIMEOUT", "2s",
                "TICKETD_SMTP_READ_TIMEOUT", "5s", "TICKETD_SMTP_WRITE_TIMEOUT", "5s", "TICKETD_OUTBOX_CLAIM_EXPIRY", "60s")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("outbox.claim-expiry").hasMessageContaining("67 s");
    }

    @Test
    void patroniAddressesAreReadAndABadOneNamesItsKey() {
        assertThat(ConfigLoader.fromMap(minimal(), Map.of()).database().patroniUrls()).isEmpty();
        NodeConfig c = ConfigLoader.fromMap(minimal(), Map.of("TICKETD_DB_PATRONI_URLS", "http://10.0.0.1:8008,http://10.0.0.2:8008"));
        assertThat(c.database().patroniUrls()).containsExactly(java.net.URI.create("http://10.0.0.1:8008"),
                java.net.URI.create("http://10.0.0.2:8008"));

        assertThatThrownBy(() -> ConfigLoader.fromMap(minimal(), Map.of("TICKETD_DB_PATRONI_URLS", "10.0.0.1:8008")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("db.patroni-urls").hasMessageContaining("10.0.0.1:8008");
    }

    @Test
    void theEnvironmentOverridesTheFileAndCarriesSecrets() {
        NodeConfig c = ConfigLoader.fromMap(minimal(), Map.of(
                "TICKETD_HTTP_PORT", "9090",
                "TICKETD_DB_PASSWORD", "hunter22",
                "TICKETD_MAIL_POLL_INTERVAL", "750ms",
                "TICKETD_SECRET_SUPPORT_DESK", "imap-pass"));
        assertThat(c.web().port()).isEqualTo(9090);
        assertThat(c.database().password()).isEqualTo("hunter22");
        assertThat(c.mail().pollInterval()).isEqualTo(Duration.ofMillis(750));
        assertThat(c.secret("support-desk")).contains("imap-pass");
    }

    @Test
    void secretsNeverAppearWhenTheConfigurationIsPrinted() {
        Map<String, String> m = minimal();
        m.put("db.password", "db-secret-value");
        m.put("db.url", "jdbc:postgresql://db/ticketd?user=t&password=url-secret-value");
        m.put("secret.support", "imap-secret-value");
        String printed = ConfigLoader.fromMap(m, Map.of()).toString();
        assertThat(printed).doesNotContain("db-secret-value").doesNotContain("imap-secret-value")
                .doesNotContain("url-secret-value").contains("support");
    }

    @Test
    void everyBadValueIsRefusedWithItsKeyNamed() {
        assertRefused("db.url", null, "db.url: missing");
        assertRefused("db.url", "mysql://x", "db.url: not a PostgreSQL JDBC URL");
        assertRefused("http.port", "eighty", "http.port: not a whole number");
        assertRefused("http.port", "70000", "http.port: must be between 0 and 65535");
        assertRefused("mail.poll-interval", "soon", "mail.poll-interval: not a duration");
        assertRefused("http.secure-cookies", "maybe", "http.secure-cookies: not a boolean");
        assertRefused("node.id", "no spaces please", "node.id: must be");
        assertRefused("db.pool-size", "0", "db.pool-size: must be between 1 and 500");
        assertRefused("zk.address", null, "zk.address: missing");
        assertRefused("zk.session-timeout", "500ms", "zk.session-timeout: ZooKeeper session timeout must be between 1s and 120s");
        assertRefused("cluster.name", "no/slash", "cluster.name: must be letters");
        assertRefused("mail.poll-interval", "50ms", "mail.poll-interval: must be at least 100ms");
        assertRefused("mail.io-timeout", "99999999999999999999h", "mail.io-timeout: duration out of range");
        assertRefused("mail.parse-timeout", "10ms", "mail.parse-timeout: must be at least 100ms");
        assertRefused("mail.max-failed-passes", "0", "mail.max-failed-passes: must be between 1 and 1000");
        assertRefused("db.url", "jdbc:mysql://h/db?password=topsecret", "db.url: not a PostgreSQL JDBC URL");
    }

    @Test
    void anUnknownKeyIsATypoNotSomethingToIgnore() {
        Map<String, String> m = minimal();
        m.put("db.passwrod", "x");
        assertThatThrownBy(() -> ConfigLoader.fromMap(m, Map.of()))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("db.passwrod: unknown configuration key");
    }

    @Test
    void aMissingFileIsNamed(@TempDir Path dir) throws IOException {
        assertThatThrownBy(() -> ConfigLoader.load(dir.resolve("nope.properties"), Map.of()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("no such file");
        Path file = dir.resolve("node.properties");
        Files.writeString(file, "node.id=a\ndb.url=jdbc:postgresql://localhost/t\ndb.user=u\nzk.address=127.0.0.1:2181\n");
        assertThat(ConfigLoader.load(file, Map.of()).nodeId()).isEqualTo("a");
    }

    @Test
    void theSelfWatchHasDefaultsAndNoChannelUntilOneIsConfigured() {
        NodeConfig c = ConfigLoader.fromMap(minimal(), Map.of());
        assertThat(c.watch().interval()).isEqualTo(Duration.ofSeconds(5));
        assertThat(c.watch().stallAfter()).isEqualTo(Duration.ofSeconds(75));
        assertThat(c.watch().remindEvery()).isEqualTo(Duration.ofMinutes(30));
        assertThat(c.watch().smtp()).isNull();
        assertThat(c.watch().webhook()).isNull();
        assertThat(c.watch().heartbeatUrl()).isNull();
    }

    @Test
    void alertChannelsAreReadAndTheirSecretsNeverShown() {
        Map<String, String> file = minimal();
        file.put("alert.smtp.host", "relay.ops.example");
        file.put("alert.smtp.user", "alerts");
        file.put("alert.smtp.password", "relay-secret");
        file.put("alert.smtp.from", "ticketd@ops.example");
        file.put("alert.smtp.to", "oncall@ops.example, team@ops.example");
        file.put("alert.webhook.url", "https://ntfy.ops.example/ticketd");
        file.put("alert.webhook.format", "ntfy");
        file.put("watch.heartbeat-url", "https://hc.ops.example/ping/abc");
        NodeConfig c = ConfigLoader.fromMap(file, Map.of("TICKETD_ALERT_WEBHOOK_AUTHORIZATION", "Bearer hook-secret"));
        assertThat(c.watch().smtp().to()).containsExactly("oncall@ops.example", "team@ops.example");
        assertThat(c.watch().smtp().server().port()).as("starttls by default, on the submission port").isEqualTo(587);
        assertThat(c.watch().webhook().format()).isEqualTo(WatchSettings.WebhookFormat.NTFY);
        assertThat(c.watch().webhook().authorization()).isEqualTo("Bearer hook-secret");
        assertThat(c.toString()).doesNotContain("relay-secret").doesNotContain("hook-secret").doesNotContain("/ping/abc");
    }

    @Test
    void aBadSelfWatchSettingNamesItsKey() {
        Map<String, String> teams = minimal();
        teams.put("alert.webhook.url", "https://hooks.example/x");
        teams.put("alert.webhook.format", "teams");
        assertThatThrownBy(() -> ConfigLoader.fromMap(teams, Map.of())).isInstanceOf(ConfigException.class)
                .hasMessageContaining("unknown webhook format 'teams'")
                .extracting(e -> ((ConfigException) e).key()).isEqualTo("alert.webhook.format");
        assertRefused("watch.heartbeat-url", "ftp://hc.example/ping", "watch.heartbeat-url");
        assertRefused("watch.stall-after", "8s", "watch.stall-after");
        Map<String, String> noRecipient = minimal();
        noRecipient.put("alert.smtp.host", "relay.ops.example");
        noRecipient.put("alert.smtp.from", "ticketd@ops.example");
        assertThatThrownBy(() -> ConfigLoader.fromMap(noRecipient, Map.of())).isInstanceOf(ConfigException.class)
                .extracting(e -> ((ConfigException) e).key()).isEqualTo("alert.smtp.to");
    }

    @Test
    void theOutsideWatchersFileNamesTheNodesAndAChannel() {
        Map<String, String> file = new HashMap<>();
        file.put("cluster.name", "acme");
        file.put("watch.nodes", "http://10.0.0.1:8080/, http://10.0.0.2:8080/,http://10.0.0.3:8080/");
        file.put("alert.webhook.url", "https://hooks.example/ops");
        ConfigLoader.OutsideWatchConfig c = ConfigLoader.outsideWatchFromMap(file, Map.of("TICKETD_WATCH_SILENT_AFTER", "3m"));
        assertThat(c.settings().nodes()).hasSize(3).first().hasToString("http://10.0.0.1:8080/");
        assertThat(c.settings().interval()).isEqualTo(Duration.ofSeconds(15));
        assertThat(c.settings().silentAfter()).isEqualTo(Duration.ofMinutes(3));
        assertThat(c.settings().clusterName()).isEqualTo("acme");

        Map<String, String> noChannel = new HashMap<>(file);
        noChannel.remove("alert.webhook.url");
        assertThatThrownBy(() -> ConfigLoader.outsideWatchFromMap(noChannel, Map.of())).isInstanceOf(ConfigException.class)
                .hasMessageContaining("needs a channel");
        Map<String, String> nodeKey = new HashMap<>(file);
        nodeKey.put("db.url", "jdbc:postgresql://db1/ticketd");
        assertThatThrownBy(() -> ConfigLoader.outsideWatchFromMap(nodeKey, Map.of())).isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("db.url: unknown key for ticketd watch");
        Map<String, String> badNode = new HashMap<>(file);
        badNode.put("watch.nodes", "10.0.0.1:8080");
        assertThatThrownBy(() -> ConfigLoader.outsideWatchFromMap(badNode, Map.of())).isInstanceOf(ConfigException.class)
                .extracting(e -> ((ConfigException) e).key()).isEqualTo("watch.nodes");
    }

    private static void assertRefused(String key, String value, String message) {
        Map<String, String> m = minimal();
        if (value == null) {
            m.remove(key);
        } else {
            m.put(key, value);
        }
        assertThatThrownBy(() -> ConfigLoader.fromMap(m, Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith(message)
                .extracting(e -> ((ConfigException) e).key()).isEqualTo(key);
    }
}
