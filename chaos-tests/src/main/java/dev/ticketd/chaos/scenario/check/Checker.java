package dev.ticketd.chaos.scenario.check;

import dev.ticketd.chaos.scenario.check.History.Kind;
import dev.ticketd.chaos.scenario.check.History.Outcome;
import dev.ticketd.chaos.scenario.check.History.Send;
import dev.ticketd.chaos.scenario.check.History.Stored;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * Judges a recorded {@link History}: pure functions, no I/O, no clock. The rules:
 *
 * <ul>
 *   <li><b>lost</b>: a send the mail server took ({@link Outcome#OK}) that is not stored, or a stored
 *       mail of an ok or unknown send that is not a ticket message, unless it is bad mail waiting, stored
 *       once, in the quarantine;</li>
 *   <li><b>duplicated</b>: an ok or unknown send stored more than once or in more than one ticket
 *       message;</li>
 *   <li><b>unexpected</b>: a stored mail with no tag, with a tag nobody sent, or whose send certainly
 *       failed ({@link Outcome#FAIL});</li>
 *   <li><b>misthreaded</b>: a reply whose ticket message is not in the ticket of the mail it answers;</li>
 *   <li><b>unknown</b> ({@link Outcome#UNKNOWN}): counted, and allowed to be stored once or not at all;</li>
 *   <li><b>overlapping epochs</b>: per mailbox, a commit under epoch {@code e} strictly after the first
 *       commit under any epoch {@code e' > e}; judged by the commit time the database recorded, never by
 *       {@code received_at} (a transaction's start: an old leader's transaction that began before the
 *       new epoch and committed after it would look innocent). A stored mail without a commit time
 *       cannot be judged and fails the check.</li>
 * </ul>
 */
public final class Checker {

    private Checker() {
    }

    /** The judgement of one send, in the shape the report draws it. */
    public record MailJudgement(Send send, int copies, int messages, String ticket, Instant ticketedAt, boolean inExpectedTicket) {
    }

    /** A send that should be one ticket message and is none. {@code copies}: how many stored mails it has (0 or more, none ticketed). */
    public record Lost(String tag, Outcome outcome, int copies) {
    }

    /** A send stored {@code copies} times or in {@code messages} ticket messages; {@link #extra()} of them too many. */
    public record Duplicated(String tag, Outcome outcome, int copies, int messages) {
        public int extra() {
            return Math.max(copies, messages) - 1;
        }
    }

    /** A stored mail that no accepted or unknown send explains. {@code tag} may be null. */
    public record Unexpected(long inboundId, String tag, String reason) {
    }

    /** A reply in ticket {@code actualTicketId}, while the mail it answers is in {@code expectedTicketId} (null: not a ticket). */
    public record Misthreaded(String tag, String replyToTag, Long expectedTicketId, Long actualTicketId) {
    }

    /** Sends whose outcome the client did not observe, and how many of them the database holds. */
    public record Unknowns(int sends, int stored) {
        public int absent() {
            return sends - stored;
        }
    }

    /**
     * Epoch {@code epoch} of {@code mailboxId} committed {@code lateCommits} mails after {@code newerFirstCommit},
     * the first commit under the newer epoch {@code newerEpoch}; the last of them at {@code lastLateCommit}.
     */
    public record EpochOverlap(String mailboxId, long epoch, int lateCommits, Instant lastLateCommit, long newerEpoch,
                               Instant newerFirstCommit) {
    }

    /** A stored mail whose commit time the database does not know: its epoch cannot be placed. */
    public record WithoutCommitTime(String mailboxId, long inboundId, long epoch) {
    }

    /** The epoch verdict: {@code epochs} distinct (mailbox, epoch) pairs that committed anything. */
    public record Epochs(int epochs, List<EpochOverlap> overlaps, List<WithoutCommitTime> withoutCommitTime) {
        public Epochs {
            overlaps = List.copyOf(overlaps);
            withoutCommitTime = List.copyOf(withoutCommitTime);
        }

        public boolean ok() {
            return overlaps.isEmpty() && withoutCommitTime.isEmpty();
        }
    }

    /** Everything the checker found. */
    public record Verdicts(List<MailJudgement> mails, int accepted, List<Lost> lost, List<Duplicated> duplicated,
                           List<Unexpected> unexpected, List<Misthreaded> misthreaded, int quarantined, Unknowns unknowns,
                           Epochs epochs) {
        public Verdicts {
            mails = List.copyOf(mails);
            lost = List.copyOf(lost);
            duplicated = List.copyOf(duplicated);
            unexpected = List.copyOf(unexpected);
            misthreaded = List.copyOf(misthreaded);
        }

        /** Extra copies over all duplicated sends (the report's "duplicated" figure). */
        public int duplicatedCopies() {
            return duplicated.stream().mapToInt(Duplicated::extra).sum();
        }

        /** Every mail the desk should have is there exactly once, and nothing else is. */
        public boolean mailsOk() {
            return lost.isEmpty() && duplicated.isEmpty();
        }
    }

    public static Verdicts check(History history) {
        Map<String, Send> sends = new HashMap<>();
        for (Send s : history.sends()) {
            if (sends.put(s.tag(), s) != null) {
                throw new IllegalArgumentException("two sends with tag " + s.tag());
            }
        }
        Map<String, List<Stored>> byTag = new HashMap<>();
        List<Unexpected> unexpected = new ArrayList<>();
        Set<Long> counted = new java.util.HashSet<>(); // one inbound row may appear once per ticket message
        for (Stored s : history.stored()) {
            Send send = s.tag() == null ? null : sends.get(s.tag());
            if (send == null || send.outcome() == Outcome.FAIL) {
                if (counted.add(s.inboundId())) {
                    unexpected.add(new Unexpected(s.inboundId(), s.tag(), s.tag() == null ? "no tag found in the stored mail"
                            : send == null ? "no customer sent this tag" : "the mail server refused this mail"));
                }
            } else {
                byTag.computeIfAbsent(s.tag(), k -> new ArrayList<>()).add(s);
            }
        }
        List<MailJudgement> mails = new ArrayList<>();
        List<Lost> lost = new ArrayList<>();
        List<Duplicated> duplicated = new ArrayList<>();
        List<Misthreaded> misthreaded = new ArrayList<>();
        int quarantined = 0;
        int accepted = 0;
        int unknown = 0;
        int unknownStored = 0;
        for (Send s : history.sends().stream().sorted(Comparator.comparing(Send::tag)).toList()) {
            List<Stored> rows = byTag.getOrDefault(s.tag(), List.of());
            int copies = (int) rows.stream().mapToLong(Stored::inboundId).distinct().count();
            List<Stored> messages = rows.stream().filter(r -> r.ticketId() != null).toList();
            accepted += s.outcome() == Outcome.OK ? 1 : 0;
            if (s.outcome() == Outcome.UNKNOWN) {
                unknown++;
                unknownStored += copies > 0 ? 1 : 0;
            }
            if (s.outcome() == Outcome.OK && copies == 0) {
                lost.add(new Lost(s.tag(), s.outcome(), 0));
            } else if (copies > 0 && messages.isEmpty()) {
                // stored, so the desk has it whatever the client saw: it must be a ticket message or bad mail in the quarantine
                if (s.kind() == Kind.BAD && copies == 1) {
                    quarantined++;
                } else if (s.kind() != Kind.BAD) {
                    lost.add(new Lost(s.tag(), s.outcome(), copies));
                }
            }
            if (copies > 1 || messages.size() > 1) {
                duplicated.add(new Duplicated(s.tag(), s.outcome(), copies, messages.size()));
            }
            boolean inExpected = true;
            if (s.kind() == Kind.REPLY && !messages.isEmpty()) {
                Long expected = byTag.getOrDefault(s.replyToTag(), List.of()).stream().map(Stored::ticketId)
                        .filter(Objects::nonNull).findFirst().orElse(null);
                Long actual = messages.get(0).ticketId();
                inExpected = expected != null && expected.equals(actual);
                if (!inExpected) {
                    misthreaded.add(new Misthreaded(s.tag(), s.replyToTag(), expected, actual));
                }
            }
            Instant ticketedAt = rows.stream().map(Stored::committedAt).filter(Objects::nonNull).min(Comparator.naturalOrder())
                    .orElse(null);
            mails.add(new MailJudgement(s, copies, messages.size(), messages.isEmpty() ? null : messages.get(0).ticketNumber(),
                    ticketedAt, inExpected));
        }
        return new Verdicts(mails, accepted, lost, duplicated, unexpected, misthreaded, quarantined,
                new Unknowns(unknown, unknownStored), epochs(history.stored()));
    }

    /**
     * Per mailbox: every commit under epoch {@code e} must come no later than the first commit under
     * any newer epoch. "Later" is strictly later by the database's commit time: the fence makes the
     * newer epoch's first commit wait for the lease grant, which waits for every transaction holding
     * the older epoch's share lock, so a fenced system never produces a later one.
     */
    public static Epochs epochs(List<Stored> stored) {
        Map<String, TreeMap<Long, List<Stored>>> byMailbox = new TreeMap<>();
        List<WithoutCommitTime> without = new ArrayList<>();
        Set<Long> seen = new LinkedHashSet<>();
        for (Stored s : stored) {
            if (!seen.add(s.inboundId())) {
                continue; // the same mail again, joined with another ticket message
            }
            byMailbox.computeIfAbsent(s.mailboxId(), k -> new TreeMap<>()).computeIfAbsent(s.epoch(), k -> new ArrayList<>()).add(s);
            if (s.committedAt() == null) {
                without.add(new WithoutCommitTime(s.mailboxId(), s.inboundId(), s.epoch()));
            }
        }
        List<EpochOverlap> overlaps = new ArrayList<>();
        int epochs = 0;
        for (Map.Entry<String, TreeMap<Long, List<Stored>>> mailbox : byMailbox.entrySet()) {
            epochs += mailbox.getValue().size();
            // walk from the newest epoch down, keeping the earliest first commit of any newer epoch
            Instant earliestNewer = null;
            long earliestNewerEpoch = -1;
            for (Map.Entry<Long, List<Stored>> e : mailbox.getValue().descendingMap().entrySet()) {
                List<Instant> commits = e.getValue().stream().map(Stored::committedAt).filter(Objects::nonNull).sorted().toList();
                if (commits.isEmpty()) {
                    continue;
                }
                if (earliestNewer != null) {
                    Instant bound = earliestNewer;
                    List<Instant> late = commits.stream().filter(t -> t.isAfter(bound)).toList();
                    if (!late.isEmpty()) {
                        overlaps.add(new EpochOverlap(mailbox.getKey(), e.getKey(), late.size(), late.get(late.size() - 1),
                                earliestNewerEpoch, earliestNewer));
                    }
                }
                if (earliestNewer == null || commits.get(0).isBefore(earliestNewer)) {
                    earliestNewer = commits.get(0);
                    earliestNewerEpoch = e.getKey();
                }
            }
        }
        overlaps.sort(Comparator.comparing(EpochOverlap::mailboxId).thenComparingLong(EpochOverlap::epoch));
        return new Epochs(epochs, overlaps, without);
    }
}
