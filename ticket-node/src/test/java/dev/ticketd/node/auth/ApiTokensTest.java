package dev.ticketd.node.auth;

import dev.ticketd.db.Database;
import dev.ticketd.testing.TestPostgres;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Base64;

import static dev.ticketd.db.generated.Tables.API_TOKEN;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ApiTokensTest {

    static Database db;
    static StaffAccounts accounts;
    static MovableClock clock = new MovableClock();
    static ApiTokens tokens;

    @BeforeAll
    static void start() {
        db = TestPostgres.freshDatabase();
        accounts = new StaffAccounts(db);
        tokens = new ApiTokens(db, clock);
    }

    @AfterAll
    static void stop() {
        db.close();
    }

    @Test
    void theServerMakesATokenOf256RandomBitsThatIsStoredOnlyAsASaltedHash() {
        accounts.createUser("tokens@example.test", "T", "long enough", Role.AGENT);

        ApiTokens.NewToken made = tokens.create("Tokens@Example.test", "ci", ApiTokens.DEFAULT_LIFETIME);
        ApiTokens.NewToken other = tokens.create("tokens@example.test", "ci", ApiTokens.DEFAULT_LIFETIME);

        assertThat(made.token()).matches("tkd_[0-9a-f]{16}_[A-Za-z0-9_-]{43}").isNotEqualTo(other.token());
        String secret = made.token().substring(21);
        assertThat(Base64.getUrlDecoder().decode(secret)).hasSize(32);
        var row = db.dsl().selectFrom(API_TOKEN).where(API_TOKEN.ID.eq(made.id())).fetchSingle();
        assertThat(row.getSecretSha256()).isEqualTo(Secrets.sha256Hex(row.getSalt() + secret))
                .isNotEqualTo(Secrets.sha256Hex(secret)).doesNotContain(secret);
        assertThat(row.getTokenSha256()).isNull();
        assertThat(made.toString()).doesNotContain(secret);
        assertThat(tokens.authenticate(made.token())).get().extracting(StaffUser::email).isEqualTo("tokens@example.test");
    }

    @Test
    void aTokenWithAnAlteredSecretOrAnotherShapeIsRefused() {
        accounts.createUser("shapes@example.test", "S", "long enough", Role.AGENT);
        String token = tokens.create("shapes@example.test", "ci", null).token();
        char last = token.charAt(token.length() - 1);
        String altered = token.substring(0, token.length() - 1) + (last == 'A' ? 'B' : 'A');

        assertThat(tokens.authenticate(altered)).isEmpty();
        assertThat(tokens.authenticate(token.substring(0, 20))).isEmpty();
        assertThat(tokens.authenticate("some-chosen-token-0123456789")).isEmpty();
        assertThat(tokens.authenticate(null)).isEmpty();
        assertThat(tokens.authenticate(token)).isPresent();
    }

    @Test
    void aTokenStopsWorkingWhenItExpiresAndOneWithoutExpiryKeepsWorking() {
        accounts.createUser("expiry@example.test", "E", "long enough", Role.AGENT);
        String shortLived = tokens.create("expiry@example.test", "ci", Duration.ofDays(1)).token();
        String forever = tokens.create("expiry@example.test", "ci", null).token();

        clock.advance(Duration.ofHours(23));
        assertThat(tokens.authenticate(shortLived)).isPresent();
        clock.advance(Duration.ofHours(2));

        assertThat(tokens.authenticate(shortLived)).isEmpty();
        assertThat(tokens.authenticate(forever)).isPresent();
    }

    @Test
    void aRevokedTokenStopsWorkingAtOnceAndTheListShowsItRevokedWithoutTheToken() {
        accounts.createUser("revoke@example.test", "R", "long enough", Role.AGENT);
        ApiTokens.NewToken kept = tokens.create("revoke@example.test", "kept", null);
        ApiTokens.NewToken revoked = tokens.create("revoke@example.test", "leaked", null);

        assertThat(tokens.revoke("revoke@example.test", revoked.id())).isTrue();
        assertThat(tokens.revoke("revoke@example.test", revoked.id())).as("revoking again changes nothing").isTrue();
        assertThat(tokens.revoke("tokens@example.test", kept.id())).as("only the owner's tokens").isFalse();

        assertThat(tokens.authenticate(revoked.token())).isEmpty();
        assertThat(tokens.authenticate(kept.token())).isPresent();
        assertThat(tokens.list("revoke@example.test"))
                .extracting(ApiTokens.TokenInfo::name, t -> t.revokedAt() != null)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("leaked", true), org.assertj.core.groups.Tuple.tuple("kept", false));
    }

    @Test
    void aTokenForAnUnknownUserIsAClearError() {
        assertThatThrownBy(() -> tokens.create("nobody@example.test", "ci", null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no staff user with email nobody@example.test");
    }
}
