package dev.ticketd.chaos.scenario.report;

import dev.ticketd.chaos.scenario.RunReport;
import dev.ticketd.chaos.scenario.RunReport.Check;
import dev.ticketd.chaos.scenario.RunReport.Fault;
import dev.ticketd.chaos.scenario.RunReport.Leadership;
import dev.ticketd.chaos.scenario.RunReport.Mail;
import dev.ticketd.chaos.scenario.RunReport.Meta;
import dev.ticketd.chaos.scenario.RunReport.StaffReply;
import dev.ticketd.chaos.scenario.RunReport.UiSample;
import dev.ticketd.chaos.scenario.RunReport.Verdict;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A made-up 20-minute run on three nodes, deterministic for a seed: twelve faults of four types (two
 * of them overlapping, one not confirmed, one whose detail carries markup), a fifth type scheduled but
 * never injected, two mailboxes whose leader moves with the faults (once spuriously, once with the
 * zombie still holding on), and mails of which exactly one is lost, one duplicated and one reply lands
 * in the wrong ticket, and two whose send had no observed answer (one of them a ticket, one not).
 */
final class SyntheticRun {

    static final Instant START = Instant.parse("2025-03-01T10:00:00Z");
    static final Duration LENGTH = Duration.ofMinutes(20);
    static final List<String> TYPES = List.of("kill-leader", "zombie-leader", "host-loss", "partition", "uidvalidity-reset");
    static final List<String> NODES = List.of("n1", "n2", "n3");
    static final String MARKUP_DETAIL = "iptables said: <script>alert('x')</script> & gave up";
    static final String LOST_TAG = "m-00042";
    /** Sent, no answer seen, not a ticket: allowed, and not drawn. */
    static final String UNKNOWN_ABSENT_TAG = "m-00200";
    /** Sent, no answer seen, a ticket: allowed, drawn as a fine mail. */
    static final String UNKNOWN_STORED_TAG = "m-00201";

    /** type, offset s, length s, target, confirmed, intake gap ms, UI gap ms, detail */
    private record Planned(String type, int at, int seconds, String target, boolean confirmed, long intakeGap, long uiGap, String detail) {
    }

    private static final List<Planned> PLAN = List.of(
            new Planned("kill-leader", 60, 20, "n1", true, 4_000, 900, "kill -9 pid 4121 (leader of support)"),
            new Planned("zombie-leader", 150, 40, "n2", true, 7_500, 6_000, "SIGSTOP 8 s past the session timeout, then SIGCONT"),
            new Planned("host-loss", 260, 70, "n3", true, 8_200, 9_400, "dropped all traffic, killed 3 processes, restarted"),
            new Planned("partition", 300, 60, "n1", true, 0, 0, "iptables DROP in ns-n1 both ways"),
            new Planned("kill-leader", 420, 15, "n2", true, 6_000, 700, "kill -9 pid 5230 (leader of billing)"),
            new Planned("zombie-leader", 500, 35, "n3", false, -1, -1, MARKUP_DETAIL),
            new Planned("host-loss", 590, 80, "n1", true, 9_900, 8_100, "dropped all traffic, killed 3 processes, restarted"),
            new Planned("partition", 700, 45, "n2", true, 3_100, 0, "iptables DROP in ns-n2 both ways"),
            new Planned("kill-leader", 790, 20, "n3", true, 9_000, 1_200, "kill -9 pid 6001 (leader of support)"),
            new Planned("zombie-leader", 860, 40, "n1", true, 6_800, 5_500, "SIGSTOP 8 s past the session timeout, then SIGCONT"),
            new Planned("host-loss", 950, 75, "n2", true, 12_400, 9_800, "dropped all traffic, killed 3 processes, restarted"),
            new Planned("partition", 1060, 50, "n3", true, 2_000, -1, "iptables DROP in ns-n3 both ways"));

    private SyntheticRun() {
    }

    static RunReport report(int mailCount, long seed) {
        Random random = new Random(seed);
        List<Fault> faults = PLAN.stream().map(p -> new Fault(p.type(), p.target(), at(p.at()), at(p.at() + p.seconds()),
                p.confirmed(), p.detail(), p.intakeGap(), p.uiGap())).toList();
        List<Mail> mails = mails(mailCount, random);
        List<Leadership> leaderships = List.of(
                new Leadership("support", "n1", 1, at(2), at(64), false),
                new Leadership("support", "n3", 2, at(64), at(155), true),
                new Leadership("support", "n2", 3, at(155), at(196), true),
                new Leadership("support", "n3", 4, at(190), at(560), true),
                new Leadership("support", "n2", 5, at(560), at(794), false),
                new Leadership("support", "n1", 6, at(794), null, true),
                new Leadership("billing", "n2", 1, at(3), at(424), false),
                new Leadership("billing", "n1", 2, at(424), at(598), true),
                new Leadership("billing", "n3", 3, at(598), at(955), true),
                new Leadership("billing", "n1", 4, at(955), null, true));
        List<UiSample> ui = new ArrayList<>();
        for (int s = 0; s < LENGTH.toSeconds(); s += 2) {
            for (String node : NODES) {
                int second = s;
                boolean down = PLAN.stream().anyMatch(p -> p.target().equals(node) && p.uiGap() > 0
                        && second >= p.at() && second < p.at() + p.uiGap() / 1000 + 2);
                ui.add(new UiSample(node, "/api/tickets", at(s).plusMillis(random.nextInt(300)), down ? -1 : 200,
                        down ? 2_000 : 20 + random.nextInt(40), false));
            }
        }
        List<StaffReply> replies = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            replies.add(new StaffReply("k-" + i, "T-" + (100 + i), at(20 + i * 28), 201, i == 17 ? 2 : 1));
        }
        List<Check> checks = List.of(
                new Check("every accepted mail is exactly one ticket message", false, "1 lost (" + LOST_TAG + "), 1 duplicated (m-00100)"),
                new Check("every reply is in its original ticket", false, "1 in the wrong ticket (m-00150)"),
                new Check("every staff reply reached the capture mailbox", true, "40 of 40; 1 sent twice (k-17)"),
                new Check("no overlapping epochs", true, "0 overlaps over 10 leaderships"),
                new Check("every fault took effect", false, "zombie-leader on n3 at +8:20 not confirmed"),
                new Check("no spurious leader change", false, "1: support at +9:20"));
        long lost = mails.stream().filter(m -> m.accepted() && m.messages() == 0).count();
        long duplicated = mails.stream().filter(m -> m.messages() > 1).count();
        int accepted = (int) mails.stream().filter(Mail::accepted).count();
        int unknown = (int) mails.stream().filter(m -> m.outcome().equals("unknown")).count();
        int unknownStored = (int) mails.stream().filter(m -> m.outcome().equals("unknown") && m.messages() > 0).count();
        Verdict verdict = new Verdict("fail", accepted, (int) lost, (int) duplicated, 0, unknown, unknownStored, 1, 40, 40, 1, 0, 1,
                900, 11_800, 14_700);
        Meta meta = new Meta(START, START.plus(LENGTH), seed, mailCount / (double) LENGTH.toSeconds(), LENGTH.toSeconds(),
                TYPES, "2 cores, Debian 12 (synthetic)", Map.of("sessionTimeoutMs", "4500", "hosts", "3"));
        return new RunReport(meta, verdict, mails, faults, leaderships, ui, replies, checks);
    }

    private static List<Mail> mails(int count, Random random) {
        List<Mail> mails = new ArrayList<>();
        double every = LENGTH.toMillis() / (double) count;
        for (int i = 0; i < count; i++) {
            String tag = String.format("m-%05d", i);
            Instant sent = START.plusMillis((long) (i * every));
            int second = (int) ((long) (i * every) / 1000);
            boolean duringFault = PLAN.stream().anyMatch(p -> p.intakeGap() > 0 && second >= p.at() && second < p.at() + p.intakeGap() / 1000);
            long millis = duringFault ? 2_000 + random.nextInt(12_000) : (long) Math.exp(6 + random.nextGaussian() * 0.6);
            String kind = i % 20 == 7 ? "reply" : i % 37 == 3 ? "bad" : "new";
            boolean unknown = tag.equals(UNKNOWN_ABSENT_TAG) || tag.equals(UNKNOWN_STORED_TAG);
            boolean lost = tag.equals(LOST_TAG);
            boolean absent = lost || tag.equals(UNKNOWN_ABSENT_TAG);
            int messages = absent ? 0 : i == 100 ? 2 : 1;
            mails.add(new Mail(tag, kind, kind.equals("reply") ? String.format("m-%05d", i - 7) : null, sent, !unknown,
                    unknown ? "unknown" : "ok", absent ? null : sent.plusMillis(millis), messages, absent ? null : "T-" + (i / 3), i != 150));
        }
        return mails;
    }

    private static Instant at(int secondsFromStart) {
        return START.plusSeconds(secondsFromStart);
    }
}
