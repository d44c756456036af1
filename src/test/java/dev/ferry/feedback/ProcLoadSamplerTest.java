package dev.ferry.feedback;

import dev.ferry.health.LoadReport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** /proc text as Linux writes it, and the load the agent makes of it between two samples. */
class ProcLoadSamplerTest {
    private static final String MEMINFO = """
            MemTotal:       16000000 kB
            MemFree:         2000000 kB
            MemAvailable:    4000000 kB
            Buffers:          100000 kB
            """;

    @TempDir
    Path proc;

    private void write(String stat, String diskstats, String loadavg) throws IOException {
        Files.writeString(proc.resolve("stat"), stat);
        Files.writeString(proc.resolve("diskstats"), diskstats);
        Files.writeString(proc.resolve("loadavg"), loadavg);
        Files.writeString(proc.resolve("meminfo"), MEMINFO);
    }

    private static String stat(long user, long system, long idle, long iowait) {
        return "cpu  " + user + " 0 " + system + " " + idle + " " + iowait + " 0 0 0 0 0\n"
                + "cpu0 1 0 1 1 0 0 0 0 0 0\ncpu1 1 0 1 1 0 0 0 0 0 0\nintr 12345\n";
    }

    private static String disks(long sdaBusy, long sda1Busy, long loopBusy) {
        return "   8       0 sda 10 0 80 5 20 0 160 9 0 " + sdaBusy + " 14 0 0 0 0\n"
                + "   8       1 sda1 10 0 80 5 20 0 160 9 0 " + sda1Busy + " 14 0 0 0 0\n"
                + "   7       0 loop0 0 0 0 0 0 0 0 0 0 " + loopBusy + " 0 0 0 0 0\n"
                + " 259       0 nvme0n1 1 0 8 1 2 0 16 1 0 100 2 0 0 0 0\n";
    }

    @Test
    void cpuAndDiskAreBusySharesBetweenSamplesMemoryAndLoadAreCurrent() throws IOException {
        AtomicLong millis = new AtomicLong(10_000);
        ProcLoadSampler sampler = new ProcLoadSampler(proc, millis::get);
        write(stat(100, 100, 700, 100), disks(1_000, 900, 0), "1.50 1.20 0.90 3/412 9999\n");
        LoadReport first = sampler.sample();
        assertThat(first.cpu()).as("since boot: 200 busy of 1000").isCloseTo(0.2, within(1e-9));
        assertThat(first.io()).as("no earlier sample").isZero();

        // One second later: 300 more jiffies busy and 100 idle; sda busy 250 ms more, its partition and loop0 more.
        millis.addAndGet(1_000);
        write(stat(250, 250, 750, 150), disks(1_250, 1_800, 5_000), "2.25 1.40 1.00 5/420 10001\n");
        LoadReport second = sampler.sample();

        assertThat(second.cpu()).isCloseTo(300.0 / 400, within(1e-9));
        assertThat(second.io()).as("the busiest whole disk; partitions and loop devices are left out")
                .isCloseTo(0.25, within(1e-9));
        assertThat(second.memory()).isCloseTo(0.75, within(1e-9));
        assertThat(second.load1()).isEqualTo(2.25);
        assertThat(second.running()).isEqualTo(5);
        assertThat(second.processes()).isEqualTo(420);
        assertThat(second.cpus()).isEqualTo(2);
        assertThat(second.loadPerCpu()).isEqualTo(1.125);
    }

    @Test
    void oldKernelsWithoutMemAvailableUseFreeBuffersAndCache() {
        ProcFiles.Memory m = ProcFiles.meminfo("MemTotal: 1000 kB\nMemFree: 200 kB\nBuffers: 100 kB\nCached: 100 kB\n");
        assertThat(m.usedShare()).isCloseTo(0.6, within(1e-9));
    }

    @Test
    void diskNamesThatAreNotWholeDisksAreLeftOut() {
        Map<String, Long> busy = ProcFiles.diskstats(disks(1, 2, 3)
                + " 179 1 mmcblk0p1 0 0 0 0 0 0 0 0 0 7 0 0 0 0 0\n 253 0 dm-0 0 0 0 0 0 0 0 0 0 8 0 0 0 0 0\n");
        assertThat(busy).containsOnlyKeys("sda", "nvme0n1", "dm-0");
    }

    @Test
    void unreadableProcSaysWhichFile() throws IOException {
        write("intr 1\n", "", "1 1 1 1/1 1\n");
        assertThatThrownBy(() -> new ProcLoadSampler(proc, () -> 0).sample()).hasMessage("/proc/stat: no cpu line");
        Files.delete(proc.resolve("meminfo"));
        Files.writeString(proc.resolve("stat"), stat(1, 1, 1, 1));
        assertThatThrownBy(() -> new ProcLoadSampler(proc, () -> 0).sample()).isInstanceOf(IOException.class);
    }
}
