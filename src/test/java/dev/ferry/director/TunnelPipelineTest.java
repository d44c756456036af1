package dev.ferry.director;

import dev.ferry.backend.Backend;
import dev.ferry.backend.Server;
import dev.ferry.config.DirectorServiceConfig.Forwarding;
import dev.ferry.director.NatPipeline.Verdict;
import dev.ferry.director.table.ConnectionTable;
import dev.ferry.director.table.DirectorTimeouts;
import dev.ferry.director.table.TcpState;
import dev.ferry.director.table.TrackedConnection;
import dev.ferry.testing.Configs;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static dev.ferry.director.TestPackets.ACK;
import static dev.ferry.director.TestPackets.FIN;
import static dev.ferry.director.TestPackets.SYN;
import static dev.ferry.director.TestPackets.icmpError;
import static dev.ferry.director.TestPackets.tcp;
import static dev.ferry.director.TestPackets.u16;
import static dev.ferry.director.TestPackets.u32;
import static dev.ferry.director.TestPackets.udp;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Golden packet tests of VS/TUN (issue 19 item 1): the client's packet comes out whole inside an outer IPv4 header
 * whose every field is checked against the inner one (DF, TOS with DSCP and ECN, TTL, protocol 4, the director's
 * address toward that server, a checksum computed from scratch by {@link TestPackets}); the connection is tracked
 * without a reply direction (INPUT-ONLY); a packet too big for the tunnel with DF set is answered with ICMP
 * fragmentation needed and the tunnel's MTU.
 */
class TunnelPipelineTest {
    private static final String CLIENT = "10.100.0.2";
    private static final String VIP = "10.100.0.100";
    private static final String DIRECTOR = "10.100.0.1";
    private static final String OTHER_SIDE = "10.102.0.1";
    private static final byte[] HELLO = "hello".getBytes();

    private final Arena arena = Arena.ofConfined();
    private final MemorySegment buffer = arena.allocate(65_536);
    private final MemorySegment reply = arena.allocate(1_500);
    private final DirectorStats stats = new DirectorStats();
    private final List<Integer> asked = new ArrayList<>();
    private Backend backend;
    private ConnectionTable table;
    private NatPipeline pipeline;
    private long now = 1_000_000;

    @AfterEach
    void close() {
        arena.close();
    }

    /**
     * A tunnel service on VIP:80 (tcp) and VIP:53 (udp), and a NAT one on VIP:8080, over {@code servers}; the
     * director reaches 10.100.0.x from 10.100.0.1 with MTU 1500 and 10.102.0.x from 10.102.0.1 with MTU 1400, and
     * has no route elsewhere.
     */
    private void rig(String scheduler, String... servers) {
        Configs c = Configs.tcp(scheduler);
        for (int i = 0; i < servers.length; i++) {
            c.server("rs" + (i + 1), servers[i], 1);
        }
        backend = new Backend(c.build().backends().get(0));
        table = new ConnectionTable(1000, DirectorTimeouts.defaults(), now);
        TunnelRoutes routes = real -> {
            asked.add(real);
            if ((real >>> 8) == (TestPackets.ip("10.100.0.0") >>> 8)) {
                return new TunnelRoutes.Route(TestPackets.ip(DIRECTOR), 1500);
            }
            if ((real >>> 8) == (TestPackets.ip("10.102.0.0") >>> 8)) {
                return new TunnelRoutes.Route(TestPackets.ip(OTHER_SIDE), 1400);
            }
            return null;
        };
        int vip = TestPackets.ip(VIP);
        pipeline = new NatPipeline(List.of(new VirtualService(0, 6, vip, 80, backend, 0, -1, Forwarding.TUNNEL),
                new VirtualService(1, 17, vip, 53, backend, 0, -1, Forwarding.TUNNEL),
                new VirtualService(2, 6, vip, 8080, backend)), table,
                new dev.ferry.director.table.PersistenceTemplates(), stats.shard(0), routes);
    }

    private record Out(Verdict verdict, byte[] bytes) {
        /** The inner packet of an IPIP packet. */
        byte[] inner() {
            return Arrays.copyOfRange(bytes, 20, bytes.length);
        }
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

    /** {@code p} with its TOS byte and DF bit set as given (header checksum recomputed). */
    private static byte[] withTosAndDf(byte[] p, int tos, boolean df) {
        byte[] q = p.clone();
        q[1] = (byte) tos;
        q[6] = (byte) (df ? 0x40 : 0);
        TestPackets.setHeaderChecksum(q);
        return q;
    }

    private static void assertOuter(byte[] out, int innerLength, String source, String destination, int tos,
                                    boolean df, int ttl) {
        assertThat(out).hasSize(innerLength + 20);
        assertThat(out[0]).as("version 4, IHL 5").isEqualTo((byte) 0x45);
        assertThat(out[1] & 0xFF).as("TOS (DSCP and ECN) copied from the inner header").isEqualTo(tos);
        assertThat(u16(out, 2)).as("total length").isEqualTo(innerLength + 20);
        assertThat(u16(out, 6)).as("flags and offset: DF copied, never a fragment").isEqualTo(df ? 0x4000 : 0);
        assertThat(out[8] & 0xFF).as("outer TTL").isEqualTo(ttl);
        assertThat(out[9] & 0xFF).as("protocol IPIP").isEqualTo(4);
        assertThat(u32(out, 12)).as("outer source").isEqualTo(TestPackets.ip(source));
        assertThat(u32(out, 16)).as("outer destination").isEqualTo(TestPackets.ip(destination));
        assertThat(TestPackets.headerChecksumOk(out)).as("outer header checksum").isTrue();
    }

    @Test
    void aSynIsWrappedWholeInIpipFromTheDirectorsAddressTowardTheServer() {
        rig("rr", "10.100.0.11:80");
        byte[] syn = tcp(CLIENT, 40_000, VIP, 80, SYN, 64, new byte[0]);

        Out out = send(syn);

        assertThat(out.verdict()).isEqualTo(Verdict.FORWARD);
        assertOuter(out.bytes(), syn.length, DIRECTOR, "10.100.0.11", 0, true, 63);
        // The inner packet is the client's own, addressed to the VIP, its TTL decremented and checksums right.
        assertThat(out.inner()).isEqualTo(tcp(CLIENT, 40_000, VIP, 80, SYN, 63, new byte[0]));
        assertThat(TestPackets.headerChecksumOk(out.inner())).isTrue();
        assertThat(TestPackets.transportChecksumOk(out.inner())).isTrue();

        TrackedConnection e = table.findInbound(6, TestPackets.ip(CLIENT), 40_000, TestPackets.ip(VIP), 80);
        assertThat(e).isNotNull();
        assertThat(e.noOutput()).as("replies bypass the director: INPUT-ONLY").isTrue();
        assertThat(e.realAddress()).isEqualTo(TestPackets.ip("10.100.0.11"));
        assertThat(e.realPort()).isEqualTo(80);
        assertThat(table.findOutbound(6, TestPackets.ip("10.100.0.11"), 80, TestPackets.ip(CLIENT), 40_000))
                .as("no reply direction").isNull();
        assertThat(e.state()).isEqualTo(TcpState.SYN_RECV);
        assertThat(server("rs1").active()).isEqualTo(1);
        assertThat(stats.inboundPackets()).isEqualTo(1);
    }

    @Test
    void aConnectionFollowsTheInputOnlyTableAndItsServersCountsFollowIt() {
        rig("rr", "10.100.0.11:80", "10.100.0.12:80");
        send(tcp(CLIENT, 40_000, VIP, 80, SYN, 64, new byte[0]));
        Out ack = send(tcp(CLIENT, 40_000, VIP, 80, ACK, 64, HELLO));
        assertOuter(ack.bytes(), 45, DIRECTOR, "10.100.0.11", 0, true, 63);
        assertThat(ack.inner()).isEqualTo(tcp(CLIENT, 40_000, VIP, 80, ACK, 63, HELLO));
        assertThat(table.inState(TcpState.ESTABLISHED)).isEqualTo(1);
        assertThat(server("rs1").active()).isEqualTo(1);

        // The client's FIN: INPUT-ONLY takes ESTABLISHED to FIN_WAIT (INPUT would say CLOSE_WAIT), inactive.
        send(tcp(CLIENT, 40_000, VIP, 80, FIN | ACK, 64, new byte[0]));
        assertThat(table.inState(TcpState.FIN_WAIT)).isEqualTo(1);
        assertThat(server("rs1").active()).isZero();
        assertThat(server("rs1").inactive()).isEqualTo(1);
        send(tcp(CLIENT, 40_000, VIP, 80, ACK, 64, new byte[0]));
        assertThat(table.inState(TcpState.FIN_WAIT)).isEqualTo(1);

        // A second client goes to the second server, through the same director address.
        Out other = send(tcp(CLIENT, 40_001, VIP, 80, SYN, 64, new byte[0]));
        assertOuter(other.bytes(), 40, DIRECTOR, "10.100.0.12", 0, true, 63);
        assertThat(stats.inboundPackets()).isEqualTo(5);
        assertThat(stats.outboundPackets()).as("nothing comes back through the director").isZero();
        // One question per server: the answer is cached.
        assertThat(asked).containsExactly(TestPackets.ip("10.100.0.11"), TestPackets.ip("10.100.0.12"));
    }

    @Test
    void dscpAndEcnAreCopiedDfOnlyWhenTheInnerHasItAndTheOuterTtlIsTheDecrementedInners() {
        rig("rr", "10.100.0.11:53");
        // DSCP EF (46) with ECT(1); CE (0b11) with AF11; no DF on a UDP datagram.
        byte[] ef = withTosAndDf(udp(CLIENT, 5353, VIP, 53, 30, HELLO, true), (46 << 2) | 0b01, true);
        Out a = send(ef);
        assertOuter(a.bytes(), ef.length, DIRECTOR, "10.100.0.11", (46 << 2) | 0b01, true, 29);

        byte[] ce = withTosAndDf(udp(CLIENT, 5353, VIP, 53, 64, HELLO, false), (10 << 2) | 0b11, false);
        Out b = send(ce);
        assertOuter(b.bytes(), ce.length, DIRECTOR, "10.100.0.11", (10 << 2) | 0b11, false, 63);
        byte[] inner = b.inner();
        assertThat(inner[1] & 0xFF).as("the inner TOS is left alone").isEqualTo((10 << 2) | 0b11);
        assertThat(inner[8] & 0xFF).isEqualTo(63);
        assertThat(TestPackets.headerChecksumOk(inner)).isTrue();
        assertThat(TestPackets.u16(b.bytes(), 4)).as("each outer header its own identification")
                .isNotEqualTo(TestPackets.u16(a.bytes(), 4));
    }

    @Test
    void aPacketTooBigForTheTunnelWithDfGetsFragmentationNeededWithTheTunnelsMtu() {
        rig("rr", "10.100.0.11:53", "10.102.0.11:53");
        // 1481 bytes + 20 > 1500: too big once wrapped.
        byte[] big = udp(CLIENT, 5353, VIP, 53, 64, new byte[1481 - 28], true);
        assertThat(big).hasSize(1481);

        Out out = send(big);

        assertThat(out.verdict()).isEqualTo(Verdict.REPLY);
        byte[] icmp = out.bytes();
        assertThat(u32(icmp, 12)).as("from the VIP").isEqualTo(TestPackets.ip(VIP));
        assertThat(u32(icmp, 16)).as("to the client").isEqualTo(TestPackets.ip(CLIENT));
        assertThat(icmp[9]).isEqualTo((byte) 1);
        assertThat(icmp[20] & 0xFF).as("destination unreachable").isEqualTo(3);
        assertThat(icmp[21] & 0xFF).as("fragmentation needed and DF set").isEqualTo(4);
        assertThat(u16(icmp, 24)).as("unused").isZero();
        assertThat(u16(icmp, 26)).as("next-hop MTU: the tunnel's MTU less the outer header").isEqualTo(1480);
        assertThat(Arrays.copyOfRange(icmp, 28, 56)).as("quotes the header and 8 bytes")
                .isEqualTo(Arrays.copyOfRange(big, 0, 28));
        assertThat(TestPackets.headerChecksumOk(icmp)).isTrue();
        assertThat(TestPackets.icmpChecksumOk(icmp)).isTrue();
        assertThat(stats.drops(DropReason.TOO_BIG)).isEqualTo(1);
        assertThat(stats.icmpSent()).isEqualTo(1);

        // Exactly at the MTU it passes.
        byte[] fits = udp(CLIENT, 5353, VIP, 53, 64, new byte[1480 - 28], true);
        assertThat(send(fits).bytes()).hasSize(1500);

        // Without DF the packet goes on; the kernel fragments the outer packet.
        byte[] noDf = withTosAndDf(big, 0, false);
        Out sent = send(noDf);
        assertThat(sent.verdict()).isEqualTo(Verdict.FORWARD);
        assertOuter(sent.bytes(), 1481, DIRECTOR, "10.100.0.11", 0, false, 63);

        // The other client's server is behind an MTU of 1400: 1381 + 20 is too big there.
        byte[] second = udp(CLIENT, 5354, VIP, 53, 64, new byte[1381 - 28], true);
        Out toSecond = send(second);
        assertThat(toSecond.verdict()).isEqualTo(Verdict.REPLY);
        assertThat(u16(toSecond.bytes(), 26)).isEqualTo(1380);
        assertThat(table.findInbound(17, TestPackets.ip(CLIENT), 5354, TestPackets.ip(VIP), 53).realAddress())
                .isEqualTo(TestPackets.ip("10.102.0.11"));
        Out small = send(udp(CLIENT, 5354, VIP, 53, 64, HELLO, true));
        assertOuter(small.bytes(), 33, OTHER_SIDE, "10.102.0.11", 0, true, 63);
    }

    @Test
    void aServerTheDirectorHasNoRouteToIsAsNoServerAndTheTtlStillRunsOut() {
        rig("rr", "10.109.0.11:80");
        Out out = send(tcp(CLIENT, 40_000, VIP, 80, SYN, 64, new byte[0]));
        assertThat(out.verdict()).isEqualTo(Verdict.REPLY);
        assertThat(out.bytes()[20]).as("destination unreachable").isEqualTo((byte) 3);
        assertThat(out.bytes()[21]).as("port unreachable").isEqualTo((byte) 3);
        assertThat(stats.drops(DropReason.NO_ROUTE)).isEqualTo(1);
        assertThat(table.size()).isZero();
        assertThat(server("rs1").active() + server("rs1").inactive()).isZero();

        rig("rr", "10.100.0.11:80");
        send(tcp(CLIENT, 40_000, VIP, 80, SYN, 64, new byte[0]));
        Out last = send(tcp(CLIENT, 40_000, VIP, 80, ACK, 1, HELLO));
        assertThat(last.verdict()).isEqualTo(Verdict.REPLY);
        assertThat(last.bytes()[20]).as("time exceeded").isEqualTo((byte) 11);
        assertThat(table.inState(TcpState.SYN_RECV)).as("a packet not sent on moves nothing").isEqualTo(1);
    }

    @Test
    void anIcmpErrorFromTheClientAboutATunnelConnectionGoesToItsServerUnchanged() {
        rig("rr", "10.100.0.11:53");
        send(udp(CLIENT, 5353, VIP, 53, 64, HELLO, true));
        // The server answered from the VIP directly; the client's port was closed by then.
        byte[] answer = udp(VIP, 53, CLIENT, 5353, 64, HELLO, true);
        byte[] error = icmpError(CLIENT, VIP, 3, 3, answer, 28);

        Out out = send(error);

        assertThat(out.verdict()).isEqualTo(Verdict.FORWARD);
        assertOuter(out.bytes(), error.length, DIRECTOR, "10.100.0.11", 0, true, 63);
        byte[] inner = out.inner();
        byte[] expected = error.clone();
        expected[8] = 63;
        TestPackets.setHeaderChecksum(expected);
        assertThat(inner).isEqualTo(expected);
        assertThat(stats.icmpForwarded()).isEqualTo(1);
    }

    /** Where a new connection of client port {@code port} went: its outer destination. */
    private String schedule(int port) {
        Out out = send(tcp(CLIENT, port, VIP, 80, SYN, 64, new byte[0]));
        assertThat(out.verdict()).isEqualTo(Verdict.FORWARD);
        int real = u32(out.bytes(), 16);
        return (real >>> 24) + "." + (real >>> 16 & 0xFF) + "." + (real >>> 8 & 0xFF) + "." + (real & 0xFF);
    }

    private void assertCounts(String server, int active, int inactive) {
        assertThat(server(server).active()).as("%s active", server).isEqualTo(active);
        assertThat(server(server).inactive()).as("%s inactive", server).isEqualTo(inactive);
    }

    /**
     * Issue 19 item 4: with only the client's side seen, the INPUT-ONLY table still moves each connection between
     * its server's active and inactive counts (the client's ACK ends the handshake without the server's SYN+ACK;
     * its FIN takes ESTABLISHED to FIN_WAIT, a RST to CLOSE), so lc picks by IPVS's overhead, active x 256 +
     * inactive.
     */
    @Test
    void leastConnectionPicksByActiveAndInactiveCountsMovedThroughInputOnlyTransitions() {
        rig("lc", "10.100.0.11:80", "10.100.0.12:80", "10.100.0.13:80");
        assertThat(schedule(40_001)).isEqualTo("10.100.0.11");
        assertThat(schedule(40_002)).isEqualTo("10.100.0.12");
        send(tcp(CLIENT, 40_001, VIP, 80, ACK, 64, HELLO));
        send(tcp(CLIENT, 40_002, VIP, 80, ACK, 64, HELLO));
        assertThat(table.inState(TcpState.ESTABLISHED)).isEqualTo(2);
        assertCounts("rs1", 1, 0);

        // The first client closes: FIN_WAIT, inactive, so rs1 costs 1 against rs2's 256 and rs3's 0.
        send(tcp(CLIENT, 40_001, VIP, 80, FIN | ACK, 64, new byte[0]));
        assertThat(table.inState(TcpState.FIN_WAIT)).isEqualTo(1);
        assertCounts("rs1", 0, 1);
        assertThat(schedule(40_003)).isEqualTo("10.100.0.13");
        // rs1 1, rs2 256, rs3 256 (SYN_RECV is active): rs1.
        assertThat(schedule(40_004)).isEqualTo("10.100.0.11");
        assertCounts("rs1", 1, 1);

        // A reset from the client closes rs2's connection: CLOSE, inactive; rs2 now costs 1, the least.
        send(tcp(CLIENT, 40_002, VIP, 80, TestPackets.RST, 64, new byte[0]));
        assertThat(table.inState(TcpState.CLOSE)).isEqualTo(1);
        assertCounts("rs2", 0, 1);
        assertThat(schedule(40_005)).isEqualTo("10.100.0.12");
        // A connection whose SYN the scheduler placed and whose first packet from the client is a bare ACK (NONE
        // to ESTABLISHED in the INPUT-ONLY table) is not possible: a non-SYN without an entry is dropped.
        send(tcp(CLIENT, 40_009, VIP, 80, ACK, 64, HELLO));
        assertThat(stats.drops(DropReason.NO_ENTRY)).isEqualTo(1);
    }

    /** The same through wlc: overhead / weight, with weights 1 and 2. */
    @Test
    void weightedLeastConnectionFollowsTheSameCountsOverTheWeights() {
        Configs c = Configs.tcp("wlc");
        c.server("rs1", "10.100.0.11:80", 1);
        c.server("rs2", "10.100.0.12:80", 2);
        backend = new Backend(c.build().backends().get(0));
        table = new ConnectionTable(1000, DirectorTimeouts.defaults(), now);
        pipeline = new NatPipeline(List.of(new VirtualService(0, 6, TestPackets.ip(VIP), 80, backend, 0, -1, Forwarding.TUNNEL)),
                table, new dev.ferry.director.table.PersistenceTemplates(), stats.shard(0),
                real -> new TunnelRoutes.Route(TestPackets.ip(DIRECTOR), 1500));

        assertThat(schedule(40_001)).isEqualTo("10.100.0.11");
        // rs1 256 / 1 against rs2 0 / 2.
        assertThat(schedule(40_002)).isEqualTo("10.100.0.12");
        // rs1 256 / 1 against rs2 256 / 2.
        assertThat(schedule(40_003)).isEqualTo("10.100.0.12");
        send(tcp(CLIENT, 40_001, VIP, 80, ACK, 64, HELLO));
        send(tcp(CLIENT, 40_001, VIP, 80, FIN | ACK, 64, new byte[0]));
        assertCounts("rs1", 0, 1);
        // rs1 1 / 1 against rs2 512 / 2.
        assertThat(schedule(40_004)).isEqualTo("10.100.0.11");
        // A client's RST in SYN_RECV leaves it there (the INPUT-ONLY table's cell), still active; in ESTABLISHED
        // it closes the connection.
        send(tcp(CLIENT, 40_003, VIP, 80, TestPackets.RST, 64, new byte[0]));
        assertCounts("rs2", 2, 0);
        send(tcp(CLIENT, 40_002, VIP, 80, ACK, 64, HELLO));
        send(tcp(CLIENT, 40_002, VIP, 80, TestPackets.RST, 64, new byte[0]));
        assertCounts("rs2", 1, 1);
        assertCounts("rs1", 1, 1);
        // rs1 257 / 1 against rs2 257 / 2.
        assertThat(schedule(40_005)).isEqualTo("10.100.0.12");
    }

    /** {@code servers[].forwarding} overrides the service's method for that server's new connections. */
    @Test
    void aServersOwnForwardingOverridesItsServices() throws Exception {
        backend = new Backend(dev.ferry.config.ConfigLoader.parse("""
                backends:
                  - name: web
                    scheduler: rr
                    servers:
                      - { name: rs1, address: 10.100.0.11:80 }
                      - { name: rs2, address: 10.101.0.12:8080, forwarding: nat }
                      - { name: rs3, address: 10.100.0.13:80, forwarding: tunnel }
                directors:
                  - name: lvs1
                    services:
                      - { vip: 10.100.0.100:80, backend: web, forwarding: tunnel }
                      - { vip: 10.100.0.101:80, backend: web }
                """, java.nio.file.Path.of("ferry.yaml")).backends().get(0));
        table = new ConnectionTable(1000, DirectorTimeouts.defaults(), now);
        int vip = TestPackets.ip(VIP);
        pipeline = new NatPipeline(List.of(new VirtualService(0, 6, vip, 80, backend, 0, -1, Forwarding.TUNNEL),
                new VirtualService(1, 6, TestPackets.ip("10.100.0.101"), 80, backend)), table,
                new dev.ferry.director.table.PersistenceTemplates(), stats.shard(0),
                real -> new TunnelRoutes.Route(TestPackets.ip(DIRECTOR), 1500));

        // The tunnel service: rs1 as the service says, rs2 rewritten (its own nat), rs3 tunnelled.
        Out first = send(tcp(CLIENT, 40_001, VIP, 80, SYN, 64, new byte[0]));
        assertOuter(first.bytes(), 40, DIRECTOR, "10.100.0.11", 0, true, 63);
        Out second = send(tcp(CLIENT, 40_002, VIP, 80, SYN, 64, new byte[0]));
        assertThat(second.bytes()).isEqualTo(tcp(CLIENT, 40_002, "10.101.0.12", 8080, SYN, 63, new byte[0]));
        Out third = send(tcp(CLIENT, 40_003, VIP, 80, SYN, 64, new byte[0]));
        assertOuter(third.bytes(), 40, DIRECTOR, "10.100.0.13", 0, true, 63);
        // The NAT service: rs3 is still tunnelled, its packet unchanged inside.
        assertThat(send(tcp(CLIENT, 40_004, "10.100.0.101", 80, SYN, 64, new byte[0])).bytes())
                .isEqualTo(tcp(CLIENT, 40_004, "10.100.0.11", 80, SYN, 63, new byte[0]));
        send(tcp(CLIENT, 40_005, "10.100.0.101", 80, SYN, 64, new byte[0]));
        Out natThird = send(tcp(CLIENT, 40_006, "10.100.0.101", 80, SYN, 64, new byte[0]));
        assertOuter(natThird.bytes(), 40, DIRECTOR, "10.100.0.13", 0, true, 63);
        assertThat(natThird.inner()).isEqualTo(tcp(CLIENT, 40_006, "10.100.0.101", 80, SYN, 63, new byte[0]));
        // Later packets follow the connection's own method.
        assertThat(send(tcp(CLIENT, 40_002, VIP, 80, ACK, 64, HELLO)).bytes())
                .isEqualTo(tcp(CLIENT, 40_002, "10.101.0.12", 8080, ACK, 63, HELLO));
        assertThat(table.findOutbound(6, TestPackets.ip("10.101.0.12"), 8080, TestPackets.ip(CLIENT), 40_002))
                .as("the NAT server's replies come back").isNotNull();
    }

    /** A reload that turns a NAT service into a tunnel one: tracked connections keep the method they began with. */
    @Test
    void aServiceReloadedFromNatToTunnelLeavesItsTrackedConnectionsAsTheyWere() {
        rig("rr", "10.100.0.11:8080");
        send(tcp(CLIENT, 40_000, VIP, 8080, SYN, 64, new byte[0]));

        pipeline.setServices(List.of(new VirtualService(2, 6, TestPackets.ip(VIP), 8080, backend, 0, -1, Forwarding.TUNNEL)));

        assertThat(send(tcp(CLIENT, 40_000, VIP, 8080, ACK, 64, HELLO)).bytes())
                .as("the NAT connection is still rewritten").isEqualTo(tcp(CLIENT, 40_000, "10.100.0.11", 8080,
                        ACK, 63, HELLO));
        Out fresh = send(tcp(CLIENT, 40_001, VIP, 8080, SYN, 64, new byte[0]));
        assertOuter(fresh.bytes(), 40, DIRECTOR, "10.100.0.11", 0, true, 63);
    }

    @Test
    void aNatServiceBesideATunnelOneStillRewrites() {
        rig("rr", "10.100.0.11:8080");
        Out nat = send(tcp(CLIENT, 40_000, VIP, 8080, SYN, 64, new byte[0]));
        assertThat(nat.bytes()).isEqualTo(tcp(CLIENT, 40_000, "10.100.0.11", 8080, SYN, 63, new byte[0]));
        assertThat(table.findOutbound(6, TestPackets.ip("10.100.0.11"), 8080, TestPackets.ip(CLIENT), 40_000))
                .isNotNull();
        assertThat(asked).as("NAT asks no route").isEmpty();
    }
}
