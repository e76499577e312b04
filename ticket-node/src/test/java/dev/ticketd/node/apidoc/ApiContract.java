package dev.ticketd.node.apidoc;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.Error;
import com.networknt.schema.InputFormat;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SchemaRegistryConfig;
import com.networknt.schema.dialect.Dialects;

import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * The API's OpenAPI 3.1 document as a checker of real exchanges: which operations it names, and
 * whether an answer (status, media type, body) or a request body is one it describes. Bodies are
 * validated by networknt's json-schema-validator with the OpenAPI 3.1 dialect (JSON Schema 2020-12),
 * with format assertions on ({@code date-time} is checked) and every {@code $ref} resolved inside
 * the document.
 *
 * <p>Strict where the published document is open: before validating, every object schema that lists
 * {@code properties} and says nothing of others is closed ({@code additionalProperties: false}), so a
 * field the API answers but the document does not name fails the check. The document itself stays
 * open, since clients must ignore fields they do not know.
 */
final class ApiContract {

    static final Set<String> METHODS = Set.of("get", "put", "post", "delete", "options", "head", "patch", "trace");

    private static final ObjectMapper JSON = new ObjectMapper();
    /** Where the validator finds the document; nothing is fetched from it. */
    private static final String DOCUMENT_IRI = "https://ticketd.invalid/api/v1/openapi.json";

    private final JsonNode document;
    private final SchemaRegistry registry;

    private ApiContract(JsonNode document, SchemaRegistry registry) {
        this.document = document;
        this.registry = registry;
    }

    static ApiContract of(String documentJson) {
        JsonNode document;
        try {
            document = JSON.readTree(documentJson);
        } catch (JsonProcessingException e) {
            throw new AssertionError("the API document is not JSON: " + e.getMessage(), e);
        }
        JsonNode strict = document.deepCopy();
        closeObjects(strict);
        SchemaRegistry registry = SchemaRegistry.withDialect(Dialects.getOpenApi31(), builder -> builder
                .schemas(Map.of(DOCUMENT_IRI, strict.toString()))
                .schemaRegistryConfig(SchemaRegistryConfig.builder().formatAssertionsEnabled(true).build()));
        return new ApiContract(document, registry);
    }

    JsonNode document() {
        return document;
    }

    /** Every operation of the document as {@code METHOD /path/{template}}. */
    Set<String> operations() {
        Set<String> operations = new TreeSet<>();
        document.path("paths").fields().forEachRemaining(path -> path.getValue().fieldNames().forEachRemaining(key -> {
            if (METHODS.contains(key)) {
                operations.add(key.toUpperCase(Locale.ROOT) + " " + path.getKey());
            }
        }));
        return operations;
    }

    /**
     * What is wrong with this answer to {@code method template} by the document: an undocumented
     * status or media type, or a body its schema refuses. Empty when the answer is as documented.
     */
    List<String> problemsWithAnswer(String method, String template, HttpResponse<String> answer) {
        String operation = method.toUpperCase(Locale.ROOT) + " " + template;
        String operationPointer = "/paths/" + escape(template) + "/" + method.toLowerCase(Locale.ROOT);
        if (document.at(operationPointer).isMissingNode()) {
            return List.of(operation + " is not in the document");
        }
        String status = Integer.toString(answer.statusCode());
        String responsePointer = operationPointer + "/responses/" + status;
        JsonNode response = document.at(responsePointer);
        if (response.isMissingNode()) {
            return List.of(operation + " answered " + status + ", which the document does not list: " + answer.body());
        }
        if (response.has("$ref")) {
            responsePointer = response.get("$ref").asText().substring(1);
        }
        List<String> problems = new ArrayList<>(problemsWithHeaders(operation + " " + status, responsePointer, answer));
        problems.addAll(problemsWithBody(operation + " " + status, responsePointer, answer));
        return problems;
    }

    /** A header the answer must carry is missing, or one it carries is not as its schema says. */
    private List<String> problemsWithHeaders(String what, String responsePointer, HttpResponse<String> answer) {
        List<String> problems = new ArrayList<>();
        document.at(responsePointer + "/headers").fields().forEachRemaining(h -> {
            String pointer = responsePointer + "/headers/" + escape(h.getKey());
            JsonNode header = h.getValue();
            if (header.has("$ref")) {
                pointer = header.get("$ref").asText().substring(1);
                header = document.at(pointer);
            }
            Optional<String> value = answer.headers().firstValue(h.getKey());
            if (value.isEmpty()) {
                if (header.path("required").asBoolean(false)) {
                    problems.add(what + ": the header " + h.getKey() + " is missing");
                }
                return;
            }
            boolean numeric = header.path("schema").path("type").asText("").matches("integer|number");
            String instance = numeric ? value.get() : JSON.getNodeFactory().textNode(value.get()).toString();
            problems.addAll(problems(what + " header " + h.getKey(), pointer + "/schema", instance));
        });
        return problems;
    }

    private List<String> problemsWithBody(String what, String responsePointer, HttpResponse<String> answer) {
        JsonNode response = document.at(responsePointer);
        String mediaType = answer.headers().firstValue("Content-Type").orElse("").split(";")[0].strip();
        JsonNode content = response.path("content");
        if (content.isMissingNode() || content.isEmpty()) {
            return answer.body().isEmpty() ? List.of() : List.of(what + " has a body, but the document describes none");
        }
        if (!content.has(mediaType)) {
            return List.of(what + " answered " + mediaType + "; the document has " + fieldNames(content));
        }
        if (!mediaType.equals("application/json")) {
            return List.of(); // e.g. message/rfc822: bytes, no schema to hold them to
        }
        return problems(what, responsePointer + "/content/" + escape(mediaType) + "/schema", answer.body());
    }

    /** What is wrong with this request body by the document's request schema of {@code method template}. */
    List<String> problemsWithRequest(String method, String template, String json) {
        String operation = method.toUpperCase(Locale.ROOT) + " " + template;
        String pointer = "/paths/" + escape(template) + "/" + method.toLowerCase(Locale.ROOT) + "/requestBody";
        JsonNode body = document.at(pointer);
        if (body.isMissingNode()) {
            return List.of(operation + " takes no request body in the document");
        }
        if (body.has("$ref")) {
            pointer = body.get("$ref").asText().substring(1);
        }
        return problems(operation + " request", pointer + "/content/application~1json/schema", json);
    }

    /** What the schema at {@code pointer} (a JSON pointer into the document) finds wrong with {@code json}. */
    List<String> problems(String what, String pointer, String json) {
        Schema schema = registry.getSchema(SchemaLocation.of(DOCUMENT_IRI + "#" + pointer));
        List<String> problems = new ArrayList<>();
        for (Error error : schema.validate(json, InputFormat.JSON)) {
            problems.add(what + ": " + error + " (in " + abbreviate(json) + ")");
        }
        return problems;
    }

    /** Closes every object schema that lists properties and leaves others unsaid. */
    private static void closeObjects(JsonNode node) {
        if (node instanceof ObjectNode object && object.has("properties") && object.get("properties").isObject()
                && !object.has("additionalProperties") && !object.has("unevaluatedProperties")) {
            object.put("additionalProperties", false);
        }
        for (Iterator<JsonNode> children = node.elements(); children.hasNext(); ) {
            closeObjects(children.next());
        }
    }

    /** A path as a JSON pointer token (RFC 6901). */
    static String escape(String token) {
        return token.replace("~", "~0").replace("/", "~1");
    }

    private static List<String> fieldNames(JsonNode node) {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }

    private static String abbreviate(String json) {
        return json.length() <= 600 ? json : json.substring(0, 600) + "…";
    }
}
