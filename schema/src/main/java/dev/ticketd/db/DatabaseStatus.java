package dev.ticketd.db;

import java.util.List;

/**
 * What a node can see of its (possibly replicated) database, for {@code /health/ready} and the
 * cluster page. Contains no connection strings or passwords.
 *
 * @param replicated          the URL lists several servers
 * @param primary             the primary this node writes to ({@code host:port} as the server sees
 *                            itself), or null when none is reachable
 * @param primaryError        why no primary answered, or null
 * @param standbys            the standbys the primary reports ({@code pg_stat_replication})
 * @param replicationDetail   "full", or why standby details are missing (the database user lacks
 *                            {@code pg_monitor}; no standby is connected)
 * @param readsFromStandby    a standby that serves reads now because no primary is reachable, or null
 */
public record DatabaseStatus(boolean replicated, String primary, String primaryError, List<Standby> standbys,
                             String replicationDetail, StandbyServer readsFromStandby) {

    /**
     * One standby as its primary sees it. Lags are null when the primary does not show them (no
     * privilege) or has nothing to measure (the standby is idle and caught up: PostgreSQL then
     * reports no lag at all).
     *
     * @param name          {@code application_name} of its WAL receiver (Patroni: the member name)
     * @param address       its client address
     * @param state         streaming, catchup, startup, backup, stopping
     * @param syncState     sync, quorum, potential, async
     * @param writeLagMillis  time until the standby had written recent WAL
     * @param replayLagMillis time until it had replayed it (visible to its readers)
     * @param replayLagBytes  WAL bytes the primary has that the standby has not yet replayed
     */
    public record Standby(String name, String address, String state, String syncState, Long writeLagMillis,
                          Long replayLagMillis, Long replayLagBytes) {
    }

    /**
     * @param server             {@code host:port}
     * @param replayDelayMillis  age of the last transaction it replayed (null when unknown)
     */
    public record StandbyServer(String server, Long replayDelayMillis) {
    }

    public boolean primaryReachable() {
        return primary != null;
    }
}
