package dev.ferry.director;

import dev.ferry.backend.Backend;
import dev.ferry.backend.Server;
import dev.ferry.config.DirectorServiceConfig.Forwarding;
import dev.ferry.director.NatPipeline.Verdict;
import dev.ferry.director.table.ConnectionTable;
import dev.ferry.director.table.DirectorTimeouts;
import dev.ferry.director.table.PersistenceTemplates;
import dev.ferry.director.table.TcpState;
import dev.ferry.director.table.TrackedConnection;
import dev.ferry.testing.Configs;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static dev.ferry.director.TestPackets.ACK;
import static dev.ferry.director.TestPackets.FIN;
import static dev.ferry.director.TestPackets.SYN;
import static dev.ferry.director.TestPackets.tcp;
import static dev.ferry.director.TestPackets.u16;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Golden packet tests of VS/DR (issue 19 item 3): the client's packet leaves as a frame to the real server's MAC
 * with nothing changed but the TTL (and the header checksum with it); MACs come from the neighbour table, a server
 * without one takes no connection and counts a failed connect while the kernel is asked to resolve it; the
 * connection is tracked without a reply direction (INPUT-ONLY); a packet too big for the interface with DF set is
 * answered with fragmentation needed.
 */
class DirectPipelineTest {
    private static final String CLIENT = "10.100.0.2";
    private static final String VIP = "10.100.0.100";
    private static final long MAC_RS1 = 0x02_00_00_00_00_11L;
    private static final long MAC_RS2 = 0x02_00_00_00_00_12L;

    private final Arena arena = Arena.ofConfined();
    private final MemorySegment buffer = arena.allocate(65_536);
    private final MemorySegment reply = arena.allocate(1_500);
    private final DirectorStats stats = new DirectorStats();
    /** What the kernel's neighbour table holds, by address; the test changes it. */
    private final Map<Integer, Long> arp = new HashMap<>();
    private final List<Integer> solicited = new ArrayList<>();
    private final List<Integer> looked = new ArrayList<>();
    private Backend backend;
    private ConnectionTable table;
    private NatPipeline pipeline;
    private long now = 1_000_000;

    @AfterEach
    void close() {
        arena.close();
    }

    private final Neighbours neighbours = new Neighbours() {
        @Override
        public long mac(int address) {
            looked.add(address);
            return arp.getOrDefault(address, UNKNOWN);
        }

        @Override
        public void solicit(int address) {
            solicited.add(address);
        }
    };

    /** A direct service on VIP:80 and a NAT one on VIP:8080 over {@code servers}, on an interface of MTU 1500. */
    private void rig(String scheduler, String... servers) {
        Configs c = Configs.tcp(scheduler);
        for (int i = 0; i < servers.length; i++) {
            c.server("rs" + (i + 1), servers[i], 1);
        }
        backend = new Backend(c.build().backends().get(0));
        table = new ConnectionTable(1000, DirectorTimeouts.defaults(), now);
        int vip = TestPackets.ip(VIP);
        pipeline = new NatPipeline(List.of(new VirtualService(0, 6, vip, 80, backend, 0, -1, Forwarding.DIRECT),
                new VirtualService(1, 6, vip, 8080, backend)), table, new PersistenceTemplates(),
                new SynDefense(dev.ferry.config.DirectorConfig.Defense.DEFAULTS), stats.shard(0),
                TunnelRoutes.SYSTEM, neighbours, 1500);
    }

    private record Out(Verdict verdict, byte[] bytes) {
    }

    private Out send(byte[] packet) {
        MemorySegment.copy(packet, 0, buffer, ValueLayout.JAVA_BYTE, 0, packet.length);
        Verdict v = pipeline.process(buffer, packet.length, reply, now);
        byte[] bytes = switch (v) {
            case FORWARD, FRAME -> buffer.asSlice(0, pipeline.length()).toArray(ValueLayout.JAVA_BYTE);
            case REPLY -> reply.asSlice(0, pipeline.length()).toArray(ValueLayout.JAVA_BYTE);
            case DROP -> new byte[0];
        };
        return new Out(v, bytes);
    }

    private Server server(String name) {
        return backend.server(name).orElseThrow();
    }

    @Test
    void aSynLeavesUnchangedButForItsTtlInAFrameToTheServersMac() {
        rig("rr", "10.100.0.11:80");
        arp.put(TestPackets.ip("10.100.0.11"), MAC_RS1);
        byte[] syn = tcp(CLIENT, 40_000, VIP, 80, SYN, 64, "hi".getBytes());

        Out out = send(syn);

        assertThat(out.verdict()).isEqualTo(Verdict.FRAME);
        assertThat(pipeline.frameDestination()).isEqualTo(MAC_RS1);
        byte[] expected = syn.clone();
        expected[8] = 63;
        TestPackets.setHeaderChecksum(expected);
        assertThat(out.bytes()).as("addresses, ports and payload untouched; TTL one less").isEqualTo(expected);
        assertThat(TestPackets.transportChecksumOk(out.bytes())).isTrue();
        TrackedConnection e = table.findInbound(6, TestPackets.ip(CLIENT), 40_000, TestPackets.ip(VIP), 80);
        assertThat(e).isNotNull();
        assertThat(e.forwarding()).isEqualTo(NatPipeline.DIRECT);
        assertThat(e.realAddress()).isEqualTo(TestPackets.ip("10.100.0.11"));
        assertThat(e.realPort()).isEqualTo(80);
        assertThat(e.state()).as("INPUT-ONLY: a SYN from the client").isEqualTo(TcpState.SYN_RECV);
        assertThat(stats.inboundPackets()).isEqualTo(1);
    }

    @Test
    void laterPacketsFollowTheirConnectionAndOnlyTheClientsSideMovesItsState() {
        rig("rr", "10.100.0.11:80", "10.100.0.12:80");
        arp.put(TestPackets.ip("10.100.0.11"), MAC_RS1);
        arp.put(TestPackets.ip("10.100.0.12"), MAC_RS2);
        assertThat(send(tcp(CLIENT, 40_000, VIP, 80, SYN, 64, new byte[0])).verdict()).isEqualTo(Verdict.FRAME);
        long first = pipeline.frameDestination();
        assertThat(send(tcp(CLIENT, 40_001, VIP, 80, SYN, 64, new byte[0])).verdict()).isEqualTo(Verdict.FRAME);
        assertThat(pipeline.frameDestination()).as("rr: the second connection to the other server")
                .isNotEqualTo(first);

        Out ack = send(tcp(CLIENT, 40_000, VIP, 80, ACK, 64, "GET /".getBytes()));
        assertThat(ack.verdict()).isEqualTo(Verdict.FRAME);
        assertThat(pipeline.frameDestination()).isEqualTo(first);
        TrackedConnection e = table.findInbound(6, TestPackets.ip(CLIENT), 40_000, TestPackets.ip(VIP), 80);
        assertThat(e.state()).isEqualTo(TcpState.ESTABLISHED);
        Server s = server(first == MAC_RS1 ? "rs1" : "rs2");
        assertThat(s.active()).isEqualTo(1);

        send(tcp(CLIENT, 40_000, VIP, 80, FIN | ACK, 64, new byte[0]));
        assertThat(e.state()).as("INPUT-ONLY: the client's FIN").isEqualTo(TcpState.FIN_WAIT);
        assertThat(s.active()).isZero();
        assertThat(s.inactive()).isEqualTo(1);
    }

    @Test
    void aServerWithoutAKnownMacTakesNoConnectionCountsAFailureAndIsResolvedForTheRetransmittedSyn() {
        rig("rr", "10.100.0.11:80");
        int rs1 = TestPackets.ip("10.100.0.11");
        byte[] syn = tcp(CLIENT, 40_000, VIP, 80, SYN, 64, new byte[0]);

        Out out = send(syn);

        assertThat(out.verdict()).as("dropped: the client sends its SYN again").isEqualTo(Verdict.DROP);
        assertThat(stats.drops(DropReason.NO_NEIGHBOUR)).isEqualTo(1);
        assertThat(server("rs1").failures()).as("counted as a failed connect").isEqualTo(1);
        assertThat(solicited).as("the kernel asked to resolve the server").containsExactly(rs1);
        assertThat(table.size()).isZero();
        assertThat(server("rs1").active() + server("rs1").inactive()).isZero();

        // Within the retry time the answer is the cached one: no second look at the kernel's table.
        now += NeighbourCache.RETRY_MILLIS - 1;
        assertThat(send(syn).verdict()).isEqualTo(Verdict.DROP);
        assertThat(looked).hasSize(1);

        arp.put(rs1, MAC_RS1); // the kernel resolved it
        now += 1_000; // the client's SYN retransmission
        assertThat(send(syn).verdict()).isEqualTo(Verdict.FRAME);
        assertThat(pipeline.frameDestination()).isEqualTo(MAC_RS1);
        assertThat(table.size()).isEqualTo(1);
    }

    @Test
    void aChangedMacIsFollowedWithinTheRefreshTime() {
        rig("rr", "10.100.0.11:80");
        int rs1 = TestPackets.ip("10.100.0.11");
        arp.put(rs1, MAC_RS1);
        send(tcp(CLIENT, 40_000, VIP, 80, SYN, 64, new byte[0]));
        arp.put(rs1, MAC_RS2); // the server's address moved to another machine

        now += NeighbourCache.REFRESH_MILLIS - 1;
        send(tcp(CLIENT, 40_000, VIP, 80, ACK, 64, new byte[0]));
        assertThat(pipeline.frameDestination()).as("cached").isEqualTo(MAC_RS1);
        now += 1;
        send(tcp(CLIENT, 40_000, VIP, 80, ACK, 64, new byte[0]));
        assertThat(pipeline.frameDestination()).isEqualTo(MAC_RS2);

        arp.remove(rs1); // gone from the table: the connection's packets are dropped, not sent to a stale MAC
        now += NeighbourCache.REFRESH_MILLIS;
        assertThat(send(tcp(CLIENT, 40_000, VIP, 80, ACK, 64, new byte[0])).verdict()).isEqualTo(Verdict.DROP);
        assertThat(stats.drops(DropReason.NO_NEIGHBOUR)).isEqualTo(1);
    }

    @Test
    void aPacketTooBigForTheInterfaceIsAnsweredWithFragmentationNeededWhenDfIsSet() {
        rig("rr", "10.100.0.11:80");
        arp.put(TestPackets.ip("10.100.0.11"), MAC_RS1);
        send(tcp(CLIENT, 40_000, VIP, 80, SYN, 64, new byte[0]));
        byte[] df = tcp(CLIENT, 40_000, VIP, 80, ACK, 64, new byte[1500]); // DF set, as TestPackets makes them
        byte[] big = df.clone();
        big[6] = 0;
        TestPackets.setHeaderChecksum(big);

        Out out = send(df);

        assertThat(out.verdict()).isEqualTo(Verdict.REPLY);
        assertThat(out.bytes()[20] & 0xFF).as("ICMP destination unreachable").isEqualTo(3);
        assertThat(out.bytes()[21] & 0xFF).as("fragmentation needed").isEqualTo(4);
        assertThat(u16(out.bytes(), 26)).as("next-hop MTU: the interface's").isEqualTo(1500);
        assertThat(TestPackets.icmpChecksumOk(out.bytes())).isTrue();
        assertThat(send(big).verdict()).as("without DF: dropped, the director does not fragment")
                .isEqualTo(Verdict.DROP);
        assertThat(stats.drops(DropReason.TOO_BIG)).isEqualTo(2);
    }

    @Test
    void aServersOwnForwardingOverridesItsServicesMethod() throws Exception {
        backend = new Backend(dev.ferry.config.ConfigLoader.parse("""
                backends:
                  - name: web
                    scheduler: rr
                    servers:
                      - { name: rs1, address: 10.100.0.11:80, forwarding: direct }
                      - { name: rs2, address: 10.101.0.12:8080 }
                directors:
                  - name: lvs1
                    interface: eth0
                    services: [ { vip: 10.100.0.100:80, backend: web } ]
                """, java.nio.file.Path.of("ferry.yaml")).backends().get(0));
        table = new ConnectionTable(1000, DirectorTimeouts.defaults(), now);
        pipeline = new NatPipeline(List.of(new VirtualService(0, 6, TestPackets.ip(VIP), 80, backend)), table,
                new PersistenceTemplates(), new SynDefense(dev.ferry.config.DirectorConfig.Defense.DEFAULTS),
                stats.shard(0), TunnelRoutes.SYSTEM, neighbours, 1500);
        arp.put(TestPackets.ip("10.100.0.11"), MAC_RS1);

        Out first = send(tcp(CLIENT, 40_000, VIP, 80, SYN, 64, new byte[0]));
        Out second = send(tcp(CLIENT, 40_001, VIP, 80, SYN, 64, new byte[0]));

        assertThat(first.verdict()).as("rs1: its own direct").isEqualTo(Verdict.FRAME);
        assertThat(TestPackets.destination(first.bytes())).as("not rewritten").isEqualTo(VIP + ":80");
        assertThat(second.verdict()).as("rs2: the service's nat").isEqualTo(Verdict.FORWARD);
        assertThat(TestPackets.destination(second.bytes())).isEqualTo("10.101.0.12:8080");
    }
}
