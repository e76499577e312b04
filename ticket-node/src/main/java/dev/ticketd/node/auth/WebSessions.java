package dev.ticketd.node.auth;

import dev.ticketd.db.Database;
import dev.ticketd.db.Transactions;
import org.jooq.Record;

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
 * <p>Checking a session is a pure read (there is no "last seen" update): it is served by a standby
 * while the primary of a replicated database is out of reach, so staff stay logged in during a
 * failover. Only logging in and out write.
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

    private final Database db;
    private final Transactions writes;
    private final Clock clock;
    private final Duration ttl;

    public WebSessions(Database db, Clock clock, Duration ttl) {
        this(db, db.transactions(), clock, ttl);
    }

    /** @param writes transactions with the retry budget of a staff request */
    public WebSessions(Database db, Transactions writes, Clock clock, Duration ttl) {
        if (ttl.isNegative() || ttl.isZero()) {
            throw new IllegalArgumentException("session ttl must be positive, was " + ttl);
        }
        this.db = db;
        this.writes = writes;
        this.clock = clock;
        this.ttl = ttl;
    }

    public Duration ttl() {
        return ttl;
    }

    public NewSession create(long userId) {
        String token = Secrets.newToken();
        String csrf = Secrets.newToken();
        OffsetDateTime now = now();
        // Replayed after a lost commit, this stores the same token twice: the second insert fails on
        // the token's primary key. Nothing else can happen (a fresh random token is never taken), so
        // a duplicate key here means the first attempt did commit, and the login stands.
        writes.run(tx -> tx.insertInto(WEB_SESSION)
                .set(WEB_SESSION.TOKEN_SHA256, Secrets.sha256Hex(token))
                .set(WEB_SESSION.USER_ID, userId)
                .set(WEB_SESSION.CSRF_TOKEN, csrf)
                .set(WEB_SESSION.CREATED_AT, now)
                .set(WEB_SESSION.EXPIRES_AT, now.plus(ttl))
                .onConflictDoNothing()
                .execute());
        return new NewSession(token, csrf);
    }

    /** The unexpired session of an active user for this cookie value, or empty. */
    public Optional<Session> find(String token) {
        if (token == null || token.isEmpty() || token.length() > 200) {
            return Optional.empty();
        }
        String tokenSha = Secrets.sha256Hex(token);
        OffsetDateTime now = now();
        Record row = db.read(dsl -> dsl
                .select(WEB_SESSION.TOKEN_SHA256, WEB_SESSION.CSRF_TOKEN,
                        STAFF_USER.ID, STAFF_USER.EMAIL, STAFF_USER.DISPLAY_NAME, STAFF_USER.ROLE)
                .from(WEB_SESSION).join(STAFF_USER).on(STAFF_USER.ID.eq(WEB_SESSION.USER_ID))
                .where(WEB_SESSION.TOKEN_SHA256.eq(tokenSha))
                .and(WEB_SESSION.EXPIRES_AT.gt(now))
                .and(STAFF_USER.ACTIVE.isTrue())
                .fetchOne()).value();
        if (row == null) {
            return Optional.empty();
        }
        StaffUser user = new StaffUser(row.get(STAFF_USER.ID), row.get(STAFF_USER.EMAIL),
                row.get(STAFF_USER.DISPLAY_NAME), Role.fromDb(row.get(STAFF_USER.ROLE)));
        return Optional.of(new Session(row.get(WEB_SESSION.TOKEN_SHA256), user, row.get(WEB_SESSION.CSRF_TOKEN)));
    }

    /**
     * Ends a session on every node; also sweeps this user's expired sessions. Durable, and retried
     * while the database fails over like every write: a logout that is not confirmed must not look
     * done. Deleting again is a replay that changes nothing.
     */
    public void delete(Session session) {
        OffsetDateTime now = now();
        writes.run(tx -> {
            tx.deleteFrom(WEB_SESSION).where(WEB_SESSION.TOKEN_SHA256.eq(session.tokenSha256())).execute();
            tx.deleteFrom(WEB_SESSION)
                    .where(WEB_SESSION.USER_ID.eq(session.user().id()))
                    .and(WEB_SESSION.EXPIRES_AT.le(now))
                    .execute();
        });
    }

    private OffsetDateTime now() {
        return OffsetDateTime.ofInstant(clock.instant(), ZoneOffset.UTC);
    }
}
