package dev.ticketd.node.cli;

import dev.ticketd.db.Database;
import dev.ticketd.desk.sla.BusinessCalendar;
import dev.ticketd.node.sla.SlaAdmin;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.time.DayOfWeek;
import java.time.Duration;
import java.time.format.TextStyle;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;

@Command(name = "sla", mixinStandardHelpOptions = true,
        description = "Manage service levels: business-hours calendars and the targets (first response, next response,"
                + " resolution) of each group's tickets of each priority. A missed target is escalated once.",
        subcommands = {SlaCommand.CalendarCmd.class, SlaCommand.Holiday.class, SlaCommand.PolicyCmd.class, SlaCommand.RemovePolicy.class,
                SlaCommand.ListAll.class})
public final class SlaCommand {

    @Command(name = "calendar", mixinStandardHelpOptions = true,
            description = "Create a business-hours calendar, or replace its time zone and hours (its holidays stay).")
    static final class CalendarCmd implements Callable<Integer> {
        @Mixin
        ConfigOption config;
        @Spec
        CommandSpec spec;
        @Parameters(index = "0", description = "The calendar's name, e.g. Office.")
        String name;
        @Option(names = "--zone", required = true, description = "Its time zone, e.g. Europe/Berlin.")
        String zone;
        @Option(names = "--hours", required = true, description = "Working hours of days, e.g. mon-fri=09:00-17:00; repeat for other days.")
        List<String> hours;

        @Override
        public Integer call() {
            try (Database db = config.openMigrated("ticketd-cli")) {
                new SlaAdmin(db).saveCalendar(name, zone, hours);
                spec.commandLine().getOut().println("calendar: name=" + name.strip() + " zone=" + zone.strip());
            }
            return 0;
        }
    }

    @Command(name = "holiday", mixinStandardHelpOptions = true, description = "Add a holiday to a calendar (or remove one with --remove).")
    static final class Holiday implements Callable<Integer> {
        @Mixin
        ConfigOption config;
        @Spec
        CommandSpec spec;
        @Parameters(index = "0", description = "The calendar's name.")
        String calendar;
        @Parameters(index = "1", description = "The date, e.g. 2026-12-25.")
        String day;
        @Option(names = "--name", defaultValue = "", description = "What the holiday is called.")
        String holidayName;
        @Option(names = "--remove", description = "Remove the holiday instead.")
        boolean remove;

        @Override
        public Integer call() {
            try (Database db = config.openMigrated("ticketd-cli")) {
                SlaAdmin admin = new SlaAdmin(db);
                if (remove) {
                    admin.removeHoliday(calendar, day);
                    spec.commandLine().getOut().println("holiday removed: calendar=" + calendar.strip() + " day=" + day.strip());
                } else {
                    admin.addHoliday(calendar, day, holidayName);
                    spec.commandLine().getOut().println("holiday: calendar=" + calendar.strip() + " day=" + day.strip());
                }
            }
            return 0;
        }
    }

    @Command(name = "policy", mixinStandardHelpOptions = true,
            description = "Set the targets of a group's tickets of one priority (replacing any). Durations: 4h, 30m, 1h30m, 90s"
                    + " of business time. The due times of the tickets running under the policy move with it.")
    static final class PolicyCmd implements Callable<Integer> {
        @Mixin
        ConfigOption config;
        @Spec
        CommandSpec spec;
        @Parameters(index = "0", description = "The group's name.")
        String group;
        @Parameters(index = "1", description = "The priority: low, normal, high or urgent.")
        String priority;
        @Option(names = "--calendar", description = "The business-hours calendar (default: around the clock).")
        String calendar;
        @Option(names = "--first-response", description = "Time to the first staff reply.")
        String firstResponse;
        @Option(names = "--next-response", description = "Time to answer each further customer message.")
        String nextResponse;
        @Option(names = "--resolution", description = "Time to resolve the ticket.")
        String resolution;
        @Option(names = "--warn-before", description = "Show 'due soon' this long before a ticket is due (real time).")
        String warnBefore;
        @Option(names = "--raise-priority", description = "An escalation raises the ticket's priority one step.")
        boolean raisePriority;
        @Option(names = "--notify-group", description = "An escalation is mailed to the group's active members with full access"
                + " (one digest per group, at most every 5 minutes).")
        boolean notifyGroup;

        @Override
        public Integer call() {
            try (Database db = config.openMigrated("ticketd-cli")) {
                new SlaAdmin(db).savePolicy(group, priority, calendar, firstResponse, nextResponse, resolution, warnBefore, raisePriority,
                        notifyGroup);
                spec.commandLine().getOut().println("policy: group=" + group.strip() + " priority=" + priority.strip().toLowerCase(Locale.ROOT));
            }
            return 0;
        }
    }

    @Command(name = "remove-policy", mixinStandardHelpOptions = true, description = "Remove the targets of a group's tickets of one priority.")
    static final class RemovePolicy implements Callable<Integer> {
        @Mixin
        ConfigOption config;
        @Spec
        CommandSpec spec;
        @Parameters(index = "0", description = "The group's name.")
        String group;
        @Parameters(index = "1", description = "The priority.")
        String priority;

        @Override
        public Integer call() {
            try (Database db = config.openMigrated("ticketd-cli")) {
                boolean removed = new SlaAdmin(db).removePolicy(group, priority);
                spec.commandLine().getOut().println((removed ? "removed" : "no such policy") + ": group=" + group.strip()
                        + " priority=" + priority.strip().toLowerCase(Locale.ROOT));
            }
            return 0;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List the calendars and the policies.")
    static final class ListAll implements Callable<Integer> {
        @Mixin
        ConfigOption config;
        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            try (Database db = config.openMigrated("ticketd-cli")) {
                SlaAdmin admin = new SlaAdmin(db);
                for (SlaAdmin.Calendar c : admin.calendars()) {
                    out.println("calendar " + c.name() + " zone=" + c.zone() + " hours=" + hours(c.hours())
                            + (c.holidays().isEmpty() ? "" : " holidays=" + String.join(",", c.holidays().keySet().stream().map(Object::toString).toList())));
                }
                for (SlaAdmin.Policy p : admin.policies()) {
                    out.println("policy " + p.group() + " " + p.priority().value() + " calendar=" + (p.calendar() == null ? "always" : p.calendar())
                            + " first-response=" + shown(p.firstResponse()) + " next-response=" + shown(p.nextResponse())
                            + " resolution=" + shown(p.resolution()) + " warn-before=" + SlaAdmin.format(p.warnBefore())
                            + " raise-priority=" + p.raisePriority() + " notify-group=" + p.notifyGroup());
                }
            }
            return 0;
        }

        private static String shown(Duration d) {
            return d == null ? "-" : SlaAdmin.format(d);
        }

        private static String hours(Map<DayOfWeek, BusinessCalendar.Hours> hours) {
            return hours.entrySet().stream().map(e -> e.getKey().getDisplayName(TextStyle.SHORT, Locale.ENGLISH).toLowerCase(Locale.ROOT)
                    + "=" + e.getValue()).collect(Collectors.joining(","));
        }
    }
}
