package dev.ferry.proxy.tcp;

import dev.ferry.runtime.Balancer;
import dev.ferry.testing.Configs;
import dev.ferry.testing.TestServer;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A server pushing 200 MB to a client that stops reading must stall, not fill Ferry's memory: Ferry reads from the
 * server only while the client side is writable.
 */
@Timeout(120)
class TcpBackpressureTest {
    private static final long TOTAL = 200L * 1024 * 1024;
    private static final long MIB = 1024 * 1024;

    @Test
    void aSlowReaderStallsTheWriterAndFerrysMemoryStaysBounded() throws Exception {
        AtomicLong written = new AtomicLong();
        byte[] chunk = new byte[64 * 1024];
        try (TestServer pusher = TestServer.start("P", sock -> {
            OutputStream out = sock.getOutputStream();
            while (written.get() < TOTAL) {
                out.write(chunk);
                written.addAndGet(chunk.length);
            }
        })) {
            Balancer balancer = new Balancer(Configs.tcp("rr").server(pusher, 1).build(), 1);
            balancer.start();
            try {
                // Deltas from here: the allocator is shared by every test in this JVM and keeps what they pooled.
                long heapBefore = usedHeapAfterGc();
                long directBefore = usedDirectMemory();
                InetSocketAddress front = balancer.address("front");
                try (Socket client = new Socket()) {
                    client.setReceiveBufferSize(64 * 1024);
                    client.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), front.getPort()), 5_000);
                    InputStream in = client.getInputStream();
                    long read = in.readNBytes((int) MIB).length;

                    // The client now reads nothing: the writer must come to a stop well short of 200 MB.
                    awaitStalled(written);
                    long inFlight = written.get() - read;
                    long heapStalled = usedHeapAfterGc();
                    long direct = usedDirectMemory() - directBefore;
                    System.out.printf("stalled after %d MiB written, %d MiB in flight (kernel buffers + Ferry), "
                                    + "heap delta %d KiB, Netty direct memory delta %d KiB%n", written.get() / MIB,
                            inFlight / MIB, (heapStalled - heapBefore) / 1024, direct / 1024);
                    assertThat(inFlight).isLessThan(48 * MIB);
                    assertThat(heapStalled - heapBefore).isLessThan(16 * MIB);
                    assertThat(direct).isLessThan(16 * MIB);

                    // Then it reads the rest: everything arrives, nothing was dropped.
                    byte[] buf = new byte[256 * 1024];
                    for (int n; (n = in.read(buf)) > 0; ) {
                        read += n;
                    }
                    assertThat(read).isEqualTo(TOTAL);
                }
            } finally {
                balancer.close();
            }
        }
    }

    private static void awaitStalled(AtomicLong written) {
        long[] last = {-1};
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(300)).until(() -> {
            long now = written.get();
            boolean stalled = now == last[0];
            last[0] = now;
            return stalled;
        });
    }

    private static long usedHeapAfterGc() {
        System.gc();
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    private static long usedDirectMemory() {
        ByteBufAllocator alloc = ByteBufAllocator.DEFAULT;
        return alloc instanceof ByteBufAllocatorMetricProvider p ? p.metric().usedDirectMemory() : 0;
    }
}
