package dev.ticketd.node.watch;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Raises an alert only after its rule fired {@code raiseAfter} samples in a row, and clears it only
 * after {@code clearAfter} quiet samples in a row, so that one slow answer neither alerts nor ends an
 * alert (Gatus's "alert after 3 failures, clear after 2 successes"). Not thread-safe.
 */
final class Hysteresis {

    private final int raiseAfter;
    private final int clearAfter;
    private final Map<Finding.Key, State> states = new HashMap<>();
    private long samples;

    private static final class State {
        int firing;
        int quiet;
        boolean raised;
        Finding last;
    }

    Hysteresis(int raiseAfter, int clearAfter) {
        this.raiseAfter = raiseAfter;
        this.clearAfter = clearAfter;
    }

    /** Takes one sample's findings. */
    void update(List<Finding> findings) {
        samples++;
        Map<Finding.Key, Finding> now = findings.stream().collect(Collectors.toMap(Finding::key, f -> f, (a, b) -> a, LinkedHashMap::new));
        for (Map.Entry<Finding.Key, Finding> e : now.entrySet()) {
            State s = states.computeIfAbsent(e.getKey(), k -> new State());
            s.firing++;
            s.quiet = 0;
            s.last = e.getValue();
            if (s.firing >= raiseAfter) {
                s.raised = true;
            }
        }
        states.entrySet().removeIf(e -> {
            if (now.containsKey(e.getKey())) {
                return false;
            }
            State s = e.getValue();
            s.firing = 0;
            s.quiet++;
            if (s.quiet >= clearAfter) {
                s.raised = false;
            }
            return !s.raised && s.quiet >= clearAfter;
        });
    }

    /** The alerts raised now, each with its latest finding. */
    List<Finding> raised() {
        return states.values().stream().filter(s -> s.raised).map(s -> s.last).toList();
    }

    /**
     * Whether the trouble {@code key} is known to be over: quiet for {@code clearAfter} samples. A key
     * never seen counts as over once this watch has taken {@code clearAfter} samples, so an alert
     * opened by an earlier watching node ends when its trouble is gone.
     */
    boolean cleared(Finding.Key key) {
        State s = states.get(key);
        return s == null ? samples >= clearAfter : !s.raised && s.firing == 0 && s.quiet >= clearAfter;
    }

    Set<Finding.Key> tracked() {
        return states.keySet();
    }
}
