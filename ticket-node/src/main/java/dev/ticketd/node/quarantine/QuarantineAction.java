package dev.ticketd.node.quarantine;

import dev.ticketd.desk.InvalidRequestException;

import java.util.Arrays;
import java.util.stream.Collectors;

/** What staff can do with a mail in quarantine; each names its audit action and its stored decision. */
public enum QuarantineAction {
    /** Parse the stored bytes again and, if they parse now, ticket the mail as intake would. */
    RETRY("retry", "retried"),
    /** Make a ticket of it although it does not parse, with the raw mail to download. */
    IMPORT("import", "imported"),
    /** Take it off the list; the raw mail is kept. */
    DISMISS("dismiss", "dismissed");

    private final String verb;
    private final String decision;

    QuarantineAction(String verb, String decision) {
        this.verb = verb;
        this.decision = decision;
    }

    /** As in the URL: retry, import, dismiss. */
    public String verb() {
        return verb;
    }

    /** As stored in {@code quarantine_action.action}: retried, imported, dismissed. */
    public String decision() {
        return decision;
    }

    public static QuarantineAction ofVerb(String verb) {
        return Arrays.stream(values()).filter(a -> a.verb.equals(verb)).findFirst()
                .orElseThrow(() -> new InvalidRequestException("unknown quarantine action '" + verb + "'; use one of "
                        + Arrays.stream(values()).map(QuarantineAction::verb).collect(Collectors.joining(", "))));
    }

    static QuarantineAction ofDecision(String decision) {
        return Arrays.stream(values()).filter(a -> a.decision.equals(decision)).findFirst()
                .orElseThrow(() -> new IllegalStateException("unknown stored quarantine decision " + decision));
    }
}
