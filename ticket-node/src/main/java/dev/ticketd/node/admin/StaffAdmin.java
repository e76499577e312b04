package dev.ticketd.node.admin;

import dev.ticketd.desk.GroupAccess;
import dev.ticketd.desk.InvalidRequestException;
import dev.ticketd.desk.NotFoundException;
import dev.ticketd.node.auth.ApiTokens;
import dev.ticketd.node.auth.Role;
import dev.ticketd.node.auth.StaffAccounts;
import dev.ticketd.node.auth.StaffGroups;
import dev.ticketd.node.sla.SlaAdmin;

import java.time.Clock;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * What the admin screens and the admin API do with staff users, groups and API tokens: the same
 * services the CLI ({@code ticketd user}, {@code ticketd group}) calls, addressed by id, with every
 * refusal turned into an {@link InvalidRequestException} (400) that names the problem, or a
 * {@link NotFoundException} (404) for an id that does not exist. Knows nothing of HTTP.
 */
public final class StaffAdmin {

    /** The longest lifetime a token made here may have; none of them lives for ever. */
    public static final int MAX_TOKEN_DAYS = 3650;

    /** A staff user with their groups, as lists and answers show them. */
    public record User(long id, String email, String displayName, String role, boolean active, List<Membership> groups) {
    }

    /** One group of a user, or one member of a group. */
    public record Membership(String group, String access) {
    }

    /** A group with its members. */
    /** A group as the API shows it; {@code roundRobin} null when new tickets are not assigned in turn. */
    public record Group(long id, String name, List<Member> members, RoundRobin roundRobin) {
    }

    /** Round-robin assignment as the API shows it: at most {@code cap} unresolved tickets per agent, online within {@code onlineMinutes}. */
    public record RoundRobin(int cap, int onlineMinutes) {
    }

    public record Member(long userId, String email, String displayName, String access) {
    }

    /** A token as listed: never the token itself. */
    public record Token(long id, String name, OffsetDateTime createdAt, OffsetDateTime expiresAt, OffsetDateTime revokedAt,
                        boolean usable) {
    }

    /** A token just made; {@code token} is shown this once and stored nowhere. */
    public record NewToken(long id, String name, String token, OffsetDateTime expiresAt) {
        @Override
        public String toString() {
            return "NewToken[id=" + id + ", name=" + name + ", expiresAt=" + expiresAt + ", secret]";
        }
    }

    private final StaffAccounts accounts;
    private final StaffGroups groups;
    private final ApiTokens tokens;
    private final Clock clock;

    public StaffAdmin(StaffAccounts accounts, StaffGroups groups, ApiTokens tokens, Clock clock) {
        this.accounts = accounts;
        this.groups = groups;
        this.tokens = tokens;
        this.clock = clock;
    }

    public List<User> users() {
        return accounts.list().stream().map(this::user).toList();
    }

    public User user(long id) {
        return user(account(id));
    }

    /** Creates an active user who is a member of exactly {@code memberships} (an empty map: of no group). */
    public User create(String email, String displayName, String password, String role, Map<String, GroupAccess> memberships) {
        Role parsed = role(role);
        checkGroups(memberships);
        long id = refusedAs400(() -> accounts.createUser(email, displayName, password, parsed, memberships));
        return user(id);
    }

    /** Changes any of role, active and groups (null: unchanged); each change is its own write. */
    public User change(long id, String role, Boolean active, Map<String, GroupAccess> memberships) {
        StaffAccounts.Account account = account(id);
        Role parsed = role == null ? null : role(role);
        if (memberships != null) {
            checkGroups(memberships);
        }
        boolean staysAdmin = (parsed == null ? account.role() : parsed) == Role.ADMIN && (active == null ? account.active() : active);
        if (account.role() == Role.ADMIN && account.active() && !staysAdmin
                && accounts.list().stream().filter(a -> a.role() == Role.ADMIN && a.active()).count() <= 1) {
            // with no active admin left, nobody could reach these screens again but through the CLI
            throw new InvalidRequestException(account.email() + " is the last active admin; make another admin first");
        }
        if (parsed != null) {
            refusedAs400(() -> { accounts.setRole(account.email(), parsed); return null; });
        }
        if (active != null) {
            refusedAs400(() -> {
                if (active) {
                    accounts.activate(account.email());
                } else {
                    accounts.deactivate(account.email());
                }
                return null;
            });
        }
        if (memberships != null) {
            groups.setMemberships(account.email(), memberships);
        }
        return user(id);
    }

    /** Sets a new password; the user's sessions end on every node. */
    public void setPassword(long id, String password) {
        StaffAccounts.Account account = account(id);
        refusedAs400(() -> { accounts.setPassword(account.email(), password); return null; });
    }

    /** Makes a token for user {@code id}, valid for {@code days} (1 to {@link #MAX_TOKEN_DAYS}; null: 90). */
    public NewToken createToken(long id, String name, Integer days) {
        StaffAccounts.Account account = account(id);
        String clean = name == null ? "" : name.strip();
        if (clean.isEmpty() || clean.length() > 100 || clean.chars().anyMatch(Character::isISOControl)) {
            throw new InvalidRequestException("a token needs a name of 1 to 100 characters saying what it is for, e.g. monitoring");
        }
        Duration lifetime = ApiTokens.DEFAULT_LIFETIME;
        if (days != null) {
            if (days < 1 || days > MAX_TOKEN_DAYS) {
                throw new InvalidRequestException("a token's lifetime must be from 1 to " + MAX_TOKEN_DAYS + " days, was " + days);
            }
            lifetime = Duration.ofDays(days);
        }
        ApiTokens.NewToken made = tokens.create(account.email(), clean, lifetime);
        return new NewToken(made.id(), clean, made.token(), made.expiresAt());
    }

    public List<Token> tokens(long id) {
        OffsetDateTime now = OffsetDateTime.ofInstant(clock.instant(), ZoneOffset.UTC);
        return tokens.list(account(id).email()).stream()
                .map(t -> new Token(t.id(), t.name(), t.createdAt(), t.expiresAt(), t.revokedAt(), t.usableAt(now)))
                .toList();
    }

    /** Revokes one of user {@code id}'s tokens at once, on every node; a repeat changes nothing. */
    public void revoke(long id, long tokenId) {
        if (!tokens.revoke(account(id).email(), tokenId)) {
            throw new NotFoundException("staff user " + id + " has no API token " + tokenId);
        }
    }

    public List<Group> groups() {
        Map<Long, StaffGroups.RoundRobinSetting> roundRobins = groups.roundRobins();
        return groups.list().stream().map(g -> group(g, roundRobins)).toList();
    }

    public Group group(long id) {
        return group(groups.list().stream().filter(g -> g.id() == id).findFirst()
                .orElseThrow(() -> new NotFoundException("there is no group " + id)));
    }

    /** Creates a group (nothing when it exists). */
    public Group createGroup(String name) {
        return group(groups.create(name));
    }

    /** Makes {@code email} a member of group {@code id} with {@code access}, or changes their access. */
    public Group setMember(long id, String email, String access) {
        Group group = group(id);
        GroupAccess parsed = access(access);
        refusedAs400(() -> { groups.setMember(group.name(), email, parsed); return null; });
        return group(id);
    }

    public Group removeMember(long id, String email) {
        Group group = group(id);
        refusedAs400(() -> { groups.removeMember(group.name(), email); return null; });
        return group(id);
    }

    /**
     * Turns round-robin assignment of group {@code id}'s new tickets on (a {@code cap} given) or off
     * (blank cap), with the online window {@code online} ({@code 10m} when blank); 400 naming a bad value.
     */
    public void setRoundRobin(long id, String cap, String online) {
        Group group = group(id);
        Optional<StaffGroups.RoundRobinSetting> setting = Optional.empty();
        if (cap != null && !cap.isBlank()) {
            int parsed;
            try {
                parsed = Integer.parseInt(cap.strip());
            } catch (NumberFormatException e) {
                throw new InvalidRequestException("cap: a whole number of open or pending tickets, was '" + shown(cap) + "'");
            }
            Duration window = online == null || online.isBlank() ? Duration.ofMinutes(10) : SlaAdmin.duration("online", online);
            setting = Optional.of(new StaffGroups.RoundRobinSetting(parsed, window));
        }
        Optional<StaffGroups.RoundRobinSetting> chosen = setting;
        refusedAs400(() -> { groups.setRoundRobin(group.name(), chosen); return null; });
    }

    /**
     * Turns round-robin assignment of group {@code id}'s new tickets on ({@code cap} given) or off
     * ({@code cap} null), with the online window in minutes ({@code 10} when null); 400 naming a bad value.
     *
     * @return the group as it is now
     */
    public Group setRoundRobin(long id, Integer cap, Integer onlineMinutes) {
        Group group = group(id);
        Optional<StaffGroups.RoundRobinSetting> setting = cap == null ? Optional.empty()
                : Optional.of(new StaffGroups.RoundRobinSetting(cap, Duration.ofMinutes(onlineMinutes == null ? 10 : onlineMinutes)));
        refusedAs400(() -> { groups.setRoundRobin(group.name(), setting); return null; });
        return group(id);
    }

    /** Each group's round-robin setting, by group id (groups without one are absent). */
    public Map<Long, StaffGroups.RoundRobinSetting> roundRobins() {
        return groups.roundRobins();
    }

    /** Makes the group's members exactly {@code members} (email to access), in one transaction. */
    public Group setMembers(long id, Map<String, GroupAccess> members) {
        Group group = group(id);
        refusedAs400(() -> { groups.setMembers(group.name(), members); return null; });
        return group(id);
    }

    /** The groups without their members, for forms. */
    public List<StaffGroups.Group> groupNames() {
        return groups.list();
    }

    /** {@code full} or {@code read}, else 400 naming the value. */
    public static GroupAccess access(String value) {
        String v = value == null ? "" : value.strip().toLowerCase(Locale.ROOT);
        return GroupAccess.of(v).orElseThrow(() -> new InvalidRequestException("access must be full or read, was '" + shown(v) + "'"));
    }

    private static Role role(String value) {
        String v = value == null ? "" : value.strip().toLowerCase(Locale.ROOT);
        return switch (v) {
            case "agent" -> Role.AGENT;
            case "admin" -> Role.ADMIN;
            default -> throw new InvalidRequestException("role must be agent or admin, was '" + shown(v) + "'");
        };
    }

    private void checkGroups(Map<String, GroupAccess> memberships) {
        List<String> known = groups.list().stream().map(StaffGroups.Group::name).toList();
        for (String group : memberships.keySet()) {
            if (!known.contains(group == null ? "" : group.strip())) {
                throw new InvalidRequestException("there is no group named '" + shown(group == null ? "" : group) + "'");
            }
        }
    }

    private StaffAccounts.Account account(long id) {
        return accounts.find(id).orElseThrow(() -> new NotFoundException("there is no staff user " + id));
    }

    private User user(StaffAccounts.Account a) {
        return new User(a.id(), a.email(), a.displayName(), a.role().dbValue(), a.active(),
                groups.groupsOf(a.id()).stream().map(m -> new Membership(m.group(), m.access().value())).toList());
    }

    private Group group(StaffGroups.Group g) {
        return group(g, groups.roundRobins());
    }

    private Group group(StaffGroups.Group g, Map<Long, StaffGroups.RoundRobinSetting> roundRobins) {
        StaffGroups.RoundRobinSetting rr = roundRobins.get(g.id());
        return new Group(g.id(), g.name(), groups.members(g.name()).stream()
                .map(m -> new Member(m.userId(), m.email(), m.displayName(), m.access().value())).toList(),
                rr == null ? null : new RoundRobin(rr.cap(), (int) rr.online().toMinutes()));
    }

    /** The services refuse bad values with IllegalArgumentException or NotFoundException (a name, not an id): a 400 here. */
    private static <T> T refusedAs400(java.util.function.Supplier<T> write) {
        try {
            return write.get();
        } catch (IllegalArgumentException | NotFoundException e) {
            throw new InvalidRequestException(e.getMessage());
        }
    }

    static String shown(String value) {
        String oneLine = value.replaceAll("\\p{Cntrl}", "?");
        return oneLine.length() <= 60 ? oneLine : oneLine.substring(0, 60) + "…";
    }
}
