package dev.ticketd.node.watch;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** An alert is raised after three firing samples in a row and cleared after two quiet ones; blips do neither. */
class HysteresisTest {

    private static final Finding STALL = new Finding("mailbox-stalled", "support@example.test", Finding.Severity.STALL, "stalled");

    private final Hysteresis h = new Hysteresis(3, 2);

    @Test
    void aRuleMustFireThreeSamplesInARowToRaise() {
        h.update(List.of(STALL));
        h.update(List.of(STALL));
        assertThat(h.raised()).isEmpty();
        h.update(List.of(STALL));
        assertThat(h.raised()).containsExactly(STALL);
    }

    @Test
    void aQuietSampleBetweenFiringOnesStartsTheCountAgain() {
        h.update(List.of(STALL));
        h.update(List.of(STALL));
        h.update(List.of());
        h.update(List.of(STALL));
        h.update(List.of(STALL));
        assertThat(h.raised()).as("2 + 2 firing samples are not 3 in a row").isEmpty();
    }

    @Test
    void aRaisedAlertClearsOnlyAfterTwoQuietSamples() {
        for (int i = 0; i < 3; i++) {
            h.update(List.of(STALL));
        }
        h.update(List.of());
        assertThat(h.raised()).containsExactly(STALL);
        assertThat(h.cleared(STALL.key())).isFalse();
        h.update(List.of(STALL));
        h.update(List.of());
        assertThat(h.cleared(STALL.key())).as("one quiet sample, one firing, one quiet").isFalse();
        h.update(List.of());
        assertThat(h.raised()).isEmpty();
        assertThat(h.cleared(STALL.key())).isTrue();
    }

    @Test
    void aTroubleThisWatchNeverSawCountsAsOverOnceItTookEnoughSamples() {
        Finding.Key other = new Finding.Key("node-down", "node-c");
        assertThat(h.cleared(other)).as("no sample yet: nothing known").isFalse();
        h.update(List.of());
        assertThat(h.cleared(other)).isFalse();
        h.update(List.of());
        assertThat(h.cleared(other)).isTrue();
    }

    @Test
    void theLatestFindingOfARaisedAlertIsTheOneReported() {
        for (int i = 0; i < 3; i++) {
            h.update(List.of(STALL));
        }
        Finding later = new Finding(STALL.rule(), STALL.subject(), STALL.severity(), "stalled for longer");
        h.update(List.of(later));
        assertThat(h.raised()).containsExactly(later);
    }
}
