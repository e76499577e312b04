package dev.ticketd.node.auth;

import dev.ticketd.db.Database;
import dev.ticketd.testing.TestPostgres;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static dev.ticketd.db.generated.Tables.API_TOKEN;
import static dev.ticketd.db.generated.Tables.STAFF_USER;
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
    void anApiTokenIsStoredOnlyAsItsSha256AndMustBeLongEnough() {
        accounts.createUser("tokens@example.test", "T", "long enough", Role.AGENT);
        String token = "0123456789abcdef-token";

        accounts.createApiToken("tokens@example.test", "ci", token);

        assertThat(db.dsl().fetchExists(API_TOKEN, API_TOKEN.TOKEN_SHA256.eq(Secrets.sha256Hex(token)))).isTrue();
        assertThat(db.dsl().fetchExists(API_TOKEN, API_TOKEN.TOKEN_SHA256.eq(token))).isFalse();
        assertThat(new ApiTokens(db).authenticate(token)).get().extracting(StaffUser::email).isEqualTo("tokens@example.test");
        assertThatThrownBy(() -> accounts.createApiToken("tokens@example.test", "ci", "too-short"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at least 16");
    }
}
