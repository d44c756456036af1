package dev.ferry.director;

import dev.ferry.backend.Backend;
import dev.ferry.config.DirectorConfig;
import dev.ferry.config.DirectorServiceConfig;
import dev.ferry.config.DirectorServiceConfig.Forwarding;
import dev.ferry.config.DirectorServiceConfig.Protocol;
import dev.ferry.config.HostPort;
import dev.ferry.director.device.InMemoryDevice;
import dev.ferry.director.device.PacketDevice;
import dev.ferry.director.packet.IcmpMessages;
import dev.ferry.director.table.TcpState;
import dev.ferry.testing.Configs;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static dev.ferry.director.TestPackets.ACK;
import static dev.ferry.director.TestPackets.SYN;
import static dev.ferry.director.TestPackets.tcp;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A director with several workers, each on its own in-memory queue: a packet read on a queue whose worker does not
 * own the connection is handed to the owner, which rewrites it and writes it on its own queue (so the kernel
 * learns to steer the flow there); the tables' counts, listings and limits add up over the workers.
 */
class MultiWorkerDirectorTest {
    private static final String CLIENT = "10.100.0.2";
    private static final String VIP = "10.200.0.100";
    private static final String RS1 = "10.101.0.11";
    private static final byte[] HELLO = "hello".getBytes();
    private static final int WORKERS = 3;

    private final AtomicLong clock = new AtomicLong(1_000_000);
    private final List<InMemoryDevice> queues = List.of(new InMemoryDevice("test0"), new InMemoryDevice("test0"),
            new InMemoryDevice("test0"));
    private Backend backend;
    private Director director;

    @AfterEach
    void stop() {
        if (director != null) {
            director.close();
        }
    }

    private void start(int limit) {
        DirectorConfig config = new DirectorConfig("lvs1", "test0", Optional.empty(), WORKERS, limit,
                new DirectorConfig.Timeouts(Duration.ofSeconds(900), Duration.ofSeconds(120), Duration.ofSeconds(300)),
                List.of(new DirectorServiceConfig(new HostPort(VIP, 80), Protocol.TCP, "web", Forwarding.NAT)));
        backend = new Backend(Configs.tcp("wlc").server("rs1", RS1 + ":8080", 1).build().backends().get(0));
        director = new Director(config, Map.of("web", backend), List.<PacketDevice>copyOf(queues), clock::get);
        director.start();
    }

    /** A client port whose connection worker {@code owner} tracks. */
    private static int portOwnedBy(int owner, int from) {
        for (int port = from; ; port++) {
            if (FlowSteering.worker(6, TestPackets.ip(CLIENT), port, WORKERS) == owner) {
                return port;
            }
        }
    }

    /** What queue {@code expected} writes next; no other queue writes anything. */
    private byte[] writtenOn(int expected) throws InterruptedException {
        byte[] out = queues.get(expected).take(5_000);
        assertThat(out).as("written on queue %d", expected).isNotNull();
        for (int q = 0; q < WORKERS; q++) {
            assertThat(queues.get(q).poll()).as("queue %d wrote nothing else", q).isNull();
        }
        return out;
    }

    @Test
    void aPacketReadOnAnotherWorkersQueueIsHandedOverAndWrittenByTheOwner() throws Exception {
        start(1000);
        int port = portOwnedBy(2, 40_000);

        queues.get(0).inject(tcp(CLIENT, port, VIP, 80, SYN, 64, new byte[0]));
        assertThat(writtenOn(2)).isEqualTo(tcp(CLIENT, port, RS1, 8080, SYN, 63, new byte[0]));
        // The reply arrives on yet another queue (the kernel's own hash of the other addresses): the owner still has it.
        queues.get(1).inject(tcp(RS1, 8080, CLIENT, port, SYN | ACK, 64, new byte[0]));
        assertThat(writtenOn(2)).isEqualTo(tcp(VIP, 80, CLIENT, port, SYN | ACK, 63, new byte[0]));
        // Once steered, packets come on the owner's own queue and stay there.
        queues.get(2).inject(tcp(CLIENT, port, VIP, 80, ACK, 64, HELLO));
        assertThat(writtenOn(2)).isEqualTo(tcp(CLIENT, port, RS1, 8080, ACK, 63, HELLO));

        assertThat(director.stats().handedOver()).isEqualTo(2);
        assertThat(director.stats().inboundPackets()).isEqualTo(2);
        assertThat(director.stats().outboundPackets()).isEqualTo(1);
        assertThat(backend.server("rs1").orElseThrow().active()).isEqualTo(1);
    }

    @Test
    void anIcmpErrorAboutAConnectionReachesItsOwner() throws Exception {
        start(1000);
        int port = portOwnedBy(1, 41_000);
        queues.get(1).inject(tcp(CLIENT, port, VIP, 80, SYN, 64, new byte[0]));
        byte[] toServer = writtenOn(1);

        // The real server's port is closed: its ICMP error quotes the rewritten SYN and arrives on queue 0.
        queues.get(0).inject(TestPackets.icmpError(RS1, CLIENT, IcmpMessages.DEST_UNREACHABLE,
                IcmpMessages.PORT_UNREACHABLE, toServer, 28));
        byte[] toClient = writtenOn(1);
        assertThat(TestPackets.u32(toClient, 12)).as("from the virtual address").isEqualTo(TestPackets.ip(VIP));
        assertThat(director.stats().icmpForwarded()).isEqualTo(1);
    }

    @Test
    void countsListingsAndTheLimitAddUpOverTheWorkers() throws Exception {
        start(6); // two entries per worker
        int[] owned = new int[WORKERS];
        int port = 42_000;
        int accepted = 0;
        for (int i = 0; i < 30 && accepted < 6; i++, port++) {
            int owner = FlowSteering.worker(6, TestPackets.ip(CLIENT), port, WORKERS);
            if (owned[owner] == 2) {
                continue;
            }
            owned[owner]++;
            accepted++;
            queues.get((owner + 1) % WORKERS).inject(tcp(CLIENT, port, VIP, 80, SYN, 64, new byte[0]));
            assertThat(writtenOn(owner)).isNotNull();
        }
        assertThat(accepted).isEqualTo(6);
        // Every part is full: whichever worker a new connection belongs to, it is refused.
        for (int owner = 0; owner < WORKERS; owner++) {
            int p = portOwnedBy(owner, 50_000);
            queues.get(owner).inject(tcp(CLIENT, p, VIP, 80, SYN, 64, new byte[0]));
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> director.stats().drops(DropReason.TABLE_FULL) == WORKERS);

        clock.addAndGet(200);
        await().atMost(Duration.ofSeconds(5)).until(() -> director.counts().size() == 6);
        assertThat(director.counts().limit()).isEqualTo(6);
        assertThat(director.counts().inState(TcpState.SYN_RECV)).isEqualTo(6);
        assertThat(director.connections(100).get(5, TimeUnit.SECONDS)).hasSize(6)
                .extracting(ConnectionView::client).doesNotHaveDuplicates();
        assertThat(director.connections(4).get(5, TimeUnit.SECONDS)).hasSize(4);
        assertThat(backend.server("rs1").orElseThrow().active()).isEqualTo(6);

        director.close();
        director = null;
        assertThat(backend.server("rs1").orElseThrow().active()).as("every worker let its connections go").isZero();
    }

    @Test
    void theLimitIsSharedOutSoThePartsAddUpToIt() {
        for (int limit : new int[]{3, 7, 1_000_000}) {
            int sum = Arrays.stream(new int[]{0, 1, 2}).map(i -> Director.share(limit, i, 3)).sum();
            assertThat(sum).isEqualTo(limit);
        }
        assertThat(Director.share(7, 0, 3)).isEqualTo(3);
        assertThat(Director.share(7, 2, 3)).isEqualTo(2);
    }
}
