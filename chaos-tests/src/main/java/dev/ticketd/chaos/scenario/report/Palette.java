package dev.ticketd.chaos.scenario.report;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Colours for fault types and for nodes, fixed for one page so that the timeline and the legends
 * agree. Fault colours are muted so the red and green of verdicts and UI lanes stay meaningful.
 */
final class Palette {

    private static final List<String> FAULT_COLOURS = List.of(
            "#8c6bb1", "#f1a340", "#5e9fd6", "#d95f8a", "#66a182", "#b5853b", "#7f8fa6", "#c77dcf",
            "#4db6ac", "#e07b53", "#9aa84a", "#6d7fd1");
    private static final List<String> NODE_COLOURS = List.of(
            "#4e79a7", "#f28e2b", "#76b7b2", "#b07aa1", "#edc948", "#9c755f", "#bab0ac", "#59a14f");

    private final Map<String, String> faults = new LinkedHashMap<>();
    private final Map<String, String> nodes = new LinkedHashMap<>();

    Palette(List<String> faultTypes, List<String> nodeNames) {
        faultTypes.forEach(t -> faults.putIfAbsent(t, FAULT_COLOURS.get(faults.size() % FAULT_COLOURS.size())));
        nodeNames.forEach(n -> nodes.putIfAbsent(n, NODE_COLOURS.get(nodes.size() % NODE_COLOURS.size())));
    }

    String fault(String type) {
        return faults.getOrDefault(type, "#999999");
    }

    String node(String name) {
        return nodes.getOrDefault(name, "#999999");
    }

    Map<String, String> faultColours() {
        return faults;
    }

    Map<String, String> nodeColours() {
        return nodes;
    }
}
