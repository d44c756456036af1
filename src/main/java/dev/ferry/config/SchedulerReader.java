package dev.ferry.config;

import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * Reads {@code scheduler:}, written either as a name ({@code scheduler: wlc}) or as a mapping with {@code name} and
 * the algorithm's options ({@code {name: mh, fallback: true, table_size: 65521}}), and has the scheduler registry
 * judge it. A problem with an option is placed at that option ({@code backends[0].scheduler.expiration}, on its line).
 */
final class SchedulerReader {
    private final Function<SchedulerConfig, List<SchedulerProblem>> registryProblems;

    /** @param registryProblems the registry's check, normally the installed {@link SchedulerCheck} */
    SchedulerReader(Function<SchedulerConfig, List<SchedulerProblem>> registryProblems) {
        this.registryProblems = registryProblems;
    }

    SchedulerConfig read(YamlMap backend) {
        Optional<Node> value = backend.value("scheduler");
        if (value.isEmpty()) {
            return SchedulerConfig.DEFAULT;
        }
        if (value.get() instanceof MappingNode) {
            Optional<YamlMap> written = backend.map("scheduler", null);
            Optional<SchedulerConfig> config = written.flatMap(SchedulerReader::fromMap);
            config.ifPresent(c -> registryProblems.apply(c).forEach(p -> place(backend, written.get(), p)));
            return config.orElse(SchedulerConfig.DEFAULT);
        }
        Optional<SchedulerConfig> config = backend.text("scheduler", "a scheduler name such as wlc")
                .map(SchedulerConfig::of);
        config.ifPresent(c -> registryProblems.apply(c).forEach(p -> backend.problem("scheduler", p.message())));
        return config.orElse(SchedulerConfig.DEFAULT);
    }

    /** At the option's value (at its key when the scheduler has no such option), else at {@code scheduler}. */
    private static void place(YamlMap backend, YamlMap scheduler, SchedulerProblem p) {
        Optional<String> option = p.option().filter(scheduler::has);
        if (option.isEmpty()) {
            backend.problem("scheduler", p.message());
        } else if (p.unknown()) {
            scheduler.problemAtKey(option.get(), p.message());
        } else {
            scheduler.problem(option.get(), p.message());
        }
    }

    private static Optional<SchedulerConfig> fromMap(YamlMap m) {
        Map<String, String> options = new LinkedHashMap<>();
        for (String key : m.keys()) {
            if (!key.equals("name")) {
                m.text(key, "a single value").ifPresent(v -> options.put(key, v));
            }
        }
        Optional<String> name = m.text("name", "a scheduler name such as wlc");
        if (!m.has("name")) {
            m.missing("name", "a scheduler written as a mapping needs name:, e.g. { name: mh, table_size: 65521 }");
        }
        return name.map(n -> new SchedulerConfig(n, options));
    }
}
