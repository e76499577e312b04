package dev.ticketd.mail;

import dev.ticketd.mail.testing.TestMailServer;
import dev.ticketd.testing.TestTimeouts;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** The IMAP connection against a real server (GreenMail). */
class ImapMailboxTest {

    private final TestMailServer mail = TestMailServer.start();

    @AfterEach
    void tearDown() {
        mail.close();
    }

    @Test
    void abortEndsAnIdleThatNothingElseWouldEnd() throws Exception {
        mail.addUser("support@example.test", "pw");
        // a poll interval far longer than the test: only abort() can end this IDLE
        MailboxSettings settings = new MailboxSettings("support", "support@example.test", "127.0.0.1", mail.imapPort(),
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
        Thread.sleep(500); // let the IDLE begin; nothing arrives
        assertThat(idle).isNotDone();

        long started = System.nanoTime();
        box.abort();

        await().atMost(TestTimeouts.seconds(5)).until(idle::isDone);
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(5));
        assertThatThrownBy(() -> idle.get(1, TimeUnit.SECONDS)).isNotNull();
        box.close();
    }
}
