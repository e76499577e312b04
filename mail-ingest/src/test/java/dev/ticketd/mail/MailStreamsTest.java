package dev.ticketd.mail;

import jakarta.mail.util.StreamProvider;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class MailStreamsTest {

    @Test
    void readingMailNamesAngusStreamProviderSoThatNoLookupScansTheClassPath() {
        new MailParser(); // its class's initialisation names the provider

        assertThat(System.getProperty(MailStreams.PROPERTY)).isEqualTo(MailStreams.ANGUS);
        // the named class exists and is what Jakarta Mail now uses (a wrong name would fail every mail)
        assertThat(StreamProvider.provider().getClass().getName()).isEqualTo(MailStreams.ANGUS);
    }
}
