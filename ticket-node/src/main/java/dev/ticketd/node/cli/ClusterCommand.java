package dev.ticketd.node.cli;

import dev.ticketd.cluster.ClusterAdmin;
import dev.ticketd.cluster.ClusterView;
import dev.ticketd.node.config.NodeConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.concurrent.Callable;

@Command(name = "cluster", mixinStandardHelpOptions = true, description = "See and steer the cluster of ticket nodes.",
        subcommands = {ClusterCommand.Status.class, ClusterCommand.Drain.class, ClusterCommand.Undrain.class,
                ClusterCommand.RemoveNode.class})
public final class ClusterCommand {

    /** Runs one operator action against the cluster named in the configuration. */
    abstract static class AdminAction implements Callable<Integer> {
        @Mixin
        ConfigOption config;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            NodeConfig c = config.load();
            try (ClusterAdmin admin = ClusterAdmin.open(c.cluster().zkAddress(), c.cluster().clusterName())) {
                run(admin, spec.commandLine().getOut());
            }
            return 0;
        }

        abstract void run(ClusterAdmin admin, PrintWriter out);
    }

    @Command(name = "status", mixinStandardHelpOptions = true, description = "Nodes, the controller, and who leads each mailbox.")
    static final class Status extends AdminAction {
        @Override
        void run(ClusterAdmin admin, PrintWriter out) {
            ClusterView view = admin.status();
            out.println("cluster " + view.clusterName() + ", controller: " + (view.controller() == null ? "none" : view.controller()));
            out.println("nodes:");
            for (ClusterView.Node n : view.nodes()) {
                out.printf("  %-20s %-5s %-8s up since %-27s %s%s%n", n.id(), n.live() ? "live" : "down",
                        n.enabled() ? "enabled" : "drained", n.upSince() == null ? "-" : n.upSince(),
                        n.httpUrl() == null ? "" : n.httpUrl(),
                        n.disabledMailboxes().isEmpty() ? "" : "  gave up: " + n.disabledMailboxes());
            }
            out.println("mailboxes:");
            for (ClusterView.Mailbox m : view.mailboxes()) {
                out.printf("  %-20s leader %-20s standby %s%n", m.id(), m.leader() == null ? "NONE" : m.leader(), m.standbys());
            }
        }
    }

    @Command(name = "drain", mixinStandardHelpOptions = true, description = "Move every mailbox away from a node (before maintenance).")
    static final class Drain extends AdminAction {
        @Parameters(paramLabel = "NODE")
        String node;

        @Override
        void run(ClusterAdmin admin, PrintWriter out) {
            admin.drain(node);
            out.println("drained " + node + ": it leads no mailbox until `ticketd cluster undrain " + node + "`");
        }
    }

    @Command(name = "undrain", mixinStandardHelpOptions = true, description = "Let a drained node lead mailboxes again.")
    static final class Undrain extends AdminAction {
        @Parameters(paramLabel = "NODE")
        String node;

        @Override
        void run(ClusterAdmin admin, PrintWriter out) {
            admin.undrain(node);
            out.println("undrained " + node);
        }
    }

    @Command(name = "remove-node", mixinStandardHelpOptions = true, description = "Forget a node that is gone for good (it must be stopped).")
    static final class RemoveNode extends AdminAction {
        @Parameters(paramLabel = "NODE")
        String node;

        @Override
        void run(ClusterAdmin admin, PrintWriter out) {
            admin.removeNode(node);
            out.println("removed " + node);
        }
    }
}
