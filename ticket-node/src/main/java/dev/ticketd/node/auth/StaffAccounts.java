package dev.ticketd.node.auth;

import dev.ticketd.db.Database;
import dev.ticketd.db.Transactions;
import dev.ticketd.db.generated.tables.records.StaffUserRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.ticketd.desk.GroupAccess;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

import static dev.ticketd.db.generated.Tables.STAFF_USER;
import static dev.ticketd.db.generated.Tables.WEB_SESSION;

/**
 * Staff logins: used by the CLI ({@code ticketd user add}), the demo and the login
 * page. Emails are stored trimmed and lower-cased. Passwords are never logged.
 *
 * <p>Every write goes through {@link Transactions}, as every other write does: it is retried while
 * the database fails over and counts as done only once synchronous replication confirmed its
 * commit. A write may therefore run twice after a commit whose answer was lost; each one below says
 * why its replay changes nothing.
 */
public final class StaffAccounts {

    public static final int MIN_PASSWORD_LENGTH = 8;

    private static final Logger log = LoggerFactory.getLogger(StaffAccounts.class);
    private static final Pattern EMAIL = Pattern.compile("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$");

    private final Database db;
    private final Transactions writes;
    private final PasswordHasher hasher;

    /** A staff user as the admin screens list them: never the password hash. */
    public record Account(long id, String email, String displayName, Role role, boolean active) {
    }

    /** Writes with the database's background retry budget (the CLI and the demo). */
    public StaffAccounts(Database db) {
        this(db, db.transactions(), new PasswordHasher());
    }

    /** Writes with {@code writes}' budget (the web's short one for staff requests). */
    public StaffAccounts(Database db, Transactions writes) {
        this(db, writes, new PasswordHasher());
    }

    StaffAccounts(Database db, Transactions writes, PasswordHasher hasher) {
        this.db = db;
        this.writes = writes;
        this.hasher = hasher;
    }

    /**
     * Creates an active staff user and returns its id. An agent joins the first group with full
     * access, so a new agent of a one-team desk can work at once; see the other overload to choose.
     */
    public long createUser(String email, String displayName, String password, Role role) {
        return createUser(email, displayName, password, role, null);
    }

    /**
     * Creates an active staff user, member of {@code groups} (group name to access; null: the first
     * group with full access, for an agent), and returns its id; one transaction.
     */
    public long createUser(String email, String displayName, String password, Role role, Map<String, GroupAccess> groups) {
        String normalized = normalizeEmail(email);
        checkPassword(password);
        if (role == null) {
            throw new IllegalArgumentException("role is required (agent or admin)");
        }
        String name = displayName == null || displayName.isBlank() ? normalized : displayName.strip();
        String hash = hasher.hash(password);
        // A replay after a lost commit finds the row it stored itself: the hash, salted at random
        // once before the first attempt, is the same, so it "updates" that row (which also makes the
        // replay wait for synchronous replication again) and returns its id. Anyone else's row with
        // this email has another hash and is left alone: the email is taken.
        Long id = writes.write(tx -> {
            Long created = tx.insertInto(STAFF_USER)
                    .set(STAFF_USER.EMAIL, normalized)
                    .set(STAFF_USER.DISPLAY_NAME, name)
                    .set(STAFF_USER.PASSWORD_HASH, hash)
                    .set(STAFF_USER.ROLE, role.dbValue())
                    .onConflict(STAFF_USER.EMAIL).doUpdate()
                    .set(STAFF_USER.PASSWORD_HASH, hash)
                    .where(STAFF_USER.PASSWORD_HASH.eq(hash))
                    .returning(STAFF_USER.ID)
                    .fetchOptional(STAFF_USER.ID)
                    .orElse(null);
            if (created != null) {
                Map<String, GroupAccess> joins = groups != null ? groups : role == Role.AGENT
                        ? StaffGroups.firstGroup(tx).map(g -> Map.of(g, GroupAccess.FULL)).orElse(Map.of()) : Map.of();
                // joining again on a replay sets the same access
                joins.forEach((group, access) -> StaffGroups.join(tx, group, normalized, access));
            }
            return created;
        });
        if (id == null) {
            throw new IllegalArgumentException("a staff user with email " + normalized + " already exists");
        }
        log.info("staff user created user={} email={} role={}", id, normalized, role.dbValue());
        return id;
    }

    /**
     * Sets a new password and ends all of the user's web sessions, in one transaction: whoever
     * knew the old password is logged out everywhere. Setting the same hash again and deleting
     * sessions again is a replay that changes nothing.
     */
    public void setPassword(String email, String password) {
        String normalized = normalizeEmail(email);
        checkPassword(password);
        String hash = hasher.hash(password);
        int ended = writes.write(tx -> {
            Long id = tx.update(STAFF_USER)
                    .set(STAFF_USER.PASSWORD_HASH, hash)
                    .where(STAFF_USER.EMAIL.eq(normalized))
                    .returning(STAFF_USER.ID)
                    .fetchOptional(STAFF_USER.ID)
                    .orElseThrow(() -> new IllegalArgumentException("no staff user with email " + normalized));
            return tx.deleteFrom(WEB_SESSION).where(WEB_SESSION.USER_ID.eq(id)).execute();
        });
        log.info("staff password changed email={} sessionsEnded={}", normalized, ended);
    }

    /**
     * Disables a login and ends all of its web sessions, in one transaction. API tokens stop
     * working as well ({@link ApiTokens} admits active users only) and work again on
     * {@link #activate}. Deactivating twice is a replay that changes nothing.
     */
    public void deactivate(String email) {
        String normalized = normalizeEmail(email);
        int ended = writes.write(tx -> {
            Long id = tx.update(STAFF_USER)
                    .set(STAFF_USER.ACTIVE, false)
                    .where(STAFF_USER.EMAIL.eq(normalized))
                    .returning(STAFF_USER.ID)
                    .fetchOptional(STAFF_USER.ID)
                    .orElseThrow(() -> new IllegalArgumentException("no staff user with email " + normalized));
            return tx.deleteFrom(WEB_SESSION).where(WEB_SESSION.USER_ID.eq(id)).execute();
        });
        log.info("staff user deactivated email={} sessionsEnded={}", normalized, ended);
    }

    /**
     * Changes a user's role. Sessions and tokens read the role on every request, so it applies at
     * once on every node; setting the same role again changes nothing.
     */
    public void setRole(String email, Role role) {
        String normalized = normalizeEmail(email);
        if (role == null) {
            throw new IllegalArgumentException("role is required (agent or admin)");
        }
        int updated = writes.write(tx -> tx.update(STAFF_USER)
                .set(STAFF_USER.ROLE, role.dbValue())
                .where(STAFF_USER.EMAIL.eq(normalized))
                .execute());
        if (updated == 0) {
            throw new IllegalArgumentException("no staff user with email " + normalized);
        }
        log.info("staff role changed email={} role={}", normalized, role.dbValue());
    }

    /** Every staff user, active or not, by display name. */
    public List<Account> list() {
        return db.read(dsl -> dsl.selectFrom(STAFF_USER).orderBy(STAFF_USER.DISPLAY_NAME, STAFF_USER.ID)
                .fetch(StaffAccounts::account)).value();
    }

    /** The staff user with this id, active or not. */
    public Optional<Account> find(long id) {
        return db.read(dsl -> dsl.selectFrom(STAFF_USER).where(STAFF_USER.ID.eq(id)).fetchOptional(StaffAccounts::account)).value();
    }

    private static Account account(StaffUserRecord r) {
        return new Account(r.getId(), r.getEmail(), r.getDisplayName(), Role.fromDb(r.getRole()), Boolean.TRUE.equals(r.getActive()));
    }

    /** Enables a login again; its old sessions stay ended. */
    public void activate(String email) {
        String normalized = normalizeEmail(email);
        int updated = writes.write(tx -> tx.update(STAFF_USER)
                .set(STAFF_USER.ACTIVE, true)
                .where(STAFF_USER.EMAIL.eq(normalized))
                .execute());
        if (updated == 0) {
            throw new IllegalArgumentException("no staff user with email " + normalized);
        }
        log.info("staff user activated email={}", normalized);
    }

    /**
     * The active user with this email and password, or empty. Unknown emails, wrong passwords and
     * inactive users look the same to the caller and take about as long, so a login page cannot
     * be used to find out which emails exist.
     */
    public Optional<StaffUser> authenticate(String email, String password) {
        if (email == null || password == null || password.isEmpty()) {
            return Optional.empty();
        }
        String normalized = email.strip().toLowerCase(Locale.ROOT);
        StaffUserRecord user = db.dsl().selectFrom(STAFF_USER).where(STAFF_USER.EMAIL.eq(normalized)).fetchOne();
        if (user == null) {
            hasher.spendVerificationTime(password);
            return Optional.empty();
        }
        boolean matches = hasher.matches(password, user.getPasswordHash());
        if (!matches || !Boolean.TRUE.equals(user.getActive())) {
            return Optional.empty();
        }
        return Optional.of(new StaffUser(user.getId(), user.getEmail(), user.getDisplayName(), Role.fromDb(user.getRole())));
    }

    static String normalizeEmail(String email) {
        if (email == null || email.isBlank()) {
            throw new IllegalArgumentException("email is required");
        }
        String normalized = email.strip().toLowerCase(Locale.ROOT);
        if (normalized.length() > 320 || !EMAIL.matcher(normalized).matches()) {
            throw new IllegalArgumentException("not a valid email address: " + email.strip());
        }
        return normalized;
    }

    private static void checkPassword(String password) {
        if (password == null || password.length() < MIN_PASSWORD_LENGTH) {
            throw new IllegalArgumentException("a password must be at least " + MIN_PASSWORD_LENGTH + " characters long");
        }
    }
}
