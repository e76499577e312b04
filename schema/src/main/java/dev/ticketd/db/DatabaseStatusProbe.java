package dev.ticketd.db;

import org.jooq.DSLContext;
import org.jooq.Record;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Asks the servers what {@link DatabaseStatus} shows. Every query is read-only and cheap; the
 * caller bounds how long it may take (it runs on a probe thread with a timeout).
 *
 * <p>{@code pg_stat_replication} shows a role without {@code pg_monitor} (or superuser) only the
 * standby's name: state, addresses, LSNs and lags are null then. That is reported, not hidden.
 */
public final class DatabaseStatusProbe {

    /** Whether new sessions of the server start read-only, as column {@code read_only}. */
    private static final String READ_ONLY = "current_setting('default_transaction_read_only')::boolean as read_only";

    private final Database db;

    public DatabaseStatusProbe(Database db) {
        this.db = db;
    }

    public DatabaseStatus probe() {
        String primary = null;
        String primaryError = null;
        List<DatabaseStatus.Standby> standbys = List.of();
        String detail = "full";
        Optional<PrimaryWatch.State> watched = db.checkPrimaryNow();
        if (watched.isPresent() && !watched.get().reachable()) {
            primaryError = "no primary reachable: " + watched.get().lastError();
        } else {
            try {
                Record self = db.dsl().fetchOne("select host(inet_server_addr()) as host, inet_server_port() as port, "
                        + "pg_is_in_recovery() as recovery, " + READ_ONLY);
                if (Boolean.TRUE.equals(self.get("recovery", Boolean.class))) {
                    primaryError = "the server answering is in recovery (a standby)";
                } else if (Boolean.TRUE.equals(self.get("read_only", Boolean.class))) {
                    primaryError = refusesWrites(server(self));
                } else {
                    primary = server(self);
                    standbys = standbys(db.dsl());
                    if (standbys.isEmpty()) {
                        detail = db.replicated() ? "no standby is connected to the primary" : "not replicated";
                    } else if (standbys.stream().anyMatch(s -> s.state() == null)) {
                        detail = "limited: the database user may not read replication details (grant it pg_monitor)";
                    }
                }
            } catch (RuntimeException e) {
                primaryError = "no primary reachable: " + RetryableFailures.describe(e);
            }
        }
        DatabaseStatus.StandbyServer readsFrom = null;
        if (primary == null && db.standbyDsl().isPresent()) {
            try {
                Record r = db.standbyDsl().get().fetchOne("select host(inet_server_addr()) as host, inet_server_port() as port, "
                        + "(extract(epoch from now() - pg_last_xact_replay_timestamp()) * 1000)::bigint as delay, "
                        + "pg_is_in_recovery() as recovery, " + READ_ONLY);
                readsFrom = new DatabaseStatus.StandbyServer(server(r), r.get("delay", Long.class));
                if (Boolean.FALSE.equals(r.get("recovery", Boolean.class)) && Boolean.TRUE.equals(r.get("read_only", Boolean.class))) {
                    // the driver takes a primary whose sessions are read-only for a standby: say what it is
                    primaryError = refusesWrites(server(r));
                }
            } catch (RuntimeException e) {
                primaryError = primaryError + "; no standby answers either: " + RetryableFailures.describe(e);
            }
        }
        return new DatabaseStatus(db.replicated(), primary, primaryError, standbys, primary == null ? "unknown" : detail, readsFrom);
    }

    /**
     * Why a server that is not in recovery is no primary to write to: its sessions start read-only
     * (an operator's {@code default_transaction_read_only}; PostgreSQL never does it by itself, and no
     * failover follows, so it lasts until someone resets it).
     */
    static String refusesWrites(String server) {
        return "the primary " + server + " refuses writes: its sessions are read-only (default_transaction_read_only is on)";
    }

    private static List<DatabaseStatus.Standby> standbys(DSLContext dsl) {
        List<DatabaseStatus.Standby> result = new ArrayList<>();
        for (Record r : dsl.fetch("select application_name, host(client_addr) as address, state, sync_state, "
                + "(extract(epoch from write_lag) * 1000)::bigint as write_lag, "
                + "(extract(epoch from replay_lag) * 1000)::bigint as replay_lag, "
                + "pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::bigint as replay_bytes "
                + "from pg_stat_replication order by application_name")) {
            result.add(new DatabaseStatus.Standby(r.get("application_name", String.class), r.get("address", String.class),
                    r.get("state", String.class), r.get("sync_state", String.class), r.get("write_lag", Long.class),
                    r.get("replay_lag", Long.class), r.get("replay_bytes", Long.class)));
        }
        return result;
    }

    private static String server(Record r) {
        String host = r.get("host", String.class);
        Integer port = r.get("port", Integer.class);
        return (host == null ? "local socket" : host) + (port == null ? "" : ":" + port);
    }
}
