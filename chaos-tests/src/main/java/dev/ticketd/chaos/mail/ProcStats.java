package dev.ticketd.chaos.mail;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** CPU time and memory of processes, read from {@code /proc} (Linux only). */
final class ProcStats {

    /** Linux's USER_HZ, the unit of the times in {@code /proc/PID/stat}; 100 on every mainstream kernel. */
    private static final double TICKS_PER_SECOND = 100.0;

    private ProcStats() {
    }

    /** This JVM's CPU time (all threads, user + system) in seconds. */
    static double selfCpuSeconds() {
        var os = ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
            return sun.getProcessCpuTime() / 1e9;
        }
        return ProcessHandle.current().info().totalCpuDuration().map(d -> d.toNanos() / 1e9).orElse(Double.NaN);
    }

    /**
     * CPU seconds (user + system) of {@code root} and every live descendant, plus what their exited
     * and reaped children used ({@code cutime}, {@code cstime}). The difference of two readings is
     * the tree's CPU time in between, as long as the root reaps its children (Dovecot's master and
     * the postmaster do). Empty when the root is gone.
     */
    static Optional<Double> treeCpuSeconds(long rootPid) {
        Optional<ProcessHandle> root = ProcessHandle.of(rootPid);
        if (root.isEmpty()) {
            return Optional.empty();
        }
        List<ProcessHandle> all = new ArrayList<>();
        all.add(root.get());
        all.addAll(root.get().descendants().toList());
        long ticks = 0;
        for (ProcessHandle p : all) {
            ticks += ticks(p.pid());
        }
        return Optional.of(ticks / TICKS_PER_SECOND);
    }

    private static long ticks(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"), StandardCharsets.US_ASCII);
            // fields after "(comm) ": state is field 3, utime 14, stime 15, cutime 16, cstime 17
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(f[11]) + Long.parseLong(f[12]) + Long.parseLong(f[13]) + Long.parseLong(f[14]);
        } catch (IOException | RuntimeException gone) {
            return 0; // the process ended between the listing and the read; its parent counts it once reaped
        }
    }

    /** A line of {@code /proc/self/status} in KiB, e.g. {@code VmHWM} (peak resident set) or {@code VmRSS}. */
    static long selfStatusKib(String key) {
        return statusKib(Path.of("/proc/self/status"), key);
    }

    /** A line of process {@code pid}'s {@code /proc/PID/status} in KiB; -1 when it cannot be read (the process is gone). */
    static long statusKib(long pid, String key) {
        return statusKib(Path.of("/proc", Long.toString(pid), "status"), key);
    }

    private static long statusKib(Path status, String key) {
        try {
            for (String line : Files.readAllLines(status, StandardCharsets.US_ASCII)) {
                if (line.startsWith(key + ":")) {
                    return Long.parseLong(line.substring(key.length() + 1).replace("kB", "").strip());
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }

    /** The first three fields of {@code /proc/loadavg} (1, 5 and 15 minutes): how busy the shared machine was. */
    static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg"), StandardCharsets.US_ASCII).split(" ");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }
}
