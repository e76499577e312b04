package dev.ticketd.node.cli;

import dev.ticketd.db.Database;
import dev.ticketd.node.macro.Macro;
import dev.ticketd.node.macro.Macros;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;

@Command(name = "macro", mixinStandardHelpOptions = true,
        description = "Manage the shared macros: a reply or note text with placeholders such as {{customer.name}}, and actions"
                + " (status, priority, group, tags) that staff apply to a ticket in one step. A macro with only a text is a canned reply.",
        subcommands = {MacroCommand.Save.class, MacroCommand.Remove.class, MacroCommand.ListAll.class})
public final class MacroCommand {

    /** The audit name of changes made here. */
    static final String BY = "cli";

    @Command(name = "save", mixinStandardHelpOptions = true,
            description = "Create a macro, or replace the one of this name whole (an action not given is cleared).")
    static final class Save implements Callable<Integer> {
        @Mixin
        ConfigOption config;
        @Spec
        CommandSpec spec;
        @Parameters(index = "0", description = "The macro's name, e.g. 'Refund issued'.")
        String name;
        @Option(names = "--body", description = "The text; placeholders: {{customer.name}}, {{customer.email}}, {{ticket.number}},"
                + " {{ticket.subject}}, {{ticket.group}}, {{agent.name}}, {{agent.email}}.")
        String body;
        @Option(names = "--body-file", description = "Read the text from this file (UTF-8) instead.")
        Path bodyFile;
        @Option(names = "--note", description = "The text is an internal note, not a reply to the requester.")
        boolean note;
        @Option(names = "--status", description = "Set the status: open, pending, resolved or closed.")
        String status;
        @Option(names = "--priority", description = "Set the priority: low, normal, high or urgent.")
        String priority;
        @Option(names = "--group", description = "Move the ticket to this group (by name).")
        String group;
        @Option(names = "--add-tag", description = "Add this tag; repeat for more.")
        List<String> addTags = List.of();
        @Option(names = "--remove-tag", description = "Remove this tag; repeat for more.")
        List<String> removeTags = List.of();

        @Override
        public Integer call() {
            if (body != null && bodyFile != null) {
                throw new ParameterException(spec.commandLine(), "give --body or --body-file, not both");
            }
            String text = body;
            if (bodyFile != null) {
                try {
                    text = Files.readString(bodyFile, StandardCharsets.UTF_8);
                } catch (IOException e) {
                    throw new UncheckedIOException("could not read --body-file " + bodyFile, e);
                }
            }
            try (Database db = config.openMigrated("ticketd-cli")) {
                Macros macros = new Macros(db);
                Optional<Macro> existing = macros.byName(name);
                Macro saved = macros.save(existing.map(Macro::id).orElse(null), new Macros.Draft(name, text, note ? "note" : "reply",
                        status, priority, group, addTags, removeTags), BY);
                spec.commandLine().getOut().println((existing.isPresent() ? "replaced" : "created") + ": " + line(saved));
            }
            return 0;
        }
    }

    @Command(name = "remove", mixinStandardHelpOptions = true, description = "Remove a macro.")
    static final class Remove implements Callable<Integer> {
        @Mixin
        ConfigOption config;
        @Spec
        CommandSpec spec;
        @Parameters(index = "0", description = "The macro's name.")
        String name;

        @Override
        public Integer call() {
            try (Database db = config.openMigrated("ticketd-cli")) {
                Macros macros = new Macros(db);
                Optional<Macro> macro = macros.byName(name);
                boolean removed = macro.isPresent() && macros.remove(macro.get().id(), BY);
                spec.commandLine().getOut().println((removed ? "removed" : "no such macro") + ": name=" + name.strip());
            }
            return 0;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List the macros.")
    static final class ListAll implements Callable<Integer> {
        @Mixin
        ConfigOption config;
        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            try (Database db = config.openMigrated("ticketd-cli")) {
                for (Macro m : new Macros(db).list()) {
                    out.println(line(m));
                }
            }
            return 0;
        }
    }

    static String line(Macro m) {
        String firstLine = m.body().lines().findFirst().orElse("");
        return "macro id=" + m.id() + " name=" + m.name() + " " + m.bodyKind() + "=" + (firstLine.isEmpty() ? "-"
                : "\"" + (firstLine.length() > 60 ? firstLine.substring(0, 60) + "…" : firstLine) + "\"")
                + " actions=" + (m.hasActions() ? "\"" + m.actionsText() + "\"" : "-");
    }
}
