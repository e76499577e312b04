package dev.ticketd.chaos.web;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Reading auto_explain's plans out of a PostgreSQL log, as the web bench's plan check does. */
class PlanLogTest {

    private static final String LOG = """
            2026-12-05 06:44:01.100 UTC [8133] LOG:  duration: 0.210 ms  plan:
            \tQuery Text: select "ticket"."id" from "ticket" where "ticket"."group_id" = $1 order by "ticket"."created_at" desc limit $2
            \tLimit  (cost=0.42..3.10 rows=51 width=8)
            \t  ->  Index Scan Backward using ticket_group_created_idx on ticket  (cost=0.42..520.10 rows=9900 width=8)
            2026-12-05 06:44:01.200 UTC [8133] LOG:  duration: 31.005 ms  plan:
            \tQuery Text: select count(*) from outbox where status = $1
            \tAggregate  (cost=2000.00..2000.01 rows=1 width=8)
            \t  ->  Seq Scan on outbox  (cost=0.00..1900.00 rows=40000 width=0)
            \t        Filter: ((status)::text = 'pending'::text)
            2026-12-05 06:44:01.300 UTC [8133] LOG:  duration: 0.050 ms  plan:
            \tQuery Text: select tag from ticket_tag where ticket_id = $1
            \tSeq Scan on ticket_tag  (cost=0.00..1.10 rows=1 width=10)
            2026-12-05 06:44:01.400 UTC [8133] LOG:  duration: 90.000 ms  plan:
            \tQuery Text: select 1 from ticket_message m where m.search @@ $1
            \tGather  (cost=1000.00..90000.00 rows=10 width=4)
            \t  ->  Parallel Seq Scan on ticket_message m  (cost=0.00..89000.00 rows=4 width=4)
            2026-12-05 06:44:01.500 UTC [8133] LOG:  duration: 0.000 ms  plan:
            \tQuery Text: explain select ticket_id from ticket_message where search @@ $1
            \tSeq Scan on ticket_message  (cost=0.00..673116.61 rows=1663850 width=8)
            """;

    @Test
    void everyPlanIsCountedAndEachScanOfABigTableIsNamedWithItsQueryButAnExplainThatIsNeverRun() {
        WebBench.Plans plans = WebBench.plans(LOG);
        assertThat(plans.count()).isEqualTo(5);
        assertThat(plans.bigTableScans()).containsExactly(
                "->  Seq Scan on outbox in: select count(*) from outbox where status = $1",
                "->  Parallel Seq Scan on ticket_message m in: select 1 from ticket_message m where m.search @@ $1");
    }
}
