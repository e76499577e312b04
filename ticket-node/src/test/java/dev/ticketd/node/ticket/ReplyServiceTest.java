package dev.ticketd.node.ticket;

import dev.ticketd.desk.InvalidRequestException;
import dev.ticketd.db.Database;
import dev.ticketd.node.auth.Role;
import dev.ticketd.node.auth.StaffAccounts;
import dev.ticketd.node.auth.StaffUser;
import dev.ticketd.node.web.TestData;
import dev.ticketd.testing.TestPostgres;
import org.jooq.Record;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import static dev.ticketd.db.generated.Tables.ATTACHMENT;
import static dev.ticketd.db.generated.Tables.TICKET_MESSAGE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

/** Files on staff replies against a real PostgreSQL: stored with the reply, once, and only within the limits. */
class ReplyServiceTest {

    static Database db;
    static TestData data;
    static ReplyService replies;
    static StaffUser agent;
    static String mailbox;

    @BeforeAll
    static void start() {
        db = TestPostgres.freshDatabase();
        data = new TestData(db);
        replies = new ReplyService(db);
        long id = new StaffAccounts(db).createUser("files@example.test", "Agent Files", "agent-password", Role.AGENT);
        agent = new StaffUser(id, "files@example.test", "Agent Files", Role.AGENT);
        mailbox = data.mailbox("files", "help@files.example.test");
    }

    @AfterAll
    static void stop() {
        db.close();
    }

    private static ReplyAttachment file(String name, String type, int size) {
        byte[] content = new byte[size];
        for (int i = 0; i < size; i++) {
            content[i] = (byte) i;
        }
        return new ReplyAttachment(name, type, content);
    }

    @Test
    void aReplysFilesAreStoredOnceWhenTheSameIdempotencyKeyIsReplayed() {
        long ticket = data.ticket("T-5001", "Manual", "open", mailbox, "m@example.test");
        List<ReplyAttachment> files = List.of(file("manual.pdf", "application/pdf", 3000),
                new ReplyAttachment("Grüße.txt", "text/plain; charset=UTF-8", "Grüße\n".getBytes(StandardCharsets.UTF_8)));

        ReplyService.ReplyResult first = replies.reply(ticket, agent, "The manual is attached.", "files-5001", files);
        ReplyService.ReplyResult replay = replies.reply(ticket, agent, "The manual is attached.", "files-5001", files);

        assertThat(first.created()).isTrue();
        assertThat(replay.created()).isFalse();
        assertThat(replay.message().id()).isEqualTo(first.message().id());
        assertThat(db.dsl().fetchCount(ATTACHMENT, ATTACHMENT.TICKET_MESSAGE_ID.eq(first.message().id()))).isEqualTo(2);
        assertThat(first.message().attachments()).extracting(AttachmentInfo::filename, AttachmentInfo::contentType, AttachmentInfo::size)
                .containsExactly(tuple("manual.pdf", "application/pdf", 3000L),
                        tuple("Grüße.txt", "text/plain", 8L));
        assertThat(replay.message().attachments()).as("a replay answers with the files of the first request")
                .isEqualTo(first.message().attachments());
        Record stored = db.dsl().selectFrom(ATTACHMENT).where(ATTACHMENT.FILENAME.eq("manual.pdf")).fetchSingle();
        assertThat(stored.get(ATTACHMENT.CONTENT)).isEqualTo(files.get(0).content());
        assertThat(stored.get(ATTACHMENT.SIZE_BYTES)).isEqualTo(3000L);
        assertThat(replies.reply(ticket, agent, "The manual is attached.", "files-5001", List.of()).message().attachments())
                .as("a replay without the files still answers with the stored ones").hasSize(2);
        assertThat(db.dsl().fetchCount(ATTACHMENT, ATTACHMENT.TICKET_MESSAGE_ID.eq(first.message().id())))
                .as("no replay stored anything").isEqualTo(2);
        assertThat(data.messagesOf(ticket)).isEqualTo(1);
    }

    @Test
    void theFilesAreOnTheTicketsThreadLikeInboundOnes() {
        long ticket = data.ticket("T-5002", "Thread", "open", mailbox, "t@example.test");
        long messageId = replies.reply(ticket, agent, "See the photo.", "files-5002",
                List.of(file("photo.png", "image/png", 10))).message().id();

        ThreadMessage reply = new TicketQueries(db).detail(agent.viewer(), ticket).value().messages().get(0);

        assertThat(reply.id()).isEqualTo(messageId);
        assertThat(reply.attachments()).extracting(AttachmentInfo::filename).containsExactly("photo.png");
    }

    @Test
    void tooManyFilesAreRefusedSayingHowManyAreAllowed() {
        long ticket = data.ticket("T-5003", "Many", "open", mailbox, "many@example.test");
        List<ReplyAttachment> eleven = new ArrayList<>(Collections.nCopies(11, file("a.txt", "text/plain", 1)));

        assertThatThrownBy(() -> replies.reply(ticket, agent, "Here.", "files-5003", eleven))
                .isInstanceOf(InvalidRequestException.class)
                .hasMessage("a reply can carry at most 10 files; this one has 11");
        assertThat(data.messagesOf(ticket)).isZero();
    }

    @Test
    void anEmptyFileIsRefusedByName() {
        long ticket = data.ticket("T-5004", "Empty", "open", mailbox, "empty@example.test");

        assertThatThrownBy(() -> replies.reply(ticket, agent, "Here.", "files-5004",
                List.of(file("ok.txt", "text/plain", 5), file("empty.txt", "text/plain", 0))))
                .isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining("\"empty.txt\" is empty");
        assertThat(data.messagesOf(ticket)).isZero();
        assertThat(db.dsl().fetchCount(ATTACHMENT, ATTACHMENT.FILENAME.eq("ok.txt"))).isZero();
    }

    @Test
    void aFileOver10MbAndFilesOver25MbTogetherAreRefusedWithTheLimit() {
        long ticket = data.ticket("T-5005", "Big", "open", mailbox, "big@example.test");
        int mb = 1024 * 1024;
        ReplyAttachment tooBig = new ReplyAttachment("disk.img", "application/octet-stream", new byte[10 * mb + 1]);
        ReplyAttachment nine = new ReplyAttachment("nine.bin", null, new byte[9 * mb]);

        assertThatThrownBy(() -> replies.reply(ticket, agent, "Here.", "files-5005a", List.of(tooBig)))
                .isInstanceOf(InvalidRequestException.class)
                .hasMessage("the file \"disk.img\" (10.0 MB) is larger than 10 MB, the most one file may be");
        assertThatThrownBy(() -> replies.reply(ticket, agent, "Here.", "files-5005b", List.of(nine, nine, nine)))
                .isInstanceOf(InvalidRequestException.class)
                .hasMessage("the files (27.0 MB together) are larger than 25 MB, the most one reply may carry");
        assertThat(data.messagesOf(ticket)).isZero();
        ReplyService.ReplyResult exactly = replies.reply(ticket, agent, "Here.", "files-5005c",
                List.of(new ReplyAttachment("ten.bin", null, new byte[10 * mb]), new ReplyAttachment("ten2.bin", null, new byte[10 * mb]),
                        new ReplyAttachment("five.bin", null, new byte[5 * mb])));
        assertThat(exactly.message().attachments()).as("exactly at both limits is fine").hasSize(3);
    }

    @Test
    void fileNamesLoseTheirPathControlCharactersAndLengthButKeepTheirExtension() {
        assertThat(ReplyAttachments.filename("C:\\Users\\ann\\Desktop\\report.pdf")).isEqualTo("report.pdf");
        assertThat(ReplyAttachments.filename("../../etc/passwd")).isEqualTo("passwd");
        assertThat(ReplyAttachments.filename("in\r\nvoice\u0000.pdf")).isEqualTo("invoice.pdf");
        assertThat(ReplyAttachments.filename("invoice\u202Efdp.exe")).as("no right-to-left override").isEqualTo("invoicefdp.exe");
        assertThat(ReplyAttachments.filename(".bashrc")).isEqualTo("bashrc");
        assertThat(ReplyAttachments.filename("Grüße 😀.txt")).isEqualTo("Grüße 😀.txt");
        for (String nothing : new String[]{null, "", "  ", "/", "dir/", "..", "\u0001"}) {
            assertThat(ReplyAttachments.filename(nothing)).as("%s", nothing).isEqualTo("attachment");
        }
        String longName = ReplyAttachments.filename("x".repeat(300) + ".docx");
        assertThat(longName).hasSize(ReplyAttachments.MAX_FILENAME_LENGTH).endsWith("x.docx");
        assertThat(ReplyAttachments.filename("😀".repeat(200))).as("never half a character").isEqualTo("😀".repeat(127));
    }

    @Test
    void aContentTypeThatDoesNotParseBecomesOctetStream() {
        assertThat(ReplyAttachments.contentType("Application/PDF; name=x.pdf")).isEqualTo("application/pdf");
        assertThat(ReplyAttachments.contentType("image/svg+xml")).isEqualTo("image/svg+xml");
        for (String bad : new String[]{null, "", "pdf", "text/", "/plain", "text/plain/x", "text/pl ain", "tëxt/plain"}) {
            assertThat(ReplyAttachments.contentType(bad)).as("%s", bad).isEqualTo("application/octet-stream");
        }
    }

    @Test
    void aReplyWithoutFilesStoresNone() {
        long ticket = data.ticket("T-5006", "Plain", "open", mailbox, "plain@example.test");

        ReplyService.ReplyResult result = replies.reply(ticket, agent, "Just text.", "files-5006");

        assertThat(result.message().attachments()).isEmpty();
        assertThat(db.dsl().fetchCount(ATTACHMENT.join(TICKET_MESSAGE).on(TICKET_MESSAGE.ID.eq(ATTACHMENT.TICKET_MESSAGE_ID)),
                TICKET_MESSAGE.TICKET_ID.eq(ticket))).isZero();
    }
}
