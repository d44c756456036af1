package dev.ferry.director;

import dev.ferry.backend.Backend;
import dev.ferry.backend.Server;
import dev.ferry.config.DirectorConfig;
import dev.ferry.config.DirectorConfig.Sync;
import dev.ferry.config.DirectorConfig.Sync.Role;
import dev.ferry.config.DirectorServiceConfig;
import dev.ferry.config.DirectorServiceConfig.Forwarding;
import dev.ferry.config.DirectorServiceConfig.Protocol;
import dev.ferry.config.HostPort;
import dev.ferry.director.device.InMemoryDevice;
import dev.ferry.director.device.PacketDevice;
import dev.ferry.director.sync.SyncMessage;
import dev.ferry.testing.Configs;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static dev.ferry.director.TestPackets.ACK;
import static dev.ferry.director.TestPackets.FIN;
import static dev.ferry.director.TestPackets.RST;
import static dev.ferry.director.TestPackets.SYN;
import static dev.ferry.director.TestPackets.tcp;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Connection sync between two directors in one JVM, each over in-memory device queues, syncing over real loopback
 * UDP: connections the active director tracks appear in the standby's table with their state and server, the
 * standby then forwards their packets both ways (the failover: the VIP's route moved to it), and a FIN or RST on
 * the active director is reflected.
 */
class DirectorSyncTest {
    private static final String CLIENT = "10.100.0.2";
    private static final String VIP = "10.200.0.100";
    private static final String RS1 = "10.101.0.11";
    private static final String RS2 = "10.101.0.12";
    private static final byte[] HELLO = "hello".getBytes();
    private static final int ID = 7;
    private static final InetSocketAddress LOOPBACK = new InetSocketAddress("127.0.0.1", 0);

    private final AtomicLong clock = new AtomicLong(5_000_000);
    private final List<Director> directors = new ArrayList<>();

    @AfterEach
    void stop() {
        directors.forEach(Director::close);
    }

    /** A side: its director, its device queues and its own backend object (the same servers). */
    private record Side(Director director, List<InMemoryDevice> queues, Backend backend) {
        Server server(String name) {
            return backend.server(name).orElseThrow();
        }
    }

    private Side side(Sync sync, int workers) {
        DirectorConfig config = new DirectorConfig("lvs-" + sync.role().key(), "test0", Optional.empty(), workers,
                100_000, DirectorConfig.Timeouts.DEFAULTS,
                List.of(new DirectorServiceConfig(new HostPort(VIP, 80), Protocol.TCP, "web", Forwarding.NAT)))
                .withSync(sync);
        Backend backend = new Backend(Configs.tcp("rr").server("rs1", RS1 + ":8080", 1)
                .server("rs2", RS2 + ":8080", 1).build().backends().get(0));
        List<InMemoryDevice> queues = new ArrayList<>();
        for (int i = 0; i < workers; i++) {
            queues.add(new InMemoryDevice("test0"));
        }
        Director d = new Director(config, Map.of("web", backend), List.<PacketDevice>copyOf(queues), clock::get);
        directors.add(d);
        d.start();
        return new Side(d, queues, backend);
    }

    private Side standby(int workers) {
        return side(new Sync(Role.STANDBY, Optional.of(new HostPort("127.0.0.1", 0)), Optional.empty(), ID), workers);
    }

    private Side active(Side standby, int workers) {
        InetSocketAddress at = standby.director().syncListenAddress();
        return side(new Sync(Role.ACTIVE, Optional.empty(), Optional.of(new HostPort("127.0.0.1", at.getPort())),
                ID), workers);
    }

    private static byte[] exchange(Side side, byte[] packet) throws InterruptedException {
        InMemoryDevice q = side.queues().getFirst();
        q.inject(packet);
        byte[] out = q.take(5_000);
        assertThat(out).as("the director's answer").isNotNull();
        return out;
    }

    /** SYN, SYN-ACK, ACK through {@code side}; returns the real server the connection got. */
    private static String establish(Side side, int port) throws InterruptedException {
        byte[] syn = exchange(side, tcp(CLIENT, port, VIP, 80, SYN, 64, new byte[0]));
        String real = TestPackets.ip(RS1) == TestPackets.u32(syn, 16) ? RS1 : RS2;
        exchange(side, tcp(real, 8080, CLIENT, port, SYN | ACK, 64, new byte[0]));
        exchange(side, tcp(CLIENT, port, VIP, 80, ACK, 64, new byte[0]));
        return real;
    }

    private static ConnectionView entry(Side side, int port) throws Exception {
        return side.director().connections(1_000).get(5, TimeUnit.SECONDS).stream()
                .filter(c -> c.client().equals(CLIENT + ":" + port)).findFirst().orElse(null);
    }

    @Test
    void establishedConnectionsReachTheStandbyAndContinueThroughIt() throws Exception {
        Side standby = standby(1);
        Side active = active(standby, 1);

        String real1 = establish(active, 40_000);
        String real2 = establish(active, 40_001);
        assertThat(real1).isNotEqualTo(real2); // rr over two servers

        await().atMost(Duration.ofSeconds(5)).until(() -> {
            ConnectionView a = entry(standby, 40_000);
            ConnectionView b = entry(standby, 40_001);
            return a != null && a.state().equals("ESTABLISHED") && b != null && b.state().equals("ESTABLISHED");
        });
        ConnectionView synced = entry(standby, 40_000);
        assertThat(synced.real()).isEqualTo(real1 + ":8080");
        assertThat(synced.server()).isEqualTo(real1.equals(RS1) ? "rs1" : "rs2");
        assertThat(synced.secondsLeft()).isEqualTo(900);
        assertThat(standby.server("rs1").active()).isEqualTo(1);
        assertThat(standby.server("rs2").active()).isEqualTo(1);
        assertThat(active.director().syncStats().sentEntries()).isGreaterThanOrEqualTo(4); // SYN_RECV, ESTABLISHED each
        assertThat(standby.director().syncStats().applied())
                .isEqualTo(standby.director().syncStats().receivedEntries());

        // The VIP's route moves to the standby: the client's next packet and the server's reply go through it.
        byte[] toServer = exchange(standby, tcp(CLIENT, 40_000, VIP, 80, ACK, 64, HELLO));
        assertThat(toServer).isEqualTo(tcp(CLIENT, 40_000, real1, 8080, ACK, 63, HELLO));
        byte[] toClient = exchange(standby, tcp(real1, 8080, CLIENT, 40_000, ACK, 64, HELLO));
        assertThat(toClient).isEqualTo(tcp(VIP, 80, CLIENT, 40_000, ACK, 63, HELLO));
        assertThat(standby.director().stats().drops(DropReason.NO_ENTRY)).isZero();
        // A connection the active director never had is still dropped there, as IPVS drops it.
        standby.queues().getFirst().inject(tcp(CLIENT, 40_999, VIP, 80, ACK, 64, HELLO));
        await().atMost(Duration.ofSeconds(5))
                .until(() -> standby.director().stats().drops(DropReason.NO_ENTRY) == 1);
    }

    @Test
    void aFinOrRstOnTheActiveDirectorIsReflected() throws Exception {
        Side standby = standby(1);
        Side active = active(standby, 1);
        String real1 = establish(active, 41_000);
        String real2 = establish(active, 41_001);
        await().atMost(Duration.ofSeconds(5)).until(() -> standby.director().syncStats().applied() >= 4);

        exchange(active, tcp(CLIENT, 41_000, VIP, 80, FIN | ACK, 64, new byte[0]));
        exchange(active, tcp(CLIENT, 41_001, VIP, 80, RST, 64, new byte[0]));

        await().atMost(Duration.ofSeconds(5)).until(() -> {
            ConnectionView fin = entry(standby, 41_000);
            ConnectionView rst = entry(standby, 41_001);
            return fin != null && fin.state().equals("CLOSE_WAIT") && rst != null && rst.state().equals("CLOSE");
        });
        assertThat(entry(standby, 41_001).secondsLeft()).isEqualTo(10);
        assertThat(standby.server(real1.equals(RS1) ? "rs1" : "rs2").active()).isZero();
        assertThat(standby.server(real2.equals(RS1) ? "rs1" : "rs2").active()).isZero();
        assertThat(standby.server("rs1").inactive() + standby.server("rs2").inactive()).isEqualTo(2);
    }

    @Test
    void changedSyncSettingsNeedARestart() {
        Side standby = standby(1);
        DirectorConfig now = standby.director().config();
        assertThat(Director.needsRestart(now, now)).isNull();
        assertThat(Director.needsRestart(now, now.withSync(new Sync(Role.ACTIVE, Optional.empty(),
                Optional.of(new HostPort("127.0.0.1", 9)), ID)))).contains("sync");
    }

    @Test
    void garbageAndAnotherSyncIdAreCountedAndChangeNothing() throws Exception {
        Side standby = standby(1);
        InetSocketAddress at = standby.director().syncListenAddress();
        try (DatagramChannel ch = DatagramChannel.open(StandardProtocolFamily.INET)) {
            ch.bind(LOOPBACK);
            ch.send(ByteBuffer.wrap(new byte[]{1, ID, 0, 5, 9, 9, 9}), at); // five entries announced, none there
            ch.send(ByteBuffer.wrap("GET / HTTP/1.1\r\n\r\n".getBytes()), at);
            SyncMessage.Writer other = new SyncMessage.Writer(ID + 1);
            other.add(new SyncMessage.Entry(6, dev.ferry.director.table.TcpState.ESTABLISHED, 0,
                    TestPackets.ip(CLIENT), 42_000, TestPackets.ip(VIP), 80, TestPackets.ip(RS1), 8080, 900));
            ch.send(other.datagram(), at);
            SyncMessage.Writer unknown = new SyncMessage.Writer(ID);
            unknown.add(new SyncMessage.Entry(6, dev.ferry.director.table.TcpState.ESTABLISHED, 0,
                    TestPackets.ip(CLIENT), 42_001, TestPackets.ip(VIP), 81, TestPackets.ip(RS1), 8080, 900));
            unknown.add(new SyncMessage.Entry(6, dev.ferry.director.table.TcpState.ESTABLISHED, 0,
                    TestPackets.ip(CLIENT), 42_002, TestPackets.ip(VIP), 80, TestPackets.ip("10.101.0.99"), 8080, 900));
            ch.send(unknown.datagram(), at);
        }
        var s = standby.director().syncStats();
        await().atMost(Duration.ofSeconds(5)).until(() -> s.receivedDatagrams() == 4 && s.rejected() == 2);
        assertThat(s.malformedDatagrams()).isEqualTo(2);
        assertThat(s.otherIdDatagrams()).isEqualTo(1);
        assertThat(s.applied()).isZero();
        assertThat(standby.director().connections(10).get(5, TimeUnit.SECONDS)).isEmpty();
    }

    @Test
    void manyConnectionsOverSeveralWorkersReachTheStandbysOwners() throws Exception {
        int workers = 3;
        int connections = 20_000;
        Side standby = standby(workers);
        Side active = active(standby, workers);
        long started = System.nanoTime();
        for (int i = 0; i < connections; i++) {
            int port = 10_000 + i;
            int owner = FlowSteering.worker(6, TestPackets.ip(CLIENT), port, workers);
            active.queues().get(owner).inject(tcp(CLIENT, port, VIP, 80, SYN, 64, new byte[0]));
        }
        var s = standby.director().syncStats();
        await().atMost(Duration.ofSeconds(30)).until(() -> s.applied() + s.rejected() >= connections
                || active.director().syncStats().droppedEntries() > 0);
        long nanos = System.nanoTime() - started;
        long dropped = active.director().syncStats().droppedEntries();
        System.out.printf("sync: %d new connections over %d workers applied on the standby in %d ms (%.0f entries/s),"
                        + " %d datagrams, %d entries dropped by the sender%n", s.applied(), workers, nanos / 1_000_000,
                s.applied() * 1e9 / nanos, active.director().syncStats().sentDatagrams(), dropped);
        assertThat(dropped).isZero();
        await().atMost(Duration.ofSeconds(10)).until(() -> s.applied() == connections);
        assertThat(s.rejected()).isZero();
        assertThat(standby.server("rs1").active() + standby.server("rs2").active()).isEqualTo(connections);
        assertThat(standby.director().connections(100_000).get(10, TimeUnit.SECONDS)).hasSize(connections)
                .allSatisfy(c -> assertThat(c.state()).isEqualTo("SYN_RECV"));
    }
}
