package dev.ferry.schedule;

import dev.ferry.config.SchedulerConfig;
import dev.ferry.config.SchedulerProblem;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The registry of scheduling algorithms by configuration name ({@code rr}, {@code wrr}, ...). One algorithm, one
 * class; this class only maps names to factories and validates options.
 */
public final class Schedulers {
    private static final Map<String, Function<SchedulerConfig, Scheduler>> FACTORIES = new TreeMap<>();
    /** Option checks of the schedulers that take options; the others accept none ({@link #problems}). */
    private static final Map<String, Function<SchedulerConfig, List<SchedulerProblem>>> OPTION_CHECKS =
            new TreeMap<>();

    static {
        // Filled in by the scheduler classes' registrations below (one line per algorithm).
        register("dh", DestinationHashScheduler.Options::read, DestinationHashScheduler::new);
        register("sh", SourceHashScheduler.Options::read, SourceHashScheduler::new);
        register("mh", MaglevScheduler.Options::read, MaglevScheduler::new);
        register("lblc", LocalityOptions::read, o -> new LocalityLeastConnectionScheduler(o, System::nanoTime));
        register("lblcr", LocalityOptions::read, o -> new ReplicatedLocalityScheduler(o, System::nanoTime));
        register("random", WeightedRandomScheduler::new);
        register("p2c", TwoRandomChoicesScheduler::new);
        register("ring", ConsistentHashRingScheduler.Options::read, ConsistentHashRingScheduler::new);
        register("ewma", PeakEwmaScheduler::new);
        register("rr", RoundRobinScheduler::new);
        register("wrr", WeightedRoundRobinScheduler::new);
        register("lc", LeastConnectionScheduler::new);
        register("wlc", WeightedLeastConnectionScheduler::new);
        register("sed", ShortestExpectedDelayScheduler::new);
        register("nq", NeverQueueScheduler::new);
        register("fo", WeightedFailoverScheduler::new);
        register("ovf", OverflowScheduler::new);
        register("twos", PowerOfTwoChoicesScheduler::new);
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
        return placedProblems(config).stream().map(SchedulerProblem::message).toList();
    }

    /** {@link #problems} with the option each is about, so the configuration can place it at that option's line. */
    public static List<SchedulerProblem> placedProblems(SchedulerConfig config) {
        List<SchedulerProblem> problems = new ArrayList<>();
        if (!FACTORIES.containsKey(config.name())) {
            problems.add(SchedulerProblem.whole("unknown scheduler '" + config.name() + "'; valid ones are: "
                    + String.join(", ", names())));
        } else if (OPTION_CHECKS.containsKey(config.name())) {
            problems.addAll(OPTION_CHECKS.get(config.name()).apply(config));
        }
        return problems;
    }

    /**
     * Registers a scheduler that takes options: {@code options} reads them (collecting problems) and {@code factory}
     * builds the scheduler from what was read.
     */
    private static <O> void register(String name, Function<SchedulerOptions, O> options,
                                     Function<O, Scheduler> factory) {
        FACTORIES.put(name, config -> factory.apply(SchedulerOptions.readValid(config, options)));
        OPTION_CHECKS.put(name, config -> SchedulerOptions.check(config, options));
    }

    /** Registers a scheduler that takes no options (any option given is reported). */
    private static void register(String name, Supplier<Scheduler> factory) {
        register(name, options -> name, ignored -> factory.get());
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
