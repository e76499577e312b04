package dev.ticketd.node.auth;

import dev.ticketd.db.Database;
import dev.ticketd.db.Transactions;
import org.jooq.Record2;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.net.URLEncoder;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.util.Locale;

import static dev.ticketd.db.generated.Tables.STAFF_USER;

/**
 * Optional second factor for the login page: time-based one-time codes (RFC 6238: HMAC-SHA1,
 * 6 digits, 30-second steps), as authenticator apps make them. A code of the current step or of
 * the one before or after is accepted (clocks drift), each at most once: the last accepted step is
 * stored and only later steps are accepted after it, by one conditional update, so two nodes
 * cannot both accept the same code.
 *
 * <p>The secret is stored as it is (base32): checking a code needs the secret itself, and
 * encrypting it would need a per-install key on every node — one more secret to distribute,
 * which this install does not have. Whoever can read {@code staff_user} can read the password
 * hashes too; the second factor protects against stolen passwords, not a stolen database.
 */
public final class Totp {

    static final int DIGITS = 6;
    static final long STEP_SECONDS = 30;
    private static final String BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    private static final Logger log = LoggerFactory.getLogger(Totp.class);

    /** What the staff member types into an authenticator app: the secret, and the same as an otpauth:// URI (a QR code). */
    public record Enrolment(String secret, String uri) {
        @Override
        public String toString() {
            return "Enrolment[secret]";
        }
    }

    private final Database db;
    private final Transactions writes;
    private final Clock clock;

    public Totp(Database db, Transactions writes, Clock clock) {
        this.db = db;
        this.writes = writes;
        this.clock = clock;
    }

    /** Turns the second factor on (or gives a new secret) for this user; the old secret stops working. */
    public Enrolment enable(String email) {
        String normalized = StaffAccounts.normalizeEmail(email);
        String secret = base32(Secrets.newBytes(20));
        int updated = writes.write(tx -> tx.update(STAFF_USER)
                .set(STAFF_USER.TOTP_SECRET, secret)
                .setNull(STAFF_USER.TOTP_LAST_STEP)
                .where(STAFF_USER.EMAIL.eq(normalized))
                .execute());
        if (updated == 0) {
            throw new IllegalArgumentException("no staff user with email " + normalized);
        }
        log.info("two-factor login enabled email={}", normalized);
        String uri = "otpauth://totp/ticketd:" + URLEncoder.encode(normalized, StandardCharsets.UTF_8).replace("+", "%20")
                + "?secret=" + secret + "&issuer=ticketd&algorithm=SHA1&digits=" + DIGITS + "&period=" + STEP_SECONDS;
        return new Enrolment(secret, uri);
    }

    public void disable(String email) {
        String normalized = StaffAccounts.normalizeEmail(email);
        int updated = writes.write(tx -> tx.update(STAFF_USER)
                .setNull(STAFF_USER.TOTP_SECRET)
                .setNull(STAFF_USER.TOTP_LAST_STEP)
                .where(STAFF_USER.EMAIL.eq(normalized))
                .execute());
        if (updated == 0) {
            throw new IllegalArgumentException("no staff user with email " + normalized);
        }
        log.info("two-factor login disabled email={}", normalized);
    }

    /** Whether this user may log in with this code: true when the user has no second factor, else a fresh valid code. */
    public boolean accepts(long userId, String code) {
        Record2<String, Long> row = db.dsl().select(STAFF_USER.TOTP_SECRET, STAFF_USER.TOTP_LAST_STEP)
                .from(STAFF_USER).where(STAFF_USER.ID.eq(userId)).fetchOne();
        if (row == null || row.value1() == null) {
            return row != null;
        }
        String typed = code == null ? "" : code.replace(" ", "").strip();
        if (!typed.matches("\\d{" + DIGITS + "}")) {
            return false;
        }
        byte[] key = unbase32(row.value1());
        long now = Math.floorDiv(clock.instant().getEpochSecond(), STEP_SECONDS);
        Long last = row.value2();
        for (long step = now - 1; step <= now + 1; step++) {
            if ((last == null || step > last) && Secrets.constantTimeEquals(code(key, step), typed)) {
                long accepted = step;
                // only a later step than any accepted before: a code (or an older one) is never accepted twice
                return writes.write(tx -> tx.update(STAFF_USER)
                        .set(STAFF_USER.TOTP_LAST_STEP, accepted)
                        .where(STAFF_USER.ID.eq(userId))
                        .and(STAFF_USER.TOTP_LAST_STEP.isNull().or(STAFF_USER.TOTP_LAST_STEP.lt(accepted)))
                        .execute()) == 1;
            }
        }
        return false;
    }

    /** The code of one time step (RFC 4226 HOTP with the step as counter). */
    public static String code(byte[] key, long step) {
        try {
            Mac mac = Mac.getInstance("HmacSHA1");
            mac.init(new SecretKeySpec(key, "HmacSHA1"));
            byte[] h = mac.doFinal(ByteBuffer.allocate(8).putLong(step).array());
            int offset = h[h.length - 1] & 0x0f;
            int binary = ((h[offset] & 0x7f) << 24) | ((h[offset + 1] & 0xff) << 16) | ((h[offset + 2] & 0xff) << 8) | (h[offset + 3] & 0xff);
            return String.format(Locale.ROOT, "%0" + DIGITS + "d", binary % (int) Math.pow(10, DIGITS));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA1 is missing from this JVM", e);
        }
    }

    static String base32(byte[] bytes) {
        StringBuilder b = new StringBuilder();
        int buffer = 0;
        int bits = 0;
        for (byte value : bytes) {
            buffer = (buffer << 8) | (value & 0xff);
            bits += 8;
            while (bits >= 5) {
                b.append(BASE32.charAt((buffer >> (bits - 5)) & 31));
                bits -= 5;
            }
        }
        if (bits > 0) {
            b.append(BASE32.charAt((buffer << (5 - bits)) & 31));
        }
        return b.toString();
    }

    public static byte[] unbase32(String text) {
        ByteBuffer out = ByteBuffer.allocate(text.length() * 5 / 8);
        int buffer = 0;
        int bits = 0;
        for (char c : text.toUpperCase(Locale.ROOT).toCharArray()) {
            int v = BASE32.indexOf(c);
            if (v < 0) {
                throw new IllegalArgumentException("not base32: " + c);
            }
            buffer = (buffer << 5) | v;
            bits += 5;
            if (bits >= 8) {
                out.put((byte) (buffer >> (bits - 8)));
                bits -= 8;
            }
        }
        return out.array();
    }
}
