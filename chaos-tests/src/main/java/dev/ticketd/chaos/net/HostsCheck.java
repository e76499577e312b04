package dev.ticketd.chaos.net;

import dev.ticketd.chaos.Poll;
import dev.ticketd.chaos.Procs;
import dev.ticketd.chaos.Reaper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A by-hand check of {@link Hosts} (as root): builds four hosts, serves HTTP from one, fetches it
 * from the harness and the other hosts, applies and reverts every fault while showing what a
 * client sees, then closes and shows that no namespace, link or process is left.
 * {@code java -cp … dev.ticketd.chaos.net.HostsCheck}; exits non-zero on the first surprise.
 */
public final class HostsCheck {

    private static final Logger log = LoggerFactory.getLogger(HostsCheck.class);
    private static final int HTTP = 8080;

    private HostsCheck() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Files.createTempDirectory("hosts-check");
        // registered so that Ctrl-C or SIGTERM (which skip the finally below) removes it too
        AutoCloseable removeDir = Reaper.register(() -> Procs.deleteTree(dir));
        List<ProcessHandle> started = new ArrayList<>();
        String runId;
        try {
            long t0 = System.nanoTime();
            Hosts hosts = Hosts.create(List.of("n1", "n2", "n3", "mail"));
            log.info("check=create hosts=4 ms={}", (System.nanoTime() - t0) / 1_000_000);
            runId = hosts.bridge();
            try (hosts) {
                exercise(hosts, dir, started);
            }
        } finally {
            Reaper.unregister(removeDir);
            removeDir.close();
        }
        show("ip netns list (ours: " + runId + "-*)", Sh.run("ip", "netns", "list"));
        show("ip -br link (ours: " + runId + "*)", Sh.run("ip", "-br", "link"));
        boolean leftover = Sh.run("ip", "netns", "list").contains(runId) || Sh.run("ip", "-br", "link").contains(runId)
                || started.stream().anyMatch(ProcessHandle::isAlive);
        if (leftover) {
            throw new IllegalStateException("something of run " + runId + " is left");
        }
        log.info("check=cleanup run={} nothing left; processes started inside: {} all gone", runId,
                started.stream().map(ProcessHandle::pid).toList());
    }

    private static void exercise(Hosts hosts, Path dir, List<ProcessHandle> started) throws Exception {
        Host n1 = hosts.host("n1");
        Host n2 = hosts.host("n2");
        Host n3 = hosts.host("n3");
        Host mail = hosts.host("mail");
        show("subnet " + hosts.subnet() + ", harness " + hosts.harnessAddress() + ", hosts", hosts.hosts().toString());
        show("routes inside n2 (no default)", Sh.run("ip", "-n", n2.namespace(), "-4", "route"));
        expect("n2 -> this machine's own uplink address (no route out)", Reach.UNREACHABLE,
                Reach.fromInside(new Reach.Probe(n2.namespace(), null, uplinkAddress(hosts), 22)));

        Process web = n1.start(List.of("python3", "-m", "http.server", String.valueOf(HTTP), "--bind", n1.address()),
                dir.resolve("web.log"));
        started.add(web.toHandle());
        Poll.until("the web server on n1", Duration.ofSeconds(20),
                () -> Reach.fromHarness(n1.address(), HTTP) == Reach.ANSWERED && fetch(null, n1) == 200);
        show("processes on n1", n1.processes().stream().map(p -> p.pid() + " " + p.info().commandLine().orElse("?")).toList().toString());
        everyoneFetches(n1, List.of(n2, n3, mail), 200);

        hosts.dropAll(n1);
        everyoneFetches(n1, List.of(n2, n3, mail), -1);
        hosts.restoreAll(n1);
        everyoneFetches(n1, List.of(n2, n3, mail), 200);

        hosts.partition(n1, n2, n3);
        expect("harness fetches from partitioned n1", 200, fetch(null, n1));
        expect("n2 fetches from partitioned n1", -1, fetch(n2, n1));
        expect("mail (not in the partition) fetches from n1", 200, fetch(mail, n1));
        hosts.heal(n1);
        everyoneFetches(n1, List.of(n2, n3, mail), 200);

        Hosts.PortBlock cut = hosts.blockPort(n2, n1.address(), HTTP);
        expect("n2 fetches with n1:" + HTTP + " blocked", -1, fetch(n2, n1));
        expect("n3 fetches while only n2 is blocked", 200, fetch(n3, n1));
        hosts.unblock(cut);
        expect("n2 fetches after unblock", 200, fetch(n2, n1));

        Hosts.PortBlock nobody = hosts.blockPort(n2, n1.address(), HTTP, 65534);
        show("iptables -S OUTPUT inside n2", Sh.run(Sh.concat(n2.commandPrefix(), List.of("iptables", "-S", "OUTPUT")).toArray(String[]::new)));
        expect("root on n2 fetches while uid 65534 is blocked", 200, fetch(n2, n1));
        hosts.unblock(nobody);

        hosts.linkDown(n3);
        Process late = n3.start(List.of("python3", "-m", "http.server", String.valueOf(HTTP), "--bind", n3.address()),
                dir.resolve("late.log"));
        started.add(late.toHandle());
        Poll.until("the web server on n3 (link down) listening", Duration.ofSeconds(20),
                () -> Sh.exec(Sh.concat(n3.commandPrefix(), List.of("ss", "-Hltn", "sport = :" + HTTP)).toArray(String[]::new))
                        .output().contains(n3.address()));
        expect("n2 fetches from n3 while its link is down", -1, fetch(n2, n3));
        hosts.linkUp(n3);
        expect("n2 fetches from n3 after its link came up", 200, fetch(n2, n3));

        // a whole host lost: silent first, then every process on it killed
        hosts.dropAll(n1);
        int killed = n1.killAll(Duration.ofSeconds(10));
        expect("processes left on n1 after killAll (killed " + killed + ")", 0, n1.processes().size());
        hosts.restoreAll(n1);
        expect("harness fetches from n1 with its processes gone", -1, fetch(null, n1));
        log.info("check=faults all applied, observed and reverted; n3 still runs {}", n3.processes().size());
    }

    private static void everyoneFetches(Host server, List<Host> clients, int wanted) {
        expect("harness fetches from " + server.name(), wanted, fetch(null, server));
        List<Integer> seen = clients.stream().map(c -> fetch(c, server)).toList();
        expect(clients.stream().map(Host::name).toList() + " fetch from " + server.name(), List.of(wanted, wanted, wanted), seen);
    }

    /** The HTTP status of {@code GET /} on the server from a host (or the harness when null), -1 for none in 3 s. */
    private static int fetch(Host from, Host server) {
        List<String> cmd = new ArrayList<>(from == null ? List.of() : from.commandPrefix());
        cmd.addAll(List.of("python3", "-c", "import sys, urllib.request\n"
                + "try:\n    print(urllib.request.urlopen(sys.argv[1], timeout=3).status)\n"
                + "except Exception as e:\n    print(-1, e)",
                "http://" + server.address() + ":" + HTTP + "/"));
        String out = Sh.run(cmd.toArray(String[]::new));
        log.info("fetch from={} to={} -> {}", from == null ? "harness" : from.name(), server.name(), out);
        return Integer.parseInt(out.split("\\s+")[0]);
    }

    /** An address this machine has outside the hosts' subnet (its uplink), which the hosts must not reach. */
    private static String uplinkAddress(Hosts hosts) {
        String prefix = hosts.subnet().substring(0, hosts.subnet().lastIndexOf('.') + 1);
        return java.util.Arrays.stream(Sh.run("ip", "-4", "-o", "addr", "show", "scope", "global").split("\n"))
                .map(line -> line.replaceAll(".*\\binet (\\S+)/.*", "$1"))
                .filter(a -> !a.startsWith(prefix))
                .findFirst().orElseThrow(() -> new IllegalStateException("this machine has no global address to try"));
    }

    private static void expect(String what, Object wanted, Object seen) {
        if (!wanted.equals(seen)) {
            throw new IllegalStateException(what + ": wanted " + wanted + ", saw " + seen);
        }
        log.info("check ok: {} = {}", what, seen);
    }

    private static void show(String title, String text) {
        log.info("{}:\n{}", title, text.strip());
    }
}
