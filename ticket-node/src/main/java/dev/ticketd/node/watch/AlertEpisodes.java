package dev.ticketd.node.watch;

import dev.ticketd.db.Database;
import dev.ticketd.db.Transactions;
import dev.ticketd.node.watch.Finding.Severity;
import org.jooq.Field;
import org.jooq.Record;
import org.jooq.impl.DSL;

import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

import static dev.ticketd.db.generated.Tables.ALERT_EPISODE;
import static dev.ticketd.db.generated.Tables.ALERT_NOTICE;
import static dev.ticketd.db.generated.Tables.WATCH_STATE;

/**
 * The alert episodes and their notices in PostgreSQL: every change is a compare-and-set, so any
 * number of watching nodes together open an episode once, close it once and send each notice on
 * each channel once. Writes retry only briefly: a watch whose database is away must notice it soon
 * and alert without it ({@link SelfWatch}).
 */
final class AlertEpisodes {

    /** One episode. {@code closedAt} is null while it is open. */
    record Episode(long id, String rule, String subject, Severity severity, String summary, Instant openedAt, int reminders,
                   Instant lastRemindedAt, Instant closedAt) {
        Finding.Key key() {
            return new Finding.Key(rule, subject);
        }
    }

    /** A notice's state on one channel. */
    record Notice(long episodeId, String event, String channel, Instant sentAt, Instant claimedAt, int attempts, String lastError) {
    }

    /** An open stall as staff see it: what, since when, and when operations were first told (null: not yet). */
    record OpenStall(String summary, Instant openedAt, Instant alertedAt) {
    }

    static final String OPEN = "open";
    static final String CLEAR = "clear";

    private final Database db;
    private final Transactions writes;

    AlertEpisodes(Database db, Duration retryBudget) {
        this.db = db;
        this.writes = db.transactions().withRetryBudget(retryBudget);
    }

    List<Episode> open() {
        return writes.write(tx -> tx.selectFrom(ALERT_EPISODE).where(ALERT_EPISODE.CLOSED_AT.isNull())
                .orderBy(ALERT_EPISODE.ID).fetch(AlertEpisodes::episode));
    }

    /** Episodes closed within {@code within}: their all-clear may still be owed. */
    List<Episode> recentlyClosed(Duration within) {
        return writes.write(tx -> tx.selectFrom(ALERT_EPISODE)
                .where(ALERT_EPISODE.CLOSED_AT.gt(ago(within)))
                .fetch(AlertEpisodes::episode));
    }

    /** Opens an episode for {@code f} unless one is open for its rule and subject; empty when one was. */
    Optional<Episode> open(Finding f, String node) {
        return writes.write(tx -> tx.insertInto(ALERT_EPISODE)
                .set(ALERT_EPISODE.RULE, f.rule())
                .set(ALERT_EPISODE.SUBJECT, f.subject())
                .set(ALERT_EPISODE.SEVERITY, f.severity().value())
                .set(ALERT_EPISODE.SUMMARY, f.summary())
                .set(ALERT_EPISODE.OPENED_BY, node)
                .onConflictDoNothing()
                .returning()
                .fetchOptional()
                .map(AlertEpisodes::episode));
    }

    /** Closes the episode; false when another node closed it first. */
    boolean close(long id, String node) {
        return writes.write(tx -> tx.update(ALERT_EPISODE)
                .set(ALERT_EPISODE.CLOSED_AT, DSL.currentOffsetDateTime())
                .set(ALERT_EPISODE.CLOSED_BY, node)
                .where(ALERT_EPISODE.ID.eq(id).and(ALERT_EPISODE.CLOSED_AT.isNull()))
                .execute()) == 1;
    }

    /**
     * Counts a reminder when the last one (or the opening) is older than {@code every}; the number of
     * the reminder, or empty when it is not due or another node counted it.
     */
    OptionalInt remind(Episode e, Duration every) {
        Integer n = writes.write(tx -> tx.update(ALERT_EPISODE)
                .set(ALERT_EPISODE.REMINDERS, ALERT_EPISODE.REMINDERS.plus(1))
                .set(ALERT_EPISODE.LAST_REMINDED_AT, DSL.currentOffsetDateTime())
                .where(ALERT_EPISODE.ID.eq(e.id()).and(ALERT_EPISODE.CLOSED_AT.isNull())
                        .and(ALERT_EPISODE.REMINDERS.eq(e.reminders()))
                        .and(DSL.coalesce(ALERT_EPISODE.LAST_REMINDED_AT, ALERT_EPISODE.OPENED_AT)
                                .le(ago(every))))
                .returning(ALERT_EPISODE.REMINDERS)
                .fetchOptional(ALERT_EPISODE.REMINDERS).orElse(null));
        return n == null ? OptionalInt.empty() : OptionalInt.of(n);
    }

    /** The notices of these episodes, by episode, event and channel. */
    Map<String, Notice> notices(Collection<Long> episodeIds) {
        if (episodeIds.isEmpty()) {
            return Map.of();
        }
        Map<String, Notice> out = new HashMap<>();
        writes.write(tx -> tx.selectFrom(ALERT_NOTICE).where(ALERT_NOTICE.EPISODE_ID.in(episodeIds)).fetch())
                .forEach(r -> out.put(noticeKey(r.getEpisodeId(), r.getEvent(), r.getChannel()), new Notice(r.getEpisodeId(),
                        r.getEvent(), r.getChannel(), instant(r.getSentAt()), instant(r.getClaimedAt()), r.getAttempts(),
                        r.getLastError())));
        return out;
    }

    static String noticeKey(long episodeId, String event, String channel) {
        return episodeId + "/" + event + "/" + channel;
    }

    /**
     * Claims the sending of a notice: true when this node should send it now — nobody claimed it, or
     * the last claim failed to send and is older than {@code retryAfter}.
     */
    boolean claim(long episodeId, String event, String channel, String node, Duration retryAfter) {
        return writes.write(tx -> tx.insertInto(ALERT_NOTICE)
                .set(ALERT_NOTICE.EPISODE_ID, episodeId)
                .set(ALERT_NOTICE.EVENT, event)
                .set(ALERT_NOTICE.CHANNEL, channel)
                .set(ALERT_NOTICE.CLAIMED_BY, node)
                .onConflict(ALERT_NOTICE.EPISODE_ID, ALERT_NOTICE.EVENT, ALERT_NOTICE.CHANNEL)
                .doUpdate()
                .set(ALERT_NOTICE.CLAIMED_BY, node)
                .set(ALERT_NOTICE.CLAIMED_AT, DSL.currentOffsetDateTime())
                .set(ALERT_NOTICE.ATTEMPTS, ALERT_NOTICE.ATTEMPTS.plus(1))
                .where(ALERT_NOTICE.SENT_AT.isNull()
                        .and(ALERT_NOTICE.CLAIMED_AT.le(ago(retryAfter))))
                .execute()) == 1;
    }

    void sent(long episodeId, String event, String channel) {
        writes.run(tx -> tx.update(ALERT_NOTICE).set(ALERT_NOTICE.SENT_AT, DSL.currentOffsetDateTime())
                .set(ALERT_NOTICE.LAST_ERROR, (String) null)
                .where(ALERT_NOTICE.EPISODE_ID.eq(episodeId).and(ALERT_NOTICE.EVENT.eq(event)).and(ALERT_NOTICE.CHANNEL.eq(channel)))
                .execute());
    }

    void failed(long episodeId, String event, String channel, String error) {
        writes.run(tx -> tx.update(ALERT_NOTICE).set(ALERT_NOTICE.LAST_ERROR, error)
                .where(ALERT_NOTICE.EPISODE_ID.eq(episodeId).and(ALERT_NOTICE.EVENT.eq(event)).and(ALERT_NOTICE.CHANNEL.eq(channel)))
                .execute());
    }

    /** Records that a notice went out while the database was away (so it is not sent again). */
    void sentEarlier(long episodeId, String event, String channel, String node) {
        writes.run(tx -> tx.insertInto(ALERT_NOTICE)
                .set(ALERT_NOTICE.EPISODE_ID, episodeId)
                .set(ALERT_NOTICE.EVENT, event)
                .set(ALERT_NOTICE.CHANNEL, channel)
                .set(ALERT_NOTICE.CLAIMED_BY, node)
                .set(ALERT_NOTICE.SENT_AT, DSL.currentOffsetDateTime())
                .onConflict(ALERT_NOTICE.EPISODE_ID, ALERT_NOTICE.EVENT, ALERT_NOTICE.CHANNEL)
                .doUpdate()
                .set(ALERT_NOTICE.SENT_AT, DSL.coalesce(ALERT_NOTICE.SENT_AT, DSL.currentOffsetDateTime()))
                .execute());
    }

    /** Notes that {@code node} looked at the cluster now. */
    void evaluated(String node) {
        writes.run(tx -> tx.insertInto(WATCH_STATE)
                .set(WATCH_STATE.NODE_ID, node)
                .set(WATCH_STATE.EVALUATED_AT, DSL.currentOffsetDateTime())
                .onConflict(WATCH_STATE.NODE_ID)
                .doUpdate()
                .set(WATCH_STATE.EVALUATED_AT, DSL.currentOffsetDateTime())
                .execute());
    }

    /** How long ago (by the database's clock) any node but {@code node} last looked at the cluster; empty: never. */
    Optional<Duration> sinceOthersEvaluated(String node) {
        Record r = writes.write(tx -> tx.select(DSL.field("extract(epoch from now() - max({0}))", Double.class, WATCH_STATE.EVALUATED_AT))
                .from(WATCH_STATE).where(WATCH_STATE.NODE_ID.ne(node)).fetchOne());
        return r == null || r.get(0) == null ? Optional.empty()
                : Optional.of(Duration.ofMillis(Math.max(0, Math.round(r.get(0, Double.class) * 1000))));
    }

    /** The open stalls for the staff banner: a read, from a standby during a failover. */
    List<OpenStall> openStalls(int limit) {
        var alerted = DSL.select(DSL.min(ALERT_NOTICE.SENT_AT)).from(ALERT_NOTICE)
                .where(ALERT_NOTICE.EPISODE_ID.eq(ALERT_EPISODE.ID).and(ALERT_NOTICE.EVENT.eq(OPEN)));
        return db.read(dsl -> dsl.select(ALERT_EPISODE.SUMMARY, ALERT_EPISODE.OPENED_AT, DSL.field(alerted).as("alerted_at"))
                .from(ALERT_EPISODE)
                .where(ALERT_EPISODE.CLOSED_AT.isNull().and(ALERT_EPISODE.SEVERITY.eq(Severity.STALL.value())))
                .orderBy(ALERT_EPISODE.OPENED_AT).limit(limit)
                .fetch(r -> new OpenStall(r.value1(), instant(r.value2()), instant(r.get("alerted_at", OffsetDateTime.class)))))
                .value();
    }

    /** The database's now minus {@code d} (whole seconds), bound. */
    private static Field<OffsetDateTime> ago(Duration d) {
        return DSL.field("now() - {0} * interval '1 second'", OffsetDateTime.class, DSL.val(d.toSeconds()));
    }

    private static Episode episode(dev.ticketd.db.generated.tables.records.AlertEpisodeRecord r) {
        return new Episode(r.getId(), r.getRule(), r.getSubject(), Severity.of(r.getSeverity()), r.getSummary(),
                instant(r.getOpenedAt()), r.getReminders(), instant(r.getLastRemindedAt()), instant(r.getClosedAt()));
    }

    private static Instant instant(OffsetDateTime t) {
        return t == null ? null : t.toInstant();
    }
}
