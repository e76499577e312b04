package dev.ticketd.node.cli;

import dev.ticketd.node.Node;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.time.Clock;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "Run a ticket node (production start). Migrates the schema, serves staff, reads mailboxes.")
public final class ServeCommand implements Callable<Integer> {

    @Mixin
    ConfigOption config;

    @Option(names = "--parent-pid", hidden = true,
            description = "Exit when this process ends (used by `demo --nodes N` for its node processes).")
    Long parentPid;

    @Override
    public Integer call() throws InterruptedException {
        Node node = new Node(config.load(), Clock.systemUTC());
        CountDownLatch stopped = new CountDownLatch(1);
        // SIGTERM / Ctrl-C: stop in reverse order, then let the JVM exit
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            node.close();
            stopped.countDown();
        }, "ticketd-shutdown"));
        if (parentPid != null) {
            exitWhenGone(parentPid);
        }
        node.start();
        stopped.await();
        return 0;
    }

    /** A node of a demo must not outlive its supervisor, even one killed with SIGKILL. */
    private static void exitWhenGone(long pid) {
        Thread watcher = new Thread(() -> {
            while (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
                try {
                    Thread.sleep(500);
                } catch (InterruptedException e) {
                    return;
                }
            }
            // the supervisor took ZooKeeper and the mail server with it: a clean stop may hang on them
            Thread halt = new Thread(() -> {
                try {
                    Thread.sleep(15_000);
                } catch (InterruptedException ignored) {
                    // halting now is what this thread is for
                }
                Runtime.getRuntime().halt(0);
            }, "parent-gone-halt");
            halt.setDaemon(true);
            halt.start();
            System.exit(0); // runs the shutdown hook: the node stops cleanly if it can
        }, "parent-watcher");
        watcher.setDaemon(true);
        watcher.start();
    }
}
