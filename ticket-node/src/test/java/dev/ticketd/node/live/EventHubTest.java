package dev.ticketd.node.live;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The fan-out's bounds and its access rule, without a server. */
class EventHubTest {

    private static final LiveSettings SMALL = new LiveSettings(2, 2, 3, Duration.ofSeconds(15), Duration.ofMinutes(2),
            Duration.ofSeconds(15), Duration.ofSeconds(5), Duration.ofDays(1), 10);

    @Test
    void aStreamThatFallsBehindIsEndedInsteadOfGrowing() throws InterruptedException {
        EventHub hub = new EventHub(SMALL);
        try (EventHub.Subscription s = hub.subscribe(new Audience(1, false, Set.of(7L)))) {
            for (int i = 1; i <= 3; i++) {
                hub.publish(new DeskEvent(DeskEvent.Kind.TICKET, i, 100, 7, null));
            }
            assertThat(s.ended()).isTrue();
            assertThat(s.poll(Duration.ZERO).position()).isEqualTo(1);
        }
        assertThat(hub.size()).isZero();
    }

    @Test
    void onlyEventsOfTheAudiencesGroupsReachIt() throws InterruptedException {
        EventHub hub = new EventHub(SMALL);
        try (EventHub.Subscription agent = hub.subscribe(new Audience(1, false, Set.of(7L)));
             EventHub.Subscription admin = hub.subscribe(new Audience(2, true, Set.of()))) {
            hub.publish(new DeskEvent(DeskEvent.Kind.TICKET, 1, 100, 8, null));
            hub.publish(new DeskEvent(DeskEvent.Kind.TICKET, 2, 101, 8, 7L));
            assertThat(agent.poll(Duration.ZERO).position()).as("a ticket that left the agent's group").isEqualTo(2);
            assertThat(agent.poll(Duration.ZERO)).isNull();
            assertThat(admin.poll(Duration.ZERO).position()).isEqualTo(1);
        }
    }

    @Test
    void streamsAreBoundedPerMemberOfStaffAndPerNode() {
        EventHub hub = new EventHub(SMALL);
        hub.subscribe(new Audience(1, false, Set.of()));
        hub.subscribe(new Audience(1, false, Set.of()));
        assertThatThrownBy(() -> hub.subscribe(new Audience(1, false, Set.of()))).isInstanceOf(EventHub.TooManyStreams.class);
        hub.subscribe(new Audience(2, false, Set.of()));
        assertThatThrownBy(() -> hub.subscribe(new Audience(3, false, Set.of()))).isInstanceOf(EventHub.TooManyStreams.class);
    }

    @Test
    void payloadsAreReadAndAnythingElseIsIgnored() {
        assertThat(DeskEvent.parse("e:5:10:3")).contains(new DeskEvent(DeskEvent.Kind.TICKET, 5, 10, 3, null));
        assertThat(DeskEvent.parse("e:5:10:3:4")).contains(new DeskEvent(DeskEvent.Kind.TICKET, 5, 10, 3, 4L));
        assertThat(DeskEvent.parse("p:10:3")).contains(new DeskEvent(DeskEvent.Kind.PRESENCE, 0, 10, 3, null));
        assertThat(DeskEvent.parse("x:1")).isEmpty();
        assertThat(DeskEvent.parse("e:a:b:c")).isEmpty();
    }
}
