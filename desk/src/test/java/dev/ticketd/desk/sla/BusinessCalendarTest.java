package dev.ticketd.desk.sla;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.time.DayOfWeek;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BusinessCalendarTest {

    private static final ZoneId BERLIN = ZoneId.of("Europe/Berlin");

    /** Mon–Fri 09:00–17:00 in Berlin; Christmas Eve and Christmas Day 2026 (Thursday, Friday) are holidays. */
    private static final BusinessCalendar OFFICE = BusinessCalendar.of(BERLIN, weekdays("09:00-17:00"),
            Set.of(LocalDate.parse("2026-12-24"), LocalDate.parse("2026-12-25")));
    /** Every day 00:00–06:00 in Berlin: the clock changes of 2026 (29 March, 25 October) fall inside the span. */
    private static final BusinessCalendar NIGHTS = BusinessCalendar.of(BERLIN, everyDay("00:00-06:00"), Set.of());
    /** Every day 02:00–03:00 in Berlin: on 29 March 2026 that hour does not exist. */
    private static final BusinessCalendar GAP_HOUR = BusinessCalendar.of(BERLIN, everyDay("02:00-03:00"), Set.of());

    @ParameterizedTest(name = "{0}: {1} + {2} = {3}")
    @CsvSource({
            "OFFICE,   2026-12-07T10:00+01:00, PT2H,     2026-12-07T12:00+01:00",  // inside one day
            "OFFICE,   2026-12-07T16:00+01:00, PT2H,     2026-12-08T10:00+01:00",  // over the night
            "OFFICE,   2026-12-11T16:00+01:00, PT2H,     2026-12-14T10:00+01:00",  // Friday to Monday
            "OFFICE,   2026-12-12T12:00+01:00, PT1H,     2026-12-14T10:00+01:00",  // starts on a Saturday
            "OFFICE,   2026-12-23T16:00+01:00, PT2H,     2026-12-28T10:00+01:00",  // over two holidays and a weekend
            "OFFICE,   2026-12-07T07:00+01:00, PT30M,    2026-12-07T09:30+01:00",  // starts before opening
            "OFFICE,   2026-12-07T18:00+01:00, PT8H,     2026-12-08T17:00+01:00",  // ends exactly at closing
            "OFFICE,   2026-12-12T12:00+01:00, PT0S,     2026-12-12T12:00+01:00",  // nothing left: due at once, even when closed
            "OFFICE,   2026-03-27T16:00+01:00, PT2H,     2026-03-30T10:00+02:00",  // over the spring-forward weekend
            "NIGHTS,   2026-03-29T00:00+01:00, PT5H,     2026-03-29T06:00+02:00",  // the spring-forward night holds 5 hours
            "NIGHTS,   2026-03-29T00:00+01:00, PT6H,     2026-03-30T01:00+02:00",
            "NIGHTS,   2026-10-25T00:00+02:00, PT7H,     2026-10-25T06:00+01:00",  // the fall-back night holds 7 hours
            "NIGHTS,   2026-10-25T02:30+02:00, PT1H,     2026-10-25T02:30+01:00",  // the repeated hour counts twice
            "GAP_HOUR, 2026-03-29T01:00+01:00, PT30M,    2026-03-30T02:30+02:00",  // a span that does not exist is skipped
            "GAP_HOUR, 2026-03-28T02:30+01:00, PT1H,     2026-03-30T02:30+02:00",
    })
    void addsBusinessTime(String calendar, OffsetDateTime start, Duration business, OffsetDateTime expected) {
        assertThat(calendar(calendar).plus(start.toInstant(), business)).isEqualTo(expected.toInstant());
    }

    @ParameterizedTest(name = "{0}: {1} .. {2} = {3}")
    @CsvSource({
            "OFFICE, 2026-12-07T08:00+01:00, 2026-12-08T12:00+01:00, PT11H",
            "OFFICE, 2026-12-11T16:00+01:00, 2026-12-14T10:00+01:00, PT2H",
            "OFFICE, 2026-12-23T00:00+01:00, 2026-12-28T00:00+01:00, PT8H",
            "OFFICE, 2026-12-12T00:00+01:00, 2026-12-13T23:59+01:00, PT0S",    // a weekend holds no business time
            "OFFICE, 2026-12-08T12:00+01:00, 2026-12-07T08:00+01:00, PT0S",    // backwards: none
            "NIGHTS, 2026-03-28T12:00+01:00, 2026-03-29T12:00+02:00, PT5H",
            "NIGHTS, 2026-10-24T12:00+02:00, 2026-10-25T12:00+01:00, PT7H",
    })
    void measuresBusinessTime(String calendar, OffsetDateTime from, OffsetDateTime to, Duration expected) {
        assertThat(calendar(calendar).between(from.toInstant(), to.toInstant())).isEqualTo(expected);
    }

    @Test
    void aroundTheClockBusinessTimeIsRealTime() {
        Instant t = Instant.parse("2026-03-29T00:30:00Z");
        assertThat(BusinessCalendar.always().plus(t, Duration.ofHours(30))).isEqualTo(t.plus(Duration.ofHours(30)));
        assertThat(BusinessCalendar.always().between(t, t.plusSeconds(77))).isEqualTo(Duration.ofSeconds(77));
    }

    @Test
    void refusesWhatCannotBeComputed() {
        assertThatThrownBy(() -> OFFICE.plus(Instant.now(), Duration.ofHours(-1))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("negative");
        assertThatThrownBy(() -> BusinessCalendar.of(BERLIN, Map.of(), Set.of())).hasMessageContaining("at least one working day");
        assertThatThrownBy(() -> BusinessCalendar.Hours.parse("17:00-09:00")).hasMessageContaining("open before they close");
        assertThatThrownBy(() -> BusinessCalendar.Hours.parse("9-17")).hasMessageContaining("08:00");
        assertThatThrownBy(() -> BusinessCalendar.Hours.parse("09:00-24:30")).hasMessageContaining("24:30");
        // open one hour a week: 1,000 hours do not fit in three years
        BusinessCalendar rare = BusinessCalendar.of(BERLIN, Map.of(DayOfWeek.MONDAY, BusinessCalendar.Hours.parse("09:00-10:00")), Set.of());
        assertThat(rare.plus(Instant.parse("2026-01-01T00:00:00Z"), Duration.ofHours(1000)))
                .as("due at the end of the walk, years ahead, rather than an error in a ticket's transaction")
                .isAfter(Instant.parse("2028-12-31T00:00:00Z"));
    }

    /**
     * Properties over random calendars (zones with clock changes of an hour and of half an hour,
     * zones without), random holidays, starts and amounts, from fixed seeds so a failure repeats:
     * the business time from a start to {@code plus(start, d)} is {@code d}; the result is inside
     * working hours or at a span's close; more time never ends earlier; business time adds up over
     * a split; and a clock paused at any instant and resumed there ends where it would have.
     */
    @Test
    void businessTimeArithmeticHoldsItsPropertiesOnRandomCalendars() {
        List<ZoneId> zones = List.of(BERLIN, ZoneId.of("America/New_York"), ZoneId.of("Australia/Lord_Howe"),
                ZoneId.of("Asia/Kolkata"), ZoneId.of("Pacific/Chatham"), ZoneId.of("America/Sao_Paulo"), ZoneId.of("UTC"));
        Instant base = Instant.parse("2026-01-01T00:00:00Z");
        for (long seed = 1; seed <= 400; seed++) {
            Random r = new Random(seed);
            BusinessCalendar cal = randomCalendar(r, zones.get(r.nextInt(zones.size())));
            for (int i = 0; i < 10; i++) {
                Instant start = base.plusSeconds(r.nextInt(2 * 365 * 86_400));
                Duration d = Duration.ofSeconds(1 + r.nextInt(120 * 3600));
                Duration shorter = Duration.ofSeconds(r.nextInt((int) d.toSeconds()));
                String about = "seed " + seed + ", " + cal + ", start " + start + ", " + d;

                Instant end = cal.plus(start, d);
                assertThat(cal.between(start, end)).as(about).isEqualTo(d);
                assertThat(cal.isOpen(end) || cal.isOpen(end.minusNanos(1))).as(about + ": ends in working hours or at a close").isTrue();
                assertThat(cal.plus(start, shorter)).as(about + ": less time ends no later").isBeforeOrEqualTo(end);

                Instant middle = start.plusSeconds(r.nextInt((int) Math.max(1, Duration.between(start, end).toSeconds())));
                assertThat(cal.between(start, middle).plus(cal.between(middle, end))).as(about + ": split at " + middle).isEqualTo(d);
                Duration used = cal.between(start, middle);
                assertThat(cal.plus(middle, d.minus(used))).as(about + ": paused and resumed at " + middle).isEqualTo(end);
            }
        }
    }

    @Test
    void aCalendarOpenAllDayInUtcAgreesWithAroundTheClock() {
        BusinessCalendar allDay = BusinessCalendar.of(ZoneId.of("UTC"), everyDay("00:00-24:00"), Set.of());
        Random r = new Random(7);
        for (int i = 0; i < 500; i++) {
            Instant start = Instant.parse("2026-01-01T00:00:00Z").plusSeconds(r.nextInt(365 * 86_400));
            Duration d = Duration.ofSeconds(r.nextInt(30 * 86_400));
            assertThat(allDay.plus(start, d)).isEqualTo(BusinessCalendar.always().plus(start, d));
        }
    }

    private static BusinessCalendar randomCalendar(Random r, ZoneId zone) {
        Map<DayOfWeek, BusinessCalendar.Hours> week = new EnumMap<>(DayOfWeek.class);
        for (DayOfWeek day : DayOfWeek.values()) {
            if (r.nextInt(3) > 0) {
                int opens = r.nextInt(1440 / 15) * 15;
                int closes = opens + 15 + r.nextInt((1440 - opens) / 15) * 15;
                week.put(day, new BusinessCalendar.Hours(opens, Math.min(closes, 1440)));
            }
        }
        if (week.isEmpty()) {
            week.put(DayOfWeek.WEDNESDAY, new BusinessCalendar.Hours(60, 180)); // 01:00-03:00: clock changes happen there
        }
        Set<LocalDate> holidays = new HashSet<>();
        for (int i = r.nextInt(20); i > 0; i--) {
            holidays.add(LocalDate.of(2026, 1, 1).plusDays(r.nextInt(3 * 365)));
        }
        return BusinessCalendar.of(zone, week, holidays);
    }

    private static BusinessCalendar calendar(String name) {
        return switch (name) {
            case "OFFICE" -> OFFICE;
            case "NIGHTS" -> NIGHTS;
            case "GAP_HOUR" -> GAP_HOUR;
            default -> throw new IllegalArgumentException(name);
        };
    }

    private static Map<DayOfWeek, BusinessCalendar.Hours> weekdays(String span) {
        Map<DayOfWeek, BusinessCalendar.Hours> week = new EnumMap<>(DayOfWeek.class);
        for (DayOfWeek d : List.of(DayOfWeek.MONDAY, DayOfWeek.TUESDAY, DayOfWeek.WEDNESDAY, DayOfWeek.THURSDAY, DayOfWeek.FRIDAY)) {
            week.put(d, BusinessCalendar.Hours.parse(span));
        }
        return week;
    }

    private static Map<DayOfWeek, BusinessCalendar.Hours> everyDay(String span) {
        Map<DayOfWeek, BusinessCalendar.Hours> week = new EnumMap<>(DayOfWeek.class);
        for (DayOfWeek d : DayOfWeek.values()) {
            week.put(d, BusinessCalendar.Hours.parse(span));
        }
        return week;
    }
}
