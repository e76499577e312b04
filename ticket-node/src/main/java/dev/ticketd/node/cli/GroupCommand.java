package dev.ticketd.node.cli;

import dev.ticketd.db.Database;
import dev.ticketd.desk.GroupAccess;
import dev.ticketd.node.auth.StaffGroups;
import dev.ticketd.node.sla.SlaAdmin;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;

@Command(name = "group", mixinStandardHelpOptions = true,
        description = "Manage groups (teams, queues) and their members. An agent sees the tickets of their groups and"
                + " changes those where their access is full.",
        subcommands = {GroupCommand.Add.class, GroupCommand.ListGroups.class, GroupCommand.Member.class, GroupCommand.RemoveMember.class,
                GroupCommand.RoundRobin.class})
public final class GroupCommand {

    @Command(name = "add", mixinStandardHelpOptions = true, description = "Create a group (nothing when it exists).")
    static final class Add implements Callable<Integer> {
        @Mixin
        ConfigOption config;
        @Spec
        CommandSpec spec;
        @Parameters(index = "0", description = "The group's name, e.g. Billing.")
        String name;

        @Override
        public Integer call() {
            try (Database db = config.openMigrated("ticketd-cli")) {
                long id = new StaffGroups(db).create(name);
                spec.commandLine().getOut().println("group: id=" + id + " name=" + name.strip());
            }
            return 0;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List the groups and their members.")
    static final class ListGroups implements Callable<Integer> {
        @Mixin
        ConfigOption config;
        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            try (Database db = config.openMigrated("ticketd-cli")) {
                StaffGroups groups = new StaffGroups(db);
                Map<Long, StaffGroups.RoundRobinSetting> roundRobins = groups.roundRobins();
                for (StaffGroups.Group g : groups.list()) {
                    out.println(g.name() + Optional.ofNullable(roundRobins.get(g.id()))
                            .map(r -> " (round robin: cap " + r.cap() + ", online within " + SlaAdmin.format(r.online()) + ")").orElse(""));
                    for (StaffGroups.Member m : groups.members(g.name())) {
                        out.println("  " + m.email() + " " + m.access().value());
                    }
                }
            }
            return 0;
        }
    }

    @Command(name = "member", mixinStandardHelpOptions = true, description = "Make a staff user a member of a group, or change their access.")
    static final class Member implements Callable<Integer> {
        @Mixin
        ConfigOption config;
        @Spec
        CommandSpec spec;
        @Parameters(index = "0", description = "The group's name.")
        String group;
        @Parameters(index = "1", description = "The staff user's login email address.")
        String email;
        @Option(names = "--access", defaultValue = "full", description = "full (see and change) or read (see only); default: ${DEFAULT-VALUE}.")
        String access;

        @Override
        public Integer call() {
            GroupAccess parsed = GroupAccess.of(access.strip().toLowerCase(Locale.ROOT))
                    .orElseThrow(() -> new IllegalArgumentException("--access must be full or read, was '" + access + "'"));
            try (Database db = config.openMigrated("ticketd-cli")) {
                new StaffGroups(db).setMember(group, email, parsed);
                spec.commandLine().getOut().println("member: group=" + group.strip() + " email=" + email.strip().toLowerCase(Locale.ROOT)
                        + " access=" + parsed.value());
            }
            return 0;
        }
    }

    @Command(name = "remove-member", mixinStandardHelpOptions = true, description = "End a staff user's membership of a group.")
    static final class RemoveMember implements Callable<Integer> {
        @Mixin
        ConfigOption config;
        @Spec
        CommandSpec spec;
        @Parameters(index = "0", description = "The group's name.")
        String group;
        @Parameters(index = "1", description = "The staff user's login email address.")
        String email;

        @Override
        public Integer call() {
            try (Database db = config.openMigrated("ticketd-cli")) {
                new StaffGroups(db).removeMember(group, email);
                spec.commandLine().getOut().println("removed: group=" + group.strip() + " email=" + email.strip().toLowerCase(Locale.ROOT));
            }
            return 0;
        }
    }

    @Command(name = "round-robin", mixinStandardHelpOptions = true,
            description = "Hand a group's new tickets out in turn to its members with full access who are online and own fewer"
                    + " open or pending tickets than the cap; or stop (--off). Every assignment is audited.")
    static final class RoundRobin implements Callable<Integer> {
        @Mixin
        ConfigOption config;
        @Spec
        CommandSpec spec;
        @Parameters(index = "0", description = "The group's name.")
        String group;
        @Option(names = "--cap", description = "The most open or pending tickets an agent owns before their turn is passed by.")
        Integer cap;
        @Option(names = "--online", defaultValue = "10m",
                description = "How recently an agent must have used the desk to count as online, e.g. 10m; default: ${DEFAULT-VALUE}.")
        String online;
        @Option(names = "--off", description = "Stop assigning the group's new tickets.")
        boolean off;

        @Override
        public Integer call() {
            if (off == (cap != null)) {
                throw new IllegalArgumentException("give either --cap N (round robin on) or --off");
            }
            Optional<StaffGroups.RoundRobinSetting> setting = off ? Optional.empty()
                    : Optional.of(new StaffGroups.RoundRobinSetting(cap, SlaAdmin.duration("--online", online)));
            try (Database db = config.openMigrated("ticketd-cli")) {
                new StaffGroups(db).setRoundRobin(group, setting);
                spec.commandLine().getOut().println("round robin: group=" + group.strip() + " "
                        + setting.map(r -> "cap=" + r.cap() + " online=" + SlaAdmin.format(r.online())).orElse("off"));
            }
            return 0;
        }
    }
}
