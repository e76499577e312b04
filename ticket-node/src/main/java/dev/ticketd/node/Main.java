package dev.ticketd.node;

import dev.ticketd.desk.InvalidRequestException;
import dev.ticketd.desk.NotFoundException;
import dev.ticketd.node.cli.AlertCommand;
import dev.ticketd.node.cli.ClusterCommand;
import dev.ticketd.node.cli.DemoCommand;
import dev.ticketd.node.cli.GroupCommand;
import dev.ticketd.node.cli.MacroCommand;
import dev.ticketd.node.cli.MailboxCommand;
import dev.ticketd.node.cli.MigrateCommand;
import dev.ticketd.node.cli.ServeCommand;
import dev.ticketd.node.cli.SlaCommand;
import dev.ticketd.node.cli.UserCommand;
import dev.ticketd.node.cli.WatchCommand;
import dev.ticketd.node.config.ConfigException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code ticketd}: the one executable of the help desk. */
@Command(name = "ticketd", mixinStandardHelpOptions = true, version = "ticketd 0.1.0",
        description = "A clustered, highly available help desk.",
        subcommands = {ServeCommand.class, DemoCommand.class, MigrateCommand.class, UserCommand.class,
                GroupCommand.class, SlaCommand.class, MacroCommand.class, MailboxCommand.class, ClusterCommand.class, AlertCommand.class, WatchCommand.class, CommandLine.HelpCommand.class})
public final class Main {

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    public static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new Main());
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            if (e instanceof ConfigException) {
                commandLine.getErr().println("ticketd: configuration error: " + e.getMessage());
                return 2;
            }
            if (e instanceof IllegalArgumentException || e instanceof InvalidRequestException || e instanceof NotFoundException) {
                commandLine.getErr().println("ticketd: " + e.getMessage());
                return 2;
            }
            throw e;
        });
        return cli;
    }
}
