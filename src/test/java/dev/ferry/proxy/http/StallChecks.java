package dev.ferry.proxy.http;

import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetricProvider;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * What the backpressure tests check once a transfer stalled: that it did stall (a counter of bytes that stopped
 * moving), and that what is in flight and the memory Ferry took for it stay bounded.
 */
final class StallChecks {
    static final long MIB = 1024 * 1024;

    private StallChecks() {
    }

    /** Bytes in flight (kernel buffers and Ferry) under 48 MiB, heap and direct memory grown by under 16 MiB. */
    static void assertBounded(long inFlight, long heapBefore, long directBefore) {
        long heap = usedHeapAfterGc() - heapBefore;
        long direct = usedDirectMemory() - directBefore;
        System.out.printf("stalled: %d MiB in flight (kernel buffers + Ferry), heap delta %d KiB, direct delta %d KiB%n",
                inFlight / MIB, heap / 1024, direct / 1024);
        assertThat(inFlight).isLessThan(48 * MIB);
        assertThat(heap).isLessThan(16 * MIB);
        assertThat(direct).isLessThan(16 * MIB);
    }

    /** Waits until {@code counter} stops moving (the same value at two polls 300 ms apart). */
    static void awaitStalled(AtomicLong counter) {
        long[] last = {-1};
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(300)).until(() -> {
            long now = counter.get();
            boolean stalled = now == last[0];
            last[0] = now;
            return stalled;
        });
    }

    static long usedHeapAfterGc() {
        System.gc();
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    static long usedDirectMemory() {
        return ByteBufAllocator.DEFAULT instanceof ByteBufAllocatorMetricProvider p ? p.metric().usedDirectMemory() : 0;
    }
}
