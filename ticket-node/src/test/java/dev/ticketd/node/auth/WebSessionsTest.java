package dev.ticketd.node.auth;

import dev.ticketd.db.Database;
import dev.ticketd.testing.TestPostgres;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;

import static dev.ticketd.db.generated.Tables.WEB_SESSION;
import static org.assertj.core.api.Assertions.assertThat;

class WebSessionsTest {

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
    void aSessionInUseStaysAndOneUnusedForTheIdleTimeoutEnds() {
        MovableClock clock = new MovableClock();
        WebSessions sessions = new WebSessions(db, clock, Duration.ofHours(12), Duration.ofMinutes(30));
        WebSessions.NewSession session = sessions.create(newUser());

        clock.advance(Duration.ofMinutes(29));
        assertThat(sessions.find(session.token())).isPresent();
        clock.advance(Duration.ofMinutes(29));
        assertThat(sessions.find(session.token())).as("58 minutes old, used 29 minutes ago").isPresent();
        clock.advance(Duration.ofMinutes(31));

        assertThat(sessions.find(session.token())).as("unused for 31 minutes").isEmpty();
    }

    @Test
    void theAbsoluteTtlEndsASessionThatIsInUseAllTheTime() {
        MovableClock clock = new MovableClock();
        WebSessions sessions = new WebSessions(db, clock, Duration.ofHours(1), Duration.ofMinutes(30));
        WebSessions.NewSession session = sessions.create(newUser());

        for (int i = 0; i < 3; i++) {
            clock.advance(Duration.ofMinutes(19));
            assertThat(sessions.find(session.token())).isPresent();
        }
        clock.advance(Duration.ofMinutes(4));

        assertThat(sessions.find(session.token())).isEmpty();
    }

    @Test
    void lastSeenIsWrittenAtMostOnceAMinute() {
        MovableClock clock = new MovableClock();
        WebSessions sessions = new WebSessions(db, clock, Duration.ofHours(12), Duration.ofMinutes(30));
        WebSessions.NewSession session = sessions.create(newUser());
        OffsetDateTime created = lastSeen(session);

        clock.advance(Duration.ofSeconds(30));
        sessions.find(session.token());
        assertThat(lastSeen(session)).as("30 s later: not written").isEqualTo(created);

        clock.advance(Duration.ofSeconds(31));
        sessions.find(session.token());
        OffsetDateTime touched = lastSeen(session);
        assertThat(touched).isEqualTo(OffsetDateTime.ofInstant(clock.instant(), ZoneOffset.UTC));

        clock.advance(Duration.ofSeconds(10));
        sessions.find(session.token());
        assertThat(lastSeen(session)).isEqualTo(touched);
    }

    @Test
    void loggingInAgainSweepsTheUsersIdleSessions() {
        MovableClock clock = new MovableClock();
        WebSessions sessions = new WebSessions(db, clock, Duration.ofHours(12), Duration.ofMinutes(30));
        long user = newUser();
        sessions.create(user);
        clock.advance(Duration.ofMinutes(31));

        sessions.create(user);

        assertThat(db.dsl().fetchCount(WEB_SESSION, WEB_SESSION.USER_ID.eq(user))).isEqualTo(1);
    }

    private static long newUser() {
        return accounts.createUser("s" + System.nanoTime() + "@example.test", "S", "long enough", Role.AGENT);
    }

    private static OffsetDateTime lastSeen(WebSessions.NewSession session) {
        return db.dsl().select(WEB_SESSION.LAST_SEEN_AT).from(WEB_SESSION)
                .where(WEB_SESSION.TOKEN_SHA256.eq(Secrets.sha256Hex(session.token())))
                .fetchSingle(WEB_SESSION.LAST_SEEN_AT).withOffsetSameInstant(ZoneOffset.UTC);
    }
}
