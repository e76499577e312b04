package dev.ticketd.mail;

/**
 * Names Jakarta Mail's stream provider (Angus Mail's) in its system property, once, before any mail
 * is read. Without it, {@code StreamProvider.provider()} — which {@code MimeUtility.decode} and
 * every multipart call for each part of each mail — runs a {@link java.util.ServiceLoader} lookup
 * that scans the class path's jars every time (Jakarta Mail API issue 861, open): a third of the CPU
 * intake spent on a small mail. With the property set, the lookup is a loaded class's constructor.
 * A value set by the operator ({@code -Djakarta.mail.util.StreamProvider=…}) is left alone.
 */
final class MailStreams {

    static final String PROPERTY = "jakarta.mail.util.StreamProvider";
    static final String ANGUS = "org.eclipse.angus.mail.util.MailStreamProvider";

    static {
        if (System.getProperty(PROPERTY) == null) {
            System.setProperty(PROPERTY, ANGUS);
        }
    }

    private MailStreams() {
    }

    /** Makes sure the property is set (the class's initialisation does it, once). */
    static void named() {
        // nothing: loading this class ran its static initialiser
    }
}
