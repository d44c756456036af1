package dev.ferry.health;

import java.util.Locale;

/**
 * A server's load as {@code ferry agent} measures it from /proc, and its one-line wire form.
 *
 * <p>The line (ASCII, one line ending in {@code \n}, fields separated by single spaces, in this order):
 * <pre>
 * up cpu=0.423 mem=0.631 io=0.052 procs=312 running=3 load1=1.25 cpus=8
 * </pre>
 * <ul>
 *   <li>{@code up}: HAProxy's agent-check word, so an HAProxy {@code agent-check} pointed at a Ferry agent reads the
 *       server as up;</li>
 *   <li>{@code cpu}: share of CPU time busy (not idle, not waiting for I/O) since the previous sample, 0..1;</li>
 *   <li>{@code mem}: share of memory in use, {@code 1 - MemAvailable/MemTotal}, 0..1;</li>
 *   <li>{@code io}: share of time the busiest disk was doing I/O since the previous sample, 0..1;</li>
 *   <li>{@code procs}: processes (and threads) that exist; {@code running}: those runnable now;</li>
 *   <li>{@code load1}: the one-minute load average; {@code cpus}: CPUs online.</li>
 * </ul>
 * Parsers ignore {@code key=value} fields they do not know, so fields may be added at the end.
 *
 * @param cpu       busy share of CPU time, 0..1
 * @param memory    share of memory in use, 0..1
 * @param io        busy share of the busiest disk, 0..1
 * @param processes processes and threads that exist
 * @param running   runnable processes
 * @param load1     the one-minute load average
 * @param cpus      CPUs online, at least 1
 */
public record LoadReport(double cpu, double memory, double io, int processes, int running, double load1, int cpus) {
    public LoadReport {
        if (cpus < 1) {
            throw new IllegalArgumentException("cpus must be at least 1: " + cpus);
        }
    }

    /** The line the agent sends, without the trailing newline. */
    public String toLine() {
        return String.format(Locale.ROOT, "up cpu=%.3f mem=%.3f io=%.3f procs=%d running=%d load1=%.2f cpus=%d",
                cpu, memory, io, processes, running, load1, cpus);
    }

    /** The load average per CPU: 1 means one runnable process per CPU on average, "exactly loaded". */
    public double loadPerCpu() {
        return load1 / cpus;
    }
}
