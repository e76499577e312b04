package dev.ticketd.node.clusterpage;

import dev.ticketd.db.Database;
import dev.ticketd.node.health.DatabaseHealth;
import dev.ticketd.node.metrics.NodeMetrics;
import dev.ticketd.testing.TestPostgres;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static dev.ticketd.db.generated.Tables.MAILBOX;
import static dev.ticketd.db.generated.Tables.MAIL_FAILURE;
import static org.assertj.core.api.Assertions.assertThat;

/** A mailbox with mail that keeps failing says so on the cluster page and on /metrics. */
class FailingMailsShownTest {

    private Database db;

    @BeforeEach
    void setUp() {
        db = TestPostgres.freshDatabase();
        for (String id : new String[]{"support", "sales"}) {
            db.dsl().insertInto(MAILBOX).set(MAILBOX.ID, id).set(MAILBOX.ADDRESS, id + "@example.test")
                    .set(MAILBOX.IMAP_HOST, "127.0.0.1").set(MAILBOX.IMAP_PORT, 143)
                    .set(MAILBOX.IMAP_USER, id).set(MAILBOX.SECRET_REF, id).execute();
        }
        for (long uid : new long[]{41, 42}) {
            db.dsl().insertInto(MAIL_FAILURE).set(MAIL_FAILURE.MAILBOX_ID, "support").set(MAIL_FAILURE.UIDVALIDITY, 7L)
                    .set(MAIL_FAILURE.UID, uid).set(MAIL_FAILURE.ATTEMPTS, 2).set(MAIL_FAILURE.LAST_ERROR, "the database refused it")
                    .execute();
        }
    }

    @AfterEach
    void tearDown() {
        db.close();
    }

    @Test
    void theClusterPageCountsEachMailboxsFailingMails() {
        ClusterStatusService service = new ClusterStatusService(db, new DatabaseHealth(db, Duration.ofSeconds(2)), () -> {
            throw new IllegalStateException("no ZooKeeper in this test");
        }, "node-1");

        ClusterStatus status = service.status().value();

        assertThat(status.mailboxes()).extracting(ClusterStatus.Mailbox::name, ClusterStatus.Mailbox::failingMails)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("sales", 0), org.assertj.core.groups.Tuple.tuple("support", 2));
    }

    @Test
    void metricsShowFailingMailsAndWhatWasQuarantinedOrOverBudget() {
        NodeMetrics metrics = new NodeMetrics("node-1");
        metrics.watch(db, () -> true);
        metrics.mailFailed("support");
        metrics.mailFailed("support");
        metrics.quarantinedAfterFailures("support");
        metrics.overBudget("sales");

        String scrape = metrics.scrape();

        assertThat(scrape).contains("ticketd_mail_failing{node=\"node-1\"} 2.0")
                .contains("ticketd_mail_failed_passes_total{mailbox=\"support\",node=\"node-1\"} 2.0")
                .contains("ticketd_mail_quarantined_after_failures_total{mailbox=\"support\",node=\"node-1\"} 1.0")
                .contains("ticketd_mail_over_budget_total{mailbox=\"sales\",node=\"node-1\"} 1.0");
    }
}
