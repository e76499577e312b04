package dev.ticketd.chaos.scenario;

import dev.ticketd.chaos.scenario.check.Checker;
import dev.ticketd.chaos.scenario.check.History;
import dev.ticketd.chaos.scenario.check.History.Kind;
import dev.ticketd.chaos.scenario.check.History.Outcome;
import dev.ticketd.chaos.scenario.check.History.Send;
import dev.ticketd.chaos.scenario.check.History.Stored;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The checker's verdicts become the report's named checks: a broken rule is a FAIL that says what broke it. */
class CheckReportTest {

    private static final Instant T0 = Instant.parse("2026-12-03T12:00:00Z");

    @Test
    void aCleanHistoryPassesEveryCheckAndCountsItsUnknowns() {
        History h = new History(List.of(send("cm000001", Outcome.OK), send("cm000002", Outcome.UNKNOWN), send("cm000003", Outcome.UNKNOWN)),
                List.of(stored(1, "cm000001", 1, 100), stored(2, "cm000002", 2, 200)));

        List<RunReport.Check> checks = CheckReport.mailChecks(Checker.check(h));
        RunReport.Check epochs = CheckReport.epochCheck(Checker.check(h).epochs());

        assertThat(checks).allMatch(RunReport.Check::ok);
        assertThat(checks.get(0).detail()).contains("1 accepted, lost 0", "2 sends with an unknown outcome: 1 stored once, 1 not stored");
        assertThat(epochs.ok()).isTrue();
        assertThat(epochs.detail()).startsWith("2 epochs, judged by the database's commit times");
    }

    @Test
    void aLostMailAndAnOverlapFailTheirChecksAndNameTheCulprits() {
        History h = new History(List.of(send("cm000001", Outcome.OK), send("cm000002", Outcome.OK), send("cm000003", Outcome.OK)),
                List.of(stored(1, "cm000001", 2, 100), stored(2, "cm000002", 1, 200)));

        Checker.Verdicts v = Checker.check(h);

        assertThat(CheckReport.mailChecks(v).get(0)).satisfies(c -> {
            assertThat(c.ok()).isFalse();
            assertThat(c.detail()).contains("lost 1 (cm000003)");
        });
        assertThat(CheckReport.epochCheck(v.epochs())).satisfies(c -> {
            assertThat(c.ok()).isFalse();
            assertThat(c.detail()).contains("epoch 1 of support committed 1 mail(s) after epoch 2's first commit at " + T0.plusMillis(100));
        });
    }

    @Test
    void storedMailsWithoutACommitTimeFailTheEpochCheckAndSayWhy() {
        History h = new History(List.of(send("cm000001", Outcome.OK)),
                List.of(new Stored(1, "support", "cm000001", 1, null, T0, 10L, "T-10")));

        RunReport.Check c = CheckReport.epochCheck(Checker.check(h).epochs());

        assertThat(c.ok()).isFalse();
        assertThat(c.detail()).contains("1 stored mails have no commit time", "track_commit_timestamp");
    }

    private static Send send(String tag, Outcome outcome) {
        return new Send(tag, Kind.NEW, null, T0, outcome);
    }

    private static Stored stored(long id, String tag, long epoch, long commitMs) {
        return new Stored(id, "support", tag, epoch, T0.plusMillis(commitMs), T0, 10L + id, "T-" + (10 + id));
    }
}
