package dev.ferry.config;

import java.util.List;

/**
 * The scheduler registry's judgement of a {@code scheduler:} section: whether the name is known and its options are
 * valid. The configuration asks; the registry, which lives with the algorithms ({@code dev.ferry.schedule}), answers.
 * Declared here and found by {@link ConfigLoader} through {@link java.util.ServiceLoader}
 * ({@code META-INF/services/dev.ferry.config.SchedulerCheck}), so that the configuration depends on nothing of the
 * runtime (issue 17 item 6). Implementations are stateless and thread-safe.
 */
public interface SchedulerCheck {

    /** What is wrong with {@code config}, each with the option it is about; empty when it is valid. */
    List<SchedulerProblem> problems(SchedulerConfig config);
}
