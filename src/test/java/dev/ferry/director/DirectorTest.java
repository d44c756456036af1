package dev.ferry.director;

import dev.ferry.backend.Backend;
import dev.ferry.backend.Server;
import dev.ferry.config.DirectorConfig;
import dev.ferry.config.DirectorServiceConfig;
import dev.ferry.config.DirectorServiceConfig.Forwarding;
import dev.ferry.config.DirectorServiceConfig.Protocol;
import dev.ferry.config.HostPort;
import dev.ferry.director.device.InMemoryDevice;
import dev.ferry.testing.Configs;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
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
 * The running director over an in-memory device: its worker reads, rewrites and writes packets, expires entries on
 * its clock (injected here), takes a reload without dropping a tracked connection, lists its table from another
 * thread, and lets every server go when it stops.
 */
class DirectorTest {
    private static final String CLIENT = "10.100.0.2";
    private static final String VIP = "10.200.0.100";
    private static final byte[] HELLO = "hello".getBytes();

    private final AtomicLong clock = new AtomicLong(5_000_000);
    private final InMemoryDevice device = new InMemoryDevice("test0");
    private Backend backend;
    private Director director;

    @AfterEach
    void stop() {
        if (director != null) {
            director.close();
        }
    }

    private static DirectorConfig config(Duration tcp, int limit, DirectorServiceConfig... services) {
        return new DirectorConfig("lvs1", "test0", Optional.empty(), 1, limit,
                new DirectorConfig.Timeouts(tcp, Duration.ofSeconds(120), Duration.ofSeconds(300)), List.of(services));
    }

    private static DirectorServiceConfig service(int port) {
        return new DirectorServiceConfig(new HostPort(VIP, port), Protocol.TCP, "web", Forwarding.NAT);
    }

    private void start(DirectorConfig config) {
        backend = new Backend(Configs.tcp("rr").server("rs1", "10.101.0.11:8080", 1).build().backends().get(0));
        director = new Director(config, Map.of("web", backend), device, clock::get);
        director.start();
    }

    private byte[] exchange(byte[] packet) throws InterruptedException {
        device.inject(packet);
        byte[] out = device.take(5_000);
        assertThat(out).as("the director's answer").isNotNull();
        return out;
    }

    private void establish(int clientPort) throws InterruptedException {
        exchange(tcp(CLIENT, clientPort, VIP, 80, SYN, 64, new byte[0]));
        exchange(tcp("10.101.0.11", 8080, CLIENT, clientPort, SYN | ACK, 64, new byte[0]));
        exchange(tcp(CLIENT, clientPort, VIP, 80, ACK, 64, HELLO));
    }

    private Server rs1() {
        return backend.server("rs1").orElseThrow();
    }

    /** Moves the clock on; the worker sees it at its next tick (within its 100 ms poll). */
    private void advance(Duration d) {
        clock.addAndGet(d.toMillis());
    }

    @Test
    void packetsWrittenIntoTheDeviceComeBackRewrittenAndTheEntryIsListed() throws Exception {
        start(config(Duration.ofSeconds(900), 1000, service(80)));

        byte[] out = exchange(tcp(CLIENT, 40_000, VIP, 80, SYN, 64, new byte[0]));

        assertThat(out).isEqualTo(tcp(CLIENT, 40_000, "10.101.0.11", 8080, SYN, 63, new byte[0]));
        List<ConnectionView> entries = director.connections(10).get(5, TimeUnit.SECONDS);
        assertThat(entries).containsExactly(new ConnectionView("tcp", "SYN_RECV", 60, CLIENT + ":40000", VIP + ":80",
                "10.101.0.11:8080", "tcp " + VIP + ":80", "rs1"));
        advance(Duration.ofMillis(200));
        await().atMost(Duration.ofSeconds(5)).until(() -> director.counts().size() == 1);
        assertThat(director.stats().inboundPackets()).isEqualTo(1);
    }

    @Test
    void entriesExpireOnTheDirectorsClockAndTheServerLetsGo() throws Exception {
        start(config(Duration.ofSeconds(2), 1000, service(80)));
        establish(40_001);
        assertThat(rs1().active()).isEqualTo(1);

        advance(Duration.ofMillis(1_900));
        await().atMost(Duration.ofSeconds(5)).until(() -> director.counts().size() == 1 && director.counts().inState(
                dev.ferry.director.table.TcpState.ESTABLISHED) == 1);
        advance(Duration.ofMillis(300));
        await().atMost(Duration.ofSeconds(5)).until(() -> director.counts().size() == 0);

        assertThat(director.counts().expired()).isEqualTo(1);
        assertThat(rs1().active()).isZero();
        assertThat(rs1().inactive()).isZero();
        // The client's next packet finds no entry: dropped, as IPVS drops a non-SYN without one.
        device.inject(tcp(CLIENT, 40_001, VIP, 80, ACK, 64, HELLO));
        await().atMost(Duration.ofSeconds(5)).until(() -> director.stats().drops(DropReason.NO_ENTRY) == 1);
        assertThat(device.poll()).isNull();
    }

    @Test
    void aReloadKeepsTrackedConnectionsAndTheirLabelsAndAppliesNewTimeoutsFromTheNextPacket() throws Exception {
        start(config(Duration.ofSeconds(900), 1000, service(80)));
        establish(40_002);

        director.reconfigure(config(Duration.ofSeconds(1), 1000, service(8080)), Map.of("web", backend));
        // The old service is gone for new connections ...
        device.inject(tcp(CLIENT, 40_003, VIP, 80, SYN, 64, new byte[0]));
        await().atMost(Duration.ofSeconds(5)).until(() -> director.stats().drops(DropReason.NO_SERVICE) == 1);
        // ... but its tracked connection carries on, still named by its service.
        byte[] data = exchange(tcp(CLIENT, 40_002, VIP, 80, ACK, 64, HELLO));
        assertThat(data).isEqualTo(tcp(CLIENT, 40_002, "10.101.0.11", 8080, ACK, 63, HELLO));
        assertThat(director.connections(10).get(5, TimeUnit.SECONDS)).singleElement()
                .satisfies(c -> {
                    assertThat(c.service()).isEqualTo("tcp " + VIP + ":80");
                    assertThat(c.secondsLeft()).isEqualTo(1); // the new ESTABLISHED timeout, from that packet on
                });

        advance(Duration.ofMillis(1_200));
        await().atMost(Duration.ofSeconds(5)).until(() -> director.counts().size() == 0);
    }

    @Test
    void aLoweredLimitRefusesNewConnectionsUntilEntriesEnd() throws Exception {
        start(config(Duration.ofSeconds(900), 1000, service(80)));
        establish(40_004);
        director.reconfigure(config(Duration.ofSeconds(900), 1, service(80)), Map.of("web", backend));

        device.inject(tcp(CLIENT, 40_005, VIP, 80, SYN, 64, new byte[0]));

        await().atMost(Duration.ofSeconds(5)).until(() -> director.stats().drops(DropReason.TABLE_FULL) == 1);
        assertThat(director.connections(10).get(5, TimeUnit.SECONDS)).hasSize(1);
    }

    @Test
    void stoppingLetsEveryServerGoAndTheDeviceCloses() throws Exception {
        start(config(Duration.ofSeconds(900), 1000, service(80)));
        establish(40_006);
        exchange(tcp(CLIENT, 40_007, VIP, 80, SYN, 64, new byte[0]));
        assertThat(rs1().active() + rs1().inactive()).isEqualTo(2);

        director.close();

        assertThat(rs1().active()).isZero();
        assertThat(rs1().inactive()).isZero();
        assertThat(device.isOpen()).isFalse();
        assertThat(director.counts().size()).isZero();
        // Asked after the stop, the table answers at once (empty), without a worker.
        assertThat(director.connections(10).get(1, TimeUnit.SECONDS)).isEmpty();
    }

    @Test
    void aNewDeviceWorkerCountOrInterfaceNeedsARestart() {
        start(config(Duration.ofSeconds(900), 1000, service(80)));
        DirectorConfig moved = new DirectorConfig("lvs1", "ferry9", Optional.empty(), 1, 1000,
                DirectorConfig.Timeouts.DEFAULTS, List.of(service(80)));

        assertThat(director.needsRestart(moved)).contains("from device test0 to ferry9");
        assertThat(director.needsRestart(config(Duration.ofSeconds(5), 7, service(81)))).isNull();
        // The packet sockets of direct services are opened on the interface with the device.
        DirectorConfig onLan = new DirectorConfig("lvs1", "test0", Optional.of("eth1"), 1, 1000,
                DirectorConfig.Timeouts.DEFAULTS, List.of(service(80)));
        assertThat(director.needsRestart(onLan)).contains("changes its interface from none to eth1");
    }
}
