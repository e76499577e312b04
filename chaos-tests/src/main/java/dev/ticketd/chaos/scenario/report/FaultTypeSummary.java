package dev.ticketd.chaos.scenario.report;

import dev.ticketd.chaos.scenario.RunReport.Fault;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToLongFunction;

/**
 * The figures of one fault type: how many faults were injected and how many of them were confirmed,
 * and the median and worst intake and UI gap over the faults whose gap was measured (-1 when none
 * was, the data model's convention). The median of an even count is the lower middle value, so it
 * is always a gap that really happened.
 */
record FaultTypeSummary(String type, List<Fault> faults, int injected, int confirmed,
                        long intakeGapMedianMillis, long intakeGapWorstMillis,
                        long uiGapMedianMillis, long uiGapWorstMillis) {

    /**
     * One summary per type: first the scheduled types in the run's order (a scheduled type that was
     * never injected shows up with zero, which is a defect an operator must see), then any other type
     * in the order of its first fault.
     */
    static Map<String, FaultTypeSummary> byType(List<String> scheduledTypes, List<Fault> faults) {
        Map<String, List<Fault>> grouped = new LinkedHashMap<>();
        scheduledTypes.forEach(type -> grouped.put(type, new ArrayList<>()));
        faults.forEach(f -> grouped.computeIfAbsent(f.type(), k -> new ArrayList<>()).add(f));
        Map<String, FaultTypeSummary> summaries = new LinkedHashMap<>();
        grouped.forEach((type, list) -> summaries.put(type, of(type, list)));
        return summaries;
    }

    static FaultTypeSummary of(String type, List<Fault> faults) {
        int confirmed = (int) faults.stream().filter(Fault::confirmed).count();
        long[] intake = measured(faults, Fault::intakeGapMillis);
        long[] ui = measured(faults, Fault::uiGapMillis);
        return new FaultTypeSummary(type, List.copyOf(faults), faults.size(), confirmed,
                median(intake), worst(intake), median(ui), worst(ui));
    }

    private static long[] measured(List<Fault> faults, ToLongFunction<Fault> gap) {
        return faults.stream().mapToLong(gap).filter(g -> g >= 0).sorted().toArray();
    }

    private static long median(long[] sorted) {
        return sorted.length == 0 ? -1 : sorted[(sorted.length - 1) / 2];
    }

    private static long worst(long[] sorted) {
        return sorted.length == 0 ? -1 : sorted[sorted.length - 1];
    }
}
