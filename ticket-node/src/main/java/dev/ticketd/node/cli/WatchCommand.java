package dev.ticketd.node.cli;

import dev.ticketd.node.config.ConfigLoader;
import dev.ticketd.node.watch.OutsideWatch;
import dev.ticketd.node.watch.SelfWatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.net.http.HttpClient;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

@Command(name = "watch", mixinStandardHelpOptions = true,
        description = "Watch a ticketd cluster from outside its hosts: ask every node (watch.nodes) each watch.interval and alert"
                + " through alert.smtp.* / alert.webhook.* when no node is ready, or none watches itself, for watch.silent-after."
                + " Runs until stopped. Its --config is its own file, not a node's.")
public final class WatchCommand implements Callable<Integer> {

    @Mixin
    ConfigOption config;
    @Spec
    CommandSpec spec;
    @Option(names = "--once", description = "Ask every node once, print what each answered and exit: 0 when one is ready, 1 when none is."
            + " Sends no alert.")
    boolean once;

    @Override
    public Integer call() {
        ConfigLoader.OutsideWatchConfig c = ConfigLoader.loadOutsideWatch(config.file, System.getenv());
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        OutsideWatch watch = new OutsideWatch(c.settings(), SelfWatch.channels(c.channels(), http), http, Clock.systemUTC());
        PrintWriter out = spec.commandLine().getOut();
        if (once) {
            List<OutsideWatch.NodeAnswer> answers = watch.probe();
            answers.forEach(a -> out.println(a.node() + " " + (a.ready() ? "ready" : a.problem()) + (a.watching() ? ", watching" + (a.canariesLate() > 0 ? ", canaries late at " + a.canariesLate() + " mailbox(es)" : "") : "")));
            out.flush();
            return answers.stream().anyMatch(OutsideWatch.NodeAnswer::ready) ? 0 : 1;
        }
        CountDownLatch stop = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(stop::countDown, "watch-stop"));
        out.println("watching " + c.settings().nodes().size() + " node(s) of cluster " + c.settings().clusterName()
                + " every " + c.settings().interval().toSeconds() + " s; alert after " + c.settings().silentAfter().toSeconds() + " s of silence");
        out.flush();
        try {
            do {
                watch.round();
            } while (!stop.await(c.settings().interval().toMillis(), TimeUnit.MILLISECONDS));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return 0;
    }
}
