package dev.ferry.config;

/**
 * {@code feedback.coefficients}: the weights R_k with which LVS dynamic feedback combines a server's normalised load
 * metrics into its aggregate load, {@code AGGREGATE = sum of R_k x metric_k}. Each is in [0, 1] and together they add
 * up to 1; a coefficient left out of the file is 0.
 *
 * @param input    share of new connections (measured by Ferry)
 * @param cpu      CPU utilisation (agent)
 * @param disk     disk I/O busy share (agent)
 * @param memory   memory in use (agent)
 * @param process  runnable processes per CPU, the one-minute load average over the CPU count (agent)
 * @param response response time (measured by Ferry)
 */
public record LoadCoefficients(double input, double cpu, double disk, double memory, double process,
                               double response) {
    /** The LVS article's web-cluster example: {0.1, 0.3, 0.1, 0.1, 0.1, 0.3}. */
    public static final LoadCoefficients DEFAULT = new LoadCoefficients(0.1, 0.3, 0.1, 0.1, 0.1, 0.3);

    /** How far the sum may be from 1 (decimal fractions such as 0.1 are not exact in binary). */
    public static final double SUM_TOLERANCE = 1e-6;

    public double sum() {
        return input + cpu + disk + memory + process + response;
    }
}
