package dev.ticketd.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * Starts the packaged node ({@code ticketd.jar}) as a JVM of its own, as production starts it:
 * {@code java -jar ticketd.jar <command> …}, with the java of the JVM that launches it. The one
 * launcher of the ticket-node integration tests, the benchmarks and the chaos harness; a harness
 * that runs nodes inside a network namespace puts its prefix ({@code ip netns exec <ns>}) in front.
 *
 * <p>It lives in this test-jar because every module's tests and the chaos harness already depend
 * on it, and it needs nothing but the JDK; it does not know the node's classes or configuration
 * keys (each caller writes its own configuration file). Immutable; no I/O until a start.
 *
 * @param jar           the packaged node jar
 * @param commandPrefix put in front of {@code java} (empty, or e.g. {@code ip netns exec ns1})
 */
public record NodeLauncher(Path jar, List<String> commandPrefix) {

    /**
     * JVM options of a node under test: a small heap (three nodes and their dependencies share one
     * machine) and the C1 compiler only, which starts faster and is plenty for a test's load.
     */
    public static final List<String> NODE_JVM_OPTIONS = List.of("-Xmx256m", "-XX:TieredStopAtLevel=1");

    public NodeLauncher {
        jar = Objects.requireNonNull(jar, "jar").toAbsolutePath();
        commandPrefix = List.copyOf(commandPrefix);
    }

    /** Processes started directly (not behind a prefix). */
    public static NodeLauncher of(Path jar) {
        return new NodeLauncher(jar, List.of());
    }

    /** The same launcher, running its processes behind {@code prefix} (e.g. inside a network namespace). */
    public NodeLauncher behind(List<String> prefix) {
        return new NodeLauncher(jar, prefix);
    }

    /** {@code [prefix] java [jvmOptions] -jar ticketd.jar [args]}, for a caller that sets redirects and environment itself. */
    public ProcessBuilder processBuilder(List<String> jvmOptions, List<String> args) {
        List<String> command = new ArrayList<>(commandPrefix);
        command.add(ProcessHandle.current().info().command().orElse("java"));
        command.addAll(jvmOptions);
        command.add("-jar");
        command.add(jar.toString());
        command.addAll(args);
        return new ProcessBuilder(command);
    }

    /**
     * Starts {@code ticketd serve --config <config>} with {@link #NODE_JVM_OPTIONS} and stdout and
     * stderr in {@code log}: appended to it when {@code appendToLog} (a restart), else the log is
     * started afresh. The caller owns the process (and kills it: nothing here outlives the caller's close).
     */
    public Process serve(Path config, Path log, boolean appendToLog) throws IOException {
        return serve(NODE_JVM_OPTIONS, Map.of(), config, log, appendToLog);
    }

    /** {@link #serve(Path, Path, boolean)} with the given JVM options and {@code environment} added to the inherited one. */
    public Process serve(List<String> jvmOptions, Map<String, String> environment, Path config, Path log, boolean appendToLog)
            throws IOException {
        ProcessBuilder pb = processBuilder(jvmOptions, List.of("serve", "--config", config.toString()))
                .redirectErrorStream(true)
                .redirectOutput(appendToLog ? ProcessBuilder.Redirect.appendTo(log.toFile()) : ProcessBuilder.Redirect.to(log.toFile()));
        pb.environment().putAll(environment);
        return pb.start();
    }

    /**
     * Runs a command of the node's CLI (say {@code user add …}) to its end, with {@code stdinLine}
     * (when not null) as its first input line, and returns its output. The command must close its
     * output when it ends (the node's CLI commands do): the output is read to its end first.
     *
     * @throws IllegalStateException with the output, when it exits non-zero or does not end within {@code timeout}
     */
    public String run(List<String> args, String stdinLine, Duration timeout) throws IOException, InterruptedException {
        Process p = processBuilder(List.of(), args).redirectErrorStream(true).start();
        try (var stdin = p.getOutputStream()) {
            if (stdinLine != null) {
                stdin.write((stdinLine + "\n").getBytes(StandardCharsets.UTF_8));
            }
        } catch (IOException ended) {
            // it ended without reading its input (a broken pipe): its exit status and output say why
        }
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException("ticketd " + String.join(" ", args) + " did not end within " + timeout + ": " + output);
        }
        if (p.exitValue() != 0) {
            throw new IllegalStateException("ticketd " + String.join(" ", args) + " failed (exit " + p.exitValue() + "): " + output);
        }
        return output;
    }
}
