package dev.ticketd.chaos.scenario.report;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.Function;

/** Stacks intervals into as few lanes as possible so that none overlaps another in its lane. */
final class Lanes {

    private Lanes() {
    }

    /** A placed interval: its item and the lane it got (0 is the first). */
    record Placed<T>(T item, Instant from, Instant to, int lane) {
    }

    /** Greedy by start time; {@code to} null means "until {@code end}"; an item without a start is left out. */
    static <T> List<Placed<T>> assign(List<T> items, Function<T, Instant> from, Function<T, Instant> to, Instant end) {
        List<T> sorted = new ArrayList<>(items.stream().filter(item -> from.apply(item) != null).toList());
        sorted.sort(Comparator.comparing(from));
        List<Instant> laneEnds = new ArrayList<>();
        List<Placed<T>> placed = new ArrayList<>();
        for (T item : sorted) {
            Instant start = from.apply(item);
            Instant stop = to.apply(item) == null ? end : to.apply(item);
            int lane = 0;
            while (lane < laneEnds.size() && laneEnds.get(lane).isAfter(start)) {
                lane++;
            }
            if (lane == laneEnds.size()) {
                laneEnds.add(stop);
            } else {
                laneEnds.set(lane, stop);
            }
            placed.add(new Placed<>(item, start, stop, lane));
        }
        return placed;
    }

    static int count(List<? extends Placed<?>> placed) {
        return placed.stream().mapToInt(Placed::lane).max().orElse(-1) + 1;
    }
}
