package dev.ticketd.node.auth;

import dev.ticketd.db.Database;
import dev.ticketd.db.Read;
import dev.ticketd.db.Transactions;
import org.jooq.DSLContext;
import org.jooq.Record;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Optional;

import static dev.ticketd.db.generated.Tables.STAFF_USER;
import static dev.ticketd.db.generated.Tables.WEB_SESSION;

/**
 * Staff browser sessions, kept in PostgreSQL so that any node serves any staff request. The
 * session token lives only in the browser's cookie; the table holds its SHA-256 and the session's
 * CSRF token.
 *
 * <p>A session ends at the first of: its absolute expiry ({@code ttl} after login), {@code idleTimeout}
 * without a request, logout, a password change or the deactivation of its user (those two delete
 * the user's sessions, see {@link StaffAccounts}).
 *
 * <p>Checking a session is a read, served by a standby while the primary of a replicated database is
 * out of reach, so staff stay logged in during a failover. Its "last seen" time is written at most
 * once per {@link #touchInterval()} per session, as one conditional update that is not retried
 * and not tried at all while reads come from a standby: when it fails (a failover) the request
 * goes on, and the session merely looks idle a little longer than it was. The idle check therefore errs by at most one touch interval.
 */
public final class WebSessions {

    /** A session as just created: the token goes into the cookie and nowhere else. */
    public record NewSession(String token, String csrfToken) {
        @Override
        public String toString() {
            return "NewSession[secret]";
        }
    }

    /** A live session of an active user. */
    public record Session(String tokenSha256, StaffUser user, String csrfToken) {
    }

    private static final Logger log = LoggerFactory.getLogger(WebSessions.class);

    private final Database db;
    private final Transactions writes;
    private final Clock clock;
    private final Duration ttl;
    private final Duration idleTimeout;
    private final Duration touchInterval;

    public WebSessions(Database db, Clock clock, Duration ttl, Duration idleTimeout) {
        this(db, db.transactions(), clock, ttl, idleTimeout);
    }

    /** @param writes transactions with the retry budget of a staff request */
    public WebSessions(Database db, Transactions writes, Clock clock, Duration ttl, Duration idleTimeout) {
        if (ttl.isNegative() || ttl.isZero()) {
            throw new IllegalArgumentException("session ttl must be positive, was " + ttl);
        }
        if (idleTimeout.isNegative() || idleTimeout.isZero()) {
            throw new IllegalArgumentException("session idle timeout must be positive, was " + idleTimeout);
        }
        this.db = db;
        this.writes = writes;
        this.clock = clock;
        this.ttl = ttl;
        this.idleTimeout = idleTimeout;
        // a quarter of the idle timeout at most, so a session in use never looks idle
        this.touchInterval = min(MAX_TOUCH_INTERVAL, idleTimeout.dividedBy(4));
    }

    /** How often a session's "last seen" time is written at most. */
    static final Duration MAX_TOUCH_INTERVAL = Duration.ofMinutes(1);

    public Duration ttl() {
        return ttl;
    }

    public Duration idleTimeout() {
        return idleTimeout;
    }

    Duration touchInterval() {
        return touchInterval;
    }

    public NewSession create(long userId) {
        String token = Secrets.newToken();
        String csrf = Secrets.newToken();
        OffsetDateTime now = now();
        // Replayed after a lost commit, this stores the same token twice: the second insert fails on
        // the token's primary key. Nothing else can happen (a fresh random token is never taken), so
        // a duplicate key here means the first attempt did commit, and the login stands.
        writes.run(tx -> {
            tx.insertInto(WEB_SESSION)
                    .set(WEB_SESSION.TOKEN_SHA256, Secrets.sha256Hex(token))
                    .set(WEB_SESSION.USER_ID, userId)
                    .set(WEB_SESSION.CSRF_TOKEN, csrf)
                    .set(WEB_SESSION.CREATED_AT, now)
                    .set(WEB_SESSION.EXPIRES_AT, now.plus(ttl))
                    .set(WEB_SESSION.LAST_SEEN_AT, now)
                    .onConflictDoNothing()
                    .execute();
            // keeps the table to live sessions (and those of users who never log in again)
            deleteEnded(tx, userId, now);
        });
        return new NewSession(token, csrf);
    }

    /** The unexpired, not idle session of an active user for this cookie value, or empty. */
    public Optional<Session> find(String token) {
        if (token == null || token.isEmpty() || token.length() > 200) {
            return Optional.empty();
        }
        String tokenSha = Secrets.sha256Hex(token);
        OffsetDateTime now = now();
        Read<Record> read = db.read(dsl -> dsl
                .select(WEB_SESSION.TOKEN_SHA256, WEB_SESSION.CSRF_TOKEN, WEB_SESSION.LAST_SEEN_AT,
                        STAFF_USER.ID, STAFF_USER.EMAIL, STAFF_USER.DISPLAY_NAME, STAFF_USER.ROLE)
                .from(WEB_SESSION).join(STAFF_USER).on(STAFF_USER.ID.eq(WEB_SESSION.USER_ID))
                .where(WEB_SESSION.TOKEN_SHA256.eq(tokenSha))
                .and(WEB_SESSION.EXPIRES_AT.gt(now))
                .and(WEB_SESSION.LAST_SEEN_AT.gt(now.minus(idleTimeout)))
                .and(STAFF_USER.ACTIVE.isTrue())
                .fetchOne());
        Record row = read.value();
        if (row == null) {
            return Optional.empty();
        }
        // from a standby the primary is out of reach: trying to write would only make the page wait
        if (!read.fromStandby() && !row.get(WEB_SESSION.LAST_SEEN_AT).isAfter(now.minus(touchInterval))) {
            touch(tokenSha, now);
        }
        StaffUser user = new StaffUser(row.get(STAFF_USER.ID), row.get(STAFF_USER.EMAIL),
                row.get(STAFF_USER.DISPLAY_NAME), Role.fromDb(row.get(STAFF_USER.ROLE)));
        return Optional.of(new Session(row.get(WEB_SESSION.TOKEN_SHA256), user, row.get(WEB_SESSION.CSRF_TOKEN)));
    }

    /**
     * Ends a session on every node; also sweeps this user's expired and idle sessions. Durable, and retried
     * while the database fails over like every write: a logout that is not confirmed must not look
     * done. Deleting again is a replay that changes nothing.
     */
    public void delete(Session session) {
        OffsetDateTime now = now();
        writes.run(tx -> {
            tx.deleteFrom(WEB_SESSION).where(WEB_SESSION.TOKEN_SHA256.eq(session.tokenSha256())).execute();
            deleteEnded(tx, session.user().id(), now);
        });
    }

    /**
     * Marks the session as used now. Conditional, so that of several nodes serving one session at
     * once only the first writes; not retried and never failing the request (see the class comment).
     */
    private void touch(String tokenSha, OffsetDateTime now) {
        try {
            db.dsl().update(WEB_SESSION)
                    .set(WEB_SESSION.LAST_SEEN_AT, now)
                    .where(WEB_SESSION.TOKEN_SHA256.eq(tokenSha))
                    .and(WEB_SESSION.LAST_SEEN_AT.le(now.minus(touchInterval)))
                    .execute();
        } catch (RuntimeException e) {
            log.warn("session last-seen not updated (the session stays valid) error={}", e.toString());
        }
    }

    private void deleteEnded(DSLContext tx, long userId, OffsetDateTime now) {
        tx.deleteFrom(WEB_SESSION)
                .where(WEB_SESSION.USER_ID.eq(userId))
                .and(WEB_SESSION.EXPIRES_AT.le(now).or(WEB_SESSION.LAST_SEEN_AT.le(now.minus(idleTimeout))))
                .execute();
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    private OffsetDateTime now() {
        return OffsetDateTime.ofInstant(clock.instant(), ZoneOffset.UTC);
    }
}
