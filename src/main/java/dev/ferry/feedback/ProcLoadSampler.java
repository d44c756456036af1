package dev.ferry.feedback;

import dev.ferry.health.LoadReport;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * Measures this host's load from /proc for {@code ferry agent}: CPU and disk busy shares over the time since the
 * previous sample (since boot for the first), memory in use, the load average, runnable and existing processes.
 *
 * <p>Threading: not thread-safe; called by the agent's one sampling thread. Reads files, so never on an event loop.
 */
public final class ProcLoadSampler {
    private final Path proc;
    private final LongSupplier millis;
    private ProcFiles.CpuTimes lastCpu;
    private Map<String, Long> lastDisks;
    private long lastMillis;

    /**
     * @param proc   where /proc is ({@code /proc}; tests pass a directory of fixed files)
     * @param millis a monotonic clock in milliseconds
     */
    public ProcLoadSampler(Path proc, LongSupplier millis) {
        this.proc = proc;
        this.millis = millis;
    }

    /**
     * Takes one sample.
     *
     * @throws IOException when a /proc file cannot be read
     * @throws IllegalArgumentException when one does not read as Linux writes it
     */
    public LoadReport sample() throws IOException {
        long now = millis.getAsLong();
        ProcFiles.CpuTimes cpu = ProcFiles.stat(read("stat"));
        ProcFiles.Memory memory = ProcFiles.meminfo(read("meminfo"));
        ProcFiles.LoadAverage load = ProcFiles.loadavg(read("loadavg"));
        Map<String, Long> disks = ProcFiles.diskstats(read("diskstats"));

        double cpuShare = share(cpu.busy() - (lastCpu == null ? 0 : lastCpu.busy()),
                cpu.total() - (lastCpu == null ? 0 : lastCpu.total()));
        double io = 0;
        if (lastDisks != null && now > lastMillis) {
            for (Map.Entry<String, Long> d : disks.entrySet()) {
                Long before = lastDisks.get(d.getKey());
                if (before != null) {
                    io = Math.max(io, share(d.getValue() - before, now - lastMillis));
                }
            }
        }
        lastCpu = cpu;
        lastDisks = disks;
        lastMillis = now;
        return new LoadReport(cpuShare, memory.usedShare(), io, load.processes(), load.running(), load.load1(),
                cpu.cpus());
    }

    private String read(String file) throws IOException {
        return Files.readString(proc.resolve(file));
    }

    private static double share(long part, long whole) {
        return whole <= 0 ? 0 : Math.max(0, Math.min(1, (double) part / whole));
    }
}
