package dev.ticketd.node.quarantine;

import dev.ticketd.node.web.RouteTable;
import dev.ticketd.node.web.WebFeature;

import static dev.ticketd.node.web.Access.ADMIN;

/** The quarantine page and API, for admins: mail that could not be read, and its retry, import or dismiss. */
public final class QuarantineRoutes implements WebFeature {

    private final QuarantinePages pages;
    private final QuarantineApi api;

    public QuarantineRoutes(QuarantineService service) {
        this.pages = new QuarantinePages(service);
        this.api = new QuarantineApi(service);
    }

    @Override
    public void addRoutes(RouteTable routes) {
        routes.get("/quarantine", pages::list, ADMIN)
                .post("/quarantine/{id}/{action}", pages::act, ADMIN)
                .get("/api/v1/quarantine", api::list, ADMIN)
                .post("/api/v1/quarantine/{id}/{action}", api::act, ADMIN);
    }
}
