package dev.ticketd.node.auth;

import dev.ticketd.db.Database;
import dev.ticketd.testing.TestPostgres;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

class TotpTest {

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
    void codesAreThoseOfRfc6238() {
        byte[] key = "12345678901234567890".getBytes(StandardCharsets.US_ASCII);

        // RFC 6238 appendix B (SHA1), the last six of its eight digits
        assertThat(Totp.code(key, 59 / 30)).isEqualTo("287082");
        assertThat(Totp.code(key, 1111111109L / 30)).isEqualTo("081804");
        assertThat(Totp.code(key, 1234567890L / 30)).isEqualTo("005924");
        assertThat(Totp.unbase32(Totp.base32(key))).isEqualTo(key);
        assertThat(Totp.base32(key)).isEqualTo("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
    }

    @Test
    void aFreshCodeIsAcceptedOnceAndAnOldOneNever() {
        MovableClock clock = new MovableClock();
        Totp totp = new Totp(db, db.transactions(), clock);
        long id = accounts.createUser("otp@example.test", "O", "long enough", Role.AGENT);
        Totp.Enrolment enrolment = totp.enable("otp@example.test");
        byte[] key = Totp.unbase32(enrolment.secret());
        long step = clock.instant().getEpochSecond() / 30;

        assertThat(enrolment.uri()).startsWith("otpauth://totp/ticketd:otp%40example.test?secret=" + enrolment.secret());
        assertThat(totp.accepts(id, null)).isFalse();
        assertThat(totp.accepts(id, "12345")).isFalse();
        assertThat(totp.accepts(id, Totp.code(key, step - 2))).as("a minute old").isFalse();
        assertThat(totp.accepts(id, Totp.code(key, step))).isTrue();
        assertThat(totp.accepts(id, Totp.code(key, step))).as("the same code again").isFalse();
        assertThat(totp.accepts(id, Totp.code(key, step - 1))).as("an older code after a newer one").isFalse();

        clock.advance(Duration.ofSeconds(30));
        assertThat(totp.accepts(id, Totp.code(key, step + 1))).isTrue();
    }

    @Test
    void aUserWithoutSecondFactorNeedsNoCodeAndDisablingTurnsItOff() {
        Totp totp = new Totp(db, db.transactions(), new MovableClock());
        long id = accounts.createUser("plain@example.test", "P", "long enough", Role.AGENT);

        assertThat(totp.accepts(id, null)).isTrue();
        totp.enable("plain@example.test");
        assertThat(totp.accepts(id, null)).isFalse();
        totp.disable("plain@example.test");
        assertThat(totp.accepts(id, "")).isTrue();
    }
}
