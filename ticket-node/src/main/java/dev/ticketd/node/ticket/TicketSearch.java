package dev.ticketd.node.ticket;

import dev.ticketd.db.Database;
import dev.ticketd.desk.InvalidRequestException;
import org.jooq.Condition;
import org.jooq.DSLContext;
import org.jooq.Field;
import org.jooq.Record1;
import org.jooq.Select;
import org.jooq.impl.DSL;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dev.ticketd.db.generated.Tables.ATTACHMENT;
import static dev.ticketd.db.generated.Tables.CONTACT;
import static dev.ticketd.db.generated.Tables.TICKET;
import static dev.ticketd.db.generated.Tables.TICKET_MESSAGE;

/**
 * A search as staff type it into the search box or {@code ?q=}, as a condition on {@code TICKET}.
 * All of it runs in PostgreSQL on indexed columns that migration V015 keeps in the write
 * transaction (no separate index to lag or rebuild):
 * <ul>
 *   <li><b>Words</b> ({@code websearch_to_tsquery}: every word, {@code "an exact phrase"},
 *       {@code or}, {@code -not}), accents folded and case ignored, in any language: a ticket matches
 *       when its subject, one of its messages (customer mail, staff replies, internal notes) or its
 *       requester's name and address holds them all;</li>
 *   <li><b>A single token</b> of three characters or more also matches inside whatever words do not
 *       cover — order numbers, phone numbers and addresses in a message ({@code "5531"} finds
 *       {@code ORD-2024-5531}), the requester's address ({@code "example.org"}), the subject, an
 *       attachment's file name — by trigram indexes;</li>
 *   <li><b>A ticket number</b> ({@code T-1042}, {@code #1042} or {@code 1042}) finds that ticket; written
 *       with its {@code T-} or {@code #} it is not looked for inside other tokens (a bare {@code 1042}
 *       still is).</li>
 * </ul>
 * The list's order stays what it is (newest first unless {@code sort=oldest}), so results page like
 * every other list and, by default, the newest match — the one staff most often look for — comes first.
 */
public record TicketSearch(String text) {

    /** The longest search taken (characters). */
    public static final int MAX_LENGTH = 200;
    /** Partial matches need a token this long: shorter ones match nearly everything and no trigram index serves them. */
    static final int MIN_PARTIAL = 3;
    private static final Pattern NUMBER = Pattern.compile("(?i)(t-|#)?(\\d{1,18})");
    private static final Field<Object> TICKET_WORDS = DSL.field(DSL.name(TICKET.getName(), "search"));
    private static final Field<Object> MESSAGE_WORDS = DSL.field(DSL.name(TICKET_MESSAGE.getName(), "search"));
    private static final Field<Object> CONTACT_WORDS = DSL.field(DSL.name(CONTACT.getName(), "search"));
    private static final Field<String> MESSAGE_TOKENS = DSL.field(DSL.name(TICKET_MESSAGE.getName(), "tokens"), String.class);

    public TicketSearch {
        text = text.strip();
    }

    /** Null for a blank search; a search that is too long or holds control characters is a 400 that says so. */
    public static TicketSearch parse(String q) {
        if (q == null || q.isBlank()) {
            return null;
        }
        if (q.length() > MAX_LENGTH) {
            throw new InvalidRequestException("the search is " + q.length() + " characters long; at most " + MAX_LENGTH
                    + " are taken");
        }
        if (q.chars().anyMatch(c -> Character.isISOControl(c) && c != '\t')) {
            throw new InvalidRequestException("the search holds a control character; type words, a \"phrase\", a ticket "
                    + "number or part of an address");
        }
        return new TicketSearch(q.replace('\t', ' '));
    }

    /**
     * The most matching rows (tickets, messages, requesters, attachments) up to which a search is
     * "selective" and runs index first; beyond it, every part is common enough that walking the list
     * newest first fills a page after a few hundred tickets.
     */
    static final int SELECTIVE = 10_000;
    /**
     * The longest the ids of a search expected to be selective are read for. The statistics judge
     * words one by one; words that always come together (a phrase of common words) can match far
     * more than they expect, and reading those ids would take seconds.
     */
    static final Duration FEW_MATCHES_BUDGET = Duration.ofMillis(150);
    private static final Logger log = LoggerFactory.getLogger(TicketSearch.class);

    /**
     * The tickets this search finds (the viewer's access and the list's other filters are added by
     * the query). The parts — words in the subject, a message or the requester; inside tokens,
     * addresses, subjects and file names; the ticket number — are first counted together through
     * their indexes, at most {@link #SELECTIVE} + 1 rows ({@code dsl}; null: not counted, taken as
     * common). Few: the condition is the set of ticket ids the indexes give (a rare word, an
     * address, a number: milliseconds, however many tickets there are). Many: each part is a
     * correlated {@code EXISTS} on the ticket, checked while the list is walked newest first (a
     * common word: the first page fills after a few tickets). PostgreSQL cannot choose between the
     * two by itself: an {@code OR} of subqueries keeps it from the first.
     */
    Condition condition(DSLContext dsl) {
        Field<Object> query = DSL.field("websearch_to_tsquery('ticketd_search', {0})", Object.class, DSL.val(text));
        Condition wordsInMessage = DSL.condition("{0} @@ {1}", MESSAGE_WORDS, query);
        Condition wordsOfRequester = DSL.condition("{0} @@ {1}", CONTACT_WORDS, query);
        String token = singleToken();
        Matcher numbered = token == null ? null : NUMBER.matcher(token);
        boolean isNumber = numbered != null && numbered.matches();
        String number = isNumber ? "T-" + Long.parseLong(numbered.group(2)) : null;
        // "T-1042" and "#1042" name a ticket: looking for them inside every token, address and
        // subject as well would cost the trigram indexes' most common entries for nothing
        boolean namesATicket = isNumber && numbered.group(1) != null;
        String inside = token != null && token.length() >= MIN_PARTIAL && !namesATicket
                ? "%" + escapeLike(token.toLowerCase(Locale.ROOT)) + "%" : null;

        List<Part> parts = new ArrayList<>();
        parts.add(Part.ofTicket(DSL.condition("{0} @@ {1}", TICKET_WORDS, query)));
        parts.add(Part.inMessages(wordsInMessage));
        parts.add(Part.ofRequester(wordsOfRequester));
        if (inside != null) {
            parts.add(Part.inMessages(MESSAGE_TOKENS.like(inside, '\\')));
            parts.add(Part.ofRequester(CONTACT.EMAIL.likeIgnoreCase(inside, '\\')));
            parts.add(Part.ofTicket(TICKET.SUBJECT.likeIgnoreCase(inside, '\\')));
            parts.add(Part.inAttachments(DSL.lower(ATTACHMENT.FILENAME).like(inside, '\\')));
        }
        if (number != null) {
            parts.add(Part.ofTicket(TICKET.NUMBER.eq(number)));
        }
        List<Long> few = dsl == null ? null : fewMatches(dsl, parts.stream().map(Part::ids).toList());
        if (few != null) {
            // the ids themselves, not the subquery: the planner then knows how few they are
            return TICKET.ID.eq(DSL.any(few.toArray(new Long[0])));
        }
        return DSL.or(parts.stream().map(Part::onTicket).toList());
    }

    /**
     * One part of a search, both ways: the ids of the tickets its index finds, and the same as a
     * condition on one ticket (checked while the list is walked). Each such condition is a probe of
     * this one ticket's rows ({@code OFFSET 0} keeps PostgreSQL from turning it into the set of every
     * match, hashed: for a phrase of common words that set is read through hundreds of thousands of
     * rows, seconds, where the walk probes a few thousand tickets' messages).
     */
    private record Part(Select<Record1<Long>> ids, Condition onTicket) {

        /** A condition on the ticket's own columns. */
        static Part ofTicket(Condition c) {
            return new Part(DSL.select(TICKET.ID).from(TICKET).where(c), c);
        }

        /** A condition one of the ticket's messages meets. */
        static Part inMessages(Condition c) {
            return new Part(DSL.select(TICKET_MESSAGE.TICKET_ID).from(TICKET_MESSAGE).where(c),
                    DSL.exists(DSL.selectOne().from(TICKET_MESSAGE).where(TICKET_MESSAGE.TICKET_ID.eq(TICKET.ID)).and(c).offset(0)));
        }

        /** A condition the ticket's requester meets. */
        static Part ofRequester(Condition c) {
            return new Part(DSL.select(TICKET.ID).from(TICKET).where(TICKET.REQUESTER_ID.in(DSL.select(CONTACT.ID).from(CONTACT).where(c))),
                    DSL.exists(DSL.selectOne().from(CONTACT).where(CONTACT.ID.eq(TICKET.REQUESTER_ID)).and(c).offset(0)));
        }

        /** A condition an attachment of one of the ticket's messages meets. */
        static Part inAttachments(Condition c) {
            return new Part(DSL.select(TICKET_MESSAGE.TICKET_ID).from(ATTACHMENT).join(TICKET_MESSAGE)
                    .on(TICKET_MESSAGE.ID.eq(ATTACHMENT.TICKET_MESSAGE_ID)).where(c),
                    DSL.exists(DSL.selectOne().from(ATTACHMENT).join(TICKET_MESSAGE).on(TICKET_MESSAGE.ID.eq(ATTACHMENT.TICKET_MESSAGE_ID))
                            .where(TICKET_MESSAGE.TICKET_ID.eq(TICKET.ID)).and(c).offset(0)));
        }
    }

    /**
     * The tickets all parts find, when they are at most {@link #SELECTIVE}: null at once when the
     * planner's statistics expect more, else read through their indexes, stopping after one more
     * (null when there are more after all). Sequential scans are off for this
     * one read: for a word it takes to be common the planner would otherwise read the table until
     * the limit — cheap when the word is common, a scan of every message when its guess is wrong.
     */
    private static List<Long> fewMatches(DSLContext dsl, List<Select<Record1<Long>>> parts) {
        Select<Record1<Long>> all = parts.get(0);
        for (Select<Record1<Long>> part : parts.subList(1, parts.size())) {
            all = all.unionAll(part);
        }
        if (dsl.explain(all).rows() > SELECTIVE) {
            // the statistics say common (planning only, no row read): reading matches to count them
            // would cost more than the walk newest first it leads to
            return null;
        }
        Select<Record1<Long>> found = all;
        List<Long> ids;
        try {
            ids = dsl.transactionResult(c -> {
                DSLContext tx = DSL.using(c);
                tx.execute("set local enable_seqscan = off");
                tx.execute("set local statement_timeout = " + FEW_MATCHES_BUDGET.toMillis());
                Field<Long> id = DSL.field(DSL.name("part", "id"), Long.class);
                return tx.select(id).from(DSL.select(DSL.field(DSL.name("found", found.getSelect().get(0).getName()), Long.class).as("id"))
                        .from(found.asTable("found")).limit(SELECTIVE + 1).asTable("part")).fetch(id);
            });
        } catch (RuntimeException e) {
            if (!Database.canceled(e)) {
                throw e;
            }
            // the statistics were wrong: words that each look rare but come together in hundreds of
            // thousands of messages (a phrase of them is then checked in every one). The walk finds
            // the first page without reading them all.
            log.debug("search matches were not few after all, walking the list instead: {}", e.getMessage());
            return null;
        }
        return ids.size() > SELECTIVE ? null : ids.stream().distinct().toList();
    }

    /** The search's only token (quotes and a leading or trailing stop stripped), or null when it has several. */
    private String singleToken() {
        String t = text.replace("\"", "").strip();
        t = t.replaceAll("^[.,;:!?]+|[.,;:!?]+$", "");
        return t.isEmpty() || t.chars().anyMatch(Character::isWhitespace) ? null : t;
    }

    private static String escapeLike(String s) {
        return s.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_");
    }
}
