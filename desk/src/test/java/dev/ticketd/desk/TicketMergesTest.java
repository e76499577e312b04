package dev.ticketd.desk;

import dev.ticketd.db.Database;
import org.jooq.impl.DSL;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

import static dev.ticketd.db.generated.Tables.ATTACHMENT;
import static dev.ticketd.db.generated.Tables.AUDIT_LOG;
import static dev.ticketd.db.generated.Tables.GROUP_MEMBER;
import static dev.ticketd.db.generated.Tables.STAFF_GROUP;
import static dev.ticketd.db.generated.Tables.STAFF_USER;
import static dev.ticketd.db.generated.Tables.TICKET;
import static dev.ticketd.db.generated.Tables.TICKET_MERGE;
import static dev.ticketd.db.generated.Tables.TICKET_MESSAGE;
import static dev.ticketd.db.generated.Tables.TICKET_TAG;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Merging tickets and undoing it, against a real PostgreSQL: rows move, never copied or dropped. */
class TicketMergesTest {

    private final Tickets tickets = new Tickets();
    private final TicketMerges merges = new TicketMerges(tickets);
    private final Viewer admin = new Viewer(1, "lead@example.test", true);
    private Database db;
    private long uid;

    @BeforeEach
    void setUp() {
        db = DeskRows.databaseWithSupportMailbox();
    }

    @AfterEach
    void tearDown() {
        db.close();
    }

    @Test
    void aMergeMovesEveryMessageWithItsAttachmentsAndTagsAndAnUndoMovesExactlyThoseBack() {
        long a = open("VPN drops");
        addMail(a, "Re: VPN drops");
        long b = open("VPN again");
        tag(a, "vpn", "vip");
        tag(b, "vpn");
        Set<Long> messagesOfA = messages(a);
        Set<Long> messagesOfB = messages(b);
        int messages = db.dsl().fetchCount(TICKET_MESSAGE);
        int attachments = db.dsl().fetchCount(ATTACHMENT);

        TicketMerges.Merged merged = db.transactions().write(tx -> merges.merge(tx, a, b, admin));

        assertThat(merged.messages()).isEqualTo(2);
        assertThat(merged.tagsAdded()).containsExactly("vip");
        assertThat(messages(a)).isEmpty();
        assertThat(messages(b)).containsAll(messagesOfA).containsAll(messagesOfB).hasSize(3);
        assertThat(db.dsl().fetchCount(TICKET_MESSAGE)).as("moved, not copied").isEqualTo(messages);
        assertThat(db.dsl().fetchCount(ATTACHMENT)).isEqualTo(attachments);
        assertThat(tags(b)).containsExactly("vip", "vpn");
        assertThat(row(a).get(TICKET.STATUS)).isEqualTo("closed");
        assertThat(row(a).get(TICKET.MERGED_INTO_ID)).isEqualTo(b);
        assertThat(actions(a)).contains("ticket.merged_into");
        assertThat(actions(b)).contains("ticket.merged_from");

        // a customer wrote to B in the meantime: that mail stays on B
        long later = addMail(b, "Re: VPN again");
        TicketMerges.Undone undone = db.transactions().write(tx -> merges.undo(tx, a, admin));

        assertThat(undone.messages()).isEqualTo(2);
        assertThat(undone.restored()).isEqualTo(TicketStatus.OPEN);
        assertThat(messages(a)).isEqualTo(messagesOfA);
        assertThat(messages(b)).containsExactlyInAnyOrderElementsOf(with(messagesOfB, later));
        assertThat(db.dsl().fetchCount(TICKET_MESSAGE)).isEqualTo(messages + 1);
        assertThat(tags(b)).containsExactly("vpn");
        assertThat(tags(a)).containsExactly("vip", "vpn");
        assertThat(row(a).get(TICKET.STATUS)).isEqualTo("open");
        assertThat(row(a).get(TICKET.MERGED_INTO_ID)).isNull();
        assertThat(actions(a)).contains("ticket.merge_undone");
        assertThat(actions(b)).contains("ticket.merge_undone");
        assertThatThrownBy(() -> db.transactions().write(tx -> merges.undo(tx, a, admin)))
                .as("undone once").isInstanceOf(NotFoundException.class).hasMessageContaining("not merged");
    }

    @Test
    void ticketsOfTwoDifferentRequestersAreNotMergedAndNothingMoves() {
        long ann = open("Printer jams");
        long inbound = inbound();
        long bob = db.transactions().write(tx -> tickets.openFromMail(tx, "support", inbound,
                new IncomingMail("bob@example.test", "Bob", "Printer jams too", "Same here.", Optional.empty(), List.of()), null)).ticketId();
        Set<Long> messagesOfAnn = messages(ann);
        Set<Long> messagesOfBob = messages(bob);

        assertThatThrownBy(() -> db.transactions().write(tx -> merges.merge(tx, ann, bob, admin)))
                .isInstanceOf(ConflictException.class).hasMessageContaining("different requesters");

        assertThat(messages(ann)).isEqualTo(messagesOfAnn);
        assertThat(messages(bob)).isEqualTo(messagesOfBob);
        assertThat(row(ann).get(TICKET.MERGED_INTO_ID)).isNull();
        assertThat(db.dsl().fetchCount(TICKET_MERGE)).isZero();
    }

    @Test
    void anUndoAfterTheWindowOrAfterTheTargetWasMergedFurtherIsRefusedAndMovesNothing() {
        long a = open("One");
        long b = open("Two");
        long c = open("Three");
        db.transactions().write(tx -> merges.merge(tx, a, b, admin));
        db.transactions().write(tx -> merges.merge(tx, b, c, admin));

        assertThatThrownBy(() -> db.transactions().write(tx -> merges.undo(tx, a, admin)))
                .isInstanceOf(ConflictException.class).hasMessageContaining("was merged into another ticket since");

        db.transactions().write(tx -> merges.undo(tx, b, admin));
        db.dsl().update(TICKET_MERGE).set(TICKET_MERGE.MERGED_AT, DSL.field("merged_at - interval '11 minutes'", OffsetDateTime.class))
                .where(TICKET_MERGE.SOURCE_TICKET_ID.eq(a)).execute();

        assertThatThrownBy(() -> db.transactions().write(tx -> merges.undo(tx, a, admin)))
                .isInstanceOf(ConflictException.class).hasMessageContaining("only within 10 minutes");
        assertThat(messages(a)).isEmpty();
        assertThat(row(a).get(TICKET.MERGED_INTO_ID)).isEqualTo(b);
    }

    @Test
    void anAgentMergesOnlyWithFullAccessToBothGroupsAndCannotNameATicketTheyCannotSee() {
        long support = groupId("Support");
        long billing = db.dsl().insertInto(STAFF_GROUP).set(STAFF_GROUP.NAME, "Billing").returning(STAFF_GROUP.ID).fetchOne(STAFF_GROUP.ID);
        long secret = db.dsl().insertInto(STAFF_GROUP).set(STAFF_GROUP.NAME, "Secret").returning(STAFF_GROUP.ID).fetchOne(STAFF_GROUP.ID);
        long ann = staff("ann@example.test");
        member(support, ann, "full");
        member(billing, ann, "read");
        long a = open("One");
        long b = open("Two");
        long c = open("Three");
        long d = open("Four");
        db.dsl().update(TICKET).set(TICKET.GROUP_ID, billing).where(TICKET.ID.eq(c)).execute();
        db.dsl().update(TICKET).set(TICKET.GROUP_ID, secret).where(TICKET.ID.eq(d)).execute();
        Viewer agent = new Viewer(ann, "ann@example.test", false);

        assertThatThrownBy(() -> db.transactions().write(tx -> merges.merge(tx, a, c, agent)))
                .isInstanceOf(ForbiddenException.class).hasMessageContaining("read but not change");
        assertThatThrownBy(() -> db.transactions().write(tx -> merges.merge(tx, a, d, agent)))
                .isInstanceOf(NotFoundException.class);
        assertThat(messages(a)).hasSize(1);
        assertThat(db.dsl().fetchCount(TICKET_MERGE)).isZero();

        db.transactions().write(tx -> merges.merge(tx, a, b, agent));
        assertThat(row(a).get(TICKET.MERGED_INTO_ID)).isEqualTo(b);
        assertThat(db.dsl().select(AUDIT_LOG.ACTOR).from(AUDIT_LOG).where(AUDIT_LOG.ACTION.eq("ticket.merged_into"))
                .fetchSingle(AUDIT_LOG.ACTOR)).isEqualTo("ann@example.test");
    }

    @Test
    void aSplitMovesOneMessageToANewLinkedTicketOfTheSameRequesterAndGroupAndAMergeOfItCanNoLongerBeUndone() {
        TicketSplits splits = new TicketSplits(tickets);
        long a = open("Two questions");
        long second = addMail(a, "And another thing");
        long b = open("Other");
        int messages = db.dsl().fetchCount(TICKET_MESSAGE);

        TicketSplits.Split split = db.transactions().write(tx -> splits.split(tx, a, second, admin));

        assertThat(messages(split.ticketId())).containsExactly(second);
        assertThat(messages(a)).hasSize(1).doesNotContain(second);
        assertThat(db.dsl().fetchCount(TICKET_MESSAGE)).as("moved, not copied").isEqualTo(messages);
        org.jooq.Record created = row(split.ticketId());
        assertThat(created.get(TICKET.LINKED_TICKET_ID)).isEqualTo(a);
        assertThat(created.get(TICKET.NEEDS_REVIEW)).isFalse();
        assertThat(created.get(TICKET.REQUESTER_ID)).isEqualTo(row(a).get(TICKET.REQUESTER_ID));
        assertThat(created.get(TICKET.GROUP_ID)).isEqualTo(row(a).get(TICKET.GROUP_ID));
        assertThat(created.get(TICKET.STATUS)).isEqualTo("open");
        assertThat(actions(a)).contains("ticket.message_split_off");
        assertThat(actions(split.ticketId())).containsExactly("ticket.split_from");
        long only = messages(a).iterator().next();
        assertThatThrownBy(() -> db.transactions().write(tx -> splits.split(tx, a, only, admin)))
                .isInstanceOf(InvalidRequestException.class).hasMessageContaining("only message");
        assertThatThrownBy(() -> db.transactions().write(tx -> splits.split(tx, b, only, admin)))
                .isInstanceOf(NotFoundException.class).hasMessageContaining("has no message " + only);

        // merged into b, then split off b: the merge can no longer be undone whole
        db.transactions().write(tx -> merges.merge(tx, a, b, admin));
        db.transactions().write(tx -> splits.split(tx, b, only, admin));
        assertThatThrownBy(() -> db.transactions().write(tx -> merges.undo(tx, a, admin)))
                .isInstanceOf(ConflictException.class).hasMessageContaining("split off");
        assertThat(row(a).get(TICKET.MERGED_INTO_ID)).isEqualTo(b);
        assertThat(db.dsl().fetchCount(TICKET_MESSAGE)).isEqualTo(messages);
    }

    @Test
    void parentAndChildLinksAreSetOnceNeverInACircleRemovedEitherWayAndAuditedOnBoth() {
        TicketLinks links = new TicketLinks(tickets);
        long a = open("Outage");
        long b = open("Site down for me");
        long c = open("Site down for us too");

        assertThat(linked(links, a, b)).isTrue();
        assertThat(linked(links, a, b)).as("a repeat writes nothing").isFalse();
        assertThat(linked(links, b, c)).isTrue();
        assertThatThrownBy(() -> db.transactions().write(tx -> links.link(tx, c, a, admin)))
                .isInstanceOf(InvalidRequestException.class).hasMessageContaining("its own ancestor");
        assertThatThrownBy(() -> db.transactions().write(tx -> links.link(tx, a, a, admin)))
                .isInstanceOf(InvalidRequestException.class).hasMessageContaining("itself");
        assertThat(actions(a)).containsOnlyOnce("ticket.linked");
        assertThat(actions(b)).filteredOn("ticket.linked"::equals).hasSize(2);

        assertThat(unlinked(links, b, a)).as("from the child's side").isTrue();
        assertThat(unlinked(links, b, a)).isFalse();
        assertThat(actions(a)).contains("ticket.unlinked");
        assertThat(actions(b)).contains("ticket.unlinked");
    }

    @Test
    void aLinkOfATicketMergedSinceCanStillBeRemovedThoughItTakesNoNewOne() {
        TicketLinks links = new TicketLinks(tickets);
        long a = open("Outage");
        long b = open("Outage again");
        long c = open("Outage, third mail");
        assertThat(linked(links, c, a)).isTrue();
        db.transactions().write(tx -> merges.merge(tx, a, b, admin));

        assertThatThrownBy(() -> db.transactions().write(tx -> links.link(tx, a, c, admin)))
                .isInstanceOf(ConflictException.class).hasMessageContaining("is merged into");
        assertThat(unlinked(links, a, c)).as("the old link goes").isTrue();
        assertThat(db.dsl().fetchCount(dev.ticketd.db.generated.Tables.TICKET_LINK)).isZero();
    }

    @Test
    void anAgentLinksOnlyTicketsTheyMayChangeAndNeverOneOfAGroupTheyCannotSee() {
        TicketLinks links = new TicketLinks(tickets);
        long support = groupId("Support");
        long secret = db.dsl().insertInto(STAFF_GROUP).set(STAFF_GROUP.NAME, "Secret").returning(STAFF_GROUP.ID).fetchOne(STAFF_GROUP.ID);
        long ann = staff("ann@example.test");
        member(support, ann, "full");
        long a = open("Mine");
        long hidden = open("Theirs");
        db.dsl().update(TICKET).set(TICKET.GROUP_ID, secret).where(TICKET.ID.eq(hidden)).execute();
        Viewer agent = new Viewer(ann, "ann@example.test", false);

        assertThatThrownBy(() -> db.transactions().write(tx -> links.link(tx, a, hidden, agent))).isInstanceOf(NotFoundException.class);
        assertThatThrownBy(() -> db.transactions().write(tx -> links.link(tx, hidden, a, agent))).isInstanceOf(NotFoundException.class);
        assertThat(db.dsl().fetchCount(dev.ticketd.db.generated.Tables.TICKET_LINK)).isZero();
    }

    @Test
    void aTicketIsNotMergedIntoItself() {
        long a = open("One");
        assertThatThrownBy(() -> db.transactions().write(tx -> merges.merge(tx, a, a, admin)))
                .isInstanceOf(InvalidRequestException.class).hasMessageContaining("into itself");
    }

    private boolean linked(TicketLinks links, long parent, long child) {
        Boolean written = db.transactions().write(tx -> links.link(tx, parent, child, admin));
        return written;
    }

    private boolean unlinked(TicketLinks links, long ticket, long other) {
        Boolean removed = db.transactions().write(tx -> links.unlink(tx, ticket, other, admin));
        return removed;
    }

    private static Set<Long> with(Set<Long> ids, long id) {
        Set<Long> all = new TreeSet<>(ids);
        all.add(id);
        return all;
    }

    private long open(String subject) {
        long inbound = inbound();
        return db.transactions().write(tx -> tickets.openFromMail(tx, "support", inbound, mail(subject), null)).ticketId();
    }

    private long addMail(long ticket, String subject) {
        long inbound = inbound();
        TicketStatus status = TicketStatus.stored(row(ticket).get(TICKET.STATUS));
        return db.transactions().write(tx -> tickets.addMail(tx, "support", ticket, status, inbound, mail(subject), "token"));
    }

    private void tag(long ticket, String... tags) {
        db.transactions().write(tx -> tickets.setTags(tx, ticket, admin.actor(), Tags.of(List.of(tags))));
    }

    private Set<Long> messages(long ticket) {
        return new TreeSet<>(db.dsl().select(TICKET_MESSAGE.ID).from(TICKET_MESSAGE).where(TICKET_MESSAGE.TICKET_ID.eq(ticket))
                .fetch(TICKET_MESSAGE.ID));
    }

    private List<String> tags(long ticket) {
        return db.dsl().select(TICKET_TAG.TAG).from(TICKET_TAG).where(TICKET_TAG.TICKET_ID.eq(ticket)).orderBy(TICKET_TAG.TAG)
                .fetch(TICKET_TAG.TAG);
    }

    private List<String> actions(long ticket) {
        return db.dsl().select(AUDIT_LOG.ACTION).from(AUDIT_LOG).where(AUDIT_LOG.TICKET_ID.eq(ticket)).fetch(AUDIT_LOG.ACTION);
    }

    private org.jooq.Record row(long ticket) {
        return db.dsl().selectFrom(TICKET).where(TICKET.ID.eq(ticket)).fetchSingle();
    }

    private long groupId(String name) {
        return db.dsl().select(STAFF_GROUP.ID).from(STAFF_GROUP).where(STAFF_GROUP.NAME.eq(name)).fetchSingle(STAFF_GROUP.ID);
    }

    private long staff(String email) {
        return db.dsl().insertInto(STAFF_USER).set(STAFF_USER.EMAIL, email).set(STAFF_USER.DISPLAY_NAME, email)
                .set(STAFF_USER.PASSWORD_HASH, "x").set(STAFF_USER.ROLE, "agent").returning(STAFF_USER.ID).fetchOne(STAFF_USER.ID);
    }

    private void member(long group, long user, String access) {
        db.dsl().insertInto(GROUP_MEMBER).set(GROUP_MEMBER.GROUP_ID, group).set(GROUP_MEMBER.USER_ID, user)
                .set(GROUP_MEMBER.ACCESS, access).execute();
    }

    private long inbound() {
        return DeskRows.inbound(db.dsl(), ++uid);
    }

    private static IncomingMail mail(String subject) {
        return new IncomingMail("ann@example.test", "Ann", subject, "It drops.", Optional.empty(),
                List.of(new Attachment("log.txt", "text/plain", Optional.empty(), "drop".getBytes(StandardCharsets.UTF_8))));
    }
}
