package dev.ticketd.chaos.mail;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/** Starting daemon commands, waiting for their greeting, and ending process trees by pid. */
final class Daemons {

    private static final Logger log = LoggerFactory.getLogger(Daemons.class);
    private static final Duration POLL = Duration.ofMillis(50);
    private static final Duration KILL_WAIT = Duration.ofSeconds(10);

    private Daemons() {
    }

    /** Starts {@code prefix + command} with stdout and stderr appended to {@code out} and no stdin. */
    static Process launch(List<String> prefix, List<String> command, Path out) throws IOException {
        List<String> all = new ArrayList<>(prefix);
        all.addAll(command);
        return new ProcessBuilder(all)
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(out.toFile()))
                .start();
    }

    /** Runs a short command to its end; fails with its output when it does not exit 0 within the timeout. */
    static void run(List<String> prefix, List<String> command, Path out, Duration timeout, Supplier<String> diagnostics)
            throws IOException, InterruptedException {
        Process p = launch(prefix, command, out);
        if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            throw new IOException(String.join(" ", command) + " did not finish within " + timeout + diagnostics.get());
        }
        if (p.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " exited " + p.exitValue() + diagnostics.get());
        }
    }

    /**
     * Waits until a TCP connection to host:port reads a first line starting with {@code greeting}
     * (e.g. {@code "* OK"}, {@code "220"}), failing early when {@code alive} turns false.
     */
    static void awaitGreeting(String host, int port, String greeting, long deadlineNanos,
                              Supplier<Boolean> alive, Supplier<String> diagnostics) throws IOException, InterruptedException {
        String last = "no attempt";
        while (true) {
            if (!alive.get()) {
                throw new IOException("the daemon for " + host + ":" + port + " exited before it answered" + diagnostics.get());
            }
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(host, port), 1000);
                s.setSoTimeout(2000);
                String line = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII)).readLine();
                if (line != null && line.startsWith(greeting)) {
                    return;
                }
                last = "greeting " + line;
            } catch (IOException e) {
                last = e.toString();
            }
            if (System.nanoTime() - deadlineNanos > 0) {
                throw new IOException("nothing answered \"" + greeting + "\" on " + host + ":" + port + " in time (" + last + ")" + diagnostics.get());
            }
            Thread.sleep(POLL.toMillis()); // a poll interval inside a deadline loop, not a wait for settling
        }
    }

    /**
     * Stops {@code root} (SIGSTOP, so it forks nothing more), kills it and every descendant with
     * SIGKILL, and waits until all are gone.
     */
    static void kill9Tree(ProcessHandle root) throws IOException, InterruptedException {
        if (!running(root)) {
            return;
        }
        signal("STOP", root.pid());
        List<ProcessHandle> all = new ArrayList<>();
        all.add(root);
        all.addAll(root.descendants().toList());
        all.forEach(ProcessHandle::destroyForcibly);
        if (!awaitGone(all, KILL_WAIT)) {
            throw new IOException("processes survived SIGKILL for " + KILL_WAIT + ": " + describe(all));
        }
    }

    /**
     * SIGTERM to {@code root} and then to the descendants it had, waits up to {@code grace} for
     * them all; whatever is still there then gets SIGKILL. The descendants get the signal
     * directly because Dovecot's master exits without waiting for its imap processes, which then
     * keep a client's connection for another 10 s before they notice; on SIGTERM they say
     * {@code BYE Server shutting down} at once.
     */
    static void stopTree(ProcessHandle root, Duration grace) throws IOException, InterruptedException {
        if (!running(root)) {
            return;
        }
        List<ProcessHandle> all = new ArrayList<>();
        all.add(root);
        all.addAll(root.descendants().toList());
        all.forEach(ProcessHandle::destroy); // root first: it spawns nothing once it shuts down
        if (awaitGone(all, grace)) {
            return;
        }
        log.warn("still running {} after SIGTERM, sending SIGKILL: {}", grace, describe(all));
        kill9Tree(root);
        all.stream().filter(Daemons::running).forEach(ProcessHandle::destroyForcibly);
        if (!awaitGone(all, KILL_WAIT)) {
            throw new IOException("processes survived SIGKILL for " + KILL_WAIT + ": " + describe(all));
        }
    }

    /**
     * Whether a process still runs. A zombie does not: on this kind of machine PID 1 reaps
     * orphans only every few seconds, and {@link ProcessHandle#isAlive()} counts a zombie as
     * alive, so a daemon's children, orphaned when their master exits first, would look alive.
     */
    static boolean running(ProcessHandle p) {
        if (!p.isAlive()) {
            return false;
        }
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(p.pid()), "stat"), StandardCharsets.US_ASCII);
            int close = stat.lastIndexOf(')'); // the command name may hold spaces and brackets
            return close < 0 || close + 2 >= stat.length() || stat.charAt(close + 2) != 'Z';
        } catch (IOException e) {
            return p.isAlive(); // gone between the two looks, or /proc unreadable
        }
    }

    private static boolean awaitGone(List<ProcessHandle> processes, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (processes.stream().anyMatch(Daemons::running)) {
            if (System.nanoTime() - deadline > 0) {
                return false;
            }
            Thread.sleep(POLL.toMillis()); // poll interval inside a deadline
        }
        return true;
    }

    private static List<String> describe(List<ProcessHandle> processes) {
        return processes.stream().filter(Daemons::running)
                .map(p -> p.pid() + " " + p.info().commandLine().orElse("?")).toList();
    }

    private static void signal(String name, long pid) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(pid)).redirectErrorStream(true).start();
        kill.getInputStream().readAllBytes();
        if (!kill.waitFor(5, TimeUnit.SECONDS)) {
            kill.destroyForcibly();
        }
    }

    /** The last lines of a log file, for error messages; empty when it does not exist. */
    static String tail(Path file, int lines) {
        try {
            if (!Files.exists(file)) {
                return "";
            }
            List<String> all = Files.readAllLines(file, StandardCharsets.UTF_8);
            return "\n--- " + file + " (last " + Math.min(lines, all.size()) + " lines)\n"
                    + String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException | RuntimeException e) {
            return "\n--- " + file + " unreadable: " + e;
        }
    }
}
