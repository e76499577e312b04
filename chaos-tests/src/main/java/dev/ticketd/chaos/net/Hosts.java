package dev.ticketd.chaos.net;

import dev.ticketd.chaos.Poll;
import dev.ticketd.chaos.Reaper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Simulated hosts on this machine: one Linux bridge per run with an address for the harness, and
 * per host a network namespace joined to it by a veth pair, with its own address on a private /24
 * that nothing here routes yet; no NAT and no default route, so the hosts reach each other and the
 * harness and nothing else. The network faults of the chaos suite are iptables DROP rules inside
 * a host's namespace (so nothing global changes) or its link set down; each fault is confirmed by
 * TCP probes and throws when its effect cannot be observed, and so does each reversal.
 *
 * <p>Lifecycle: {@link #create} builds everything and registers with the {@link Reaper} before its
 * first change, so a failed or interrupted run removes it; {@link #close()} kills every process
 * still inside the hosts, deletes the namespaces (their rules go with them), the veths, the bridge
 * and the one root-namespace rule that is added only when bridged traffic would otherwise meet a
 * non-ACCEPT FORWARD chain (br_netfilter). Thread-safe: faults and close are serialised.
 *
 * <p>Each fault first checks that the paths it will cut answer now, so a fault on a host that
 * another fault already silenced fails loudly instead of being "confirmed" by the earlier one;
 * the suite waits for a whole cluster before each fault anyway.
 */
public final class Hosts implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Hosts.class);
    /** The port probes connect to; nothing needs to listen (a reset counts as an answer). */
    private static final int PROBE_PORT = 9;
    private static final int MAX_HOSTS = 32;
    private static final String HOST_IF = "eth0";

    private final String runId;
    private final Firewall firewall = new Firewall();
    private final Map<String, Host> hosts = new LinkedHashMap<>();
    private final Map<Host, List<Host>> partitionedFrom = new java.util.HashMap<>();
    private final List<String> namespacesMade = new ArrayList<>();
    private final List<String> vethsMade = new ArrayList<>();
    private boolean bridgeMade;
    private List<String> forwardRule;
    private Subnets.Prefix subnet;
    private boolean closed;

    private Hosts(String runId) {
        this.runId = runId;
    }

    /**
     * Builds one host per name (short names: letters, digits, dashes) and checks that the harness
     * reaches each and each reaches the others. Needs root, {@code ip} (Debian package iproute2),
     * {@code iptables} (package iptables), {@code setpriv} (util-linux) and {@code timeout} (coreutils).
     */
    public static Hosts create(List<String> names) {
        requireRootAndTools();
        if (names.isEmpty() || names.size() > MAX_HOSTS || names.stream().distinct().count() != names.size()
                || !names.stream().allMatch(n -> n.matches("[a-z0-9][a-z0-9-]{0,19}"))) {
            throw new IllegalArgumentException("host names must be 1-" + MAX_HOSTS + " distinct short names of"
                    + " lowercase letters, digits and dashes: " + names);
        }
        long started = System.nanoTime();
        Hosts made = Reaper.register(new Hosts(freeRunId()));
        try {
            // holding the lock makes a Ctrl-C during the build wait for it, so close() sees all it made
            synchronized (made) {
                made.build(names);
            }
        } catch (RuntimeException e) {
            try {
                made.close();
            } catch (RuntimeException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
        log.info("hosts up bridge={} subnet={} harness={} hosts={} ms={}", made.bridge(), made.subnet, made.harnessAddress(),
                made.hosts.values(), (System.nanoTime() - started) / 1_000_000);
        return made;
    }

    public List<Host> hosts() {
        return List.copyOf(hosts.values());
    }

    public Host host(String name) {
        Host h = hosts.get(name);
        if (h == null) {
            throw new IllegalArgumentException("no host " + name + " among " + hosts.keySet());
        }
        return h;
    }

    /** The bridge's name in the root namespace, which is also the run's id and the prefix of its namespaces. */
    public String bridge() {
        return runId;
    }

    /** The /24 the hosts live on, e.g. {@code 10.183.7.0/24}. */
    public String subnet() {
        return subnet.toString();
    }

    /** The bridge's address: where processes in the root namespace (the harness) are seen from the hosts. */
    public String harnessAddress() {
        return subnet.address(1);
    }

    // ---- faults -------------------------------------------------------------------------------

    /**
     * The host goes silent, as when its hypervisor dies: every packet in and out of it is dropped
     * (all but loopback), so peers see timeouts, never resets or ICMP errors. Confirmed from the
     * harness and from inside the host.
     */
    public synchronized void dropAll(Host host) {
        requireOpen();
        expectAnswered(host, "before dropping all its traffic");
        firewall.add(host, "drop-all", "INPUT", "!", "-i", "lo");
        firewall.add(host, "drop-all", "OUTPUT", "!", "-o", "lo");
        expect(Reach.SILENT, Reach.fromHarness(host.address(), PROBE_PORT), "harness -> " + host + " after dropAll");
        expect(Reach.SILENT, Reach.fromInside(probe(host, null, harnessAddress(), PROBE_PORT)), host + " -> harness after dropAll");
        log.info("fault=drop-all host={} confirmed=silent", host.name());
    }

    public synchronized void restoreAll(Host host) {
        requireOpen();
        removeRules(host, "drop-all");
        expectAnswered(host, "after restoreAll");
        log.info("fault=drop-all host={} reverted=answers", host.name());
    }

    /**
     * The host cannot exchange packets with {@code others} (dropped silently, both directions,
     * by rules in the host's own namespace), while the harness still reaches it. Confirmed with a
     * probe each way between the host and every other one.
     */
    public synchronized void partition(Host host, Host... others) {
        requireOpen();
        if (others.length == 0 || Arrays.asList(others).contains(host)) {
            throw new IllegalArgumentException("partition " + host + " from other hosts, not from " + Arrays.toString(others));
        }
        if (partitionedFrom.containsKey(host)) {
            throw new IllegalStateException(host + " is already partitioned; heal it first");
        }
        expect(Reach.ANSWERED, pairs(host, others), "before partitioning " + host);
        for (Host other : others) {
            firewall.add(host, "partition", "INPUT", "-s", other.address());
            firewall.add(host, "partition", "OUTPUT", "-d", other.address());
        }
        partitionedFrom.put(host, List.of(others));
        expect(Reach.SILENT, pairs(host, others), "partition of " + host + " from " + Arrays.toString(others));
        expect(Reach.ANSWERED, Reach.fromHarness(host.address(), PROBE_PORT), "harness -> " + host + " during its partition");
        log.info("fault=partition host={} from={} confirmed=silent harness=answers", host.name(), names(others));
    }

    /** Lifts {@link #partition}: the host answers the hosts it was cut off from again. */
    public synchronized void heal(Host host) {
        requireOpen();
        removeRules(host, "partition");
        Host[] others = partitionedFrom.remove(host).toArray(Host[]::new);
        expect(Reach.ANSWERED, pairs(host, others), "after healing " + host);
        log.info("fault=partition host={} reverted=answers", host.name());
    }

    /** One service cut off from one host; returned by {@link #blockPort} and given back to {@link #unblock}. */
    public record PortBlock(Host host, String remoteAddress, int remotePort, Integer uid) {
        String fault() {
            return "block:" + remoteAddress + ":" + remotePort + (uid == null ? "" : ":uid" + uid);
        }
    }

    /**
     * Every process on the host loses TCP to {@code remoteAddress:remotePort}: its packets there
     * are dropped on OUTPUT (existing connections stall, new ones time out). Confirmed by a probe
     * that now times out after it answered before.
     */
    public synchronized PortBlock blockPort(Host host, String remoteAddress, int remotePort) {
        return block(new PortBlock(host, remoteAddress, remotePort, null));
    }

    /**
     * As {@link #blockPort(Host, String, int)} but only for processes running as
     * {@code uid} (the iptables owner match): e.g. the ticket node cut off from ZooKeeper while
     * the ZooKeeper and Patroni processes on the same host, running as other users, are not.
     * Confirmed by a probe as {@code uid} that times out and one as another user that answers.
     */
    public synchronized PortBlock blockPort(Host host, String remoteAddress, int remotePort, int uid) {
        return block(new PortBlock(host, remoteAddress, remotePort, uid));
    }

    private PortBlock block(PortBlock b) {
        requireOpen();
        if (firewall.has(b.host(), b.fault())) {
            throw new IllegalStateException(b + " is already in place");
        }
        Reach.Probe asVictim = probe(b.host(), b.uid(), b.remoteAddress(), b.remotePort());
        expect(Reach.ANSWERED, Reach.fromInside(asVictim), asVictim + " before blocking it");
        List<String> match = new ArrayList<>(List.of("-p", "tcp", "-d", b.remoteAddress(), "--dport", String.valueOf(b.remotePort())));
        if (b.uid() != null) {
            match.addAll(List.of("-m", "owner", "--uid-owner", String.valueOf(b.uid())));
        }
        firewall.add(b.host(), b.fault(), "OUTPUT", match.toArray(String[]::new));
        expect(Reach.SILENT, Reach.fromInside(asVictim), asVictim + " after blocking it");
        if (b.uid() != null) {
            Reach.Probe bystander = probe(b.host(), b.uid() == 0 ? 65534 : 0, b.remoteAddress(), b.remotePort());
            expect(Reach.ANSWERED, Reach.fromInside(bystander), bystander + " (another user) while " + asVictim + " is blocked");
        }
        log.info("fault=block-port host={} remote={}:{} uid={} confirmed=silent", b.host().name(), b.remoteAddress(),
                b.remotePort(), b.uid() == null ? "any" : b.uid());
        return b;
    }

    /** Fails unless a process inside {@code host} connects to {@code address:port} (e.g. a harness service the nodes must reach). */
    public void expectReachable(Host host, String address, int port) {
        requireOpen();
        expect(Reach.ANSWERED, Reach.fromInside(probe(host, null, address, port)), host + " -> " + address + ":" + port);
    }

    public synchronized void unblock(PortBlock b) {
        requireOpen();
        removeRules(b.host(), b.fault());
        Reach.Probe asVictim = probe(b.host(), b.uid(), b.remoteAddress(), b.remotePort());
        expect(Reach.ANSWERED, Reach.fromInside(asVictim), asVictim + " after unblocking it");
        log.info("fault=block-port host={} remote={}:{} reverted=answers", b.host().name(), b.remoteAddress(), b.remotePort());
    }

    /**
     * The host's network card goes down (its address stays, so processes can still bind to it):
     * its processes get "network is unreachable", others time out or get "no route to host".
     * Meant for a host whose processes start before its network comes up.
     */
    public synchronized void linkDown(Host host) {
        requireOpen();
        Sh.run("ip", "-n", host.namespace(), "link", "set", HOST_IF, "down");
        expect(Reach.UNREACHABLE, Reach.fromInside(probe(host, null, harnessAddress(), PROBE_PORT)), host + " -> harness with its link down");
        Reach in = Reach.fromHarness(host.address(), PROBE_PORT);
        if (in == Reach.ANSWERED) {
            throw new IllegalStateException("fault not observed: harness -> " + host + " still answers with its link down");
        }
        log.info("fault=link-down host={} confirmed=unreachable harness={}", host.name(), in);
    }

    public synchronized void linkUp(Host host) {
        requireOpen();
        Sh.run("ip", "-n", host.namespace(), "link", "set", HOST_IF, "up");
        awaitAnswered(host, "after its link came up");
        log.info("fault=link-down host={} reverted=answers", host.name());
    }

    // ---- building -----------------------------------------------------------------------------

    private void build(List<String> names) {
        allowBridgedTraffic();
        Sh.run("ip", "link", "add", runId, "type", "bridge");
        bridgeMade = true;
        subnet = claimSubnet();
        Sh.run("ip", "link", "set", runId, "up");
        for (int i = 0; i < names.size(); i++) {
            String ns = runId + "-" + names.get(i);
            String veth = runId + "v" + i;
            Sh.run("ip", "netns", "add", ns);
            namespacesMade.add(ns);
            // no IPv6 inside: faults are IPv4 rules and nothing may slip past them over link-local IPv6
            if (Files.exists(Path.of("/proc/sys/net/ipv6"))) {
                Sh.run("ip", "netns", "exec", ns, "sysctl", "-q", "-w",
                        "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1");
            }
            vethsMade.add(veth);
            Sh.run("ip", "link", "add", veth, "type", "veth", "peer", "name", HOST_IF, "netns", ns);
            Sh.run("ip", "link", "set", veth, "master", runId, "up");
            Host host = new Host(names.get(i), ns, subnet.address(11 + i), veth);
            Sh.run("ip", "-n", ns, "addr", "add", host.address() + "/24", "dev", HOST_IF);
            Sh.run("ip", "-n", ns, "link", "set", "lo", "up");
            Sh.run("ip", "-n", ns, "link", "set", HOST_IF, "up");
            hosts.put(host.name(), host);
        }
        Host first = hosts.values().iterator().next();
        Sh.Result ipt = Sh.exec(Sh.concat(first.commandPrefix(), List.of("iptables", "-w", "10", "-S"))
                .toArray(String[]::new));
        if (!ipt.ok()) {
            throw new IllegalStateException("iptables does not work inside a network namespace here (" + ipt.output()
                    + "); if the kernel lacks nf_tables, try update-alternatives --set iptables /usr/sbin/iptables-legacy");
        }
        for (Host h : hosts.values()) {
            awaitAnswered(h, "after it was built");
        }
        Host[] all = hosts.values().toArray(Host[]::new);
        for (Host h : all) {
            expect(Reach.ANSWERED, pairs(h, Arrays.stream(all).filter(o -> o != h && o.name().compareTo(h.name()) > 0)
                    .toArray(Host[]::new)), "host to host after building");
        }
    }

    /** The bridge's address, added while no other interface has a route into the chosen /24; retried on a clash. */
    private Subnets.Prefix claimSubnet() {
        Random random = new Random();
        for (int attempt = 0; attempt < 5; attempt++) {
            Subnets.Prefix candidate = Subnets.pickFree(Subnets.inUse(), random);
            Sh.run("ip", "addr", "add", candidate.address(1) + "/24", "dev", runId);
            boolean clash = Arrays.stream(Sh.run("ip", "-4", "route", "show", "table", "all").split("\n"))
                    .filter(line -> !line.contains(" dev " + runId + " ") && !line.endsWith(" dev " + runId))
                    .flatMap(line -> Subnets.routeDestination(line).stream())
                    .anyMatch(candidate::overlaps);
            if (!clash) {
                return candidate;
            }
            log.warn("subnet={} clashed with a route that appeared meanwhile; picking another", candidate);
            Sh.run("ip", "addr", "del", candidate.address(1) + "/24", "dev", runId);
        }
        throw new IllegalStateException("every subnet tried clashed with another route; is another run creating bridges?");
    }

    /**
     * With br_netfilter loaded and bridge-nf-call-iptables on, frames between bridge ports pass the
     * root namespace's FORWARD chain; if that chain could drop them (a policy other than ACCEPT, or
     * any rule, as Docker leaves), one ACCEPT for this bridge goes first, and close() deletes it.
     * Nothing global is changed otherwise.
     */
    private void allowBridgedTraffic() {
        Path sysctl = Path.of("/proc/sys/net/bridge/bridge-nf-call-iptables");
        try {
            if (!Files.exists(sysctl) || !Files.readString(sysctl).strip().equals("1")) {
                return;
            }
        } catch (java.io.IOException e) {
            throw new IllegalStateException("cannot read " + sysctl, e);
        }
        String forward = Sh.run("iptables", "-w", "10", "-S", "FORWARD");
        if (forward.equals("-P FORWARD ACCEPT")) {
            return;
        }
        List<String> rule = List.of("FORWARD", "-i", runId, "-o", runId, "-m", "comment", "--comment",
                "ticketd-chaos:" + runId, "-j", "ACCEPT");
        Sh.run(Sh.concat(List.of("iptables", "-w", "10", "-I"), rule).toArray(String[]::new));
        forwardRule = rule;
        log.info("bridge={} br_netfilter is on and FORWARD is not a bare ACCEPT: added an ACCEPT for the bridge", runId);
    }

    private static String freeRunId() {
        Random random = new Random();
        String alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
        for (int attempt = 0; attempt < 20; attempt++) {
            String id = "tcb" + (ProcessHandle.current().pid() % 10000)
                    + alphabet.charAt(random.nextInt(36)) + alphabet.charAt(random.nextInt(36));
            if (!Files.exists(Path.of("/sys/class/net", id)) && namespacesWithPrefix(id).isEmpty()) {
                return id;
            }
        }
        throw new IllegalStateException("no free bridge name after 20 tries");
    }

    private static List<String> namespacesWithPrefix(String id) {
        File[] found = new File("/run/netns").listFiles((dir, n) -> n.startsWith(id + "-"));
        return found == null ? List.of() : Arrays.stream(found).map(File::getName).toList();
    }

    private static void requireRootAndTools() {
        String uid = Sh.run("id", "-u");
        if (!uid.equals("0")) {
            throw new IllegalStateException("the chaos hosts need root (they create network namespaces, a bridge and"
                    + " iptables rules); this runs as uid " + uid + ": run it as root");
        }
        Map<String, String> packages = Map.of("ip", "iproute2", "iptables", "iptables", "setpriv", "util-linux",
                "timeout", "coreutils", "sysctl", "procps", "bash", "bash");
        List<String> missing = packages.keySet().stream().filter(c -> !onPath(c)).sorted().toList();
        if (!missing.isEmpty()) {
            throw new IllegalStateException("the chaos hosts need commands that are not on PATH: " + missing
                    + "; install their Debian packages: apt-get install "
                    + String.join(" ", missing.stream().map(packages::get).distinct().toList()));
        }
    }

    private static boolean onPath(String command) {
        String path = System.getenv().getOrDefault("PATH", "");
        return Arrays.stream(path.split(File.pathSeparator)).anyMatch(dir -> Files.isExecutable(Path.of(dir, command)));
    }

    // ---- confirming ---------------------------------------------------------------------------

    private Reach.Probe probe(Host from, Integer uid, String address, int port) {
        return new Reach.Probe(from.namespace(), uid, address, port);
    }

    /** Probes both ways between {@code host} and each of {@code others}, side by side. */
    private List<Reach> pairs(Host host, Host... others) {
        List<Reach.Probe> probes = new ArrayList<>();
        for (Host o : others) {
            probes.add(probe(host, null, o.address(), PROBE_PORT));
            probes.add(probe(o, null, host.address(), PROBE_PORT));
        }
        return Reach.fromInside(probes);
    }

    private void expectAnswered(Host host, String when) {
        expect(Reach.ANSWERED, Reach.fromHarness(host.address(), PROBE_PORT), "harness -> " + host + " " + when);
        expect(Reach.ANSWERED, Reach.fromInside(probe(host, null, harnessAddress(), PROBE_PORT)), host + " -> harness " + when);
    }

    /** As {@link #expectAnswered}, for up to 10 s: a link that just came up may still be resolving neighbours. */
    private void awaitAnswered(Host host, String when) {
        String[] last = {"no probe yet"};
        poll("harness <-> " + host + " answering " + when, Duration.ofSeconds(10), () -> {
            try {
                expectAnswered(host, when);
                return true;
            } catch (IllegalStateException e) {
                last[0] = e.getMessage();
                return false;
            }
        }, last);
    }

    private static void poll(String what, Duration timeout, java.util.function.BooleanSupplier done, String[] lastSeen) {
        try {
            Poll.until(what, timeout, done);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for " + what, e);
        } catch (IllegalStateException e) {
            throw new IllegalStateException(e.getMessage() + " (last: " + lastSeen[0] + ")", e);
        }
    }

    private static void expect(Reach wanted, Reach seen, String what) {
        if (seen != wanted) {
            throw new IllegalStateException("not observed: " + what + " should be " + wanted + " but is " + seen);
        }
    }

    private static void expect(Reach wanted, List<Reach> seen, String what) {
        if (seen.stream().anyMatch(r -> r != wanted)) {
            throw new IllegalStateException("not observed: " + what + " should all be " + wanted + " but are " + seen);
        }
    }

    private void removeRules(Host host, String fault) {
        if (firewall.remove(host, fault) == 0) {
            throw new IllegalStateException("no " + fault + " rules in place on " + host);
        }
    }

    private void requireOpen() {
        if (closed) {
            throw new IllegalStateException("hosts of run " + runId + " are closed");
        }
    }

    private static String names(Host... hs) {
        return String.join(",", Arrays.stream(hs).map(Host::name).toList());
    }

    // ---- removing -----------------------------------------------------------------------------

    /**
     * Kills every process still inside the hosts, deletes the namespaces (their rules go with
     * them), the veths, the bridge and the root FORWARD rule if one was added, then checks that
     * none of them is left. Idempotent; on failure it still removes what it can and then throws.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        Reaper.unregister(this);
        List<String> problems = new ArrayList<>();
        for (Host h : hosts.values()) {
            try {
                h.killAll(Duration.ofSeconds(10));
            } catch (RuntimeException | InterruptedException e) {
                problems.add("killing the processes of " + h + ": " + e.getMessage());
            }
            firewall.forget(h);
        }
        for (String ns : namespacesMade) {
            Sh.Result r = Sh.exec("ip", "netns", "del", ns);
            if (!r.ok()) {
                problems.add("ip netns del " + ns + ": " + r.output());
            }
        }
        for (String veth : vethsMade) {
            // a namespace's end goes with it, and takes the pair along, but the kernel does that a moment later
            if (!awaitGone(Path.of("/sys/class/net", veth))) {
                Sh.Result r = Sh.exec("ip", "link", "del", veth);
                if (!r.ok() && !r.output().contains("Cannot find device")) {
                    problems.add("ip link del " + veth + ": " + r.output());
                }
            }
        }
        if (bridgeMade) {
            Sh.Result r = Sh.exec("ip", "link", "del", runId);
            if (!r.ok()) {
                problems.add("ip link del " + runId + ": " + r.output());
            }
        }
        if (forwardRule != null) {
            Sh.Result r = Sh.exec(Sh.concat(List.of("iptables", "-w", "10", "-D"), forwardRule).toArray(String[]::new));
            if (!r.ok()) {
                problems.add("removing the root FORWARD rule " + forwardRule + ": " + r.output());
            }
        }
        List<String> left = new ArrayList<>(namespacesWithPrefix(runId));
        if (Files.exists(Path.of("/sys/class/net", runId))) {
            left.add(runId);
        }
        vethsMade.stream().filter(v -> Files.exists(Path.of("/sys/class/net", v))).forEach(left::add);
        if (!left.isEmpty()) {
            problems.add("still present: " + left);
        }
        if (!problems.isEmpty()) {
            throw new IllegalStateException("cleanup of run " + runId + " incomplete: " + String.join("; ", problems));
        }
        log.info("hosts down bridge={} namespaces={} removed", runId, namespacesMade.size());
    }

    private static boolean awaitGone(Path path) {
        try {
            poll(path + " to vanish", Duration.ofSeconds(5), () -> !Files.exists(path), new String[] {"present"});
            return true;
        } catch (IllegalStateException e) {
            return false;
        }
    }

    @Override
    public String toString() {
        return "Hosts(" + runId + ", " + (subnet == null ? "no subnet yet" : subnet) + ", " + hosts.keySet() + ")";
    }
}
