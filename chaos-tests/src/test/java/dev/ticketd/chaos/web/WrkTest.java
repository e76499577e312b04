package dev.ticketd.chaos.web;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Reading wrk's summary as Debian's wrk 4.1 prints it with --latency. */
class WrkTest {

    private static final String OUT = """
            Running 15s test @ http://127.0.0.1:8080/api/v1/tickets?limit=50
              2 threads and 20 connections
              Thread Stats   Avg      Stdev     Max   +/- Stdev
                Latency     7.94ms    4.21ms  61.33ms   80.12%
                Req/Sec     1.27k   112.40     1.52k    71.33%
              Latency Distribution
                 50%  712.00us
                 75%    9.88ms
                 90%   12.90ms
                 99%    1.20s
              37955 requests in 15.01s, 120.54MB read
              Socket errors: connect 0, read 0, write 0, timeout 2
              Non-2xx or 3xx responses: 3
            Requests/sec:   2528.64
            Transfer/sec:      8.03MB
            """;

    @Test
    void percentilesInAnyUnitTheRateAndEveryErrorAreRead() {
        Wrk.Result r = Wrk.parse("list", "http://x", OUT);
        assertThat(r.p50Millis()).isEqualTo(0.712);
        assertThat(r.p99Millis()).isEqualTo(1200.0);
        assertThat(r.requestsPerSecond()).isEqualTo(2528.64);
        assertThat(r.requests()).isEqualTo(37955);
        assertThat(r.errors()).as("3 answers not 2xx/3xx and 2 time-outs").isEqualTo(5);
    }

    @Test
    void anOutputWithoutASummaryIsAnErrorNotAZero() {
        assertThatThrownBy(() -> Wrk.parse("list", "http://x", "unable to connect to 127.0.0.1:8080 Connection refused"))
                .hasMessageContaining("cannot read wrk's summary");
    }
}
