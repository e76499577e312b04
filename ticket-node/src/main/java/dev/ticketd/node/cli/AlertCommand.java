package dev.ticketd.node.cli;

import dev.ticketd.node.config.NodeConfig;
import dev.ticketd.node.watch.Alert;
import dev.ticketd.node.watch.AlertChannel;
import dev.ticketd.node.watch.Finding;
import dev.ticketd.node.watch.SelfWatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.net.http.HttpClient;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "alert", mixinStandardHelpOptions = true,
        description = "The self-watch's alert channels (alert.smtp.*, alert.webhook.*).",
        subcommands = {AlertCommand.Test.class})
public final class AlertCommand {

    /** Exit code when a channel did not take the test notice. */
    static final int SOME_FAILED = 1;
    /** Exit code when the configuration names no channel: nobody would ever be told. */
    static final int NO_CHANNEL = 3;

    @Command(name = "test", mixinStandardHelpOptions = true,
            description = "Send a test notice through every configured channel and report each outcome. Exit 0 when every"
                    + " channel took it, 1 when one did not, 3 when no channel is configured.")
    static final class Test implements Callable<Integer> {
        @Mixin
        ConfigOption config;
        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            NodeConfig c = config.load();
            PrintWriter out = spec.commandLine().getOut();
            List<AlertChannel> channels = SelfWatch.channels(c.watch(),
                    HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build());
            if (channels.isEmpty()) {
                spec.commandLine().getErr().println("no alert channel is configured: set alert.smtp.host (with alert.smtp.from"
                        + " and alert.smtp.to) or alert.webhook.url");
                return NO_CHANNEL;
            }
            Alert test = new Alert(Alert.Event.TEST, 0, "test", c.nodeId(), Finding.Severity.INFO,
                    "A test of ticketd's alert channels, sent by `ticketd alert test` on node " + c.nodeId()
                            + ". Nothing is wrong; if you read this, this channel reaches you.",
                    Instant.now(), c.cluster().clusterName(), c.nodeId());
            int failed = 0;
            for (AlertChannel channel : channels) {
                try {
                    channel.send(test);
                    out.println(channel.name() + ": sent");
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    out.println(channel.name() + ": FAILED interrupted");
                    failed++;
                } catch (Exception e) {
                    out.println(channel.name() + ": FAILED " + e.getClass().getSimpleName() + ": " + e.getMessage());
                    failed++;
                }
            }
            out.flush();
            return failed == 0 ? 0 : SOME_FAILED;
        }
    }
}
