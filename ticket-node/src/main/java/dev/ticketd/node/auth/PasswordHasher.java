package dev.ticketd.node.auth;

import org.springframework.security.crypto.argon2.Argon2PasswordEncoder;

/**
 * Argon2id password hashes (Spring Security's 5.8 defaults: 16 MiB, 2 iterations, about 50 ms).
 * Thread-safe.
 */
public final class PasswordHasher {

    private final Argon2PasswordEncoder encoder = Argon2PasswordEncoder.defaultsForSpringSecurity_v5_8();
    // Verified against when the email is unknown, so an unknown email costs as much as a wrong password.
    private final String dummyHash = encoder.encode("not a real password, only spends time");

    public String hash(String password) {
        return encoder.encode(password);
    }

    public boolean matches(String password, String hash) {
        return encoder.matches(password, hash);
    }

    /** Spends the time of one verification; used when there is no hash to check. */
    public void spendVerificationTime(String password) {
        encoder.matches(password, dummyHash);
    }
}
