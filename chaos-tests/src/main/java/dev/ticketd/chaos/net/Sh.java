package dev.ticketd.chaos.net;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The short commands that build and change the simulated network ({@code ip}, {@code iptables}),
 * run with {@code LC_ALL=C} so their messages can be read, and bounded so a hung tool cannot hang
 * the harness.
 */
final class Sh {

    /** What a finished command said: its exit code and its output (stdout and stderr together). */
    record Result(int exit, String output) {
        boolean ok() {
            return exit == 0;
        }
    }

    private Sh() {
    }

    static Process start(List<String> command) {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().put("LC_ALL", "C");
        try {
            return pb.start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + String.join(" ", command), e);
        }
    }

    /** Waits for a command {@link #start started} earlier; killed (and reported as such) after {@code seconds}. */
    static Result await(Process p, List<String> command, long seconds) {
        try {
            byte[] out;
            try (var in = p.getInputStream()) {
                out = in.readAllBytes();
            }
            if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException("timed out after " + seconds + " s: " + String.join(" ", command));
            }
            return new Result(p.exitValue(), new String(out).strip());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the output of " + String.join(" ", command), e);
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted: " + String.join(" ", command), e);
        }
    }

    /** Runs a command and returns what it said, whatever its exit code. */
    static Result exec(String... command) {
        List<String> cmd = List.of(command);
        return await(start(cmd), cmd, 30);
    }

    /** Runs a command and fails with its output when it exits non-zero. */
    static String run(String... command) {
        Result r = exec(command);
        if (!r.ok()) {
            throw new IllegalStateException("failed (exit " + r.exit() + "): " + String.join(" ", command) + ": " + r.output());
        }
        return r.output();
    }

    static List<String> concat(List<String> a, List<String> b) {
        List<String> all = new ArrayList<>(a);
        all.addAll(b);
        return List.copyOf(all);
    }
}
