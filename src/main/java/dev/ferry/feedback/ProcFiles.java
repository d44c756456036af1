package dev.ferry.feedback;

import java.util.HashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Parsers for the Linux /proc files {@code ferry agent} reads, from their text (so tests feed them fixed text).
 * Each throws IllegalArgumentException naming the file when its text is not what Linux writes.
 */
final class ProcFiles {
    /** Partitions (sda1, vdb2, nvme0n1p1, mmcblk0p1) and pseudo devices are left out of the disk busy share. */
    private static final Pattern NOT_A_DISK = Pattern.compile("(loop|ram|zram|sr|fd)\\d+|(s|h|v|xv)d[a-z]+\\d+|.*\\dp\\d+");

    private ProcFiles() {
    }

    /** The aggregate line of /proc/stat: busy and total jiffies, and the number of CPUs (its cpuN lines). */
    record CpuTimes(long busy, long total, int cpus) {
    }

    /** /proc/meminfo: total and available kibibytes. */
    record Memory(long totalKib, long availableKib) {
        double usedShare() {
            return totalKib == 0 ? 0 : Math.max(0, Math.min(1, 1 - (double) availableKib / totalKib));
        }
    }

    /** /proc/loadavg: the one-minute load average, runnable and existing scheduling entities. */
    record LoadAverage(double load1, int running, int processes) {
    }

    static CpuTimes stat(String text) {
        long busy = -1;
        long total = 0;
        int cpus = 0;
        for (String line : text.split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f[0].equals("cpu")) {
                if (f.length < 5) {
                    throw new IllegalArgumentException("/proc/stat: the cpu line has too few fields");
                }
                // user nice system idle iowait irq softirq steal; guest times are already inside user and nice.
                long idle = 0;
                for (int i = 1; i < Math.min(f.length, 9); i++) {
                    long v = Long.parseLong(f[i]);
                    total += v;
                    if (i == 4 || i == 5) {
                        idle += v;
                    }
                }
                busy = total - idle;
            } else if (f[0].startsWith("cpu")) {
                cpus++;
            }
        }
        if (busy < 0) {
            throw new IllegalArgumentException("/proc/stat: no cpu line");
        }
        return new CpuTimes(busy, total, Math.max(1, cpus));
    }

    static Memory meminfo(String text) {
        Map<String, Long> kib = new HashMap<>();
        for (String line : text.split("\n")) {
            int colon = line.indexOf(':');
            if (colon > 0) {
                String[] value = line.substring(colon + 1).trim().split("\\s+");
                if (value[0].matches("[0-9]+")) {
                    kib.put(line.substring(0, colon), Long.parseLong(value[0]));
                }
            }
        }
        Long total = kib.get("MemTotal");
        if (total == null) {
            throw new IllegalArgumentException("/proc/meminfo: no MemTotal");
        }
        // Kernels before 3.14 have no MemAvailable; free + buffers + page cache is the old estimate.
        long available = kib.getOrDefault("MemAvailable",
                kib.getOrDefault("MemFree", 0L) + kib.getOrDefault("Buffers", 0L) + kib.getOrDefault("Cached", 0L));
        return new Memory(total, available);
    }

    static LoadAverage loadavg(String text) {
        String[] f = text.trim().split("\\s+");
        if (f.length < 4 || f[3].indexOf('/') < 0) {
            throw new IllegalArgumentException("/proc/loadavg: expected 'load1 load5 load15 running/total last-pid'");
        }
        String[] rt = f[3].split("/");
        return new LoadAverage(Double.parseDouble(f[0]), Integer.parseInt(rt[0]), Integer.parseInt(rt[1]));
    }

    /** /proc/diskstats: milliseconds each whole disk has spent doing I/O (field 10 after the name), by name. */
    static Map<String, Long> diskstats(String text) {
        Map<String, Long> busy = new HashMap<>();
        for (String line : text.split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length < 14) {
                continue;
            }
            if (!NOT_A_DISK.matcher(f[2]).matches()) {
                busy.put(f[2], Long.parseLong(f[12]));
            }
        }
        return busy;
    }
}
