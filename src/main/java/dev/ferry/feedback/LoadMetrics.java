package dev.ferry.feedback;

import dev.ferry.config.LoadCoefficients;

import java.util.Locale;

/**
 * One server's six load metrics for one interval, each normalised to [0, inf): 1 means exactly loaded, above 1
 * overloaded, below underloaded (scheduling spec 3.2).
 *
 * @param input    the server's new connections over the mean of all polled servers' ({@link #relativeToMean})
 * @param cpu      CPU busy share, from the agent
 * @param disk     busiest disk's busy share, from the agent
 * @param memory   memory in use, from the agent
 * @param process  runnable processes per CPU (load average / CPUs), from the agent
 * @param response the server's response time over the mean of the servers' ({@link #relativeToMean})
 */
public record LoadMetrics(double input, double cpu, double disk, double memory, double process, double response) {
    /** {@code AGGREGATE = sum of R_k x metric_k}. */
    public double aggregate(LoadCoefficients r) {
        return r.input() * input + r.cpu() * cpu + r.disk() * disk + r.memory() * memory + r.process() * process
                + r.response() * response;
    }

    /**
     * {@code x_i / mean(x)} for each value, as LVS normalises INPUT: {@code N_i / (sum N / n)}. NaN values (unknown)
     * are left out of the mean and come out as 0; when the mean is 0 (no connections at all), every value is 0.
     */
    public static double[] relativeToMean(double[] values) {
        double sum = 0;
        int known = 0;
        for (double v : values) {
            if (!Double.isNaN(v)) {
                sum += v;
                known++;
            }
        }
        double mean = known == 0 ? 0 : sum / known;
        double[] out = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = mean > 0 && !Double.isNaN(values[i]) ? values[i] / mean : 0;
        }
        return out;
    }

    /** The metrics for a log line. */
    public String describe() {
        return String.format(Locale.ROOT, "input %.2f cpu %.2f disk %.2f memory %.2f process %.2f response %.2f",
                input, cpu, disk, memory, process, response);
    }
}
