package dev.ticketd.node.auth;

import dev.ticketd.db.Database;
import dev.ticketd.testing.TestPostgres;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;

import static dev.ticketd.db.generated.Tables.STAFF_USER;
import static dev.ticketd.db.generated.Tables.WEB_SESSION;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class StaffAccountsTest {

    static Database db;
    static StaffAccounts accounts;

    @BeforeAll
    static void start() {
        db = TestPostgres.freshDatabase();
        accounts = new StaffAccounts(db);
    }

    @AfterAll
    static void stop() {
        db.close();
    }

    @Test
    void aNewUserIsStoredWithAnArgon2idHashAndTheirRole() {
        long id = accounts.createUser("Admin@Example.test", "Ada Admin", "s3cret-pass", Role.ADMIN);

        var row = db.dsl().selectFrom(STAFF_USER).where(STAFF_USER.ID.eq(id)).fetchOne();
        assertThat(row.getEmail()).isEqualTo("admin@example.test");
        assertThat(row.getRole()).isEqualTo("admin");
        assertThat(row.getPasswordHash()).startsWith("$argon2id$").doesNotContain("s3cret-pass");
        assertThat(accounts.authenticate("admin@example.test", "s3cret-pass")).get()
                .extracting(StaffUser::role).isEqualTo(Role.ADMIN);
    }

    @Test
    void badEmailsShortPasswordsAndDuplicatesAreRejectedWithAClearMessage() {
        accounts.createUser("dup@example.test", "Dup", "long enough", Role.AGENT);

        assertThatThrownBy(() -> accounts.createUser("not-an-email", "X", "long enough", Role.AGENT))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not a valid email");
        assertThatThrownBy(() -> accounts.createUser("short@example.test", "X", "short", Role.AGENT))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at least 8");
        assertThatThrownBy(() -> accounts.createUser("DUP@example.test", "X", "long enough", Role.AGENT))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("already exists");
    }

    @Test
    void setPasswordReplacesTheOldPassword() {
        accounts.createUser("change@example.test", "C", "first password", Role.AGENT);

        accounts.setPassword("change@example.test", "second password");

        assertThat(accounts.authenticate("change@example.test", "first password")).isEmpty();
        assertThat(accounts.authenticate("change@example.test", "second password")).isPresent();
        assertThatThrownBy(() -> accounts.setPassword("nobody@example.test", "whatever123"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no staff user");
    }

    @Test
    void aPasswordChangeEndsEveryWebSessionOfThatUser() {
        long id = accounts.createUser("sessions@example.test", "S", "first password", Role.AGENT);
        WebSessions sessions = new WebSessions(db, Clock.systemUTC(), Duration.ofHours(8), Duration.ofMinutes(30));
        WebSessions.NewSession one = sessions.create(id);
        WebSessions.NewSession two = sessions.create(id);

        accounts.setPassword("sessions@example.test", "second password");

        assertThat(sessions.find(one.token())).isEmpty();
        assertThat(sessions.find(two.token())).isEmpty();
        assertThat(db.dsl().fetchCount(WEB_SESSION, WEB_SESSION.USER_ID.eq(id))).isZero();
    }

    @Test
    void deactivationEndsEveryWebSessionAndStopsTheTokensUntilTheUserIsActiveAgain() {
        long id = accounts.createUser("leaver@example.test", "L", "long enough", Role.AGENT);
        WebSessions sessions = new WebSessions(db, Clock.systemUTC(), Duration.ofHours(8), Duration.ofMinutes(30));
        WebSessions.NewSession session = sessions.create(id);
        ApiTokens tokens = new ApiTokens(db, Clock.systemUTC());
        String token = tokens.create("leaver@example.test", "ci", null).token();

        accounts.deactivate("leaver@example.test");

        assertThat(db.dsl().fetchCount(WEB_SESSION, WEB_SESSION.USER_ID.eq(id))).isZero();
        assertThat(sessions.find(session.token())).isEmpty();
        assertThat(tokens.authenticate(token)).isEmpty();
        assertThat(accounts.authenticate("leaver@example.test", "long enough")).isEmpty();

        accounts.activate("leaver@example.test");
        assertThat(sessions.find(session.token())).as("an ended session stays ended").isEmpty();
        assertThat(tokens.authenticate(token)).isPresent();
    }
}
