package dev.ticketd.node.admin;

import dev.ticketd.node.auth.ApiTokens;
import dev.ticketd.node.auth.StaffAccounts;
import dev.ticketd.node.auth.StaffGroups;
import dev.ticketd.node.intake.MailboxCatalog;
import dev.ticketd.node.intake.NodeSecrets;
import dev.ticketd.node.ticket.TicketQueries;
import dev.ticketd.node.web.RouteTable;
import dev.ticketd.node.web.WebFeature;

import java.time.Clock;

import static dev.ticketd.node.web.Access.ADMIN;
import static dev.ticketd.node.web.Access.STAFF;

/**
 * The admin screens and API (staff users, groups, API tokens, mailboxes; admins only), over the same
 * services as the CLI, and {@code GET /api/v1/me} for any member of staff.
 */
public final class AdminRoutes implements WebFeature {

    private final AdminPages pages;
    private final AdminApi api;
    private final MeApi me;

    public AdminRoutes(StaffAccounts accounts, StaffGroups groups, ApiTokens tokens, MailboxCatalog mailboxes, TicketQueries tickets,
                       MailboxAnnouncer announcer, NodeSecrets secrets, Clock clock) {
        StaffAdmin staff = new StaffAdmin(accounts, groups, tokens, clock);
        MailboxAdmin mailboxAdmin = new MailboxAdmin(mailboxes, groups, announcer, secrets);
        this.pages = new AdminPages(staff, mailboxAdmin);
        this.api = new AdminApi(staff, mailboxAdmin);
        this.me = new MeApi(groups, tickets);
    }

    @Override
    public void addRoutes(RouteTable routes) {
        routes.get("/admin/users", pages::users, ADMIN)
                .post("/admin/users", pages::createUser, ADMIN)
                .post("/admin/users/{id}/role", pages::setRole, ADMIN)
                .post("/admin/users/{id}/active", pages::setActive, ADMIN)
                .post("/admin/users/{id}/password", pages::setPassword, ADMIN)
                .post("/admin/users/{id}/groups", pages::setGroups, ADMIN)
                .get("/admin/users/{id}/tokens", pages::tokens, ADMIN)
                .post("/admin/users/{id}/tokens", pages::createToken, ADMIN)
                .post("/admin/users/{id}/tokens/{tokenId}/revoke", pages::revokeToken, ADMIN)
                .get("/admin/groups", pages::groups, ADMIN)
                .post("/admin/groups", pages::createGroup, ADMIN)
                .post("/admin/groups/{id}/members", pages::setMember, ADMIN)
                .post("/admin/groups/{id}/members/remove", pages::removeMember, ADMIN)
                .post("/admin/groups/{id}/round-robin", pages::setRoundRobin, ADMIN)
                .get("/admin/mailboxes", pages::mailboxes, ADMIN)
                .post("/admin/mailboxes", pages::saveMailbox, ADMIN)
                .get("/api/v1/me", me::me, STAFF)
                .get("/api/v1/admin/users", api::users, ADMIN)
                .post("/api/v1/admin/users", api::createUser, ADMIN)
                .patch("/api/v1/admin/users/{id}", api::changeUser, ADMIN)
                .get("/api/v1/admin/users/{id}/tokens", api::tokens, ADMIN)
                .post("/api/v1/admin/users/{id}/tokens", api::createToken, ADMIN)
                .post("/api/v1/admin/users/{id}/tokens/{tokenId}/revoke", api::revokeToken, ADMIN)
                .get("/api/v1/admin/groups", api::groups, ADMIN)
                .post("/api/v1/admin/groups", api::createGroup, ADMIN)
                .put("/api/v1/admin/groups/{id}/members", api::setMembers, ADMIN)
                .put("/api/v1/admin/groups/{id}/round-robin", api::setRoundRobin, ADMIN)
                .get("/api/v1/admin/mailboxes", api::mailboxes, ADMIN)
                .post("/api/v1/admin/mailboxes", api::saveMailbox, ADMIN);
    }
}
