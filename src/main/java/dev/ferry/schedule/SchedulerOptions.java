package dev.ferry.schedule;

import dev.ferry.config.Durations;
import dev.ferry.config.SchedulerConfig;
import dev.ferry.config.SchedulerProblem;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * Reads one scheduler's options (their YAML scalar text) into typed values, collecting a sentence per problem
 * instead of failing on the first, so {@code ferry validate} can list them all. Every read names the option it
 * accepts; anything left unread is reported as unknown.
 *
 * <p>Use: a scheduler's options record reads itself from this ({@code static Options read(SchedulerOptions o)}),
 * and {@link Schedulers} calls it both to validate and to build. Not thread-safe; one instance per read.
 */
public final class SchedulerOptions {
    /** Durations of scheduler options are more than 0, as most timeouts are. */
    private static final Duration POSITIVE = Duration.ofMillis(1);

    private final String scheduler;
    private final Map<String, String> options;
    private final Set<String> known = new LinkedHashSet<>();
    private final List<SchedulerProblem> problems = new ArrayList<>();

    public SchedulerOptions(SchedulerConfig config) {
        this.scheduler = config.name();
        this.options = config.options();
    }

    /** Reads {@code options} with {@code reader} and returns every problem, unknown options included. */
    public static List<SchedulerProblem> check(SchedulerConfig config, Function<SchedulerOptions, ?> reader) {
        SchedulerOptions o = new SchedulerOptions(config);
        reader.apply(o);
        return o.placedProblems();
    }

    /**
     * Reads {@code options} with {@code reader}.
     *
     * @throws IllegalArgumentException naming the first problem, when there is any
     */
    public static <T> T readValid(SchedulerConfig config, Function<SchedulerOptions, T> reader) {
        SchedulerOptions o = new SchedulerOptions(config);
        T value = reader.apply(o);
        List<String> found = o.problems();
        if (!found.isEmpty()) {
            throw new IllegalArgumentException(found.get(0));
        }
        return value;
    }

    /** A {@code true}/{@code false} option. */
    public boolean flag(String key, boolean fallback) {
        String text = text(key);
        if (text == null) {
            return fallback;
        }
        return switch (text) {
            case "true" -> true;
            case "false" -> false;
            default -> problem(key, text, "must be true or false", fallback);
        };
    }

    /** An integer option that must be one of {@code allowed}. */
    public int oneOf(String key, int fallback, int... allowed) {
        String text = text(key);
        if (text == null) {
            return fallback;
        }
        String list = String.join(", ", Arrays.stream(allowed).mapToObj(Integer::toString).toList());
        try {
            int value = Integer.parseInt(text);
            if (Arrays.stream(allowed).anyMatch(a -> a == value)) {
                return value;
            }
        } catch (NumberFormatException ignored) {
            // reported below, with the list of allowed values
        }
        return problem(key, text, "must be one of " + list, fallback);
    }

    /** An integer option in {@code [min, max]}. */
    public int between(String key, int fallback, int min, int max) {
        String text = text(key);
        if (text == null) {
            return fallback;
        }
        try {
            int value = Integer.parseInt(text);
            if (value >= min && value <= max) {
                return value;
            }
        } catch (NumberFormatException ignored) {
            // reported below with the range
        }
        return problem(key, text, "must be a whole number from " + min + " to " + max, fallback);
    }

    /** A decimal option in {@code [min, max]}. */
    public double decimal(String key, double fallback, double min, double max) {
        String text = text(key);
        if (text == null) {
            return fallback;
        }
        try {
            double value = Double.parseDouble(text);
            if (value >= min && value <= max) {
                return value;
            }
        } catch (NumberFormatException ignored) {
            // reported below with the range
        }
        return problem(key, text, "must be a number from " + min + " to " + max, fallback);
    }

    /** One of a fixed set of words. */
    public String choice(String key, String fallback, String... allowed) {
        String text = text(key);
        if (text == null) {
            return fallback;
        }
        if (Arrays.asList(allowed).contains(text)) {
            return text;
        }
        return problem(key, text, "must be one of " + String.join(", ", allowed), fallback);
    }

    /**
     * A positive duration, read by the rule of every duration key ({@link Durations#parse(String, Duration)}, as a
     * timeout is): {@code 250ms}, {@code 1.5s}, {@code 6m}, {@code 24h}, {@code 1d}. A value refused is reported
     * with the timeout's own sentence after the option's name ({@code lblc expiration: '1m30s' combines units;
     * write it with one unit, as 90s}); text that is no duration at all gets the grammar.
     */
    public Duration duration(String key, Duration fallback) {
        String text = text(key);
        if (text == null) {
            return fallback;
        }
        try {
            return Durations.parse(text, POSITIVE);
        } catch (IllegalArgumentException e) {
            if (Durations.isNoDurationForm(text)) {
                return problem(key, text, "must be a positive duration; " + Durations.ALLOWED, fallback);
            }
            problems.add(SchedulerProblem.at(key, scheduler + " " + key + ": " + e.getMessage()));
            return fallback;
        }
    }

    /** Records a problem that involves several options (e.g. two that exclude each other). */
    public void reject(String sentence) {
        problems.add(SchedulerProblem.whole(scheduler + " " + sentence));
    }

    /** The problems found so far, then one for every option that no read asked for, as sentences. */
    public List<String> problems() {
        return placedProblems().stream().map(SchedulerProblem::message).toList();
    }

    /** {@link #problems()} with the option each is about. */
    public List<SchedulerProblem> placedProblems() {
        List<SchedulerProblem> all = new ArrayList<>(problems);
        for (String key : new TreeSet<>(options.keySet())) {
            if (!known.contains(key)) {
                all.add(SchedulerProblem.unknownOption(key, known.isEmpty()
                        ? "scheduler " + scheduler + " takes no options, but '" + key + "' is set"
                        : "scheduler " + scheduler + " has no option '" + key + "'; its options are: "
                                + String.join(", ", known)));
            }
        }
        return all;
    }

    /** Whether the option is written at all. */
    public boolean isSet(String key) {
        known.add(key);
        return options.containsKey(key);
    }

    private String text(String key) {
        known.add(key);
        String text = options.get(key);
        return text == null ? null : text.strip();
    }

    private <T> T problem(String key, String text, String rule, T fallback) {
        problems.add(SchedulerProblem.at(key, scheduler + " " + key + " " + rule + " (got '" + text + "')"));
        return fallback;
    }
}
