package dev.ticketd.chaos.scenario;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * Everything a chaos scenario observed, in the shape the report is written from: what was sent,
 * what the help desk made of it, which faults were injected when, who led each mailbox when, and
 * how the staff UI answered. Times are instants on this machine's clock.
 */
public record RunReport(
        Meta meta,
        Verdict verdict,
        List<Mail> mails,
        List<Fault> faults,
        List<Leadership> leaderships,
        List<UiSample> ui,
        List<StaffReply> staffReplies,
        List<Check> checks) {

    /** How the run was set up. */
    public record Meta(Instant started, Instant ended, long seed, double ratePerSecond, long durationSeconds,
                       List<String> faultTypes, String machine, Map<String, String> settings) {
    }

    /**
     * The top-level result: {@code verdict} is "pass" or "fail". {@code mailsSent}: mails the server
     * took; {@code unknownOutcomes}: sends whose answer was never seen, of which {@code unknownStored}
     * are in the database (either is allowed; a second copy counts as duplicated).
     */
    public record Verdict(String verdict, int mailsSent, int lost, int duplicated, int unexpected,
                          int unknownOutcomes, int unknownStored,
                          int repliesMisthreaded, int staffRepliesSent, int staffRepliesCaptured, int staffRepliesDuplicated,
                          int overlappingEpochs, int spuriousLeaderChanges,
                          long timeToTicketP50Millis, long timeToTicketP99Millis, long timeToTicketMaxMillis) {
    }

    /**
     * One customer mail. {@code kind}: "new", "reply" (to {@code replyToTag}'s ticket) or "bad" (from the
     * bad-mail corpus). {@code accepted}: the mail server took it (only accepted mail must become a
     * ticket message); {@code outcome} "ok", "fail" (certainly not taken) or "unknown" (the answer was
     * never seen: it may be a ticket message or not, but only once). {@code ticketedAt} is when its
     * ticket message was committed (the database's commit time); {@code messages} how many ticket
     * messages it became (1 is right); {@code ticket} the ticket it joined.
     */
    public record Mail(String tag, String kind, String replyToTag, Instant sentAt, boolean accepted, String outcome,
                       Instant ticketedAt, int messages, String ticket, boolean inExpectedTicket) {
    }

    /**
     * One injected fault. {@code confirmed}: its effect was observed (process gone, packets dropped,
     * leader moved). Gaps in ms, -1 when not measured: the longest stretch without intake and without
     * a UI answer that overlaps the fault window [start, end + recovery].
     */
    public record Fault(String type, String target, Instant start, Instant end, boolean confirmed, String detail,
                        long intakeGapMillis, long uiGapMillis, Alerting alerting) {

        /** A fault without alerting figures (not a silent one). */
        public Fault(String type, String target, Instant start, Instant end, boolean confirmed, String detail,
                     long intakeGapMillis, long uiGapMillis) {
            this(type, target, start, end, confirmed, detail, intakeGapMillis, uiGapMillis, null);
        }
    }

    /**
     * What operations received during a silent fault, measured on the harness's alert capture (not in
     * the database): {@code repairedAt} is when the fault was undone; one entry per channel.
     */
    public record Alerting(Instant repairedAt, List<ChannelAlerting> channels) {
    }

    /**
     * One channel's notices in a silent fault's window (from its start until the next fault). {@code alertMillis}:
     * from the start to the first opening of a stall-severity alert ({@code rule}), -1 none;
     * {@code allClearMillis}: from the repair until every stall episode opened in the window had its
     * all-clear (0: cleared before the repair, -1: not all cleared); {@code episodes}: stall episodes
     * opened; {@code openNotices}: the most openings one episode got (1 is right; more are
     * duplicates); {@code notices}: every notice of the channel in the window.
     */
    public record ChannelAlerting(String channel, String rule, long alertMillis, long allClearMillis, int episodes, int openNotices,
                                  int notices) {
    }

    /** A mailbox's lease holder from {@code from} until {@code to} (null: still at the end), under {@code epoch}. */
    public record Leadership(String mailbox, String holder, long epoch, Instant from, Instant to, boolean causedByFault) {
    }

    /** One staff request to one node: HTTP status (-1: no answer), how long it took, whether it came from a standby. */
    public record UiSample(String node, String path, Instant at, int status, long millis, boolean fromStandby) {
    }

    /** A staff reply posted through the API; {@code captured}: copies that reached the customers' capture mailbox. */
    public record StaffReply(String idempotencyKey, String ticket, Instant at, int status, int captured) {
    }

    /** A named check of the checker, with what it found. */
    public record Check(String name, boolean ok, String detail) {
    }
}
