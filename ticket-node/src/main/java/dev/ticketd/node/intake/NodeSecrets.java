package dev.ticketd.node.intake;

import dev.ticketd.db.Database;
import org.jooq.impl.DSL;

import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import static dev.ticketd.db.generated.Tables.NODE_SECRETS;

/**
 * Which mailbox secrets each node holds, by name (a mailbox names its {@code secret_ref}; each node
 * reads {@code secret.REF} from its own configuration, and the value never leaves it). A node
 * reports its names when it starts; the admin screens show, for each mailbox, the nodes that
 * reported without its secret — those cannot read it when they lead it.
 */
public final class NodeSecrets {

    /** A node's report: the names of the secrets it held when it started. */
    public record Report(String nodeId, Set<String> secretRefs, OffsetDateTime reportedAt) {
    }

    private final Database db;

    public NodeSecrets(Database db) {
        this.db = db;
    }

    /** Records the names of the secrets {@code nodeId} holds now (replacing its earlier report). */
    public void report(String nodeId, Collection<String> secretRefs) {
        String[] refs = new TreeSet<>(secretRefs).toArray(String[]::new);
        db.transactions().write(tx -> tx.insertInto(NODE_SECRETS)
                .set(NODE_SECRETS.NODE_ID, nodeId)
                .set(NODE_SECRETS.SECRET_REFS, refs)
                .set(NODE_SECRETS.REPORTED_AT, DSL.currentOffsetDateTime())
                .onConflict(NODE_SECRETS.NODE_ID).doUpdate()
                .set(NODE_SECRETS.SECRET_REFS, refs)
                .set(NODE_SECRETS.REPORTED_AT, DSL.currentOffsetDateTime())
                .execute());
    }

    /** Every node's last report, by node id. */
    public List<Report> reports() {
        return db.read(dsl -> dsl.selectFrom(NODE_SECRETS).orderBy(NODE_SECRETS.NODE_ID)
                .fetch(r -> new Report(r.getNodeId(), new TreeSet<>(List.of(r.getSecretRefs())), r.getReportedAt()))).value();
    }

    /** The nodes of {@code reports} that did not hold {@code secretRef}. */
    public static List<String> lacking(List<Report> reports, String secretRef) {
        List<String> nodes = new ArrayList<>();
        for (Report r : reports) {
            if (!r.secretRefs().contains(secretRef)) {
                nodes.add(r.nodeId());
            }
        }
        return nodes;
    }
}
