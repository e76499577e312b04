package dev.ticketd.node.watch;

import dev.ticketd.mail.outbound.OneOffMail;

import java.util.Map;

/** Alerts by mail to the operations address, through the relay of {@code alert.smtp.*}, never a support mailbox's server. */
final class SmtpAlertChannel implements AlertChannel {

    private final WatchSettings.AlertSmtp settings;

    SmtpAlertChannel(WatchSettings.AlertSmtp settings) {
        this.settings = settings;
    }

    @Override
    public String name() {
        return "smtp";
    }

    @Override
    public void send(Alert alert) throws Exception {
        // auto-generated (RFC 3834): no vacation responder or help desk answers it, ours included
        OneOffMail.send(settings.server(), settings.to(), alert.title(), alert.text(),
                Map.of("Auto-Submitted", "auto-generated", "X-Ticketd-Alert", alert.event().value() + "; " + alert.rule()));
    }
}
