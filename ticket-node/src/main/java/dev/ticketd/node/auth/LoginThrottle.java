package dev.ticketd.node.auth;

import dev.ticketd.db.Database;
import dev.ticketd.db.Transactions;
import dev.ticketd.desk.Actor;
import dev.ticketd.desk.Audit;
import dev.ticketd.desk.AuditEvent;
import dev.ticketd.db.generated.tables.records.LoginThrottleRecord;
import org.jooq.DSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

import static dev.ticketd.db.generated.Tables.LOGIN_THROTTLE;

/**
 * Slows down password guessing, per account (the normalised email, whether or not it exists) and
 * per client address, with the counts in PostgreSQL so that every node behind the load balancer
 * sees the same ones.
 *
 * <p>After {@link Policy#accountLimit()} failures of one account (or {@link Policy#addressLimit()}
 * from one address) within {@link Policy#window()}, further attempts are refused for
 * {@link Policy#firstLockout()}, and every further lockout in a row lasts twice as long as the one
 * before, up to {@link Policy#maxLockout()}. A refused attempt does not check the password at all.
 * A successful login resets its account (not its address: a guesser with one valid login could
 * otherwise reset the address between guesses). Rows untouched for {@link Policy#keepFor()} are
 * deleted on the next failure, which keeps the table bounded and forgets old lockouts.
 *
 * <p>Every failure and every lockout is written to the audit log in the same transaction as the count.
 * Thread-safe; each failure is one transaction that locks the rows it counts.
 */
public final class LoginThrottle {

    /**
     * @param accountLimit failures of one account within the window that lock it
     * @param addressLimit failures from one client address within the window that lock it (higher:
     *                     several staff may share an address)
     */
    public record Policy(int accountLimit, int addressLimit, Duration window, Duration firstLockout, Duration maxLockout,
                         Duration keepFor) {

        public static final Policy DEFAULT = new Policy(5, 20, Duration.ofMinutes(15), Duration.ofMinutes(1),
                Duration.ofHours(1), Duration.ofDays(1));

        public Policy {
            if (accountLimit < 1 || addressLimit < 1) {
                throw new IllegalArgumentException("login limits must be at least 1");
            }
            Objects.requireNonNull(window, "window");
            Objects.requireNonNull(firstLockout, "firstLockout");
            Objects.requireNonNull(maxLockout, "maxLockout");
            Objects.requireNonNull(keepFor, "keepFor");
        }

        /** The length of the {@code n}-th lockout in a row (1-based). */
        Duration lockout(int n) {
            Duration d = firstLockout;
            for (int i = 1; i < n && d.compareTo(maxLockout) < 0; i++) {
                d = d.multipliedBy(2);
            }
            return d.compareTo(maxLockout) < 0 ? d : maxLockout;
        }
    }

    /** An attempt refused unchecked; try again after {@link #retryAfter()}. */
    public record Refusal(Duration retryAfter) {
        /** Whole seconds, rounded up, at least 1. */
        public long seconds() {
            return Math.max(1, (retryAfter.toMillis() + 999) / 1000);
        }
    }

    private static final Logger log = LoggerFactory.getLogger(LoginThrottle.class);
    private static final int MAX_EMAIL_CHARS = 320;

    private final Database db;
    private final Transactions writes;
    private final Audit audit;
    private final Clock clock;
    private final Policy policy;

    public LoginThrottle(Database db, Transactions writes, Audit audit, Clock clock, Policy policy) {
        this.db = db;
        this.writes = writes;
        this.audit = audit;
        this.clock = clock;
        this.policy = policy;
    }

    /** Whether an attempt for this email from this address is refused now; a pure read. */
    public Optional<Refusal> refusal(String email, String address) {
        OffsetDateTime now = now();
        List<OffsetDateTime> until = db.read(dsl -> dsl.select(LOGIN_THROTTLE.LOCKED_UNTIL).from(LOGIN_THROTTLE)
                .where(LOGIN_THROTTLE.KEY.in(accountKey(email), addressKey(address)))
                .and(LOGIN_THROTTLE.LOCKED_UNTIL.gt(now))
                .fetch(LOGIN_THROTTLE.LOCKED_UNTIL)).value();
        return until.stream().max(OffsetDateTime::compareTo).map(u -> new Refusal(Duration.between(now, u)));
    }

    /**
     * Counts a failed attempt against the account and the address, and audits it (and a lockout it
     * causes). A replay after a lost commit counts the failure twice: it errs on the safe side.
     */
    public void recordFailure(String email, String address) {
        OffsetDateTime now = now();
        String shownEmail = shown(email);
        writes.run(tx -> {
            tx.deleteFrom(LOGIN_THROTTLE).where(LOGIN_THROTTLE.UPDATED_AT.lt(now.minus(policy.keepFor()))).execute();
            Actor actor = new Actor("address:" + address);
            audit.record(tx, actor, null, new AuditEvent.LoginFailed(shownEmail, address));
            count(tx, now, accountKey(email), policy.accountLimit())
                    .ifPresent(l -> lockedOut(tx, actor, "account", shownEmail, address, l));
            count(tx, now, addressKey(address), policy.addressLimit())
                    .ifPresent(l -> lockedOut(tx, actor, "address", shownEmail, address, l));
        });
    }

    /** Forgets the failures of this account (not of the address). */
    public void recordSuccess(String email) {
        writes.run(tx -> tx.deleteFrom(LOGIN_THROTTLE).where(LOGIN_THROTTLE.KEY.eq(accountKey(email))).execute());
    }

    private record Lockout(int number, Duration length) {
    }

    /** One more failure for this key; the lockout it starts, if any. Locks the key's row. */
    private Optional<Lockout> count(DSLContext tx, OffsetDateTime now, String key, int limit) {
        tx.insertInto(LOGIN_THROTTLE)
                .set(LOGIN_THROTTLE.KEY, key)
                .set(LOGIN_THROTTLE.FAILURES, 0)
                .set(LOGIN_THROTTLE.WINDOW_STARTED_AT, now)
                .set(LOGIN_THROTTLE.LOCKOUTS, 0)
                .set(LOGIN_THROTTLE.UPDATED_AT, now)
                .onConflictDoNothing()
                .execute();
        LoginThrottleRecord row = tx.selectFrom(LOGIN_THROTTLE).where(LOGIN_THROTTLE.KEY.eq(key)).forUpdate().fetchOne();
        boolean windowOver = !row.getWindowStartedAt().isAfter(now.minus(policy.window()));
        int failures = (windowOver ? 0 : row.getFailures()) + 1;
        row.setUpdatedAt(now);
        if (windowOver) {
            row.setWindowStartedAt(now);
        }
        Optional<Lockout> lockout = Optional.empty();
        if (failures >= limit) {
            int number = row.getLockouts() + 1;
            Duration length = policy.lockout(number);
            row.setLockouts(number);
            row.setLockedUntil(now.plus(length));
            row.setWindowStartedAt(now);
            failures = 0;
            lockout = Optional.of(new Lockout(number, length));
        }
        row.setFailures(failures);
        row.update();
        return lockout;
    }

    private void lockedOut(DSLContext tx, Actor actor, String scope, String email, String address, Lockout lockout) {
        audit.record(tx, actor, null, new AuditEvent.LoginLockedOut(scope, email, address, lockout.length().toSeconds(),
                lockout.number()));
        log.warn("login locked out scope={} email={} ip={} seconds={} lockout={}", scope, email, address,
                lockout.length().toSeconds(), lockout.number());
    }

    private static String accountKey(String email) {
        return "account:" + shown(email);
    }

    private static String addressKey(String address) {
        return "address:" + (address == null ? "" : address);
    }

    /** The email as the throttle counts it: trimmed, lower-cased and cut to the longest an email may be. */
    private static String shown(String email) {
        String e = email == null ? "" : email.strip().toLowerCase(Locale.ROOT);
        return e.length() > MAX_EMAIL_CHARS ? e.substring(0, MAX_EMAIL_CHARS) : e;
    }

    private OffsetDateTime now() {
        return OffsetDateTime.ofInstant(clock.instant(), ZoneOffset.UTC);
    }
}
