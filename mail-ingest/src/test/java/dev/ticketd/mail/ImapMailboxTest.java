package dev.ticketd.mail;

import dev.ticketd.mail.testing.RecordingRelay;
import dev.ticketd.mail.testing.TestMailServer;
import dev.ticketd.testing.TestTimeouts;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** The IMAP connection against a real server (GreenMail). */
class ImapMailboxTest {

    private final TestMailServer mail = TestMailServer.start();
    private final RecordingRelay wire = RecordingRelay.to(mail.imapPort());

    @AfterEach
    void tearDown() {
        wire.close();
        mail.close();
    }

    @Test
    void abortEndsAnIdleThatNothingElseWouldEnd() throws Exception {
        mail.addUser("support@example.test", "pw");
        // a poll interval far longer than the test: only abort() can end this IDLE
        MailboxSettings settings = new MailboxSettings("support", "support@example.test", "127.0.0.1", wire.port(),
                TransportSecurity.NONE, "support@example.test", "pw", "INBOX", "Processed", Duration.ofMinutes(10),
                Duration.ofMinutes(10), MailboxSettings.DEFAULT_MAX_MESSAGE_BYTES);
        ImapMailbox box = new ImapMailbox(settings);
        box.open();
        CompletableFuture<Boolean> idle = CompletableFuture.supplyAsync(() -> {
            try {
                return box.waitForNews();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        // the server has accepted the IDLE: from here on only the server (which has nothing to
        // report) or abort() can end it; aborting earlier would prove nothing
        await().atMost(TestTimeouts.seconds(10)).until(() -> idleAccepted(wire.transcript()));
        assertThat(idle).isNotDone();

        long started = System.nanoTime();
        box.abort();

        await().atMost(TestTimeouts.seconds(5)).until(idle::isDone);
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(5));
        assertThatThrownBy(() -> idle.get(1, TimeUnit.SECONDS)).isNotNull();
        box.close();
    }

    @Test
    void aSetOfMailsLeavesTheInboxInOneCommandAndOnlyThoseMails() throws Exception {
        mail.addUser("support@example.test", "pw");
        List<byte[]> mails = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            mails.add(mail.textMail("c@example.test", "support@example.test", "m" + i, "body " + i));
        }
        mail.append("support@example.test", "pw", "INBOX", mails);
        List<Long> uids = mail.uids("support@example.test", "pw", "INBOX");
        MailboxSettings settings = new MailboxSettings("support", "support@example.test", "127.0.0.1", wire.port(),
                TransportSecurity.NONE, "support@example.test", "pw", "INBOX", "Processed", Duration.ofMinutes(10),
                Duration.ofSeconds(10), MailboxSettings.DEFAULT_MAX_MESSAGE_BYTES);
        try (ImapMailbox box = new ImapMailbox(settings)) {
            box.open();
            assertThat(box.moveToProcessed(uids.get(4), uids.get(0), uids.get(2), uids.get(1))).isTrue();
        }

        assertThat(mail.subjects("support@example.test", "pw", "Processed")).containsExactlyInAnyOrder("m0", "m1", "m2", "m4");
        assertThat(mail.subjects("support@example.test", "pw", "INBOX")).containsExactlyInAnyOrder("m3", "m5");
        String set = uids.get(0) + ":" + uids.get(2) + "," + uids.get(4);
        assertThat(wire.transcript().stream().filter(RecordingRelay.Line::fromClient)
                .filter(l -> l.text().matches("\\S+ UID (MOVE|COPY) " + set + " .*")).count())
                .as("one command for the whole set: " + wire.transcript()).isEqualTo(1);
    }

    @Test
    void aSetOfMailsIsDownloadedInOneCommandByteForByteAndAMailGoneMeanwhileIsMissing() throws Exception {
        mail.addUser("support@example.test", "pw");
        List<byte[]> mails = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            mails.add(mail.textMail("c@example.test", "support@example.test", "m" + i, "body " + i + "\r\nwith ümlaut bytes"));
        }
        mails.add(TestMailServer.rfc822("From: x@example.test\nSubject: bare\nMessage-ID: <bare@example.test>\n\nno CR here\n"));
        mail.append("support@example.test", "pw", "INBOX", mails);
        List<Long> uids = mail.uids("support@example.test", "pw", "INBOX");
        MailboxSettings settings = new MailboxSettings("support", "support@example.test", "127.0.0.1", wire.port(),
                TransportSecurity.NONE, "support@example.test", "pw", "INBOX", "Processed", Duration.ofMinutes(10),
                Duration.ofSeconds(10), MailboxSettings.DEFAULT_MAX_MESSAGE_BYTES);
        try (ImapMailbox box = new ImapMailbox(settings)) {
            box.open();
            java.util.Map<Long, byte[]> one = new java.util.HashMap<>();
            for (long uid : uids) {
                one.put(uid, box.fetchRaw(uid));
            }
            try (ImapMailbox other = new ImapMailbox(settings)) {
                other.open();
                other.moveToProcessed(uids.get(3)); // gone before the set is asked for
            }
            long[] asked = uids.stream().mapToLong(Long::longValue).toArray();
            int fetchesBefore = uidFetches(wire.transcript());

            java.util.Map<Long, byte[]> set = box.fetchRawSet(asked);

            assertThat(uidFetches(wire.transcript()) - fetchesBefore).as("one command for the set: " + wire.transcript()).isEqualTo(1);
            assertThat(set).doesNotContainKey(uids.get(3)).hasSize(5);
            for (Long uid : set.keySet()) {
                assertThat(set.get(uid)).as("the same bytes as one mail's download, uid " + uid).isEqualTo(one.get(uid));
            }
        }
    }

    private static int uidFetches(List<RecordingRelay.Line> transcript) {
        return (int) transcript.stream().filter(RecordingRelay.Line::fromClient)
                .filter(l -> l.text().matches("\\S+ UID FETCH \\S+ \\(UID BODY\\.PEEK\\[\\]\\)")).count();
    }

    /** The client sent {@code <tag> IDLE} and the server answered it with a continuation ({@code +}). */
    private static boolean idleAccepted(List<RecordingRelay.Line> transcript) {
        boolean idleSent = false;
        for (RecordingRelay.Line line : transcript) {
            if (line.fromClient()) {
                idleSent = line.text().matches("\\S+ IDLE");
            } else if (idleSent && line.text().startsWith("+")) {
                return true;
            }
        }
        return false;
    }
}
