package dev.ticketd.chaos.scenario;

import dev.ticketd.chaos.scenario.check.Checker;
import dev.ticketd.chaos.scenario.check.Checker.Epochs;
import dev.ticketd.chaos.scenario.check.Checker.Verdicts;

import java.util.List;
import java.util.stream.Collectors;

/** The checker's verdicts as the report's named checks, each PASS or FAIL with what it found. */
final class CheckReport {

    /** At most this many examples in a check's detail; the report's mail list has them all. */
    private static final int EXAMPLES = 20;

    private CheckReport() {
    }

    static List<RunReport.Check> mailChecks(Verdicts v) {
        return List.of(
                new RunReport.Check("every accepted mail is exactly one ticket message (bad mail: stored once)", v.mailsOk(),
                        v.accepted() + " accepted, lost " + v.lost().size() + examples(v.lost(), Checker.Lost::tag)
                                + ", duplicated " + v.duplicatedCopies() + examples(v.duplicated(), Checker.Duplicated::tag)
                                + ", bad mails waiting in the quarantine " + v.quarantined()
                                + "; " + v.unknowns().sends() + " sends with an unknown outcome: " + v.unknowns().stored()
                                + " stored once, " + v.unknowns().absent() + " not stored (both allowed)"),
                new RunReport.Check("nothing unexpected was stored", v.unexpected().isEmpty(),
                        v.unexpected().size() + " stored mails the customers did not send or the mail server refused"
                                + examples(v.unexpected(), u -> "#" + u.inboundId() + " " + u.reason())),
                new RunReport.Check("every reply is in its original ticket", v.misthreaded().isEmpty(),
                        v.misthreaded().size() + " replies in another ticket" + examples(v.misthreaded(), Checker.Misthreaded::tag)));
    }

    static RunReport.Check epochCheck(Epochs e) {
        StringBuilder detail = new StringBuilder(e.epochs() + " epochs, judged by the database's commit times");
        for (Checker.EpochOverlap o : e.overlaps()) {
            detail.append("; epoch ").append(o.epoch()).append(" of ").append(o.mailboxId()).append(" committed ").append(o.lateCommits())
                    .append(" mail(s) after epoch ").append(o.newerEpoch()).append("'s first commit at ").append(o.newerFirstCommit())
                    .append(", the last at ").append(o.lastLateCommit());
        }
        if (!e.withoutCommitTime().isEmpty()) {
            detail.append("; ").append(e.withoutCommitTime().size())
                    .append(" stored mails have no commit time, so their epochs cannot be placed (is track_commit_timestamp on?)");
        }
        return new RunReport.Check("no two epochs committed at overlapping times", e.ok(), detail.toString());
    }

    private static <T> String examples(List<T> items, java.util.function.Function<T, String> name) {
        if (items.isEmpty()) {
            return "";
        }
        return items.stream().limit(EXAMPLES).map(name).collect(Collectors.joining(", ", " (", items.size() > EXAMPLES ? ", …)" : ")"));
    }
}
