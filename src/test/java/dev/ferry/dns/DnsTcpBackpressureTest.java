package dev.ferry.dns;

import dev.ferry.config.ConfigLoader;
import dev.ferry.runtime.Balancer;
import dev.ferry.testing.DnsClient;
import io.netty.handler.codec.dns.DnsRecordType;
import io.netty.util.internal.PlatformDependent;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A TCP client that sends megabytes of queries and never reads its answers must not grow Ferry's memory: the
 * connection stops being read once its unsent answers reach the high water mark, is closed by the idle timeout, and
 * other clients are served all along (issue 15, item 9: one such connection raised RSS by 650 MB before).
 */
@Timeout(300)
class DnsTcpBackpressureTest {
    /** 16 MiB of queries: far more than the kernel's socket buffers take on loopback (about 4 MiB). */
    private static final long QUERY_BYTES = 16L << 20;
    /** What Ferry may hold for the connection: the high water mark, one answer and a read buffer, with room. */
    private static final long PENDING_BOUND = 2 * DnsResponder.TCP_WATER_MARK.high() + 65_537;
    private static final long DIRECT_MEMORY_BOUND = 4L << 20;

    private Balancer balancer;
    private InetSocketAddress address;

    @BeforeEach
    void start() throws Exception {
        balancer = new Balancer(ConfigLoader.parse(DnsResponderTest.config(), Path.of("<test>")), 2);
        balancer.start();
        address = balancer.dnsAddress().orElseThrow();
    }

    @AfterEach
    void stop() {
        balancer.close();
    }

    private DnsStats stats() {
        return balancer.dns().orElseThrow().stats();
    }

    @Test
    void aClientThatNeverReadsIsPausedHeldToTheWaterMarkAndClosedWhenIdle() throws Exception {
        assertThat(PlatformDependent.usedDirectMemory()).as("Netty counts its direct memory").isNotNegative();
        DnsClient dns = new DnsClient(address);
        dns.tcp("mail.example.com", DnsRecordType.A);
        long baseline = PlatformDependent.usedDirectMemory();

        AtomicLong sent = new AtomicLong();
        try (Socket hog = new Socket()) {
            hog.setReceiveBufferSize(4096);
            hog.connect(address, 5_000);
            Thread writer = new Thread(() -> sendQueries(hog, sent), "dns-hog-writer");
            writer.setDaemon(true);
            writer.start();

            await().atMost(Duration.ofSeconds(20)).until(() -> stats().tcpPaused() >= 1);
            // Held: while the client keeps pushing queries, Ferry's unsent answers and direct memory stay bounded.
            // Answers fill the kernel's socket buffers first (megabytes on loopback); then nothing more is read. The
            // kernel grows Ferry's send buffer towards tcp_wmem's maximum a little per zero-window probe, so on a busy
            // machine that takes about a minute (seen: 57,608 answers, stable after 55 s with the other core loaded).
            long[] last = {-1};
            await().atMost(Duration.ofSeconds(150)).pollInterval(Duration.ofMillis(500)).until(() -> {
                long now = stats().tcpQueries();
                boolean still = now == last[0];
                last[0] = now;
                return still;
            });
            long answered = stats().tcpQueries();
            await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(5)).until(() ->
                    stats().tcpQueries() == answered && stats().tcpPendingBytes() <= PENDING_BOUND
                            && PlatformDependent.usedDirectMemory() - baseline <= DIRECT_MEMORY_BOUND);
            System.out.printf("dns tcp backpressure: %d queries answered, %d bytes sent by the client, "
                            + "%d answer bytes pending, direct memory +%d bytes%n", answered, sent.get(),
                    stats().tcpPendingBytes(), PlatformDependent.usedDirectMemory() - baseline);
            assertThat(sent.get()).as("the client's writes block: Ferry stopped reading").isLessThan(QUERY_BYTES);

            // Others are served meanwhile, over TCP and UDP.
            assertThat(dns.tcp("mail.example.com", DnsRecordType.A).answerData()).containsExactly("192.0.2.25");
            assertThat(dns.udp("mail.example.com", DnsRecordType.A).answerData()).containsExactly("192.0.2.25");
            assertThat(stats().tcpConnections()).isEqualTo(1);

            // Nothing moves on the stalled connection, so the idle timeout closes it and frees what it held.
            await().atMost(Duration.ofSeconds(DnsResponder.TCP_IDLE_SECONDS + 15))
                    .until(() -> stats().tcpConnections() == 0);
            assertThat(stats().tcpPendingBytes()).isZero();
            writer.join(10_000);
            assertThat(writer.isAlive()).as("the client's blocked write ended with the connection").isFalse();
        }
        assertThat(PlatformDependent.usedDirectMemory() - baseline).isLessThanOrEqualTo(DIRECT_MEMORY_BOUND);
        assertThat(dns.tcp("mail.example.com", DnsRecordType.A).rcode()).isEqualTo("NOERROR");
    }

    /** Writes framed queries for mail.example.com until {@link #QUERY_BYTES} or until the connection fails. */
    private static void sendQueries(Socket socket, AtomicLong sent) {
        byte[] query = {0, 0, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
                4, 'm', 'a', 'i', 'l', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0, 0, 1, 0, 1};
        ByteBuffer chunk = ByteBuffer.allocate(64 * 1024);
        while (chunk.remaining() >= query.length + 2) {
            chunk.putShort((short) query.length).put(query);
        }
        try {
            OutputStream out = socket.getOutputStream();
            while (sent.get() < QUERY_BYTES) {
                out.write(chunk.array(), 0, chunk.position());
                sent.addAndGet(chunk.position());
            }
        } catch (IOException e) {
            // Ferry closed the connection: what the test waits for.
        }
    }
}
