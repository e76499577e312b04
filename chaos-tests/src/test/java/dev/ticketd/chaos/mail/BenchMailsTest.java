package dev.ticketd.chaos.mail;

import dev.ticketd.mail.ContentKey;
import dev.ticketd.mail.MailParser;
import dev.ticketd.mail.ParseResult;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** The benchmark's mails: every copy is a mail of its own, and a copy differs from its original only in the Message-ID. */
class BenchMailsTest {

    private static String text(byte[] raw) {
        return new String(raw, StandardCharsets.ISO_8859_1);
    }

    @Test
    void a_new_message_id_replaces_the_old_one_and_its_continuation_line() {
        String raw = "From: a@b.example\r\nMessage-ID:\r\n <old@x>\r\nSubject: hi\r\n\r\nbody\r\n";

        String out = text(BenchMails.withMessageId(raw.getBytes(StandardCharsets.ISO_8859_1), "new@y"));

        assertThat(out).isEqualTo("Message-ID: <new@y>\r\nFrom: a@b.example\r\nSubject: hi\r\n\r\nbody\r\n");
    }

    @Test
    void a_mail_without_message_id_gets_one_in_its_own_line_ending_and_keeps_its_body() {
        String raw = "From: a@b.example\nSubject: hi\nMessage-ID: <last@x>\n\nline one\n\nMessage-ID: <in-body@x>\n";

        String out = text(BenchMails.withMessageId(raw.getBytes(StandardCharsets.ISO_8859_1), "new@y"));

        assertThat(out).isEqualTo("Message-ID: <new@y>\nFrom: a@b.example\nSubject: hi\n\nline one\n\nMessage-ID: <in-body@x>\n");
    }

    @Test
    void headers_only_mail_keeps_its_headers() {
        String out = text(BenchMails.withMessageId("Subject: x\r\n".getBytes(StandardCharsets.ISO_8859_1), "n@y"));

        assertThat(out).isEqualTo("Message-ID: <n@y>\r\nSubject: x\r\n");
    }

    @Test
    void every_mixed_mail_of_two_rounds_of_the_corpus_has_its_own_content_key_and_message_id() throws Exception {
        BenchMails mails = BenchMails.of(BenchMails.Mix.MIXED, "support@example.test", "t1", Path.of("../mail-ingest/src/test/resources"));
        assertThat(mails.corpusSize()).isGreaterThan(100);

        Set<String> keys = new HashSet<>();
        for (int i = 0; i < 2 * mails.corpusSize(); i++) {
            byte[] raw = mails.mail(i);
            assertThat(StreamIntake.messageId(raw)).isEqualTo(mails.messageId(i));
            keys.add(ContentKey.of(raw));
        }
        assertThat(keys).hasSize(2 * mails.corpusSize());
    }

    @Test
    void a_corpus_copy_parses_as_its_original_does() throws Exception {
        BenchMails mails = BenchMails.of(BenchMails.Mix.MIXED, "support@example.test", "t3", Path.of("../mail-ingest/src/test/resources"));
        MailParser parser = new MailParser();
        java.util.List<String> differ = new java.util.ArrayList<>();
        for (int i = 0; i < mails.corpusSize(); i++) {
            byte[] original = java.nio.file.Files.readAllBytes(Path.of("../mail-ingest/src/test/resources").resolve(mails.sourceOf(i)));
            ParseResult a = parser.parse(original);
            ParseResult b = parser.parse(mails.mail(i));
            if (a.getClass() != b.getClass()) {
                differ.add(mails.sourceOf(i) + ": " + a + " / " + b);
            }
        }
        assertThat(differ).isEmpty();
    }

    @Test
    void small_mails_are_short_plain_text_with_their_own_message_id() throws Exception {
        BenchMails mails = BenchMails.of(BenchMails.Mix.SMALL, "support@example.test", "t2", Path.of("unused"));

        String first = text(mails.mail(0));

        assertThat(first).contains("Message-ID: <" + mails.messageId(0) + ">\n", "Content-Type: text/plain");
        assertThat(mails.mail(1).length).isLessThan(1024);
        assertThat(ContentKey.of(mails.mail(1))).isNotEqualTo(ContentKey.of(mails.mail(2)));
    }
}
