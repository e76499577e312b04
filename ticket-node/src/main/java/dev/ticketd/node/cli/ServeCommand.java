package dev.ticketd.node.cli;

import dev.ticketd.node.Node;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

import java.time.Clock;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "Run a ticket node (production start). Migrates the schema, serves staff, reads mailboxes.")
public final class ServeCommand implements Callable<Integer> {

    @Mixin
    ConfigOption config;

    @Override
    public Integer call() throws InterruptedException {
        Node node = new Node(config.load(), Clock.systemUTC());
        CountDownLatch stopped = new CountDownLatch(1);
        // SIGTERM / Ctrl-C: stop in reverse order, then let the JVM exit
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            node.close();
            stopped.countDown();
        }, "ticketd-shutdown"));
        node.start();
        stopped.await();
        return 0;
    }
}
