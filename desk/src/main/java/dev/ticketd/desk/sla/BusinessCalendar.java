package dev.ticketd.desk.sla;

import java.time.DayOfWeek;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Business-time arithmetic over a calendar: a time zone, one span of working hours per day of the
 * week, and holidays (local dates). Pure and immutable; thread-safe.
 *
 * <p>Each working day's span is turned into two instants through the zone, so a day on which the
 * clocks change counts the real time between opening and closing: a span of 08:00–18:00 holds 9
 * hours on the spring-forward day of a zone whose change falls inside it, and 11 on the fall-back
 * day. A local time that does not exist (in the spring-forward gap) moves forward by the gap's
 * length, and one that exists twice takes the earlier offset, as {@link ZonedDateTime#of} does.
 *
 * <p>{@link #always()} is a calendar without closed time: business time is real time.
 */
public final class BusinessCalendar {

    /** One day's working span in minutes after the local midnight; {@code closes} 1440 is the day's end. */
    public record Hours(int opens, int closes) {
        public Hours {
            if (opens < 0 || closes > 1440 || opens >= closes) {
                throw new IllegalArgumentException("working hours must open before they close, within one day (minutes 0 to 1440), were "
                        + opens + " to " + closes);
            }
        }

        /** Parses {@code 08:00-17:30} (and {@code 00:00-24:00} for the whole day). */
        public static Hours parse(String span) {
            String[] parts = span.strip().split("-");
            if (parts.length != 2) {
                throw new IllegalArgumentException("working hours look like 08:00-17:30, were '" + span + "'");
            }
            return new Hours(minutes(parts[0]), minutes(parts[1]));
        }

        private static int minutes(String hhmm) {
            String t = hhmm.strip();
            if (!t.matches("\\d{1,2}:\\d{2}")) {
                throw new IllegalArgumentException("a time of day looks like 08:00, was '" + hhmm + "'");
            }
            int h = Integer.parseInt(t.substring(0, t.indexOf(':')));
            int m = Integer.parseInt(t.substring(t.indexOf(':') + 1));
            if (m > 59 || h > 24 || (h == 24 && m != 0)) {
                throw new IllegalArgumentException("no such time of day: '" + hhmm + "'");
            }
            return h * 60 + m;
        }

        @Override
        public String toString() {
            return String.format("%02d:%02d-%02d:%02d", opens / 60, opens % 60, closes / 60, closes % 60);
        }
    }

    /** The most days a computation walks before it gives up (a calendar that is open too rarely for the target). */
    static final int MAX_DAYS = 3 * 366;
    private static final BusinessCalendar ALWAYS = new BusinessCalendar(ZoneId.of("UTC"), Map.of(), Set.of(), true);

    private final ZoneId zone;
    private final Map<DayOfWeek, Hours> week;
    private final Set<LocalDate> holidays;
    private final boolean always;

    private BusinessCalendar(ZoneId zone, Map<DayOfWeek, Hours> week, Set<LocalDate> holidays, boolean always) {
        this.zone = zone;
        this.week = week;
        this.holidays = holidays;
        this.always = always;
    }

    /** Around the clock: business time is real time. */
    public static BusinessCalendar always() {
        return ALWAYS;
    }

    /**
     * @param week     the working span of each working day (a day not in the map is closed); at least one
     * @param holidays local dates on which nobody works
     */
    public static BusinessCalendar of(ZoneId zone, Map<DayOfWeek, Hours> week, Set<LocalDate> holidays) {
        Objects.requireNonNull(zone);
        if (week.isEmpty()) {
            throw new IllegalArgumentException("a calendar needs at least one working day");
        }
        return new BusinessCalendar(zone, new EnumMap<>(week), Set.copyOf(holidays), false);
    }

    public ZoneId zone() {
        return zone;
    }

    /**
     * The instant at which {@code business} of business time has passed since {@code start}. Zero is
     * {@code start} itself, even outside working hours (a clock with nothing left is due now); any
     * other amount ends inside a working span or at its close.
     *
     * A calendar open too rarely to hold {@code business} within {@value #MAX_DAYS} days answers the
     * end of that walk: a due time years ahead, not an error in the transaction of a ticket's change.
     *
     * @throws IllegalArgumentException when {@code business} is negative
     */
    public Instant plus(Instant start, Duration business) {
        if (business.isNegative()) {
            throw new IllegalArgumentException("business time must not be negative, was " + business);
        }
        if (always || business.isZero()) {
            return start.plus(business);
        }
        Duration remaining = business;
        LocalDate day = start.atZone(zone).toLocalDate();
        for (int i = 0; i < MAX_DAYS; i++, day = day.plusDays(1)) {
            Instant[] span = span(day);
            if (span == null) {
                continue;
            }
            Instant from = span[0].isAfter(start) ? span[0] : start;
            if (from.isBefore(span[1])) {
                Duration available = Duration.between(from, span[1]);
                if (remaining.compareTo(available) <= 0) {
                    return from.plus(remaining);
                }
                remaining = remaining.minus(available);
            }
        }
        // never an exception here: this runs inside mail intake's and staff's transactions
        return ZonedDateTime.of(day, LocalTime.MIDNIGHT, zone).toInstant();
    }

    /** The business time between {@code from} and {@code to}; zero when {@code to} is not after {@code from}. */
    public Duration between(Instant from, Instant to) {
        if (!to.isAfter(from)) {
            return Duration.ZERO;
        }
        if (always) {
            return Duration.between(from, to);
        }
        Duration sum = Duration.ZERO;
        LocalDate last = to.atZone(zone).toLocalDate();
        for (LocalDate day = from.atZone(zone).toLocalDate(); !day.isAfter(last); day = day.plusDays(1)) {
            Instant[] span = span(day);
            if (span == null) {
                continue;
            }
            Instant a = span[0].isAfter(from) ? span[0] : from;
            Instant b = span[1].isBefore(to) ? span[1] : to;
            if (a.isBefore(b)) {
                sum = sum.plus(Duration.between(a, b));
            }
        }
        return sum;
    }

    /** Whether {@code t} falls inside working hours. */
    public boolean isOpen(Instant t) {
        if (always) {
            return true;
        }
        Instant[] span = span(t.atZone(zone).toLocalDate());
        return span != null && !t.isBefore(span[0]) && t.isBefore(span[1]);
    }

    /** The working span of {@code day} as [opens, closes), or null when it is no working day. */
    private Instant[] span(LocalDate day) {
        Hours h = week.get(day.getDayOfWeek());
        if (h == null || holidays.contains(day)) {
            return null;
        }
        Instant opens = at(day, h.opens());
        Instant closes = at(day, h.closes());
        // a span that a clock change swallows whole (e.g. 02:00-02:30 on a spring-forward night) is empty
        return opens.isBefore(closes) ? new Instant[] {opens, closes} : null;
    }

    private Instant at(LocalDate day, int minute) {
        return minute == 1440 ? ZonedDateTime.of(day.plusDays(1), LocalTime.MIDNIGHT, zone).toInstant()
                : ZonedDateTime.of(day, LocalTime.of(minute / 60, minute % 60), zone).toInstant();
    }

    @Override
    public String toString() {
        return always ? "BusinessCalendar[always]" : "BusinessCalendar[zone=" + zone + ", week=" + week + ", holidays=" + holidays.size() + "]";
    }
}
