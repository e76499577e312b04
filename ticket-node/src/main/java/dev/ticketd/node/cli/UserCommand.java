package dev.ticketd.node.cli;

import dev.ticketd.db.Database;
import dev.ticketd.node.auth.ApiTokens;
import dev.ticketd.node.auth.Role;
import dev.ticketd.node.auth.StaffAccounts;
import dev.ticketd.node.auth.Totp;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Locale;
import java.util.concurrent.Callable;

@Command(name = "user", mixinStandardHelpOptions = true, description = "Manage staff logins.",
        subcommands = {UserCommand.Add.class, UserCommand.Password.class, UserCommand.Deactivate.class, UserCommand.Token.class,
                UserCommand.Tokens.class, UserCommand.RevokeToken.class, UserCommand.TwoFactor.class})
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
            description = "Make an API token for the JSON API and print it once (it is stored only as a salted hash)."
                    + " Keep it like a password; revoke it with 'user revoke-token'.")
    static final class Token implements Callable<Integer> {

        @Mixin
        ConfigOption config;

        @Spec
        CommandSpec spec;

        @Option(names = "--email", required = true, description = "The staff user's login email address.")
        String email;

        @Option(names = "--name", required = true, description = "What the token is for, e.g. monitoring.")
        String name;

        @Option(names = "--expires-in-days", defaultValue = "90",
                description = "Days until the token expires; 0 for a token that never expires (default: ${DEFAULT-VALUE}).")
        int expiresInDays;

        @Override
        public Integer call() {
            if (expiresInDays < 0) {
                throw new IllegalArgumentException("--expires-in-days must be 0 (never) or more, was " + expiresInDays);
            }
            try (Database db = config.openMigrated("ticketd-cli")) {
                ApiTokens.NewToken token = new ApiTokens(db, Clock.systemUTC())
                        .create(email, name, expiresInDays == 0 ? null : Duration.ofDays(expiresInDays));
                PrintWriter out = spec.commandLine().getOut();
                out.println("api token created for " + email.strip().toLowerCase(Locale.ROOT) + " name=" + name.strip()
                        + " id=" + token.id() + " expires=" + (token.expiresAt() == null ? "never" : token.expiresAt().toString()));
                out.println("token: " + token.token());
                out.println("This is the only time the token is shown.");
            }
            return 0;
        }
    }

    @Command(name = "tokens", mixinStandardHelpOptions = true, description = "List a staff user's API tokens (never the tokens themselves).")
    static final class Tokens implements Callable<Integer> {

        @Mixin
        ConfigOption config;

        @Spec
        CommandSpec spec;

        @Option(names = "--email", required = true, description = "The staff user's login email address.")
        String email;

        @Override
        public Integer call() {
            try (Database db = config.openMigrated("ticketd-cli")) {
                OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
                PrintWriter out = spec.commandLine().getOut();
                for (ApiTokens.TokenInfo t : new ApiTokens(db, Clock.systemUTC()).list(email)) {
                    String state = t.revokedAt() != null ? "revoked " + t.revokedAt()
                            : t.usableAt(now) ? "active" : "expired";
                    out.println("id=" + t.id() + " name=" + t.name() + " created=" + t.createdAt()
                            + " expires=" + (t.expiresAt() == null ? "never" : t.expiresAt().toString()) + " " + state);
                }
            }
            return 0;
        }
    }

    @Command(name = "revoke-token", mixinStandardHelpOptions = true, description = "Revoke one API token at once, on every node.")
    static final class RevokeToken implements Callable<Integer> {

        @Mixin
        ConfigOption config;

        @Spec
        CommandSpec spec;

        @Option(names = "--email", required = true, description = "The staff user's login email address.")
        String email;

        @Option(names = "--id", required = true, description = "The token's id (see 'user tokens').")
        long id;

        @Override
        public Integer call() {
            try (Database db = config.openMigrated("ticketd-cli")) {
                if (!new ApiTokens(db, Clock.systemUTC()).revoke(email, id)) {
                    throw new IllegalArgumentException(email.strip() + " has no API token with id " + id);
                }
                spec.commandLine().getOut().println("api token revoked id=" + id);
            }
            return 0;
        }
    }

    @Command(name = "password", mixinStandardHelpOptions = true,
            description = "Set a staff user's password, read from standard input (first line); ends all of the user's web sessions.")
    static final class Password implements Callable<Integer> {

        @Mixin
        ConfigOption config;

        @Spec
        CommandSpec spec;

        @Option(names = "--email", required = true, description = "The staff user's login email address.")
        String email;

        @Override
        public Integer call() throws IOException {
            String password = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
            if (password == null) {
                throw new IllegalArgumentException("no password on standard input (pipe it in, e.g. from a secrets file)");
            }
            try (Database db = config.openMigrated("ticketd-cli")) {
                new StaffAccounts(db).setPassword(email, password);
                spec.commandLine().getOut().println("password changed for " + email.strip().toLowerCase(Locale.ROOT)
                        + "; the user's web sessions have ended");
            }
            return 0;
        }
    }

    @Command(name = "deactivate", mixinStandardHelpOptions = true,
            description = "Disable a staff login: its web sessions end and its API tokens stop working, on every node.")
    static final class Deactivate implements Callable<Integer> {

        @Mixin
        ConfigOption config;

        @Spec
        CommandSpec spec;

        @Option(names = "--email", required = true, description = "The staff user's login email address.")
        String email;

        @Override
        public Integer call() {
            try (Database db = config.openMigrated("ticketd-cli")) {
                new StaffAccounts(db).deactivate(email);
                spec.commandLine().getOut().println("user deactivated: " + email.strip().toLowerCase(Locale.ROOT));
            }
            return 0;
        }
    }

    @Command(name = "totp", mixinStandardHelpOptions = true,
            description = "Turn on two-factor login (time-based one-time codes) for a staff user and print the secret for an"
                    + " authenticator app, once; with --disable turn it off.")
    static final class TwoFactor implements Callable<Integer> {

        @Mixin
        ConfigOption config;

        @Spec
        CommandSpec spec;

        @Option(names = "--email", required = true, description = "The staff user's login email address.")
        String email;

        @Option(names = "--disable", description = "Turn two-factor login off for this user.")
        boolean disable;

        @Override
        public Integer call() {
            try (Database db = config.openMigrated("ticketd-cli")) {
                Totp totp = new Totp(db, db.transactions(), Clock.systemUTC());
                PrintWriter out = spec.commandLine().getOut();
                if (disable) {
                    totp.disable(email);
                    out.println("two-factor login disabled for " + email.strip().toLowerCase(Locale.ROOT));
                } else {
                    Totp.Enrolment enrolment = totp.enable(email);
                    out.println("two-factor login enabled for " + email.strip().toLowerCase(Locale.ROOT));
                    out.println("secret: " + enrolment.secret());
                    out.println("uri: " + enrolment.uri());
                    out.println("Add it to an authenticator app now; this is the only time it is shown.");
                }
            }
            return 0;
        }
    }
}
