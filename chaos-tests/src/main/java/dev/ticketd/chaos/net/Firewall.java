package dev.ticketd.chaos.net;

import java.util.ArrayList;
import java.util.List;

/**
 * The iptables DROP rules a run added inside its hosts' namespaces, each remembered exactly so
 * it can be deleted by its own spec (never by flushing a chain). Rules live in the host's
 * namespace, so they also vanish with it. Not thread-safe: {@link Hosts} serialises access.
 */
final class Firewall {

    /** One rule: {@code iptables -I <chain> 1 <match> -m comment --comment ticketd-chaos:<fault> -j DROP} in a host. */
    record Rule(Host host, String fault, String chain, List<String> match) {
        List<String> spec() {
            return Sh.concat(match, List.of("-m", "comment", "--comment", "ticketd-chaos:" + fault, "-j", "DROP"));
        }
    }

    private final List<Rule> active = new ArrayList<>();

    void add(Host host, String fault, String chain, String... match) {
        Rule rule = new Rule(host, fault, chain, List.of(match));
        iptables(host, Sh.concat(List.of("-I", chain, "1"), rule.spec()));
        active.add(rule);
    }

    boolean has(Host host, String fault) {
        return active.stream().anyMatch(r -> r.host() == host && r.fault().equals(fault));
    }

    /** Deletes every rule this run added to {@code host} for {@code fault}; returns how many. */
    int remove(Host host, String fault) {
        List<Rule> gone = active.stream().filter(r -> r.host() == host && r.fault().equals(fault)).toList();
        for (Rule r : gone) {
            iptables(host, Sh.concat(List.of("-D", r.chain()), r.spec()));
            active.remove(r);
        }
        return gone.size();
    }

    /** Forgets a host's rules without deleting them (its namespace, and so its rules, are gone). */
    void forget(Host host) {
        active.removeIf(r -> r.host() == host);
    }

    static void iptables(Host host, List<String> args) {
        List<String> cmd = Sh.concat(host.commandPrefix(), Sh.concat(List.of("iptables", "-w", "10"), args));
        Sh.run(cmd.toArray(String[]::new));
    }
}
