package dev.ticketd.node.intake;

import dev.ticketd.cluster.ReachReport;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** When a stuck leader hands its mailbox over at once, given the nodes' reach reports. */
class HandoverRuleTest {

    private static final Instant NOW = Instant.parse("2026-12-06T10:00:00Z");
    private static final ReachReport.Reach OK = new ReachReport.Reach(true, NOW.minusSeconds(600), null);
    private static final ReachReport.Reach CUT = new ReachReport.Reach(false, NOW.minusSeconds(3),
            "127.0.0.1:143: no greeting within 1500 ms (SocketTimeoutException)");

    @Test
    void aLeaderCutOffFromTheMailServerHandsOverToANodeThatReachesBoth() {
        ReachReport own = report("node-1", 0, OK, CUT);

        assertThat(HandoverRule.reason("support", own, List.of(own, report("node-2", 400, OK, OK)), Set.of("node-2", "node-3"), NOW))
                .hasValueSatisfying(reason -> assertThat(reason)
                        .contains("cannot reach the mail server (127.0.0.1:143: no greeting")
                        .contains("node-2 (checked 400 ms ago) reaches both")
                        .doesNotContain("database ("));
    }

    @Test
    void aLeaderCutOffFromTheDatabaseHandsOverAndEveryAbleNodeIsNamed() {
        ReachReport own = report("node-1", 0, CUT, OK);

        assertThat(HandoverRule.reason("support", own, List.of(report("node-3", 900, OK, OK), report("node-2", 100, OK, OK)),
                Set.of("node-2", "node-3"), NOW))
                .hasValueSatisfying(reason -> assertThat(reason).contains("cannot reach the database (")
                        .contains("node-2 (checked 100 ms ago), node-3 (checked 900 ms ago) reach both"));
    }

    @Test
    void nothingHappensEarlyWhenTheMailServerIsDownForEveryone() {
        ReachReport own = report("node-1", 0, OK, CUT);

        assertThat(HandoverRule.reason("support", own, List.of(own, report("node-2", 0, OK, CUT), report("node-3", 0, OK, CUT)),
                Set.of("node-2", "node-3"), NOW)).isEmpty();
    }

    @Test
    void anotherNodeMustReachBothTheMailServerAndTheDatabase() {
        ReachReport own = report("node-1", 0, CUT, CUT);

        assertThat(HandoverRule.reason("support", own, List.of(report("node-2", 0, CUT, OK), report("node-3", 0, OK, CUT)),
                Set.of("node-2", "node-3"), NOW)).isEmpty();
    }

    @Test
    void aLeaderThatReachesBothKeepsTheMailboxWhateverTheOthersSay() {
        ReachReport own = report("node-1", 0, OK, OK);

        assertThat(HandoverRule.reason("support", own, List.of(report("node-2", 0, OK, OK)), Set.of("node-2"), NOW)).isEmpty();
    }

    @Test
    void aSingleFailedCheckIsNotEnough() {
        ReachReport.Reach justFailed = new ReachReport.Reach(false, NOW, "refused");
        ReachReport own = report("node-1", 0, OK, justFailed);

        assertThat(HandoverRule.reason("support", own, List.of(report("node-2", 0, OK, OK)), Set.of("node-2"), NOW)).isEmpty();
        // the next check, a second later, fails too: now it counts
        ReachReport next = new ReachReport("node-1", NOW.plusSeconds(1), OK, Map.of("support", justFailed));
        assertThat(HandoverRule.reason("support", next, List.of(report("node-2", 0, OK, OK)), Set.of("node-2"), NOW.plusSeconds(1)))
                .isPresent();
    }

    @Test
    void anOldReportOfAnotherNodeDoesNotCount() {
        ReachReport own = report("node-1", 0, OK, CUT);

        assertThat(HandoverRule.reason("support", own, List.of(report("node-2", 6_000, OK, OK)), Set.of("node-2"), NOW)).isEmpty();
        assertThat(HandoverRule.reason("support", own, List.of(report("node-2", 4_000, OK, OK)), Set.of("node-2"), NOW)).isPresent();
    }

    @Test
    void anOldOwnReportMeansTheProbesAreNotRunningAndCountsForNothing() {
        ReachReport own = report("node-1", 6_000, OK, CUT);

        assertThat(HandoverRule.reason("support", own, List.of(report("node-2", 0, OK, OK)), Set.of("node-2"), NOW)).isEmpty();
        assertThat(HandoverRule.reason("support", null, List.of(report("node-2", 0, OK, OK)), Set.of("node-2"), NOW)).isEmpty();
    }

    @Test
    void onlyANodeThatCouldLeadTheMailboxCounts() {
        ReachReport own = report("node-1", 0, OK, CUT);
        // node-2 is drained, dead in Helix's eyes, or gave the mailbox up itself
        assertThat(HandoverRule.reason("support", own, List.of(report("node-2", 0, OK, OK)), Set.of("node-3"), NOW)).isEmpty();
    }

    @Test
    void aNodeMustHaveCheckedThisMailboxsServer() {
        ReachReport own = report("node-1", 0, OK, CUT);
        ReachReport otherMailboxOnly = new ReachReport("node-2", NOW, OK, Map.of("billing", OK));

        assertThat(HandoverRule.reason("support", own, List.of(otherMailboxOnly), Set.of("node-2"), NOW)).isEmpty();
        // and a leader that has not checked this mailbox's server yet goes by the database alone
        ReachReport ownWithoutIt = new ReachReport("node-1", NOW, OK, Map.of());
        assertThat(HandoverRule.reason("support", ownWithoutIt, List.of(report("node-2", 0, OK, OK)), Set.of("node-2"), NOW)).isEmpty();
    }

    /** A report of {@code node} checked {@code ageMillis} before {@link #NOW}, with the support mailbox's server. */
    @Test
    void aDatabaseAwayForEveryNodeThatCouldLeadIsASharedOutageAndNamesThem() {
        ReachReport own = report("node-1", 0, CUT, OK);
        List<ReachReport> reports = List.of(own, report("node-3", 300, CUT, OK), report("node-2", 100, CUT, OK));

        assertThat(HandoverRule.sharedOutage("support", own, reports, Set.of("node-2", "node-3"), NOW))
                .hasValueSatisfying(what -> assertThat(what).contains("cannot reach the database (")
                        .endsWith("no other node that could lead the mailbox reaches both the mail server and the database (node-2, node-3)"));
        assertThat(HandoverRule.reason("support", own, reports, Set.of("node-2", "node-3"), NOW)).isEmpty();
    }

    @Test
    void itIsNoSharedOutageWhenAnotherNodeReachesBoth() {
        ReachReport own = report("node-1", 0, CUT, OK);

        assertThat(HandoverRule.sharedOutage("support", own, List.of(report("node-2", 0, CUT, OK), report("node-3", 0, OK, OK)),
                Set.of("node-2", "node-3"), NOW)).isEmpty();
    }

    @Test
    void aNodeThatCouldLeadButHasNoFreshReportMightReachBothSoNothingIsShared() {
        ReachReport own = report("node-1", 0, CUT, OK);

        // node-3 (cut off itself, say) last reported 8 s ago; node-4 never did
        assertThat(HandoverRule.sharedOutage("support", own, List.of(report("node-2", 0, CUT, OK), report("node-3", 8_000, CUT, OK)),
                Set.of("node-2", "node-3"), NOW)).isEmpty();
        assertThat(HandoverRule.sharedOutage("support", own, List.of(report("node-2", 0, CUT, OK)), Set.of("node-2", "node-4"), NOW))
                .isEmpty();
        // once node-3 is no longer a node that could lead (its session expired), the others decide
        assertThat(HandoverRule.sharedOutage("support", own, List.of(report("node-2", 0, CUT, OK), report("node-3", 8_000, CUT, OK)),
                Set.of("node-2"), NOW)).isPresent();
    }

    @Test
    void aNodeThatHasNotCheckedThisMailboxsServerYetMightReachItSoNothingIsShared() {
        ReachReport own = report("node-1", 0, CUT, OK);
        ReachReport newcomer = new ReachReport("node-2", NOW, CUT, Map.of());

        assertThat(HandoverRule.sharedOutage("support", own, List.of(newcomer), Set.of("node-2"), NOW)).isEmpty();
    }

    @Test
    void aNodeThatReachesBothOrHasNobodyToCompareWithSharesNothing() {
        ReachReport fine = report("node-1", 0, OK, OK);
        ReachReport cut = report("node-1", 0, CUT, OK);

        assertThat(HandoverRule.sharedOutage("support", fine, List.of(report("node-2", 0, CUT, CUT)), Set.of("node-2"), NOW)).isEmpty();
        assertThat(HandoverRule.sharedOutage("support", cut, List.of(cut), Set.of(), NOW)).isEmpty();
    }

    private static ReachReport report(String node, long ageMillis, ReachReport.Reach database, ReachReport.Reach imap) {
        return new ReachReport(node, NOW.minusMillis(ageMillis), database, Map.of("support", imap));
    }
}
