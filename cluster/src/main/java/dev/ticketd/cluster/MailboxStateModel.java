package dev.ticketd.cluster;

import org.apache.helix.NotificationContext;
import org.apache.helix.model.Message;
import org.apache.helix.participant.statemachine.StateModel;
import org.apache.helix.participant.statemachine.StateModelFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Helix's LeaderStandby state model for one mailbox partition. Transitions only open or close
 * the {@link LeaderGate}; they never run the work themselves and never fail, so a database or
 * mail server outage can never leave a partition in ERROR.
 *
 * <p>Public only because Helix calls the transition methods by reflection; nothing outside this
 * package creates or uses it.
 */
public final class MailboxStateModel extends StateModel {

    private static final Logger log = LoggerFactory.getLogger(MailboxStateModel.class);

    private final String mailboxId;
    private final LeaderGate gate;

    MailboxStateModel(String mailboxId, LeaderGate gate) {
        this.mailboxId = mailboxId;
        this.gate = gate;
    }

    public void onBecomeStandbyFromOffline(Message message, NotificationContext context) {
        log.info("helix transition mailbox={} OFFLINE->STANDBY", mailboxId);
    }

    public void onBecomeLeaderFromStandby(Message message, NotificationContext context) {
        log.info("helix transition mailbox={} STANDBY->LEADER", mailboxId);
        gate.becameLeader(mailboxId);
    }

    public void onBecomeStandbyFromLeader(Message message, NotificationContext context) {
        log.info("helix transition mailbox={} LEADER->STANDBY", mailboxId);
        gate.leftLeadership(mailboxId);
    }

    public void onBecomeOfflineFromStandby(Message message, NotificationContext context) {
        log.info("helix transition mailbox={} STANDBY->OFFLINE", mailboxId);
        gate.leftLeadership(mailboxId);
    }

    public void onBecomeDroppedFromOffline(Message message, NotificationContext context) {
        log.info("helix transition mailbox={} OFFLINE->DROPPED", mailboxId);
        gate.leftLeadership(mailboxId);
    }

    public void onBecomeOfflineFromError(Message message, NotificationContext context) {
        gate.leftLeadership(mailboxId);
    }

    /** After a ZooKeeper session expiry Helix calls only this: stop the leader work. */
    @Override
    public void reset() {
        log.info("helix reset mailbox={}", mailboxId);
        gate.leftLeadership(mailboxId);
    }

    static final class Factory extends StateModelFactory<MailboxStateModel> {
        private final LeaderGate gate;
        private final LeaderGate dutyGate;

        Factory(LeaderGate gate) {
            this(gate, gate);
        }

        /** @param dutyGate the gate of the partitions of {@link ClusterSetup#DUTIES} (the same model, other work) */
        Factory(LeaderGate gate, LeaderGate dutyGate) {
            this.gate = gate;
            this.dutyGate = dutyGate;
        }

        @Override
        public MailboxStateModel createNewStateModel(String resourceName, String partitionName) {
            return new MailboxStateModel(partitionName, ClusterSetup.DUTIES.equals(resourceName) ? dutyGate : gate);
        }
    }
}
