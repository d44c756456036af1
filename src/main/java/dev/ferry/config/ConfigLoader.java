package dev.ferry.config;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.yaml.snakeyaml.nodes.Node;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.function.Function;

/**
 * Reads a YAML configuration into a validated {@link FerryConfig}, reporting every problem at once.
 *
 * <p>Every failure, from a missing file through a YAML syntax error to a weight out of range, ends up as a
 * {@link ConfigProblem} inside one {@link ConfigException}, whose problems are sorted by line and column; no other
 * exception escapes. Each problem names the file, the 1-based line and column, the key path
 * ({@code backends[0].servers[1].weight}) and what was wrong and what is allowed.
 *
 * <p>Reading rules beyond {@code product.md}: durations are {@code 250ms}, {@code 2s}, {@code 1.5s}, {@code 1m},
 * {@code 1h}, {@code 1d} or {@code 0}, the same in every key ({@link Durations}); relative file names (certificates, {@code token_file}) are taken
 * relative to the configuration file's directory; YAML merge keys ({@code <<: *anchor}) are honoured; a frontend
 * without {@code mode} is tcp; a {@code health_check} without {@code type} is tcp; {@code feedback} with
 * {@code enabled: false} reads as no feedback.
 *
 * <p>Stateless and thread-safe; {@link #load} blocks on file I/O, so call it off the event loops.
 */
public final class ConfigLoader {
    private static final Logger log = LoggerFactory.getLogger(ConfigLoader.class);

    private ConfigLoader() {
    }

    /** The scheduler registry's check, looked up on first use (see {@link SchedulerCheck}). */
    private static final class Registry {
        static final SchedulerCheck CHECK = ServiceLoader
                .load(SchedulerCheck.class, ConfigLoader.class.getClassLoader()).findFirst().orElseThrow(() -> new IllegalStateException("no scheduler registry on the class path ("
                        + "META-INF/services/" + SchedulerCheck.class.getName() + " is missing)"));
    }

    /**
     * The installed registry's problems with {@code config}. A missing registry is a packaging mistake; it fails the
     * read, which {@link #parse(String, Path)} turns into an internal-error sentence like any bug of ours.
     */
    private static List<SchedulerProblem> registryProblems(SchedulerConfig config) {
        return Registry.CHECK.problems(config);
    }

    /**
     * Reads and validates {@code file}.
     *
     * @param file the configuration file; named in messages as given
     * @return the configuration with every default filled in
     * @throws ConfigException with every problem found, including "cannot read FILE: no such file"
     */
    public static FerryConfig load(Path file) throws ConfigException {
        return load(file, ConfigLoader::registryProblems);
    }

    /** {@link #load(Path)} with the scheduler registry's check replaced, for tests. */
    static FerryConfig load(Path file, Function<SchedulerConfig, List<SchedulerProblem>> schedulerProblems)
            throws ConfigException {
        Problems problems = new Problems(file.toString());
        Optional<String> text = read(file, problems);
        problems.throwIfAny();
        return parse(text.orElseThrow(), file, schedulerProblems);
    }

    /**
     * Parses and validates YAML text; {@code source} names it in messages and becomes {@link FerryConfig#source()}.
     * Relative file names inside are resolved against {@code source}'s parent directory, if it has one.
     *
     * @throws ConfigException with every problem found
     */
    public static FerryConfig parse(String yaml, Path source) throws ConfigException {
        return parse(yaml, source, ConfigLoader::registryProblems);
    }

    /** {@link #parse(String, Path)} with the scheduler registry's check replaced, for tests. */
    static FerryConfig parse(String yaml, Path source, Function<SchedulerConfig, List<SchedulerProblem>> schedulerProblems)
            throws ConfigException {
        Problems problems = new Problems(source.toString());
        Optional<FerryConfig> config;
        try {
            config = read(yaml, source, problems, schedulerProblems);
        } catch (RuntimeException e) {
            // A bug of ours must still reach the user as a sentence, not a stack trace.
            log.debug("reading {} failed", source, e);
            problems.addUnplaced("Ferry could not check this file (internal error: " + e + "); please report it");
            config = Optional.empty();
        }
        problems.throwIfAny();
        return config.orElseThrow();
    }

    /**
     * Whether {@code file} is an instance's local file: a mapping with a top-level {@code config_source:} key. False
     * for anything unreadable or malformed (then {@link #load} reports why).
     */
    public static boolean isLocal(Path file) {
        Problems problems = new Problems(file.toString());
        return read(file, problems).flatMap(text -> YamlDocument.compose(text, problems))
                .filter(root -> root instanceof org.yaml.snakeyaml.nodes.MappingNode m && m.getValue().stream()
                        .anyMatch(t -> t.getKeyNode() instanceof org.yaml.snakeyaml.nodes.ScalarNode k
                                && k.getValue().equals("config_source")))
                .isPresent();
    }

    /**
     * Reads and validates an instance's local file ({@code instance}, {@code admin}, {@code config_source}).
     *
     * @throws ConfigException with every problem found, each at its key
     */
    public static LocalConfig loadLocal(Path file) throws ConfigException {
        Problems problems = new Problems(file.toString());
        Optional<String> text = read(file, problems);
        problems.throwIfAny();
        Optional<LocalConfig> local;
        try {
            local = YamlDocument.compose(text.orElseThrow(), problems)
                    .flatMap(root -> new LocalConfigReader(file, problems).read(root));
        } catch (RuntimeException e) {
            log.debug("reading {} failed", file, e);
            problems.addUnplaced("Ferry could not check this file (internal error: " + e + "); please report it");
            local = Optional.empty();
        }
        if (local.isEmpty() && problems.isEmpty()) {
            problems.addUnplaced("the file is empty; an instance's local file needs config_source:");
        }
        problems.throwIfAny();
        return local.orElseThrow();
    }

    private static Optional<FerryConfig> read(String yaml, Path source, Problems problems,
                                              Function<SchedulerConfig, List<SchedulerProblem>> schedulerProblems) {
        Optional<Node> root = YamlDocument.compose(yaml, problems);
        if (root.isEmpty()) {
            if (problems.isEmpty()) {
                problems.addUnplaced("the file is empty; it needs at least frontends: and backends:");
            }
            return Optional.empty();
        }
        return new ConfigReader(source, problems, schedulerProblems).read(root.get());
    }

    private static Optional<String> read(Path file, Problems problems) {
        String cannot = "cannot read " + file + ": ";
        if (Files.isDirectory(file)) {
            problems.addUnplaced(cannot + "it is a directory");
            return Optional.empty();
        }
        try {
            byte[] bytes = Files.readAllBytes(file);
            String text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString();
            return Optional.of(text.startsWith("\uFEFF") ? text.substring(1) : text);
        } catch (NoSuchFileException e) {
            problems.addUnplaced(cannot + "no such file");
        } catch (AccessDeniedException e) {
            problems.addUnplaced(cannot + "permission denied");
        } catch (CharacterCodingException e) {
            problems.addUnplaced(cannot + "it is not UTF-8 text");
        } catch (IOException e) {
            log.debug("reading {} failed", file, e);
            problems.addUnplaced(cannot + e.getMessage());
        }
        return Optional.empty();
    }
}
