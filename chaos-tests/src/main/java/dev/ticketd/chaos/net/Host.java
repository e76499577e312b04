package dev.ticketd.chaos.net;

import dev.ticketd.chaos.Procs;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * One simulated host: a network namespace with its own address on the run's bridge. Anything put
 * behind {@link #commandPrefix()} runs "on" this host; {@link Hosts#close()} kills whatever still
 * runs there, so processes started here need no cleanup of their own.
 */
public final class Host {

    private final String name;
    private final String namespace;
    private final String address;
    private final String rootVeth;

    Host(String name, String namespace, String address, String rootVeth) {
        this.name = name;
        this.namespace = namespace;
        this.address = address;
        this.rootVeth = rootVeth;
    }

    /** The name the harness gave it, e.g. {@code n1}. */
    public String name() {
        return name;
    }

    /** Its IPv4 address on the run's bridge, e.g. {@code 10.183.7.11}. */
    public String address() {
        return address;
    }

    /** The network namespace's name (unique per run). */
    public String namespace() {
        return namespace;
    }

    /** The bridge-side end of its veth pair, in the root namespace. */
    String rootVeth() {
        return rootVeth;
    }

    /** Put in front of a command to run it inside this host: {@code ip netns exec <namespace>}. */
    public List<String> commandPrefix() {
        return List.of("ip", "netns", "exec", namespace);
    }

    /** A builder for {@code command} inside this host, for callers that set the environment or folder themselves. */
    public ProcessBuilder processBuilder(List<String> command) {
        return new ProcessBuilder(Sh.concat(commandPrefix(), command));
    }

    /**
     * Starts {@code command} inside this host with stdout and stderr appended to {@code log}. The
     * returned process is the command itself ({@code ip netns exec} execs it in place), so its pid
     * is the command's pid.
     */
    public Process start(List<String> command, Path log) throws IOException {
        return processBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .start();
    }

    /** Every live process whose network namespace is this host's ({@code ip netns pids}), whoever started it. */
    public List<ProcessHandle> processes() {
        Sh.Result r = Sh.exec("ip", "netns", "pids", namespace);
        if (!r.ok()) {
            throw new IllegalStateException("cannot list the processes of host " + name + ": " + r.output());
        }
        List<ProcessHandle> found = new ArrayList<>();
        for (String pid : r.output().split("\\s+")) {
            if (!pid.isEmpty()) {
                Optional<ProcessHandle> p = ProcessHandle.of(Long.parseLong(pid));
                p.filter(ProcessHandle::isAlive).ifPresent(found::add);
            }
        }
        return found;
    }

    /**
     * {@code kill -9} of every process on this host (the second half of a whole-host loss), repeated
     * until none is left, since a supervisor on the host may start a child while we kill. Returns
     * how many were killed; throws if processes remain after a few rounds.
     */
    public int killAll(Duration wait) throws InterruptedException {
        int killed = 0;
        for (int round = 0; round < 5; round++) {
            List<ProcessHandle> victims = processes();
            if (victims.isEmpty()) {
                return killed;
            }
            Procs.killAll(victims, wait);
            killed += victims.size();
        }
        List<ProcessHandle> left = processes();
        if (!left.isEmpty()) {
            throw new IllegalStateException("host " + name + " still runs " + left.stream().map(ProcessHandle::pid).toList()
                    + " after 5 rounds of kill -9");
        }
        return killed;
    }

    @Override
    public String toString() {
        return name + "(" + address + ", netns " + namespace + ")";
    }
}
