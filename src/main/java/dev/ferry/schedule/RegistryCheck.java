package dev.ferry.schedule;

import dev.ferry.config.SchedulerCheck;
import dev.ferry.config.SchedulerConfig;
import dev.ferry.config.SchedulerProblem;

import java.util.List;

/**
 * {@link Schedulers#placedProblems} offered to the configuration loader, which finds it through
 * {@code META-INF/services/dev.ferry.config.SchedulerCheck} (the configuration does not depend on this package).
 */
public final class RegistryCheck implements SchedulerCheck {
    @Override
    public List<SchedulerProblem> problems(SchedulerConfig config) {
        return Schedulers.placedProblems(config);
    }
}
