package dev.ticketd.node.auth;

import dev.ticketd.db.Database;
import dev.ticketd.db.Transactions;
import org.jooq.Record;
import org.jooq.impl.DSL;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

import static dev.ticketd.db.generated.Tables.API_TOKEN;
import static dev.ticketd.db.generated.Tables.STAFF_USER;

/**
 * Bearer tokens of the JSON API: made here (never chosen by a person), shown once, then checked
 * on every API call.
 *
 * <p>A token is {@code tkd_<lookup id>_<secret>}: a public lookup id of 64 random bits (16 hex
 * digits) that finds the row through a unique index, and a secret of 256 bits from
 * {@link java.security.SecureRandom}. The row holds a random per-token salt and
 * {@code SHA-256(salt || secret)}, compared in constant time.
 *
 * <p>Why a per-token salt rather than an HMAC with a per-install key: the key would be one more
 * secret to hand to every node and to the CLI, to keep in step and to rotate, and losing it would
 * void every token. A key buys nothing here anyway: the secret has 256 bits of entropy, so a
 * stolen table cannot be brute-forced with a fast hash, and the salt keeps two rows from ever
 * sharing a digest. Looking the row up by its id (not by the digest) keeps the comparison of
 * digests out of the database's index.
 *
 * <p>Expiry ({@code expires_at}, optional) and revocation are checked by {@link #authenticate},
 * which is a pure read: the API keeps authenticating from a standby during a failover.
 */
public final class ApiTokens {

    /** How long a token lives unless its creator says otherwise. */
    public static final Duration DEFAULT_LIFETIME = Duration.ofDays(90);

    static final String PREFIX = "tkd_";
    private static final Pattern FORMAT = Pattern.compile("tkd_([0-9a-f]{16})_([A-Za-z0-9_-]{43})");
    private static final Logger log = LoggerFactory.getLogger(ApiTokens.class);

    /** A token as just made: {@link #token()} is shown to its owner once and stored nowhere. */
    public record NewToken(long id, String token, OffsetDateTime expiresAt) {
        @Override
        public String toString() {
            return "NewToken[id=" + id + ", expiresAt=" + expiresAt + ", secret]";
        }
    }

    /** What an operator may see of a token: never the token itself. */
    public record TokenInfo(long id, String name, OffsetDateTime createdAt, OffsetDateTime expiresAt, OffsetDateTime revokedAt) {
        public boolean usableAt(OffsetDateTime now) {
            return revokedAt == null && (expiresAt == null || expiresAt.isAfter(now));
        }
    }

    private final Database db;
    private final Transactions writes;
    private final Clock clock;

    public ApiTokens(Database db, Clock clock) {
        this(db, db.transactions(), clock);
    }

    public ApiTokens(Database db, Transactions writes, Clock clock) {
        this.db = db;
        this.writes = writes;
        this.clock = clock;
    }

    /**
     * Makes a token for the active or inactive user with this email.
     *
     * @param lifetime how long it is valid; {@code null} for a token that never expires
     */
    public NewToken create(String email, String name, Duration lifetime) {
        String normalized = StaffAccounts.normalizeEmail(email);
        if (lifetime != null && (lifetime.isNegative() || lifetime.isZero())) {
            throw new IllegalArgumentException("a token's lifetime must be positive, was " + lifetime);
        }
        String tokenName = name == null ? "" : name.strip();
        String lookupId = Secrets.newHex(8);
        String secret = Secrets.newToken();
        String salt = Secrets.newHex(16);
        String digest = digest(salt, secret);
        OffsetDateTime now = now();
        OffsetDateTime expiresAt = lifetime == null ? null : now.plus(lifetime);
        long id = writes.write(tx -> {
            Long userId = tx.select(STAFF_USER.ID).from(STAFF_USER)
                    .where(STAFF_USER.EMAIL.eq(normalized))
                    .fetchOptional(STAFF_USER.ID)
                    .orElseThrow(() -> new IllegalArgumentException("no staff user with email " + normalized));
            // A replay after a lost commit finds the row it stored itself (same random lookup id and
            // digest) and "updates" it, so it waits for synchronous replication again and returns its id.
            return tx.insertInto(API_TOKEN)
                    .set(API_TOKEN.LOOKUP_ID, lookupId)
                    .set(API_TOKEN.SALT, salt)
                    .set(API_TOKEN.SECRET_SHA256, digest)
                    .set(API_TOKEN.USER_ID, userId)
                    .set(API_TOKEN.NAME, tokenName)
                    .set(API_TOKEN.CREATED_AT, now)
                    .set(API_TOKEN.EXPIRES_AT, expiresAt)
                    .onConflict(API_TOKEN.LOOKUP_ID).doUpdate()
                    .set(API_TOKEN.NAME, tokenName)
                    .where(API_TOKEN.SECRET_SHA256.eq(digest))
                    .returning(API_TOKEN.ID)
                    .fetchOptional(API_TOKEN.ID)
                    .orElseThrow(() -> new IllegalStateException("a random token id was taken; create the token again"));
        });
        log.info("api token created token={} email={} name={} expiresAt={}", id, normalized, tokenName, expiresAt);
        return new NewToken(id, PREFIX + lookupId + "_" + secret, expiresAt);
    }

    /** Revokes one of this user's tokens; false when the user has no such token. Revoking twice changes nothing. */
    public boolean revoke(String email, long tokenId) {
        String normalized = StaffAccounts.normalizeEmail(email);
        OffsetDateTime now = now();
        int found = writes.write(tx -> tx.update(API_TOKEN)
                .set(API_TOKEN.REVOKED_AT, DSL.coalesce(API_TOKEN.REVOKED_AT, DSL.val(now)))
                .where(API_TOKEN.ID.eq(tokenId))
                .and(API_TOKEN.USER_ID.in(tx.select(STAFF_USER.ID).from(STAFF_USER).where(STAFF_USER.EMAIL.eq(normalized))))
                .execute());
        if (found > 0) {
            log.info("api token revoked token={} email={}", tokenId, normalized);
        }
        return found > 0;
    }

    /** This user's tokens, newest first, revoked and expired ones included. */
    public List<TokenInfo> list(String email) {
        String normalized = StaffAccounts.normalizeEmail(email);
        return db.dsl().select(API_TOKEN.ID, API_TOKEN.NAME, API_TOKEN.CREATED_AT, API_TOKEN.EXPIRES_AT, API_TOKEN.REVOKED_AT)
                .from(API_TOKEN).join(STAFF_USER).on(STAFF_USER.ID.eq(API_TOKEN.USER_ID))
                .where(STAFF_USER.EMAIL.eq(normalized))
                .orderBy(API_TOKEN.ID.desc())
                .fetch(r -> new TokenInfo(r.get(API_TOKEN.ID), r.get(API_TOKEN.NAME), r.get(API_TOKEN.CREATED_AT),
                        r.get(API_TOKEN.EXPIRES_AT), r.get(API_TOKEN.REVOKED_AT)));
    }

    /** The active user owning this unrevoked, unexpired token, or empty. */
    public Optional<StaffUser> authenticate(String token) {
        if (token == null || token.length() > 100) {
            return Optional.empty();
        }
        var m = FORMAT.matcher(token);
        if (!m.matches()) {
            return Optional.empty();
        }
        String lookupId = m.group(1);
        String secret = m.group(2);
        OffsetDateTime now = now();
        // a pure read, so the API keeps authenticating from a standby during a failover
        Record row = db.read(dsl -> dsl
                .select(API_TOKEN.SALT, API_TOKEN.SECRET_SHA256,
                        STAFF_USER.ID, STAFF_USER.EMAIL, STAFF_USER.DISPLAY_NAME, STAFF_USER.ROLE)
                .from(API_TOKEN).join(STAFF_USER).on(STAFF_USER.ID.eq(API_TOKEN.USER_ID))
                .where(API_TOKEN.LOOKUP_ID.eq(lookupId))
                .and(API_TOKEN.REVOKED_AT.isNull())
                .and(API_TOKEN.EXPIRES_AT.isNull().or(API_TOKEN.EXPIRES_AT.gt(now)))
                .and(STAFF_USER.ACTIVE.isTrue())
                .fetchOne()).value();
        if (row == null || !Secrets.constantTimeEquals(digest(row.get(API_TOKEN.SALT), secret), row.get(API_TOKEN.SECRET_SHA256))) {
            return Optional.empty();
        }
        return Optional.of(new StaffUser(row.get(STAFF_USER.ID), row.get(STAFF_USER.EMAIL),
                row.get(STAFF_USER.DISPLAY_NAME), Role.fromDb(row.get(STAFF_USER.ROLE))));
    }

    private static String digest(String salt, String secret) {
        return Secrets.sha256Hex(salt + secret);
    }

    private OffsetDateTime now() {
        return OffsetDateTime.ofInstant(clock.instant(), ZoneOffset.UTC);
    }
}
