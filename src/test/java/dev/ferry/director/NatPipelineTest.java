package dev.ferry.director;

import dev.ferry.backend.Backend;
import dev.ferry.backend.Server;
import dev.ferry.director.NatPipeline.Verdict;
import dev.ferry.director.table.ConnectionTable;
import dev.ferry.director.table.DirectorTimeouts;
import dev.ferry.director.table.TcpState;
import dev.ferry.testing.Configs;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.List;

import static dev.ferry.director.TestPackets.ACK;
import static dev.ferry.director.TestPackets.FIN;
import static dev.ferry.director.TestPackets.SYN;
import static dev.ferry.director.TestPackets.icmpError;
import static dev.ferry.director.TestPackets.tcp;
import static dev.ferry.director.TestPackets.udp;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Golden packet tests of VS/NAT: input bytes to expected output bytes for each rewrite, every checksum verified by
 * {@link TestPackets}' own full computation, and the connection table's states and server counts as IPVS's.
 */
class NatPipelineTest {
    private static final String CLIENT = "10.100.0.2";
    private static final String VIP = "10.200.0.100";
    private static final byte[] HELLO = "hello".getBytes();

    private final Arena arena = Arena.ofConfined();
    private final MemorySegment buffer = arena.allocate(65_536);
    private final MemorySegment reply = arena.allocate(1_500);
    private final DirectorStats stats = new DirectorStats();
    private Backend backend;
    private ConnectionTable table;
    private NatPipeline pipeline;
    private long now = 1_000_000;

    @AfterEach
    void close() {
        arena.close();
    }

    private void rig(String scheduler, int limit, DirectorTimeouts timeouts, String... servers) {
        Configs c = Configs.tcp(scheduler);
        for (int i = 0; i < servers.length; i++) {
            c.server("rs" + (i + 1), servers[i], 1);
        }
        backend = new Backend(c.build().backends().get(0));
        table = new ConnectionTable(limit, timeouts, now);
        pipeline = new NatPipeline(List.of(new VirtualService(0, 6, TestPackets.ip(VIP), 80, backend),
                new VirtualService(1, 17, TestPackets.ip(VIP), 53, backend)), table, stats.shard(0));
    }

    private void rig(String... servers) {
        rig("rr", 1000, DirectorTimeouts.defaults(), servers);
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
    void aSynGetsTheRealServersAddressAndPortAndEveryChecksumStaysRight() {
        rig("10.101.0.11:8080");
        Out out = send(tcp(CLIENT, 40_000, VIP, 80, SYN, 64, new byte[0]));

        assertThat(out.verdict()).isEqualTo(Verdict.FORWARD);
        assertThat(out.bytes()).isEqualTo(tcp(CLIENT, 40_000, "10.101.0.11", 8080, SYN, 63, new byte[0]));
        assertThat(TestPackets.headerChecksumOk(out.bytes())).isTrue();
        assertThat(TestPackets.transportChecksumOk(out.bytes())).isTrue();
        assertThat(table.size()).isEqualTo(1);
        assertThat(table.inState(TcpState.SYN_RECV)).isEqualTo(1);
        // SYN_RECV is active, as current kernels count it (tcp_state_active_table).
        assertThat(server("rs1").active()).isEqualTo(1);
        assertThat(server("rs1").inactive()).isZero();
    }

    @Test
    void repliesGetTheVirtualAddressBackAndTheHandshakeMakesTheConnectionActive() {
        rig("10.101.0.11:8080");
        send(tcp(CLIENT, 40_000, VIP, 80, SYN, 64, new byte[0]));
        Out synAck = send(tcp("10.101.0.11", 8080, CLIENT, 40_000, SYN | ACK, 64, new byte[0]));
        assertThat(synAck.bytes()).isEqualTo(tcp(VIP, 80, CLIENT, 40_000, SYN | ACK, 63, new byte[0]));
        assertThat(table.inState(TcpState.SYN_RECV)).isEqualTo(1);

        Out ack = send(tcp(CLIENT, 40_000, VIP, 80, ACK, 64, HELLO));
        assertThat(ack.bytes()).isEqualTo(tcp(CLIENT, 40_000, "10.101.0.11", 8080, ACK, 63, HELLO));
        assertThat(table.inState(TcpState.ESTABLISHED)).isEqualTo(1);
        assertThat(server("rs1").active()).isEqualTo(1);
        assertThat(server("rs1").inactive()).isZero();

        // The client closes first: INPUT fin from ESTABLISHED is CLOSE_WAIT, the connection inactive again.
        send(tcp(CLIENT, 40_000, VIP, 80, FIN | ACK, 64, new byte[0]));
        assertThat(table.inState(TcpState.CLOSE_WAIT)).isEqualTo(1);
        assertThat(server("rs1").active()).isZero();
        assertThat(server("rs1").inactive()).isEqualTo(1);
        // The server's FIN: OUTPUT fin from CLOSE_WAIT is TIME_WAIT.
        send(tcp("10.101.0.11", 8080, CLIENT, 40_000, FIN | ACK, 64, new byte[0]));
        assertThat(table.inState(TcpState.TIME_WAIT)).isEqualTo(1);
        assertThat(stats.inboundPackets()).isEqualTo(3);
        assertThat(stats.outboundPackets()).isEqualTo(2);
    }

    @Test
    void aTcpPacketOtherThanASynWithoutAnEntryIsDroppedAndCounted() {
        rig("10.101.0.11:8080");
        assertThat(send(tcp(CLIENT, 40_001, VIP, 80, ACK, 64, HELLO)).verdict()).isEqualTo(Verdict.DROP);
        assertThat(stats.drops(DropReason.NO_ENTRY)).isEqualTo(1);
        assertThat(table.size()).isZero();
    }

    @Test
    void packetsOfNoServicePassUnchangedButForTheTtlAndAVirtualAddressOnAnotherPortIsDropped() {
        rig("10.101.0.11:8080");
        Out other = send(tcp("10.101.0.11", 5000, "10.101.0.1", 9000, SYN, 64, new byte[0]));
        assertThat(other.bytes()).isEqualTo(tcp("10.101.0.11", 5000, "10.101.0.1", 9000, SYN, 63, new byte[0]));
        assertThat(stats.passedPackets()).isEqualTo(1);

        assertThat(send(tcp(CLIENT, 40_000, VIP, 81, SYN, 64, new byte[0])).verdict()).isEqualTo(Verdict.DROP);
        assertThat(stats.drops(DropReason.NO_SERVICE)).isEqualTo(1);
    }

    @Test
    void udpIsRewrittenWithAndWithoutAChecksum() {
        rig("10.101.0.12:5353");
        Out with = send(udp(CLIENT, 33_000, VIP, 53, 64, HELLO, true));
        assertThat(with.bytes()).isEqualTo(udp(CLIENT, 33_000, "10.101.0.12", 5353, 63, HELLO, true));
        Out without = send(udp(CLIENT, 33_000, VIP, 53, 64, HELLO, false));
        assertThat(without.bytes()).isEqualTo(udp(CLIENT, 33_000, "10.101.0.12", 5353, 63, HELLO, false));
        Out back = send(udp("10.101.0.12", 5353, CLIENT, 33_000, 64, HELLO, true));
        assertThat(back.bytes()).isEqualTo(udp(VIP, 53, CLIENT, 33_000, 63, HELLO, true));
        assertThat(table.udpEntries()).isEqualTo(1);
        assertThat(server("rs1").inactive()).as("IPVS counts UDP entries as inactive").isEqualTo(1);
    }

    @Test
    void aPacketWhoseTtlRunsOutIsAnsweredWithTimeExceededQuotingIt() {
        rig("10.101.0.11:8080");
        byte[] syn = tcp(CLIENT, 40_000, VIP, 80, SYN, 1, new byte[0]);
        Out out = send(syn);
        assertThat(out.verdict()).isEqualTo(Verdict.REPLY);
        byte[] icmp = out.bytes();
        assertThat(icmp[9]).isEqualTo((byte) 1);
        assertThat(TestPackets.u32(icmp, 12)).isEqualTo(TestPackets.ip(VIP));
        assertThat(TestPackets.u32(icmp, 16)).isEqualTo(TestPackets.ip(CLIENT));
        assertThat(icmp[20]).isEqualTo((byte) 11);
        assertThat(java.util.Arrays.copyOfRange(icmp, 28, icmp.length))
                .isEqualTo(java.util.Arrays.copyOfRange(syn, 0, 28));
        assertThat(TestPackets.headerChecksumOk(icmp)).isTrue();
        assertThat(TestPackets.icmpChecksumOk(icmp)).isTrue();
        assertThat(table.size()).as("no entry for a packet that was not forwarded").isZero();
        assertThat(stats.drops(DropReason.TTL)).isEqualTo(1);
    }

    @Test
    void anIcmpPortUnreachableFromARealServerReachesTheClientAboutTheVirtualService() {
        rig("10.101.0.12:5353");
        send(udp(CLIENT, 33_000, VIP, 53, 64, HELLO, true));
        byte[] asServerSawIt = udp(CLIENT, 33_000, "10.101.0.12", 5353, 63, HELLO, true);
        Out out = send(icmpError("10.101.0.12", CLIENT, 3, 3, asServerSawIt, asServerSawIt.length));

        byte[] asClientSentIt = udp(CLIENT, 33_000, VIP, 53, 63, HELLO, true);
        assertThat(out.verdict()).isEqualTo(Verdict.FORWARD);
        assertThat(out.bytes()).isEqualTo(withTtl(icmpError(VIP, CLIENT, 3, 3, asClientSentIt,
                asClientSentIt.length), 63));
        assertThat(TestPackets.icmpChecksumOk(out.bytes())).isTrue();
        assertThat(stats.icmpForwarded()).isEqualTo(1);
    }

    @Test
    void anIcmpErrorFromTheClientSideReachesTheRealServer() {
        rig("10.101.0.11:8080");
        send(tcp(CLIENT, 40_000, VIP, 80, SYN, 64, new byte[0]));
        byte[] asClientGotIt = tcp(VIP, 80, CLIENT, 40_000, SYN | ACK, 63, new byte[0]);
        Out out = send(icmpError(CLIENT, VIP, 3, 4, asClientGotIt, 28));

        byte[] asServerSentIt = tcp("10.101.0.11", 8080, CLIENT, 40_000, SYN | ACK, 63, new byte[0]);
        byte[] expected = withTtl(icmpError(CLIENT, "10.101.0.11", 3, 4, asServerSentIt, 28), 63);
        // Only 8 bytes of the TCP header are quoted: its checksum is not, so it stays as the client saw it.
        assertThat(out.bytes()).isEqualTo(expected);
    }

    @Test
    void theTableNeverGrowsPastItsLimit() {
        rig("rr", 3, DirectorTimeouts.defaults(), "10.101.0.11:8080");
        for (int port = 1; port <= 10; port++) {
            send(tcp(CLIENT, 40_000 + port, VIP, 80, SYN, 64, new byte[0]));
        }
        assertThat(table.size()).isEqualTo(3);
        assertThat(stats.drops(DropReason.TABLE_FULL)).isEqualTo(7);
        assertThat(server("rs1").active()).isEqualTo(3);
    }

    @Test
    void entriesExpireWithTheirStatesTimeoutAndTheServerLetsGo() {
        DirectorTimeouts t = new DirectorTimeouts(Duration.ofSeconds(30), Duration.ofSeconds(5),
                Duration.ofSeconds(7));
        rig("rr", 100, t, "10.101.0.11:8080");
        send(tcp(CLIENT, 40_000, VIP, 80, SYN, 64, new byte[0]));
        send(tcp("10.101.0.11", 8080, CLIENT, 40_000, SYN | ACK, 64, new byte[0]));
        send(tcp(CLIENT, 40_000, VIP, 80, ACK, 64, HELLO));
        now += 29_000;
        table.expire(now);
        assertThat(table.size()).isEqualTo(1);
        send(tcp("10.101.0.11", 8080, CLIENT, 40_000, FIN | ACK, 64, new byte[0]));
        assertThat(table.inState(TcpState.FIN_WAIT)).isEqualTo(1);
        now += 4_900;
        table.expire(now);
        assertThat(table.size()).isEqualTo(1);
        now += 200;
        table.expire(now);
        assertThat(table.size()).as("FIN_WAIT's 5 s, not ESTABLISHED's 30 s").isZero();
        assertThat(server("rs1").active() + server("rs1").inactive()).isZero();
        assertThat(table.expiredTotal()).isEqualTo(1);
    }

    @Test
    void leastConnectionFollowsIpvsActiveAndInactiveCounts() {
        rig("lc", 100, DirectorTimeouts.defaults(), "10.101.0.11:8080", "10.101.0.12:8080");
        // Two established connections: rr-like ties go to rs1 then rs2 (lc: least overhead, then list order).
        establish(40_001);
        establish(40_002);
        assertThat(server("rs1").active()).isEqualTo(1);
        assertThat(server("rs2").active()).isEqualTo(1);
        // A third connection that stays in SYN_RECV (active, as current kernels count it: overhead 512) on rs1.
        Out syn = send(tcp(CLIENT, 40_003, VIP, 80, SYN, 64, new byte[0]));
        assertThat(TestPackets.u32(syn.bytes(), 16)).isEqualTo(TestPackets.ip("10.101.0.11"));
        // The next goes to rs2 (overhead 256 < 512).
        Out next = send(tcp(CLIENT, 40_004, VIP, 80, SYN, 64, new byte[0]));
        assertThat(TestPackets.u32(next.bytes(), 16)).isEqualTo(TestPackets.ip("10.101.0.12"));
    }

    private void establish(int port) {
        Out syn = send(tcp(CLIENT, port, VIP, 80, SYN, 64, new byte[0]));
        String real = TestPackets.u32(syn.bytes(), 16) == TestPackets.ip("10.101.0.11") ? "10.101.0.11"
                : "10.101.0.12";
        send(tcp(real, 8080, CLIENT, port, SYN | ACK, 64, new byte[0]));
        send(tcp(CLIENT, port, VIP, 80, ACK, 64, new byte[0]));
    }

    @Test
    void laterFragmentsToAVirtualAddressAreDroppedAndCounted() {
        rig("10.101.0.11:8080");
        byte[] frag = tcp(CLIENT, 40_000, VIP, 80, ACK, 64, HELLO);
        frag[6] = 0x00;
        frag[7] = 0x10; // offset 16 x 8 bytes
        TestPackets.setHeaderChecksum(frag);
        assertThat(send(frag).verdict()).isEqualTo(Verdict.DROP);
        assertThat(stats.drops(DropReason.FRAGMENT)).isEqualTo(1);
    }

    @Test
    void aBrokenHeaderChecksumOrATruncatedPacketIsDropped() {
        rig("10.101.0.11:8080");
        byte[] bad = tcp(CLIENT, 40_000, VIP, 80, SYN, 64, new byte[0]);
        bad[11] ^= 1;
        assertThat(send(bad).verdict()).isEqualTo(Verdict.DROP);
        assertThat(stats.drops(DropReason.BAD_CHECKSUM)).isEqualTo(1);
        byte[] whole = tcp(CLIENT, 40_000, VIP, 80, SYN, 64, new byte[0]);
        byte[] cut = java.util.Arrays.copyOf(whole, 30);
        assertThat(send(cut).verdict()).isEqualTo(Verdict.DROP);
        assertThat(stats.drops(DropReason.MALFORMED)).isEqualTo(1);
    }

    private static byte[] withTtl(byte[] p, int ttl) {
        byte[] c = p.clone();
        c[8] = (byte) ttl;
        TestPackets.setHeaderChecksum(c);
        return c;
    }
}
