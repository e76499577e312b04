package dev.ticketd.node.apidoc;

import dev.ticketd.node.web.Access;
import dev.ticketd.node.web.RouteTable;
import dev.ticketd.node.web.WebFeature;
import io.javalin.http.Context;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * {@code GET /api/v1/openapi.json}, without login: the OpenAPI 3.1 document of the JSON API, served
 * as written in {@value #RESOURCE}. The document is kept by hand; {@code OpenApiContractTest} holds it
 * to the route table and to the API's real answers, so a route or field it does not describe fails
 * the build.
 */
public final class ApiDocument implements WebFeature {

    public static final String PATH = "/api/v1/openapi.json";
    public static final String RESOURCE = "/openapi/openapi.json";

    private final byte[] json;

    /** @param json the document, as served */
    public ApiDocument(byte[] json) {
        this.json = json.clone();
    }

    /** The document from the node's jar; fails at start-up when the build left it out. */
    public static ApiDocument fromClasspath() {
        try (InputStream in = ApiDocument.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("the API document " + RESOURCE + " is not on the classpath");
            }
            return new ApiDocument(in.readAllBytes());
        } catch (IOException e) {
            throw new UncheckedIOException("could not read the API document " + RESOURCE, e);
        }
    }

    @Override
    public void addRoutes(RouteTable routes) {
        routes.get(PATH, this::serve, Access.PUBLIC);
    }

    void serve(Context ctx) {
        ctx.contentType("application/json").result(json);
    }
}
