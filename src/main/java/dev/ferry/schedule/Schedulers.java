package dev.ferry.schedule;

import dev.ferry.config.SchedulerConfig;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * The registry of scheduling algorithms by configuration name ({@code rr}, {@code wrr}, ...). One algorithm, one
 * class; this class only maps names to factories and validates options.
 */
public final class Schedulers {
    private static final Map<String, Function<SchedulerConfig, Scheduler>> FACTORIES = new TreeMap<>();

    static {
        // Filled in by the scheduler classes' registrations below (one line per algorithm).
        FACTORIES.put("rr", config -> new RoundRobinScheduler());
        FACTORIES.put("wrr", config -> new WeightedRoundRobinScheduler());
        FACTORIES.put("lc", config -> new LeastConnectionScheduler());
        FACTORIES.put("wlc", config -> new WeightedLeastConnectionScheduler());
        FACTORIES.put("sed", config -> new ShortestExpectedDelayScheduler());
        FACTORIES.put("nq", config -> new NeverQueueScheduler());
        FACTORIES.put("fo", config -> new WeightedFailoverScheduler());
        FACTORIES.put("ovf", config -> new OverflowScheduler());
        FACTORIES.put("twos", config -> new PowerOfTwoChoicesScheduler());
    }

    private Schedulers() {
    }

    /** The valid scheduler names, sorted. */
    public static Set<String> names() {
        return FACTORIES.keySet();
    }

    /**
     * Problems with a scheduler configuration, each a sentence naming what is wrong and what is allowed; empty when
     * it is valid.
     */
    public static List<String> problems(SchedulerConfig config) {
        List<String> problems = new ArrayList<>();
        if (!FACTORIES.containsKey(config.name())) {
            problems.add("unknown scheduler '" + config.name() + "'; valid ones are: " + String.join(", ", names()));
        }
        return problems;
    }

    /** Creates a scheduler; the configuration must have passed {@link #problems(SchedulerConfig)}. */
    public static Scheduler create(SchedulerConfig config) {
        Function<SchedulerConfig, Scheduler> factory = FACTORIES.get(config.name());
        if (factory == null) {
            throw new IllegalArgumentException(problems(config).get(0));
        }
        return factory.apply(config);
    }
}
