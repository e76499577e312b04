package dev.ticketd.chaos;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** Process and file chores of the harness: killing exactly the processes it started, ports, folders. */
public final class Procs {

    private Procs() {
    }

    /**
     * {@code kill -9} of each process, then waits (bounded) until all are gone; fails loudly if one
     * survives. Returns when the last signal was sent: the moment the fault took effect.
     */
    public static java.time.Instant killAll(List<ProcessHandle> victims, Duration wait) throws InterruptedException {
        victims.forEach(ProcessHandle::destroyForcibly);
        java.time.Instant signalled = java.time.Instant.now();
        long deadline = System.nanoTime() + wait.toNanos();
        for (ProcessHandle p : victims) {
            while (p.isAlive()) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("process " + p.pid() + " survived kill -9 for " + wait);
                }
                TimeUnit.MILLISECONDS.sleep(20);
            }
        }
        return signalled;
    }

    /** A TCP port that was free on 127.0.0.1 a moment ago. */
    public static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** Runs a short command and fails with its output when it exits non-zero or takes longer than 60 s. */
    public static String run(List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        byte[] out;
        try (var in = p.getInputStream()) {
            out = in.readAllBytes();
        }
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("timed out: " + String.join(" ", command));
        }
        String text = new String(out);
        if (p.exitValue() != 0) {
            throw new IOException("failed (exit " + p.exitValue() + "): " + String.join(" ", command) + ": " + text.strip());
        }
        return text;
    }

    public static void chown(Path path, String user) throws IOException {
        try {
            run(List.of("chown", user + ":" + user, path.toString()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while changing the owner of " + path, e);
        }
    }

    /** Deletes a folder and everything in it; what cannot be deleted is left (and harmless once the processes are gone). */
    public static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // best effort
        }
    }
}
