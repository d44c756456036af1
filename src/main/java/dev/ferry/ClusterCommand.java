package dev.ferry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ferry.cluster.EtcdClient;
import dev.ferry.cluster.EtcdException;
import dev.ferry.config.LocalConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;

/**
 * {@code ferry cluster status -c LOCAL}: the live instances (their member keys, held by a lease) and which revision
 * of the shared configuration each runs. Exit codes: 0, 1 bad local file, 2 etcd unreachable.
 */
@Command(name = "cluster", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = "The instances that follow the shared configuration in etcd.",
        subcommands = {ClusterCommand.Status.class})
final class ClusterCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(name = "status", mixinStandardHelpOptions = true, versionProvider = Version.class,
            description = "List the live instances: address, version, start time, the configuration revision each "
                    + "applied and the result (applied or refused, with the problems).")
    static final class Status implements Callable<Integer> {
        private static final ObjectMapper JSON = new ObjectMapper();
        private static final String ROW = "%-16s %-22s %-10s %-24s %-9s %s%n";

        @Option(names = {"-c", "--config"}, paramLabel = "LOCAL", defaultValue = "ferry.yaml",
                description = "the instance's local file, which says where etcd is (default: ${DEFAULT-VALUE})")
        Path localFile;

        @Override
        public Integer call() {
            try {
                LocalConfig local = ClusterAccess.local(localFile, System.err);
                EtcdClient client = ClusterAccess.client(local, System.err);
                String prefix = local.etcd().prefix();
                try {
                    EtcdClient.Range config = client.get(local.etcd().configKey());
                    Map<String, JsonNode> members = byInstance(client.getPrefix(prefix + "members/"),
                            prefix + "members/");
                    Map<String, JsonNode> statuses = byInstance(client.getPrefix(prefix + "status/"),
                            prefix + "status/");
                    System.out.printf("%s: %s%n", local.etcd().configKey(), config.first()
                            .map(kv -> "revision " + kv.modRevision()).orElse("not set"));
                    System.out.printf(ROW, "INSTANCE", "ADDRESS", "VERSION", "STARTED", "REVISION", "RESULT");
                    List<String> problems = new ArrayList<>();
                    for (Map.Entry<String, JsonNode> m : members.entrySet()) {
                        JsonNode s = statuses.get(m.getKey());
                        System.out.printf(ROW, m.getKey(), text(m.getValue(), "address"),
                                text(m.getValue(), "version"), text(m.getValue(), "started"),
                                s == null ? "-" : text(s, "revision"), s == null ? "-" : text(s, "result"));
                        if (s != null) {
                            s.path("problems").forEach(p -> problems.add(m.getKey() + ": " + p.asText()));
                        }
                    }
                    if (members.isEmpty()) {
                        System.out.println("(no live instance)");
                    }
                    problems.forEach(System.out::println);
                    return Ferry.EXIT_OK;
                } catch (EtcdException e) {
                    return ClusterAccess.failed(e, System.err);
                }
            } catch (ClusterAccess.Exit e) {
                return e.code;
            }
        }

        private static Map<String, JsonNode> byInstance(EtcdClient.Range range, String prefix) {
            Map<String, JsonNode> m = new TreeMap<>();
            for (EtcdClient.KeyValue kv : range.kvs()) {
                try {
                    m.put(kv.key().substring(prefix.length()), JSON.readTree(kv.value()));
                } catch (IOException e) {
                    m.put(kv.key().substring(prefix.length()), JSON.createObjectNode());
                }
            }
            return m;
        }

        private static String text(JsonNode n, String field) {
            String t = n.path(field).asText("");
            return t.isEmpty() ? "-" : t;
        }
    }
}
