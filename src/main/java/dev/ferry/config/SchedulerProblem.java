package dev.ferry.config;

import java.util.Optional;

/**
 * One thing the scheduler registry finds wrong with a {@code scheduler:} configuration, with the option it is about
 * so that the problem is placed at that option's line ({@code backends[0].scheduler.expiration}) rather than at
 * {@code scheduler}.
 *
 * @param option  the option the problem is about; empty for the scheduler as a whole (an unknown name, two options
 *                that exclude each other)
 * @param unknown whether the option is not one the scheduler has (placed at the key rather than its value)
 * @param message what is wrong and what is allowed
 */
public record SchedulerProblem(Optional<String> option, boolean unknown, String message) {
    /** A problem with the scheduler as a whole. */
    public static SchedulerProblem whole(String message) {
        return new SchedulerProblem(Optional.empty(), false, message);
    }

    /** A problem with the value of {@code option}. */
    public static SchedulerProblem at(String option, String message) {
        return new SchedulerProblem(Optional.of(option), false, message);
    }

    /** An option the scheduler does not have. */
    public static SchedulerProblem unknownOption(String option, String message) {
        return new SchedulerProblem(Optional.of(option), true, message);
    }
}
