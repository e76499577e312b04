package dev.ticketd.chaos;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The defaults of one Ansible role ({@code ansible/roles/NAME/defaults/main.yml}): the one place a
 * setting the deployment and the chaos harness share is written, so that what the harness proves
 * is what the roles deploy.
 */
public final class RoleDefaults {

    private final Path file;
    private final JsonNode values;

    private RoleDefaults(Path file, JsonNode values) {
        this.file = file;
        this.values = values;
    }

    /** The defaults of role {@code role} of the repository this process runs in (or below). */
    public static RoleDefaults of(String role) {
        return read(repositoryFile(role));
    }

    /** Where role {@code role}'s defaults are in this repository. */
    public static Path repositoryFile(String role) {
        return repositoryRoot().resolve("ansible/roles").resolve(role).resolve("defaults/main.yml");
    }

    public static RoleDefaults read(Path file) {
        try {
            JsonNode values = new ObjectMapper(new YAMLFactory()).readTree(file.toFile());
            if (values == null || !values.isObject()) {
                throw new IllegalStateException(file + " holds no mapping of settings");
            }
            return new RoleDefaults(file, values);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the role defaults " + file, e);
        }
    }

    /** An integer setting; a missing or non-integer one is an error that names the file and key. */
    public int integer(String key) {
        JsonNode v = values.get(key);
        if (v == null || !v.canConvertToInt() || !v.isIntegralNumber()) {
            throw new IllegalStateException(file + ": " + key + " must be an integer, is " + (v == null ? "missing" : v.toString()));
        }
        return v.intValue();
    }

    /** A setting of any shape (a copy: changing it changes nothing here); a missing one is an error naming the file and key. */
    public JsonNode node(String key) {
        JsonNode v = values.get(key);
        if (v == null || v.isNull()) {
            throw new IllegalStateException(file + ": " + key + " is missing");
        }
        return v.deepCopy();
    }

    /** A true/false setting; anything else is an error naming the file and key. */
    public boolean bool(String key) {
        JsonNode v = values.get(key);
        if (v == null || !v.isBoolean()) {
            throw new IllegalStateException(file + ": " + key + " must be true or false, is " + (v == null ? "missing" : v.toString()));
        }
        return v.booleanValue();
    }

    /** A text setting; a missing or non-text one is an error naming the file and key. */
    public String text(String key) {
        JsonNode v = values.get(key);
        if (v == null || !v.isTextual()) {
            throw new IllegalStateException(file + ": " + key + " must be text, is " + (v == null ? "missing" : v.toString()));
        }
        return v.textValue();
    }

    /** A list of texts, in the file's order; anything else is an error naming the file and key. */
    public java.util.List<String> texts(String key) {
        JsonNode v = values.get(key);
        if (v == null || !v.isArray()) {
            throw new IllegalStateException(file + ": " + key + " must be a list, is " + (v == null ? "missing" : v.toString()));
        }
        java.util.List<String> out = new java.util.ArrayList<>();
        for (JsonNode e : v) {
            if (!e.isTextual()) {
                throw new IllegalStateException(file + ": " + key + " must hold texts only, holds " + e);
            }
            out.add(e.textValue());
        }
        return java.util.List.copyOf(out);
    }

    /** A mapping of plain values (strings, numbers, booleans) as strings, in the file's order; anything else is an error naming the file and key. */
    public java.util.Map<String, String> strings(String key) {
        JsonNode v = values.get(key);
        if (v == null || !v.isObject()) {
            throw new IllegalStateException(file + ": " + key + " must be a mapping, is " + (v == null ? "missing" : v.toString()));
        }
        java.util.Map<String, String> out = new java.util.LinkedHashMap<>();
        v.fields().forEachRemaining(e -> {
            if (!e.getValue().isValueNode() || e.getValue().isNull()) {
                throw new IllegalStateException(file + ": " + key + "." + e.getKey() + " must be a plain value, is " + e.getValue());
            }
            out.put(e.getKey(), e.getValue().asText());
        });
        return java.util.Collections.unmodifiableMap(out);
    }

    /** The repository's top folder: the first folder from the working one upwards that holds {@code ansible/roles}. */
    static Path repositoryRoot() {
        String given = System.getProperty("ticketd.repo");
        if (given != null) {
            return Path.of(given);
        }
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isDirectory(p.resolve("ansible/roles"))) {
                return p;
            }
        }
        throw new IllegalStateException("no ansible/roles in " + Path.of("").toAbsolutePath()
                + " or above: run from the repository, or set -Dticketd.repo");
    }
}
