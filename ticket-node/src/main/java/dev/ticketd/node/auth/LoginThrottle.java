package dev.ticketd.node.auth;

import dev.ticketd.db.Transactions;
import dev.ticketd.db.generated.tables.records.LoginThrottleRecord;
import dev.ticketd.desk.Actor;
import dev.ticketd.desk.Audit;
import dev.ticketd.desk.AuditEvent;
import org.jooq.DSLContext;
import org.jooq.impl.DSL;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

import static dev.ticketd.db.generated.Tables.LOGIN_THROTTLE;

/**
 * Slows down password guessing, per account (the normalised email, whether or not it exists) and
 * per client address, with the counts in PostgreSQL so that every node behind the load balancer
 * sees the same ones.
 *
 * <p>Each attempt is admitted ({@link #admit}) before its password is checked, in one transaction
 * that locks the account's and the address's rows and counts the attempt. So attempts sent in
 * parallel are counted one after the other, and no burst gets more than the limit through. After
 * {@link Policy#accountLimit()} failures of one account (or {@link Policy#addressLimit()} from one
 * address) within {@link Policy#window()}, further attempts are refused for
 * {@link Policy#firstLockout()}; every further lockout in a row lasts twice as long as the one
 * before, up to {@link Policy#maxLockout()}. A refused attempt does not check the password at all.
 * A successful login ({@link #succeeded}) resets its account and takes its own attempt off the
 * address's count (not more: a guesser with one valid login must not reset the address between
 * guesses). Rows untouched for {@link Policy#keepFor()} are deleted whenever an attempt is
 * admitted, which keeps the table bounded and forgets old lockouts.
 *
 * <p>Every failure and every lockout is written to the audit log. Thread-safe.
 */
public final class LoginThrottle {

    /**
     * @param accountLimit unsuccessful attempts of one account within the window before it is locked
     * @param addressLimit unsuccessful attempts from one client address within the window before it
     *                     is locked (higher: several staff may share an address)
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

    private final Transactions writes;
    private final Audit audit;
    private final Clock clock;
    private final Policy policy;

    public LoginThrottle(Transactions writes, Audit audit, Clock clock, Policy policy) {
        this.writes = writes;
        this.audit = audit;
        this.clock = clock;
        this.policy = policy;
    }

    /**
     * Counts an attempt for this email from this address, or refuses it (empty: go on and check
     * the password, then call {@link #failed} or {@link #succeeded}). A replay after a lost commit
     * counts the attempt twice: it errs on the safe side.
     */
    public Optional<Refusal> admit(String email, String address) {
        OffsetDateTime now = now();
        String shownEmail = shown(email);
        return writes.write(tx -> {
            tx.deleteFrom(LOGIN_THROTTLE).where(LOGIN_THROTTLE.UPDATED_AT.lt(now.minus(policy.keepFor()))).execute();
            // always the account's row first, then the address's: two attempts never wait for each other in a circle
            LoginThrottleRecord account = locked(tx, now, accountKey(email));
            LoginThrottleRecord from = locked(tx, now, addressKey(address));
            OffsetDateTime lockedUntil = later(account.getLockedUntil(), from.getLockedUntil());
            if (lockedUntil != null && lockedUntil.isAfter(now)) {
                return Optional.of(new Refusal(Duration.between(now, lockedUntil)));
            }
            // reached only by attempts admitted in parallel: the failure that reached the limit
            // has not been reported yet, so this attempt starts the lockout
            Duration refused = null;
            if (account.getFailures() >= policy.accountLimit()) {
                refused = lockOut(tx, now, account, "account", shownEmail, address);
            }
            if (from.getFailures() >= policy.addressLimit()) {
                Duration d = lockOut(tx, now, from, "address", shownEmail, address);
                refused = refused == null || d.compareTo(refused) > 0 ? d : refused;
            }
            if (refused != null) {
                return Optional.of(new Refusal(refused));
            }
            for (LoginThrottleRecord row : new LoginThrottleRecord[] {account, from}) {
                row.setFailures(row.getFailures() + 1);
                row.setUpdatedAt(now);
                row.update();
            }
            return Optional.empty();
        });
    }

    /**
     * The admitted attempt had a wrong password (or an unknown email, or a disabled account). It
     * counted already; this audits it, and the failure that reaches a limit starts the lockout.
     */
    public void failed(String email, String address) {
        OffsetDateTime now = now();
        String shownEmail = shown(email);
        writes.run(tx -> {
            audit.record(tx, actor(address), null, new AuditEvent.LoginFailed(shownEmail, address));
            LoginThrottleRecord account = locked(tx, now, accountKey(email));
            LoginThrottleRecord from = locked(tx, now, addressKey(address));
            if (account.getFailures() >= policy.accountLimit() && !lockedAt(account, now)) {
                lockOut(tx, now, account, "account", shownEmail, address);
            }
            if (from.getFailures() >= policy.addressLimit() && !lockedAt(from, now)) {
                lockOut(tx, now, from, "address", shownEmail, address);
            }
        });
    }

    private static boolean lockedAt(LoginThrottleRecord row, OffsetDateTime now) {
        return row.getLockedUntil() != null && row.getLockedUntil().isAfter(now);
    }

    /** The admitted attempt logged in: the account starts afresh, and the address's count loses this attempt. */
    public void succeeded(String email, String address) {
        writes.run(tx -> {
            tx.deleteFrom(LOGIN_THROTTLE).where(LOGIN_THROTTLE.KEY.eq(accountKey(email))).execute();
            tx.update(LOGIN_THROTTLE)
                    .set(LOGIN_THROTTLE.FAILURES, DSL.greatest(LOGIN_THROTTLE.FAILURES.minus(1), DSL.inline(0)))
                    .where(LOGIN_THROTTLE.KEY.eq(addressKey(address)))
                    .execute();
        });
    }

    /** The key's row, created if need be and locked for this transaction; its count restarted when its window is over. */
    private LoginThrottleRecord locked(DSLContext tx, OffsetDateTime now, String key) {
        tx.insertInto(LOGIN_THROTTLE)
                .set(LOGIN_THROTTLE.KEY, key)
                .set(LOGIN_THROTTLE.FAILURES, 0)
                .set(LOGIN_THROTTLE.WINDOW_STARTED_AT, now)
                .set(LOGIN_THROTTLE.LOCKOUTS, 0)
                .set(LOGIN_THROTTLE.UPDATED_AT, now)
                .onConflictDoNothing()
                .execute();
        LoginThrottleRecord row = tx.selectFrom(LOGIN_THROTTLE).where(LOGIN_THROTTLE.KEY.eq(key)).forUpdate().fetchSingle();
        if (!row.getWindowStartedAt().isAfter(now.minus(policy.window()))) {
            row.setFailures(0);
            row.setWindowStartedAt(now);
        }
        return row;
    }

    /** Starts the next lockout of this row; its length. */
    private Duration lockOut(DSLContext tx, OffsetDateTime now, LoginThrottleRecord row, String scope, String email, String address) {
        int number = row.getLockouts() + 1;
        Duration length = policy.lockout(number);
        row.setLockouts(number);
        row.setLockedUntil(now.plus(length));
        row.setFailures(0);
        row.setWindowStartedAt(now);
        row.setUpdatedAt(now);
        row.update();
        audit.record(tx, actor(address), null, new AuditEvent.LoginLockedOut(scope, email, address, length.toSeconds(), number));
        log.warn("login locked out scope={} email={} ip={} seconds={} lockout={}", scope, email, address, length.toSeconds(), number);
        return length;
    }

    private static OffsetDateTime later(OffsetDateTime a, OffsetDateTime b) {
        if (a == null) {
            return b;
        }
        return b == null || a.isAfter(b) ? a : b;
    }

    private static Actor actor(String address) {
        return new Actor("address:" + address);
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
