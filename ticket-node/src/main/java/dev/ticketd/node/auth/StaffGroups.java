package dev.ticketd.node.auth;

import dev.ticketd.db.Database;
import dev.ticketd.db.Transactions;
import dev.ticketd.desk.GroupAccess;
import dev.ticketd.desk.InvalidRequestException;
import dev.ticketd.desk.NotFoundException;
import org.jooq.DSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static dev.ticketd.db.generated.Tables.GROUP_MEMBER;
import static dev.ticketd.db.generated.Tables.STAFF_GROUP;
import static dev.ticketd.db.generated.Tables.STAFF_USER;

/**
 * Groups of staff (teams, queues) and who is a member with which access. Tickets belong to a group;
 * an agent sees the tickets of their groups and changes those where their access is full (the rule
 * itself is {@link dev.ticketd.desk.Viewer}). Used by the CLI, the demo and the pages.
 *
 * <p>Writes go through {@link Transactions} and are replay-safe: creating a group or a membership
 * that exists changes nothing.
 */
public final class StaffGroups {

    /** A group as lists show it. */
    public record Group(long id, String name) {
    }

    /** A member of a group. */
    public record Member(long userId, String email, String displayName, GroupAccess access) {
    }

    /** A group an agent is a member of. */
    public record Membership(String group, GroupAccess access) {
    }

    public static final int MAX_NAME_LENGTH = 100;

    private static final Logger log = LoggerFactory.getLogger(StaffGroups.class);

    private final Database db;
    private final Transactions writes;

    public StaffGroups(Database db) {
        this(db, db.transactions());
    }

    public StaffGroups(Database db, Transactions writes) {
        this.db = db;
        this.writes = writes;
    }

    /** Every group, by name. */
    public List<Group> list() {
        return db.read(dsl -> dsl.select(STAFF_GROUP.ID, STAFF_GROUP.NAME).from(STAFF_GROUP).orderBy(STAFF_GROUP.NAME)
                .fetch(r -> new Group(r.get(STAFF_GROUP.ID), r.get(STAFF_GROUP.NAME)))).value();
    }

    /** Creates a group (nothing when it exists) and returns its id. */
    public long create(String name) {
        String clean = checkName(name);
        long id = writes.write(tx -> {
            tx.insertInto(STAFF_GROUP).set(STAFF_GROUP.NAME, clean).onConflict(STAFF_GROUP.NAME).doNothing().execute();
            return tx.select(STAFF_GROUP.ID).from(STAFF_GROUP).where(STAFF_GROUP.NAME.eq(clean)).fetchSingle(STAFF_GROUP.ID);
        });
        log.info("staff group created group={} name={}", id, clean);
        return id;
    }

    /** Makes {@code email} a member of {@code group} with {@code access} (or changes their access). */
    public void setMember(String group, String email, GroupAccess access) {
        writes.write(tx -> {
            join(tx, group, StaffAccounts.normalizeEmail(email), access);
            return null;
        });
        log.info("group member set group={} email={} access={}", group, StaffAccounts.normalizeEmail(email), access.value());
    }

    /**
     * Makes {@code email}'s memberships exactly {@code groups} (name to access), in one transaction:
     * an unknown group changes nothing and fails naming it. A replay sets the same memberships.
     */
    public void setMemberships(String email, Map<String, GroupAccess> groups) {
        String normalized = StaffAccounts.normalizeEmail(email);
        writes.write(tx -> {
            long user = userId(tx, normalized);
            List<Long> kept = new ArrayList<>();
            groups.forEach((group, access) -> {
                kept.add(groupId(tx, group));
                join(tx, group, normalized, access);
            });
            tx.deleteFrom(GROUP_MEMBER).where(GROUP_MEMBER.USER_ID.eq(user)).and(GROUP_MEMBER.GROUP_ID.notIn(kept)).execute();
            return null;
        });
        log.info("group memberships set email={} groups={}", normalized, groups.size());
    }

    /**
     * Makes {@code group}'s members exactly {@code members} (email to access), in one transaction: an
     * unknown email or group changes nothing and fails naming it. A replay sets the same members.
     */
    public void setMembers(String group, Map<String, GroupAccess> members) {
        writes.write(tx -> {
            long groupId = groupId(tx, group);
            List<Long> kept = new ArrayList<>();
            members.forEach((email, access) -> {
                String normalized = StaffAccounts.normalizeEmail(email);
                kept.add(userId(tx, normalized));
                join(tx, group, normalized, access);
            });
            tx.deleteFrom(GROUP_MEMBER).where(GROUP_MEMBER.GROUP_ID.eq(groupId)).and(GROUP_MEMBER.USER_ID.notIn(kept)).execute();
            return null;
        });
        log.info("group members set group={} members={}", group, members.size());
    }

    /** How a group hands out its new tickets: round robin with a cap of unresolved tickets per agent, or not at all (empty). */
    public record RoundRobinSetting(int cap, Duration online) {
    }

    /** The most a cap may be, and the range of the online window (as the schema checks them). */
    public static final int MAX_ROUND_ROBIN_CAP = 10_000;
    public static final Duration MIN_ONLINE = Duration.ofMinutes(1);
    public static final Duration MAX_ONLINE = Duration.ofDays(1);

    /**
     * Turns round-robin assignment of {@code group}'s new tickets on (with {@code setting}) or off
     * (empty). Only tickets opened afterwards are assigned; existing ones keep their owners.
     *
     * @throws InvalidRequestException when the cap or the online window is out of range (naming it)
     */
    public void setRoundRobin(String group, Optional<RoundRobinSetting> setting) {
        setting.ifPresent(s -> {
            if (s.cap() < 1 || s.cap() > MAX_ROUND_ROBIN_CAP) {
                throw new InvalidRequestException("cap: between 1 and " + MAX_ROUND_ROBIN_CAP + " unresolved tickets per agent, was " + s.cap());
            }
            if (s.online().compareTo(MIN_ONLINE) < 0 || s.online().compareTo(MAX_ONLINE) > 0 || s.online().toSecondsPart() != 0) {
                throw new InvalidRequestException("online: whole minutes between 1 minute and 1 day, was " + s.online());
            }
        });
        writes.write(tx -> tx.update(STAFF_GROUP)
                .set(STAFF_GROUP.ROUND_ROBIN_CAP, setting.map(RoundRobinSetting::cap).orElse(null))
                .set(STAFF_GROUP.ROUND_ROBIN_ONLINE_MINUTES, setting.map(s -> (int) s.online().toMinutes()).orElse(10))
                .where(STAFF_GROUP.ID.eq(groupId(tx, group)))
                .execute());
        log.info("group round robin set group={} setting={}", group, setting.map(Object::toString).orElse("off"));
    }

    /** Every group's round-robin setting, by group id, in one read (groups with round robin off are absent). */
    public Map<Long, RoundRobinSetting> roundRobins() {
        return db.read(dsl -> dsl.select(STAFF_GROUP.ID, STAFF_GROUP.ROUND_ROBIN_CAP, STAFF_GROUP.ROUND_ROBIN_ONLINE_MINUTES)
                .from(STAFF_GROUP).where(STAFF_GROUP.ROUND_ROBIN_CAP.isNotNull())
                .fetchMap(r -> r.value1(), r -> new RoundRobinSetting(r.value2(), Duration.ofMinutes(r.value3())))).value();
    }

    /** Ends {@code email}'s membership of {@code group}; nothing when they were no member. */
    public void removeMember(String group, String email) {
        String normalized = StaffAccounts.normalizeEmail(email);
        writes.write(tx -> tx.deleteFrom(GROUP_MEMBER)
                .where(GROUP_MEMBER.GROUP_ID.eq(groupId(tx, group)))
                .and(GROUP_MEMBER.USER_ID.eq(userId(tx, normalized)))
                .execute());
        log.info("group member removed group={} email={}", group, normalized);
    }

    /** The members of a group, by name. */
    public List<Member> members(String group) {
        return db.read(dsl -> dsl.select(STAFF_USER.ID, STAFF_USER.EMAIL, STAFF_USER.DISPLAY_NAME, GROUP_MEMBER.ACCESS)
                .from(GROUP_MEMBER).join(STAFF_USER).on(STAFF_USER.ID.eq(GROUP_MEMBER.USER_ID))
                .where(GROUP_MEMBER.GROUP_ID.eq(groupId(dsl, group)))
                .orderBy(STAFF_USER.DISPLAY_NAME, STAFF_USER.ID)
                .fetch(r -> new Member(r.get(STAFF_USER.ID), r.get(STAFF_USER.EMAIL), r.get(STAFF_USER.DISPLAY_NAME),
                        GroupAccess.of(r.get(GROUP_MEMBER.ACCESS)).orElseThrow()))).value();
    }

    /** The groups {@code userId} is a member of, by name. */
    public List<Membership> groupsOf(long userId) {
        return db.read(dsl -> dsl.select(STAFF_GROUP.NAME, GROUP_MEMBER.ACCESS)
                .from(GROUP_MEMBER).join(STAFF_GROUP).on(STAFF_GROUP.ID.eq(GROUP_MEMBER.GROUP_ID))
                .where(GROUP_MEMBER.USER_ID.eq(userId))
                .orderBy(STAFF_GROUP.NAME)
                .fetch(r -> new Membership(r.get(STAFF_GROUP.NAME), GroupAccess.of(r.get(GROUP_MEMBER.ACCESS)).orElseThrow()))).value();
    }

    /** In the caller's transaction: {@code email} (normalised) joins {@code group} with {@code access}, or gets that access. */
    static void join(DSLContext tx, String group, String email, GroupAccess access) {
        tx.insertInto(GROUP_MEMBER)
                .set(GROUP_MEMBER.GROUP_ID, groupId(tx, group))
                .set(GROUP_MEMBER.USER_ID, userId(tx, email))
                .set(GROUP_MEMBER.ACCESS, access.value())
                .onConflict(GROUP_MEMBER.GROUP_ID, GROUP_MEMBER.USER_ID).doUpdate()
                .set(GROUP_MEMBER.ACCESS, access.value())
                .execute();
    }

    /** The first group: where mailboxes, tickets and agents go when nobody chose one. */
    static Optional<String> firstGroup(DSLContext tx) {
        return tx.select(STAFF_GROUP.NAME).from(STAFF_GROUP).orderBy(STAFF_GROUP.ID).limit(1).fetchOptional(STAFF_GROUP.NAME);
    }

    static long groupId(DSLContext dsl, String group) {
        String name = group == null ? "" : group.strip();
        return dsl.select(STAFF_GROUP.ID).from(STAFF_GROUP).where(STAFF_GROUP.NAME.eq(name)).fetchOptional(STAFF_GROUP.ID)
                .orElseThrow(() -> new NotFoundException("there is no group named '" + shown(name) + "'"));
    }

    private static long userId(DSLContext dsl, String email) {
        return dsl.select(STAFF_USER.ID).from(STAFF_USER).where(STAFF_USER.EMAIL.eq(email)).fetchOptional(STAFF_USER.ID)
                .orElseThrow(() -> new NotFoundException("there is no staff user with email " + shown(email)));
    }

    private static String checkName(String name) {
        String clean = name == null ? "" : name.strip();
        if (clean.isEmpty()) {
            throw new InvalidRequestException("a group needs a name");
        }
        if (clean.length() > MAX_NAME_LENGTH || clean.chars().anyMatch(Character::isISOControl)) {
            throw new InvalidRequestException("a group name must be at most " + MAX_NAME_LENGTH
                    + " characters without control characters; got '" + shown(clean) + "'");
        }
        return clean;
    }

    private static String shown(String value) {
        String oneLine = value.replaceAll("\\p{Cntrl}", "?");
        return oneLine.length() <= 60 ? oneLine : oneLine.substring(0, 60) + "…";
    }
}
