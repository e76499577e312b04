package dev.ticketd.node.sla;

import dev.ticketd.db.Database;
import dev.ticketd.db.Transactions;
import dev.ticketd.desk.InvalidRequestException;
import dev.ticketd.desk.Priority;
import dev.ticketd.desk.sla.BusinessCalendar;
import dev.ticketd.desk.sla.SlaClocks;
import org.jooq.DSLContext;
import org.jooq.Record;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.DateTimeException;
import java.time.DayOfWeek;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.format.DateTimeParseException;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dev.ticketd.db.generated.Tables.SLA_CALENDAR;
import static dev.ticketd.db.generated.Tables.SLA_CALENDAR_HOLIDAY;
import static dev.ticketd.db.generated.Tables.SLA_CALENDAR_HOURS;
import static dev.ticketd.db.generated.Tables.SLA_POLICY;
import static dev.ticketd.db.generated.Tables.STAFF_GROUP;

/**
 * What admins manage of the service levels: business-hours calendars with their holidays, and the
 * policy (targets) of each group and priority. Used by the {@code ticketd sla} command and the admin
 * screens; knows nothing of HTTP. Every input is checked here and a bad one is an
 * {@link InvalidRequestException} whose message starts with the field's name.
 *
 * <p>A saved policy moves the due times of the running clocks that count by it in the same
 * transaction ({@link SlaClocks#policyEdited}); so does a saved calendar or holiday for the clocks of
 * every policy that counts in that calendar.
 */
public final class SlaAdmin {

    /** A policy as lists show it; targets null when none. */
    public record Policy(String group, Priority priority, String calendar, Duration firstResponse, Duration nextResponse,
                         Duration resolution, Duration warnBefore, boolean raisePriority, boolean notifyGroup) {
    }

    /** A calendar as lists show it: hours by day, holidays by date with their names. */
    public record Calendar(String name, String zone, Map<DayOfWeek, BusinessCalendar.Hours> hours, Map<LocalDate, String> holidays) {
    }

    /** The most business time a target may be: a year of round-the-clock time. */
    public static final Duration MAX_TARGET = Duration.ofDays(365);
    private static final Logger log = LoggerFactory.getLogger(SlaAdmin.class);
    private static final Pattern DURATION = Pattern.compile("(?:(\\d{1,6})h)?(?:(\\d{1,6})m)?(?:(\\d{1,8})s)?");
    private static final Pattern DAYS = Pattern.compile("(mon|tue|wed|thu|fri|sat|sun)(?:-(mon|tue|wed|thu|fri|sat|sun))?");
    private static final List<String> DAY_NAMES = List.of("mon", "tue", "wed", "thu", "fri", "sat", "sun");

    private final Database db;
    private final Transactions writes;

    public SlaAdmin(Database db) {
        this(db, db.transactions());
    }

    public SlaAdmin(Database db, Transactions writes) {
        this.db = db;
        this.writes = writes;
    }

    /**
     * Creates calendar {@code name} or replaces its zone and hours (holidays stay).
     *
     * @param hours e.g. {@code ["mon-fri=09:00-17:00", "sat=10:00-14:00"]}
     */
    public void saveCalendar(String name, String zone, List<String> hours) {
        String clean = name("name", name);
        ZoneId zoneId = zone(zone);
        Map<DayOfWeek, BusinessCalendar.Hours> week = week(hours);
        writes.write(tx -> {
            long id = tx.insertInto(SLA_CALENDAR).set(SLA_CALENDAR.NAME, clean).set(SLA_CALENDAR.TIME_ZONE, zoneId.getId())
                    .onConflict(SLA_CALENDAR.NAME).doUpdate().set(SLA_CALENDAR.TIME_ZONE, zoneId.getId())
                    .returning(SLA_CALENDAR.ID).fetchOne(SLA_CALENDAR.ID);
            tx.deleteFrom(SLA_CALENDAR_HOURS).where(SLA_CALENDAR_HOURS.CALENDAR_ID.eq(id)).execute();
            week.forEach((day, h) -> tx.insertInto(SLA_CALENDAR_HOURS).set(SLA_CALENDAR_HOURS.CALENDAR_ID, id)
                    .set(SLA_CALENDAR_HOURS.ISO_DAY, (short) day.getValue()).set(SLA_CALENDAR_HOURS.OPENS_MINUTE, (short) h.opens())
                    .set(SLA_CALENDAR_HOURS.CLOSES_MINUTE, (short) h.closes()).execute());
            return calendarEdited(tx, id);
        });
        log.info("sla calendar saved calendar={} zone={} days={}", clean, zoneId, week.size());
    }

    /** Adds (or renames) a holiday of a calendar. */
    public void addHoliday(String calendar, String day, String name) {
        LocalDate date = date(day);
        String holidayName = name == null ? "" : name.strip();
        if (holidayName.length() > 100) {
            throw new InvalidRequestException("holiday name: at most 100 characters, was " + holidayName.length());
        }
        writes.write(tx -> {
            long id = calendarId(tx, calendar);
            tx.insertInto(SLA_CALENDAR_HOLIDAY).set(SLA_CALENDAR_HOLIDAY.CALENDAR_ID, id).set(SLA_CALENDAR_HOLIDAY.DAY, date)
                    .set(SLA_CALENDAR_HOLIDAY.NAME, holidayName)
                    .onConflict(SLA_CALENDAR_HOLIDAY.CALENDAR_ID, SLA_CALENDAR_HOLIDAY.DAY).doUpdate()
                    .set(SLA_CALENDAR_HOLIDAY.NAME, holidayName).execute();
            return calendarEdited(tx, id);
        });
    }

    /** Removes a holiday (nothing when it is not one). */
    public void removeHoliday(String calendar, String day) {
        LocalDate date = date(day);
        writes.write(tx -> {
            long id = calendarId(tx, calendar);
            return tx.deleteFrom(SLA_CALENDAR_HOLIDAY).where(SLA_CALENDAR_HOLIDAY.CALENDAR_ID.eq(id))
                    .and(SLA_CALENDAR_HOLIDAY.DAY.eq(date)).execute() > 0 ? calendarEdited(tx, id) : 0;
        });
    }

    /** The running clocks of every policy that counts in calendar {@code id} move with its edit; returns how many moved. */
    private static int calendarEdited(DSLContext tx, long id) {
        int moved = 0;
        for (long policy : tx.select(SLA_POLICY.ID).from(SLA_POLICY).where(SLA_POLICY.CALENDAR_ID.eq(id)).orderBy(SLA_POLICY.ID)
                .fetch(SLA_POLICY.ID)) {
            moved += SlaClocks.policyEdited(tx, policy, Instant.now());
        }
        return moved;
    }

    /**
     * Creates or replaces the policy of {@code group}'s tickets of {@code priority}.
     *
     * @param calendar null or blank: around the clock
     * @param firstResponse targets as {@code 4h}, {@code 30m}, {@code 1h30m}, {@code 90s}; null or blank: none (at least one target)
     * @param warnBefore    null or blank: none (a ticket shows "due soon" only once it is due)
     * @param notifyGroup   an escalation is mailed to the group's active members with full access (a digest per group)
     */
    public void savePolicy(String group, String priority, String calendar, String firstResponse, String nextResponse,
                           String resolution, String warnBefore, boolean raisePriority, boolean notifyGroup) {
        Priority p = priority(priority);
        Duration first = target("first-response", firstResponse);
        Duration next = target("next-response", nextResponse);
        Duration resolve = target("resolution", resolution);
        if (first == null && next == null && resolve == null) {
            throw new InvalidRequestException("first-response: a policy needs at least one target (first-response, next-response or resolution)");
        }
        Duration warn = blank(warnBefore) ? Duration.ZERO : duration("warn-before", warnBefore);
        int moved = writes.write(tx -> {
            long groupId = groupId(tx, group);
            Long calendarId = blank(calendar) ? null : calendarId(tx, calendar);
            long id = tx.insertInto(SLA_POLICY).set(SLA_POLICY.GROUP_ID, groupId).set(SLA_POLICY.PRIORITY, p.value())
                    .set(SLA_POLICY.CALENDAR_ID, calendarId).set(SLA_POLICY.FIRST_RESPONSE_SECONDS, seconds(first))
                    .set(SLA_POLICY.NEXT_RESPONSE_SECONDS, seconds(next)).set(SLA_POLICY.RESOLUTION_SECONDS, seconds(resolve))
                    .set(SLA_POLICY.WARN_BEFORE_SECONDS, warn.toSeconds()).set(SLA_POLICY.RAISE_PRIORITY, raisePriority)
                    .set(SLA_POLICY.NOTIFY_GROUP, notifyGroup)
                    .onConflict(SLA_POLICY.GROUP_ID, SLA_POLICY.PRIORITY).doUpdate()
                    .set(SLA_POLICY.CALENDAR_ID, calendarId).set(SLA_POLICY.FIRST_RESPONSE_SECONDS, seconds(first))
                    .set(SLA_POLICY.NEXT_RESPONSE_SECONDS, seconds(next)).set(SLA_POLICY.RESOLUTION_SECONDS, seconds(resolve))
                    .set(SLA_POLICY.WARN_BEFORE_SECONDS, warn.toSeconds()).set(SLA_POLICY.RAISE_PRIORITY, raisePriority)
                    .set(SLA_POLICY.NOTIFY_GROUP, notifyGroup)
                    .set(SLA_POLICY.UPDATED_AT, org.jooq.impl.DSL.currentOffsetDateTime())
                    .returning(SLA_POLICY.ID).fetchOne(SLA_POLICY.ID);
            return SlaClocks.policyEdited(tx, id, Instant.now()); // the running clocks move with the edit, or neither does
        });
        log.info("sla policy saved group={} priority={} calendar={} firstResponse={} nextResponse={} resolution={} notifyGroup={} "
                + "clocksMoved={}", group.strip(), p.value(), blank(calendar) ? "-" : calendar.strip(), first, next, resolve, notifyGroup, moved);
    }

    /** Removes the policy of {@code group}'s tickets of {@code priority}; false when there was none. */
    public boolean removePolicy(String group, String priority) {
        Priority p = priority(priority);
        return writes.write(tx -> tx.deleteFrom(SLA_POLICY).where(SLA_POLICY.GROUP_ID.eq(groupId(tx, group)))
                .and(SLA_POLICY.PRIORITY.eq(p.value())).execute()) > 0;
    }

    /** Every policy, by group and priority. */
    public List<Policy> policies() {
        return db.read(dsl -> dsl.select(STAFF_GROUP.NAME, SLA_POLICY.PRIORITY, SLA_CALENDAR.NAME, SLA_POLICY.FIRST_RESPONSE_SECONDS,
                        SLA_POLICY.NEXT_RESPONSE_SECONDS, SLA_POLICY.RESOLUTION_SECONDS, SLA_POLICY.WARN_BEFORE_SECONDS, SLA_POLICY.RAISE_PRIORITY,
                        SLA_POLICY.NOTIFY_GROUP)
                .from(SLA_POLICY).join(STAFF_GROUP).on(STAFF_GROUP.ID.eq(SLA_POLICY.GROUP_ID))
                .leftJoin(SLA_CALENDAR).on(SLA_CALENDAR.ID.eq(SLA_POLICY.CALENDAR_ID))
                .orderBy(STAFF_GROUP.NAME, SLA_POLICY.PRIORITY)
                .fetch(r -> new Policy(r.value1(), Priority.stored(r.value2()), r.value3(), ofSeconds(r.value4()), ofSeconds(r.value5()),
                        ofSeconds(r.value6()), Duration.ofSeconds(r.value7()), r.value8(), r.value9()))).value()
                .stream().sorted(java.util.Comparator.comparing(Policy::group).thenComparing(Policy::priority)).toList();
    }

    /** Every calendar, by name. */
    public List<Calendar> calendars() {
        return db.read(dsl -> dsl.selectFrom(SLA_CALENDAR).orderBy(SLA_CALENDAR.NAME).fetch().map(c -> {
            Map<DayOfWeek, BusinessCalendar.Hours> hours = new EnumMap<>(DayOfWeek.class);
            dsl.selectFrom(SLA_CALENDAR_HOURS).where(SLA_CALENDAR_HOURS.CALENDAR_ID.eq(c.getId())).forEach(h ->
                    hours.put(DayOfWeek.of(h.getIsoDay()), new BusinessCalendar.Hours(h.getOpensMinute(), h.getClosesMinute())));
            Map<LocalDate, String> holidays = new TreeMap<>();
            dsl.selectFrom(SLA_CALENDAR_HOLIDAY).where(SLA_CALENDAR_HOLIDAY.CALENDAR_ID.eq(c.getId()))
                    .forEach(h -> holidays.put(h.getDay(), h.getName()));
            return new Calendar(c.getName(), c.getTimeZone(), hours, holidays);
        })).value();
    }

    /** A duration as {@code 4h}, {@code 30m}, {@code 1h30m} or {@code 90s} (business time: no days, whose length the calendar decides). */
    public static Duration duration(String field, String text) {
        String t = text == null ? "" : text.strip().toLowerCase(Locale.ROOT).replace(" ", "");
        Matcher m = DURATION.matcher(t);
        if (t.isEmpty() || !m.matches()) {
            throw new InvalidRequestException(field + ": a duration looks like 4h, 30m, 1h30m or 90s, was '" + shown(text) + "'");
        }
        Duration d = Duration.ZERO;
        d = m.group(1) == null ? d : d.plusHours(Long.parseLong(m.group(1)));
        d = m.group(2) == null ? d : d.plusMinutes(Long.parseLong(m.group(2)));
        return m.group(3) == null ? d : d.plusSeconds(Long.parseLong(m.group(3)));
    }

    /** A duration as {@code 4h30m}, the way {@link #duration} reads it. */
    public static String format(Duration d) {
        if (d == null) {
            return "";
        }
        long h = d.toHours();
        int m = d.toMinutesPart();
        int s = d.toSecondsPart();
        return (h > 0 ? h + "h" : "") + (m > 0 ? m + "m" : "") + (s > 0 || d.isZero() ? s + "s" : "");
    }

    private static Duration target(String field, String text) {
        if (blank(text)) {
            return null;
        }
        Duration d = duration(field, text);
        if (d.isZero() || d.compareTo(MAX_TARGET) > 0) {
            throw new InvalidRequestException(field + ": a target is more than 0 and at most " + MAX_TARGET.toHours() + "h, was '"
                    + shown(text) + "'");
        }
        return d;
    }

    /** Parses {@code mon-fri=09:00-17:00} lines into the week; a day given twice is refused. */
    static Map<DayOfWeek, BusinessCalendar.Hours> week(List<String> lines) {
        Map<DayOfWeek, BusinessCalendar.Hours> week = new EnumMap<>(DayOfWeek.class);
        for (String line : lines) {
            String l = line.strip().toLowerCase(Locale.ROOT);
            int eq = l.indexOf('=');
            Matcher days = DAYS.matcher(eq < 0 ? "" : l.substring(0, eq));
            if (!days.matches()) {
                throw new InvalidRequestException("hours: a line looks like mon-fri=09:00-17:00 or sat=10:00-14:00, was '" + shown(line) + "'");
            }
            BusinessCalendar.Hours hours;
            try {
                hours = BusinessCalendar.Hours.parse(l.substring(eq + 1));
            } catch (IllegalArgumentException e) {
                throw new InvalidRequestException("hours: " + e.getMessage());
            }
            int from = DAY_NAMES.indexOf(days.group(1));
            int to = days.group(2) == null ? from : DAY_NAMES.indexOf(days.group(2));
            if (to < from) {
                throw new InvalidRequestException("hours: a range of days runs forwards (mon-fri), was '" + shown(line) + "'");
            }
            for (int d = from; d <= to; d++) {
                if (week.put(DayOfWeek.of(d + 1), hours) != null) {
                    throw new InvalidRequestException("hours: " + DAY_NAMES.get(d) + " is given twice");
                }
            }
        }
        if (week.isEmpty()) {
            throw new InvalidRequestException("hours: a calendar needs at least one working day, e.g. mon-fri=09:00-17:00");
        }
        return week;
    }

    private static ZoneId zone(String zone) {
        try {
            return ZoneId.of(zone == null ? "" : zone.strip());
        } catch (DateTimeException e) {
            throw new InvalidRequestException("zone: unknown time zone '" + shown(zone) + "'; use a name such as Europe/Berlin or UTC");
        }
    }

    private static LocalDate date(String day) {
        try {
            return LocalDate.parse(day == null ? "" : day.strip());
        } catch (DateTimeParseException e) {
            throw new InvalidRequestException("day: a date looks like 2026-12-25, was '" + shown(day) + "'");
        }
    }

    private static Priority priority(String priority) {
        return Priority.of(priority == null ? "" : priority.strip().toLowerCase(Locale.ROOT)).orElseThrow(() ->
                new InvalidRequestException("priority: use low, normal, high or urgent, was '" + shown(priority) + "'"));
    }

    private static String name(String field, String name) {
        String clean = name == null ? "" : name.strip();
        if (clean.isEmpty() || clean.length() > 100) {
            throw new InvalidRequestException(field + ": 1 to 100 characters, was '" + shown(name) + "'");
        }
        return clean;
    }

    private static long groupId(DSLContext tx, String group) {
        String clean = group == null ? "" : group.strip();
        return tx.select(STAFF_GROUP.ID).from(STAFF_GROUP).where(STAFF_GROUP.NAME.eq(clean)).fetchOptional(STAFF_GROUP.ID)
                .orElseThrow(() -> new InvalidRequestException("group: no group is called '" + shown(clean) + "'"));
    }

    private static long calendarId(DSLContext tx, String calendar) {
        String clean = calendar == null ? "" : calendar.strip();
        Record r = tx.select(SLA_CALENDAR.ID).from(SLA_CALENDAR).where(SLA_CALENDAR.NAME.eq(clean)).fetchOne();
        if (r == null) {
            throw new InvalidRequestException("calendar: no calendar is called '" + shown(clean) + "'");
        }
        return r.get(SLA_CALENDAR.ID);
    }

    private static Long seconds(Duration d) {
        return d == null ? null : d.toSeconds();
    }

    private static Duration ofSeconds(Long s) {
        return s == null ? null : Duration.ofSeconds(s);
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }

    private static String shown(String value) {
        return value == null ? "" : value.length() <= 40 ? value : value.substring(0, 40) + "…";
    }
}
