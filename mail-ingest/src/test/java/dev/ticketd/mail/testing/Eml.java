package dev.ticketd.mail.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/** The hand-written {@code .eml} fixtures under {@code src/test/resources/eml/}, as a mail server would deliver them. */
public final class Eml {

    private Eml() {
    }

    /**
     * The fixture's bytes with every bare LF turned into CRLF (the files are written with LF; the bytes
     * keep their charset), except for fixtures whose name contains {@code bare-lf}: those are the
     * bytes exactly as in the file.
     */
    public static byte[] load(String name) {
        try (InputStream in = Eml.class.getResourceAsStream("/eml/" + name)) {
            if (in == null) {
                throw new IllegalArgumentException("no fixture eml/" + name);
            }
            byte[] bytes = in.readAllBytes();
            return name.contains("bare-lf") ? bytes : crlf(bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static byte[] crlf(byte[] bytes) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(bytes.length + bytes.length / 20);
        for (int i = 0; i < bytes.length; i++) {
            if (bytes[i] == '\n' && (i == 0 || bytes[i - 1] != '\r')) {
                out.write('\r');
            }
            out.write(bytes[i]);
        }
        return out.toByteArray();
    }
}
