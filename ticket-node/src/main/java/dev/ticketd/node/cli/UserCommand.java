package dev.ticketd.node.cli;

import dev.ticketd.db.Database;
import dev.ticketd.node.auth.Role;
import dev.ticketd.node.auth.StaffAccounts;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.concurrent.Callable;

@Command(name = "user", mixinStandardHelpOptions = true, description = "Manage staff logins.",
        subcommands = {UserCommand.Add.class, UserCommand.Token.class})
public final class UserCommand {

    @Command(name = "add", mixinStandardHelpOptions = true,
            description = "Create a staff login. The password is read from standard input (first line), never from the command line.")
    static final class Add implements Callable<Integer> {

        @Mixin
        ConfigOption config;

        @Spec
        CommandSpec spec;

        @Option(names = "--email", required = true, description = "Login email address.")
        String email;

        @Option(names = "--name", required = true, description = "Display name.")
        String name;

        @Option(names = "--role", defaultValue = "agent", description = "agent or admin (default: ${DEFAULT-VALUE}).")
        String role;

        @Override
        public Integer call() throws IOException {
            Role parsedRole = switch (role.toLowerCase(Locale.ROOT)) {
                case "agent" -> Role.AGENT;
                case "admin" -> Role.ADMIN;
                default -> throw new IllegalArgumentException("--role must be agent or admin, was '" + role + "'");
            };
            String password = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
            if (password == null) {
                throw new IllegalArgumentException("no password on standard input (pipe it in, e.g. from a secrets file)");
            }
            try (Database db = config.openMigrated("ticketd-cli")) {
                long id = new StaffAccounts(db).createUser(email, name, password, parsedRole);
                spec.commandLine().getOut().println("user created: id=" + id + " email=" + email.strip().toLowerCase(Locale.ROOT)
                        + " role=" + parsedRole.name().toLowerCase(Locale.ROOT));
            }
            return 0;
        }
    }

    @Command(name = "token", mixinStandardHelpOptions = true,
            description = "Give a staff user an API token for the JSON API. The token (at least 16 characters) is read from"
                    + " standard input (first line), never from the command line; only its hash is stored.")
    static final class Token implements Callable<Integer> {

        @Mixin
        ConfigOption config;

        @Spec
        CommandSpec spec;

        @Option(names = "--email", required = true, description = "The staff user's login email address.")
        String email;

        @Option(names = "--name", required = true, description = "What the token is for, e.g. monitoring.")
        String name;

        @Override
        public Integer call() throws IOException {
            String token = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
            if (token == null || token.isBlank()) {
                throw new IllegalArgumentException("no token on standard input (pipe it in, e.g. from a secrets file)");
            }
            try (Database db = config.openMigrated("ticketd-cli")) {
                new StaffAccounts(db).createApiToken(email, name, token.strip());
                spec.commandLine().getOut().println("api token created for " + email.strip().toLowerCase(Locale.ROOT) + " name=" + name.strip());
            }
            return 0;
        }
    }
}
