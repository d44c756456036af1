package dev.ferry.director;

import dev.ferry.backend.Backend;
import dev.ferry.backend.ServerState;
import dev.ferry.config.DirectorConfig;
import dev.ferry.config.DirectorServiceConfig;
import dev.ferry.config.DirectorServiceConfig.Forwarding;
import dev.ferry.config.DirectorServiceConfig.Persistence;
import dev.ferry.config.DirectorServiceConfig.Protocol;
import dev.ferry.config.HostPort;
import dev.ferry.director.device.InMemoryDevice;
import dev.ferry.director.device.PacketDevice;
import dev.ferry.testing.Configs;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
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
 * Issue 19 item 5: persistence as {@code ipvsadm -p -M}. A client's new connections go to the server its template
 * names while the template lives (it has connections, or its timeout has not passed since the last ended) and that
 * server is available; clients under one netmask share a template; a service of port 0 keeps every port of one
 * client on one server; templates are shared by the workers. Over in-memory devices on an injected clock.
 */
class DirectorPersistenceTest {
    private static final String VIP = "10.200.0.100";
    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    private final AtomicLong clock = new AtomicLong(2_000_000);
    private final List<InMemoryDevice> queues = new ArrayList<>();
    private Backend backend;
    private Director director;

    @AfterEach
    void stop() {
        if (director != null) {
            director.close();
        }
    }

    private static DirectorServiceConfig persistent(int port, int netmask) {
        return new DirectorServiceConfig(new HostPort(VIP, port), Protocol.TCP, "web", Forwarding.NAT,
                Optional.of(new Persistence(TIMEOUT, netmask)));
    }

    private void start(int workers, DirectorServiceConfig... services) {
        for (int i = 0; i < workers; i++) {
            queues.add(new InMemoryDevice("test0"));
        }
        DirectorConfig config = new DirectorConfig("lvs1", "test0", Optional.empty(), workers, 100_000,
                new DirectorConfig.Timeouts(Duration.ofSeconds(900), Duration.ofSeconds(2), Duration.ofSeconds(300)),
                List.of(services));
        backend = new Backend(Configs.tcp("rr").server("rs1", "10.101.0.11:8080", 1)
                .server("rs2", "10.101.0.12:8080", 1).server("rs3", "10.101.0.13:8080", 1).build().backends().get(0));
        director = new Director(config, Map.of("web", backend), List.<PacketDevice>copyOf(queues), clock::get);
        director.start();
    }

    /** Sends a client's SYN on queue {@code q} and returns where the director sent it: {@code address:port}. */
    private String connect(String client, int clientPort, int vipPort, int q) throws InterruptedException {
        queues.get(q).inject(tcp(client, clientPort, VIP, vipPort, SYN, 64, new byte[0]));
        byte[] out = written();
        return TestPackets.destination(out);
    }

    private String connect(String client, int clientPort) throws InterruptedException {
        return connect(client, clientPort, 80, 0);
    }

    /** The next packet any queue writes. */
    private byte[] written() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (System.nanoTime() < deadline) {
            for (InMemoryDevice q : queues) {
                byte[] out = q.poll();
                if (out != null) {
                    return out;
                }
            }
            Thread.sleep(1);
        }
        throw new AssertionError("the director wrote nothing within 5 s");
    }

    /**
     * Establishes a connection placed on {@code real} (the server's SYN-ACK, the client's ACK), then resets it from
     * the client: ESTABLISHED goes to CLOSE, whose entry lasts 10 s (a RST in SYN_RECV would leave it there, as in
     * IPVS, against forged resets).
     */
    private void reset(String client, int clientPort, String real) throws InterruptedException {
        String address = real.substring(0, real.indexOf(':'));
        int port = Integer.parseInt(real.substring(real.indexOf(':') + 1));
        queues.get(0).inject(tcp(address, port, client, clientPort, SYN | ACK, 64, new byte[0]));
        written();
        queues.get(0).inject(tcp(client, clientPort, VIP, 80, ACK, 64, new byte[0]));
        written();
        queues.get(0).inject(tcp(client, clientPort, VIP, 80, RST | ACK, 64, new byte[0]));
        written();
    }

    private void advance(Duration d) {
        clock.addAndGet(d.toMillis());
    }

    private String serverAt(String realAddress) {
        return switch (realAddress.substring(0, realAddress.indexOf(':'))) {
            case "10.101.0.11" -> "rs1";
            case "10.101.0.12" -> "rs2";
            case "10.101.0.13" -> "rs3";
            default -> realAddress;
        };
    }

    @Test
    void aClientsConnectionsStayOnItsServerAndOtherClientsAreScheduledAsUsual() throws Exception {
        start(1, persistent(80, -1));

        Set<String> first = new HashSet<>();
        for (int i = 0; i < 50; i++) {
            first.add(connect("10.100.0.2", 40_000 + i));
        }
        String second = connect("10.100.0.3", 40_000);
        String third = connect("10.100.0.4", 40_000);

        assertThat(first).hasSize(1);
        // rr without persistence would have spread those 50 over all three; the next two clients get the next two.
        assertThat(Set.of(first.iterator().next(), second, third)).hasSize(3);
        assertThat(director.templateCount()).isEqualTo(3);
        List<TemplateView> templates = director.templates(10);
        assertThat(templates).filteredOn(t -> t.client().equals("10.100.0.2:0")).singleElement().satisfies(t -> {
            assertThat(t.connections()).isEqualTo(50);
            assertThat(t.virtual()).isEqualTo(VIP + ":80");
            assertThat(t.real()).isEqualTo(first.iterator().next());
            assertThat(t.server()).isEqualTo(serverAt(t.real()));
            assertThat(t.secondsLeft()).isEqualTo(60);
        });
    }

    @Test
    void aTemplateLivesForItsTimeoutAfterItsLastConnectionAndThenGoes() throws Exception {
        start(1, persistent(80, -1));
        String placed = connect("10.100.0.2", 40_000);
        reset("10.100.0.2", 40_000, placed);
        // The CLOSE entry lasts 10 s; then the template has no connection and its 60 s start.
        advance(Duration.ofSeconds(11));
        await().atMost(Duration.ofSeconds(5)).until(() -> director.counts().size() == 0);
        assertThat(director.templates(1)).singleElement().satisfies(t -> assertThat(t.connections()).isZero());

        advance(Duration.ofSeconds(50));
        assertThat(connect("10.100.0.2", 40_001)).as("within the timeout").isEqualTo(placed);
        reset("10.100.0.2", 40_001, placed);
        advance(Duration.ofSeconds(11));
        await().atMost(Duration.ofSeconds(5)).until(() -> director.counts().size() == 0);

        advance(TIMEOUT.plusSeconds(1));
        await().atMost(Duration.ofSeconds(5)).until(() -> director.templateCount() == 0);
        // Scheduled anew: rr moved on once for the first connection, so the next pick is another server.
        assertThat(connect("10.100.0.2", 40_002)).isNotEqualTo(placed);
    }

    @Test
    void aServerThatGoesDownLosesItsClientsButADrainedOneKeepsThem() throws Exception {
        start(1, persistent(80, -1));
        String placed = connect("10.100.0.2", 40_000);
        var server = backend.server(serverAt(placed)).orElseThrow();

        backend.setState(server, ServerState.DRAIN);
        assertThat(connect("10.100.0.2", 40_001)).as("drained: quiesced, persistent clients stay").isEqualTo(placed);
        assertThat(connect("10.100.0.9", 40_000)).as("a new client does not get it").isNotEqualTo(placed);

        backend.setState(server, ServerState.READY);
        backend.setHealthy(server, false);
        String moved = connect("10.100.0.2", 40_002);
        assertThat(moved).isNotEqualTo(placed);
        assertThat(connect("10.100.0.2", 40_003)).as("the new template holds").isEqualTo(moved);

        backend.setHealthy(server, true);
        assertThat(connect("10.100.0.2", 40_004)).as("it stays where it moved").isEqualTo(moved);
    }

    @Test
    void clientsUnderTheNetmaskShareATemplate() throws Exception {
        start(1, persistent(80, 0xFFFF_FF00));
        String placed = connect("10.100.0.2", 40_000);

        assertThat(connect("10.100.0.77", 40_000)).isEqualTo(placed);
        assertThat(connect("10.100.0.254", 41_000)).isEqualTo(placed);
        assertThat(connect("10.100.1.2", 40_000)).as("another /24").isNotEqualTo(placed);
        assertThat(director.templates(10)).extracting(TemplateView::client)
                .containsExactlyInAnyOrder("10.100.0.0:0", "10.100.1.0:0");
    }

    @Test
    void aServiceOfEveryPortKeepsTwoPortsOfOneClientOnOneServerAndTheirPorts() throws Exception {
        DirectorServiceConfig web = new DirectorServiceConfig(new HostPort(VIP, 80), Protocol.TCP, "web",
                Forwarding.NAT);
        start(1, web, persistent(0, -1));

        String control = connect("10.100.0.2", 40_000, 21, 0);
        String data = connect("10.100.0.2", 40_001, 30_021, 0);

        assertThat(control).endsWith(":21");
        assertThat(data).endsWith(":30021");
        assertThat(data.substring(0, data.indexOf(':'))).isEqualTo(control.substring(0, control.indexOf(':')));
        // Port 80 has a service of its own, which takes it (without persistence: rr over the same servers).
        assertThat(connect("10.100.0.2", 40_002, 80, 0)).endsWith(":8080");
        assertThat(director.templates(10)).singleElement().satisfies(t -> {
            assertThat(t.virtual()).isEqualTo(VIP + ":0");
            assertThat(t.connections()).isEqualTo(2);
        });
    }

    @Test
    void connectionsTrackedByDifferentWorkersShareTheTemplate() throws Exception {
        start(3, persistent(80, -1));
        Set<Integer> owners = new HashSet<>();
        Set<String> placed = new HashSet<>();
        for (int port = 40_000; owners.size() < 3; port++) {
            owners.add(FlowSteering.worker(6, TestPackets.ip("10.100.0.2"), port, 3));
            placed.add(connect("10.100.0.2", port, 80, port % 3));
        }
        assertThat(placed).hasSize(1);
        assertThat(director.templateCount()).isEqualTo(1);
        // Each worker's share of the table counts its own connections; the template counts them all.
        await().atMost(Duration.ofSeconds(5)).until(() -> {
            advance(Duration.ofMillis(100));
            return director.counts().size() == director.templates(1).getFirst().connections();
        });
    }

    @Test
    void aFinishedConnectionsReleaseIsCountedOnceWhateverEndsIt() throws Exception {
        start(1, persistent(80, -1));
        String placed = connect("10.100.0.2", 40_000);
        queues.get(0).inject(tcp("10.100.0.2", 40_000, VIP, 80, FIN | ACK, 64, new byte[0]));
        written();
        reset("10.100.0.2", 40_000, placed);
        advance(Duration.ofSeconds(130));
        await().atMost(Duration.ofSeconds(5)).until(() -> director.counts().size() == 0);
        assertThat(director.templates(1)).singleElement().satisfies(t -> assertThat(t.connections()).isZero());
        director.close();
        assertThat(director.templateCount()).isZero();
        director = null;
    }
}
