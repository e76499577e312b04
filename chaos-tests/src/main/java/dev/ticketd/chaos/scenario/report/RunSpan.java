package dev.ticketd.chaos.scenario.report;

import dev.ticketd.chaos.scenario.RunReport;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.stream.Stream;

/**
 * The time the page covers: from the run's start (the origin every "+m:ss" offset is counted from)
 * to its end, widened to include anything recorded outside them, so that a partial report (a run
 * that failed before it wrote its end) still gets a timeline. Never empty.
 */
record RunSpan(Instant start, Instant end) {

    static RunSpan of(RunReport r) {
        Stream<Instant> times = Stream.of(
                Stream.of(r.meta().started(), r.meta().ended()),
                r.mails().stream().flatMap(m -> Stream.of(m.sentAt(), m.ticketedAt())),
                r.faults().stream().flatMap(f -> Stream.of(f.start(), f.end())),
                r.leaderships().stream().flatMap(l -> Stream.of(l.from(), l.to())),
                r.ui().stream().map(RunReport.UiSample::at),
                r.staffReplies().stream().map(RunReport.StaffReply::at)).flatMap(s -> s);
        Instant[] minMax = {null, null};
        times.filter(Objects::nonNull).forEach(t -> {
            if (minMax[0] == null || t.isBefore(minMax[0])) {
                minMax[0] = t;
            }
            if (minMax[1] == null || t.isAfter(minMax[1])) {
                minMax[1] = t;
            }
        });
        Instant start = r.meta().started() != null ? r.meta().started() : minMax[0];
        if (start == null) {
            start = Instant.EPOCH;
        }
        if (minMax[0] != null && minMax[0].isBefore(start)) {
            start = minMax[0];
        }
        Instant end = minMax[1] == null || !minMax[1].isAfter(start) ? start.plusSeconds(1) : minMax[1];
        return new RunSpan(start, end);
    }

    Duration length() {
        return Duration.between(start, end);
    }
}
