package dev.ticketd.chaos.scenario;

import dev.ticketd.chaos.scenario.AlertCapture.Notice;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Pure functions from the notices the alert capture received to the figures of one silent fault:
 * how long until operations were told, how long after the repair the all-clear came, and whether
 * each trouble was told once.
 */
final class AlertMeasure {

    private AlertMeasure() {
    }

    /**
     * The figures of a fault that began at {@code start}, was repaired at {@code repairedAt} (null:
     * not repaired) and whose notices are those received in [{@code start}, {@code windowEnd}).
     */
    static RunReport.Alerting measure(List<Notice> notices, Instant start, Instant repairedAt, Instant windowEnd) {
        List<RunReport.ChannelAlerting> channels = new ArrayList<>();
        for (String channel : AlertCapture.CHANNELS) {
            List<Notice> mine = notices.stream().filter(n -> n.channel().equals(channel))
                    .filter(n -> !n.at().isBefore(start) && n.at().isBefore(windowEnd)).toList();
            Map<String, Instant> opened = new LinkedHashMap<>();
            Map<String, Integer> opens = new LinkedHashMap<>();
            for (Notice n : mine) {
                if (n.stallOpen()) {
                    opened.putIfAbsent(n.episode(), n.at());
                    opens.merge(n.episode(), 1, Integer::sum);
                }
            }
            Notice first = mine.stream().filter(Notice::stallOpen).findFirst().orElse(null);
            long alertMillis = first == null ? -1 : Duration.between(start, first.at()).toMillis();
            long allClear = -1;
            if (repairedAt != null && !opened.isEmpty()) {
                Instant last = null;
                boolean all = true;
                for (Map.Entry<String, Instant> e : opened.entrySet()) {
                    Instant clear = mine.stream().filter(n -> "clear".equals(n.event()) && e.getKey().equals(n.episode())
                            && !n.at().isBefore(e.getValue())).map(Notice::at).findFirst().orElse(null);
                    if (clear == null) {
                        all = false;
                    } else if (last == null || clear.isAfter(last)) {
                        last = clear;
                    }
                }
                allClear = all ? Math.max(0, Duration.between(repairedAt, last).toMillis()) : -1;
            }
            channels.add(new RunReport.ChannelAlerting(channel, first == null ? null : first.rule(), alertMillis, allClear,
                    opened.size(), opens.values().stream().mapToInt(Integer::intValue).max().orElse(0), mine.size()));
        }
        return new RunReport.Alerting(repairedAt, channels);
    }

    /** For a fault's detail and the summary: {@code webhook: mailbox-stalled after 104.2 s, all-clear 12.0 s after the repair, 1 opening}. */
    static String describe(RunReport.Alerting a) {
        List<String> parts = new ArrayList<>();
        for (RunReport.ChannelAlerting c : a.channels()) {
            if (c.alertMillis() < 0) {
                parts.add(c.channel() + ": no stall alert (" + c.notices() + " notices)");
                continue;
            }
            parts.add(c.channel() + ": " + c.rule() + " after " + seconds(c.alertMillis())
                    + (a.repairedAt() == null ? "" : c.allClearMillis() < 0 ? ", no all-clear" : ", all-clear "
                    + seconds(c.allClearMillis()) + " after the repair")
                    + ", " + c.episodes() + " episode(s), at most " + c.openNotices() + " opening(s) per episode");
        }
        return String.join("; ", parts);
    }

    static String seconds(long millis) {
        return String.format(java.util.Locale.ROOT, "%.1f s", millis / 1000.0);
    }
}
