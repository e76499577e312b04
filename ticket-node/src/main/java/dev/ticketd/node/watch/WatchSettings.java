package dev.ticketd.node.watch;

import dev.ticketd.mail.outbound.SmtpSettings;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * How the self-watch looks at the cluster and whom it tells ({@code watch.*} and {@code alert.*}).
 *
 * @param interval         how often the watching node samples every signal and applies the rules
 * @param stallAfter       a mailbox whose intake made no progress for this long is stalled
 * @param lookInterval     how often the watching node looks into each mailbox's INBOX over IMAP
 * @param remindEvery      an open alert is sent again this often while it lasts
 * @param outboxStuckAfter an outbound mail waiting this long means the outbox is stuck
 * @param takeOverAfter    a node that is not the watch's runner starts watching when nobody has for this long
 *                         (plus {@code rankStep} per node ranked before it)
 * @param rankStep         how much longer each further node waits before it takes the watching over
 * @param raiseAfter       samples in a row a rule must fire before its alert is raised
 * @param clearAfter       samples in a row a rule must be quiet before its alert is cleared
 * @param canaryInterval   how often a canary mail is sent to each mailbox with an SMTP route; zero: no canary
 * @param canaryDeadline   a canary not taken in this long after it was sent is late
 * @param heartbeatUrl     pinged (GET) every interval while this node is ready: a dead man's switch outside; or null
 * @param smtp             the operations mail relay and its recipients; or null
 * @param webhook          the alert webhook; or null
 */
public record WatchSettings(Duration interval, Duration stallAfter, Duration lookInterval, Duration remindEvery,
                            Duration outboxStuckAfter, Duration takeOverAfter, Duration rankStep, int raiseAfter, int clearAfter,
                            Duration canaryInterval, Duration canaryDeadline, URI heartbeatUrl, AlertSmtp smtp, AlertWebhook webhook) {

    public static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(5);
    public static final Duration DEFAULT_STALL_AFTER = Duration.ofSeconds(75);
    public static final Duration DEFAULT_LOOK_INTERVAL = Duration.ofSeconds(15);
    public static final Duration DEFAULT_REMIND_EVERY = Duration.ofMinutes(30);
    public static final Duration DEFAULT_OUTBOX_STUCK_AFTER = Duration.ofMinutes(10);
    public static final Duration DEFAULT_TAKE_OVER_AFTER = Duration.ofSeconds(30);
    public static final Duration DEFAULT_RANK_STEP = Duration.ofSeconds(15);
    public static final Duration DEFAULT_CANARY_INTERVAL = Duration.ofSeconds(60);
    public static final Duration DEFAULT_CANARY_DEADLINE = Duration.ofSeconds(20);

    /** The operations relay: its own server and login, never a support mailbox's. */
    public record AlertSmtp(SmtpSettings server, List<String> to) {
        public AlertSmtp {
            Objects.requireNonNull(server, "server");
            to = List.copyOf(to);
            if (to.isEmpty()) {
                throw new IllegalArgumentException("no recipient for the alert mail");
            }
        }
    }

    /** What the webhook's body looks like. */
    public enum WebhookFormat {
        /** {@code {"event":…,"rule":…,"subject":…,"severity":…,"summary":…,…}} */
        JSON,
        /** Slack's (and Mattermost's, Rocket.Chat's) incoming webhook: {@code {"text":…}} */
        SLACK,
        /** A Matrix room message ({@code PUT …/send/m.room.message/…} or a hookshot URL): {@code {"msgtype":"m.text","body":…}} */
        MATRIX,
        /** ntfy: the text as the body, the title in a header */
        NTFY;

        public static WebhookFormat parse(String value) {
            try {
                return valueOf(value.strip().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("unknown webhook format '" + value + "' (json, slack, matrix or ntfy)");
            }
        }
    }

    /**
     * @param authorization sent as the {@code Authorization} header when not empty; never logged
     */
    public record AlertWebhook(URI url, WebhookFormat format, String authorization) {
        public AlertWebhook {
            Objects.requireNonNull(url, "url");
            Objects.requireNonNull(format, "format");
            authorization = authorization == null ? "" : authorization;
            if (!"http".equals(url.getScheme()) && !"https".equals(url.getScheme())) {
                throw new IllegalArgumentException("the webhook URL must be http or https, was " + url.getScheme());
            }
        }

        @Override
        public String toString() {
            return "AlertWebhook[" + url.getScheme() + "://" + url.getAuthority() + " format=" + format
                    + ", authorization=" + (authorization.isEmpty() ? "none" : "***") + "]";
        }
    }

    public WatchSettings {
        if (raiseAfter < 1 || clearAfter < 1) {
            throw new IllegalArgumentException("raise-after and clear-after must be at least 1 sample");
        }
        if (stallAfter.compareTo(interval) <= 0) {
            throw new IllegalArgumentException("the stall time must be longer than the watch interval");
        }
        if (canaryInterval.isNegative() || canaryDeadline.isNegative() || canaryDeadline.isZero()) {
            throw new IllegalArgumentException("the canary interval must be zero (off) or more, its deadline more than zero");
        }
    }

    /** The defaults, with no channel. */
    public static WatchSettings defaults() {
        return new WatchSettings(DEFAULT_INTERVAL, DEFAULT_STALL_AFTER, DEFAULT_LOOK_INTERVAL, DEFAULT_REMIND_EVERY,
                DEFAULT_OUTBOX_STUCK_AFTER, DEFAULT_TAKE_OVER_AFTER, DEFAULT_RANK_STEP, 3, 2, DEFAULT_CANARY_INTERVAL,
                DEFAULT_CANARY_DEADLINE, null, null, null);
    }

    /** These settings with other channels. */
    public WatchSettings withChannels(AlertSmtp smtp, AlertWebhook webhook) {
        return new WatchSettings(interval, stallAfter, lookInterval, remindEvery, outboxStuckAfter, takeOverAfter, rankStep,
                raiseAfter, clearAfter, canaryInterval, canaryDeadline, heartbeatUrl, smtp, webhook);
    }

    /** These settings with another canary interval (zero: none) and deadline. */
    public WatchSettings withCanary(Duration interval, Duration deadline) {
        return new WatchSettings(this.interval, stallAfter, lookInterval, remindEvery, outboxStuckAfter, takeOverAfter, rankStep,
                raiseAfter, clearAfter, interval, deadline, heartbeatUrl, smtp, webhook);
    }

    /** These settings with other times (tests and small clusters). */
    public WatchSettings withTimes(Duration interval, Duration stallAfter, Duration lookInterval, Duration takeOverAfter) {
        return new WatchSettings(interval, stallAfter, lookInterval, remindEvery, outboxStuckAfter, takeOverAfter, rankStep,
                raiseAfter, clearAfter, canaryInterval, canaryDeadline, heartbeatUrl, smtp, webhook);
    }

    @Override
    public String toString() {
        return "WatchSettings[interval=" + interval + ", stallAfter=" + stallAfter + ", lookInterval=" + lookInterval
                + ", remindEvery=" + remindEvery + ", outboxStuckAfter=" + outboxStuckAfter + ", takeOverAfter=" + takeOverAfter
                + ", rankStep=" + rankStep + ", raiseAfter=" + raiseAfter + ", clearAfter=" + clearAfter
                + ", canaryInterval=" + canaryInterval + ", canaryDeadline=" + canaryDeadline
                + ", heartbeat=" + (heartbeatUrl == null ? "none" : heartbeatUrl.getScheme() + "://" + heartbeatUrl.getAuthority())
                + ", smtp=" + smtp + ", webhook=" + webhook + "]";
    }
}
