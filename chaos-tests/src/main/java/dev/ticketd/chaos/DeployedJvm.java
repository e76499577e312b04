package dev.ticketd.chaos;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The JVM a deployed ticket node runs in, as the Ansible role {@code ticket_node} starts it: the
 * options ({@code -Xmx} from {@code ticket_node_heap_mb}, then {@code ticket_node_java_options} in
 * their order) and the environment ({@code ticket_node_environment}). The benchmark's node and the
 * three-host scenario's nodes start with these, so that what they measure and break is the JVM
 * operations run, not a test's own choice. Immutable.
 *
 * @param options     the JVM options, before {@code -jar}
 * @param environment variables added to the node's environment
 */
public record DeployedJvm(List<String> options, Map<String, String> environment) {

    public DeployedJvm {
        options = List.copyOf(options);
        environment = Map.copyOf(environment);
    }

    /** The JVM the given role defaults deploy; a missing or malformed key is an error naming the file and the key. */
    public static DeployedJvm of(RoleDefaults role) {
        List<String> options = new ArrayList<>();
        options.add("-Xmx" + role.integer("ticket_node_heap_mb") + "m");
        options.addAll(role.texts("ticket_node_java_options"));
        return new DeployedJvm(options, role.strings("ticket_node_environment"));
    }

    /** The JVM the repository's role deploys. */
    public static DeployedJvm ofRepositoryRole() {
        return of(RoleDefaults.of("ticket_node"));
    }
}
