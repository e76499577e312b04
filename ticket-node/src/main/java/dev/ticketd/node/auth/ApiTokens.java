package dev.ticketd.node.auth;

import dev.ticketd.db.Database;
import org.jooq.Record;

import java.util.Optional;

import static dev.ticketd.db.generated.Tables.API_TOKEN;
import static dev.ticketd.db.generated.Tables.STAFF_USER;

/** Checks bearer tokens of the JSON API against their stored SHA-256. */
public final class ApiTokens {

    private final Database db;

    public ApiTokens(Database db) {
        this.db = db;
    }

    /** The active user owning this unrevoked token, or empty. */
    public Optional<StaffUser> authenticate(String token) {
        if (token == null || token.length() < StaffAccounts.MIN_TOKEN_LENGTH || token.length() > 500) {
            return Optional.empty();
        }
        String tokenSha = Secrets.sha256Hex(token);
        // a pure read, so the API keeps authenticating from a standby during a failover
        Record row = db.read(dsl -> dsl
                .select(STAFF_USER.ID, STAFF_USER.EMAIL, STAFF_USER.DISPLAY_NAME, STAFF_USER.ROLE)
                .from(API_TOKEN).join(STAFF_USER).on(STAFF_USER.ID.eq(API_TOKEN.USER_ID))
                .where(API_TOKEN.TOKEN_SHA256.eq(tokenSha))
                .and(API_TOKEN.REVOKED_AT.isNull())
                .and(STAFF_USER.ACTIVE.isTrue())
                .fetchOne()).value();
        if (row == null) {
            return Optional.empty();
        }
        return Optional.of(new StaffUser(row.get(STAFF_USER.ID), row.get(STAFF_USER.EMAIL),
                row.get(STAFF_USER.DISPLAY_NAME), Role.fromDb(row.get(STAFF_USER.ROLE))));
    }
}
