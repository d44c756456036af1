package dev.ferry.director.table;

import dev.ferry.backend.Backend;
import dev.ferry.backend.ConnectionLease;
import dev.ferry.backend.Server;
import dev.ferry.director.packet.Ipv4;
import dev.ferry.director.table.TcpStateTable.Direction;
import dev.ferry.testing.Configs;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static dev.ferry.director.table.TcpStateTable.Direction.INPUT;
import static dev.ferry.director.table.TcpStateTable.Direction.OUTPUT;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The director's connection table on its own: lookups from both directions, its limit, expiry at each state's
 * timeout on the timing wheel, and the bound server's active and inactive counts as IPVS's {@code set_tcp_state}
 * and {@code ip_vs_bind_dest}/{@code ip_vs_unbind_dest} move them. Time is a plain number this test advances.
 */
class ConnectionTableTest {
    private static final int FIN = Ipv4.TCP_FIN;
    private static final int SYN = Ipv4.TCP_SYN;
    private static final int RST = Ipv4.TCP_RST;
    private static final int ACK = Ipv4.TCP_ACK;
    private static final int CLIENT = Ipv4.parse("10.100.0.2");
    private static final int VIP = Ipv4.parse("10.200.0.100");
    private static final int REAL = Ipv4.parse("10.101.0.11");
    private static final int VPORT = 80;
    private static final int RPORT = 8080;
    /** The table's wheel tick; start times are multiples of it so that expiry instants are exact. */
    private static final long TICK = 100;

    private Server server;
    private ConnectionTable table;
    private long now = 1_000_000;

    @BeforeEach
    void rig() {
        Backend backend = new Backend(Configs.tcp("rr").server("rs1", "10.101.0.11:8080", 1).build().backends()
                .get(0));
        server = backend.server("rs1").orElseThrow();
        table = new ConnectionTable(1_000, DirectorTimeouts.defaults(), now);
    }

    private TrackedConnection addTcp(int clientPort) {
        return add(Ipv4.TCP, CLIENT, clientPort, true);
    }

    private TrackedConnection add(int protocol, int clientAddress, int clientPort, boolean withReplies) {
        ConnectionLease lease = server.open();
        TrackedConnection e = table.add(protocol, clientAddress, clientPort, VIP, VPORT, REAL, RPORT, 0, lease,
                withReplies, now);
        if (e == null) {
            lease.close();
        }
        return e;
    }

    private TrackedConnection in(int protocol, int clientAddress, int clientPort) {
        return table.findInbound(protocol, clientAddress, clientPort, VIP, VPORT);
    }

    private TrackedConnection out(int protocol, int clientAddress, int clientPort) {
        return table.findOutbound(protocol, REAL, RPORT, clientAddress, clientPort);
    }

    private void seen(TrackedConnection e, Direction d, int flags) {
        table.seen(e, d, flags, now);
        assertCountsAgree();
    }

    /** byState (inState) sums to size minus the UDP entries, and the server counts every live entry once. */
    private void assertCountsAgree() {
        int tcp = 0;
        for (TcpState s : TcpState.values()) {
            assertThat(table.inState(s)).as("inState(%s)", s).isNotNegative();
            tcp += table.inState(s);
        }
        assertThat(tcp).as("entries by state").isEqualTo(table.size() - table.udpEntries());
        assertThat(server.active() + server.inactive()).as("server's active + inactive").isEqualTo(table.size());
    }

    private void assertServer(int active, int inactive) {
        assertThat(server.active()).as("active").isEqualTo(active);
        assertThat(server.inactive()).as("inactive").isEqualTo(inactive);
    }

    /** Client SYN, server SYN+ACK, client ACK: ESTABLISHED. */
    private TrackedConnection established(int clientPort) {
        TrackedConnection e = addTcp(clientPort);
        seen(e, INPUT, SYN);
        seen(e, OUTPUT, SYN | ACK);
        seen(e, INPUT, ACK);
        assertThat(e.state()).isEqualTo(TcpState.ESTABLISHED);
        return e;
    }

    @Test
    void anEntryIsFoundFromTheClientsSideAndFromTheRealServersReply() {
        TrackedConnection e = addTcp(40_000);

        assertThat(in(Ipv4.TCP, CLIENT, 40_000)).isSameAs(e);
        assertThat(out(Ipv4.TCP, CLIENT, 40_000)).isSameAs(e);
        assertThat(in(Ipv4.UDP, CLIENT, 40_000)).as("another protocol").isNull();
        assertThat(in(Ipv4.TCP, CLIENT, 40_001)).as("another client port").isNull();
        assertThat(table.findInbound(Ipv4.TCP, CLIENT, 40_000, VIP, 81)).as("another virtual port").isNull();
        assertThat(table.findOutbound(Ipv4.TCP, REAL, 8081, CLIENT, 40_000)).as("another real port").isNull();
        assertThat(table.findInbound(Ipv4.TCP, REAL, RPORT, CLIENT, 40_000)).as("a reply is not inbound").isNull();
        assertThat(table.findOutbound(Ipv4.TCP, CLIENT, 40_000, VIP, VPORT)).as("a request is not a reply")
                .isNull();
        assertThat(e.state()).isEqualTo(TcpState.NONE);
        assertThat(table.size()).isEqualTo(1);
        assertServer(0, 1);
        assertCountsAgree();
    }

    @Test
    void aRemovedEntryIsFoundFromNeitherSideAndItsServerLetsGo() {
        TrackedConnection a = established(40_000);
        TrackedConnection b = addTcp(40_001);
        assertServer(1, 1);

        table.remove(a);

        assertThat(in(Ipv4.TCP, CLIENT, 40_000)).isNull();
        assertThat(out(Ipv4.TCP, CLIENT, 40_000)).isNull();
        assertThat(in(Ipv4.TCP, CLIENT, 40_001)).isSameAs(b);
        assertThat(out(Ipv4.TCP, CLIENT, 40_001)).isSameAs(b);
        assertThat(a.lease().isClosed()).isTrue();
        assertThat(table.size()).isEqualTo(1);
        assertServer(0, 1);
        assertCountsAgree();
        assertThat(table.expiredTotal()).as("a removal is not an expiry").isZero();
        now += Duration.ofMinutes(20).toMillis();
        table.expire(now);
        assertThat(table.expiredTotal()).as("only b expires: a left the wheel too").isEqualTo(1);
    }

    @Test
    void anExpiredEntryIsFoundFromNeitherSideAndItsServerLetsGo() {
        TrackedConnection e = established(40_000);
        assertServer(1, 0);

        now += TcpState.ESTABLISHED.defaultTimeout().toMillis();
        table.expire(now);

        assertThat(in(Ipv4.TCP, CLIENT, 40_000)).isNull();
        assertThat(out(Ipv4.TCP, CLIENT, 40_000)).isNull();
        assertThat(e.lease().isClosed()).isTrue();
        assertThat(table.size()).isZero();
        assertThat(table.expiredTotal()).isEqualTo(1);
        assertServer(0, 0);
        assertCountsAgree();
    }

    @Test
    void addReturnsNullAtTheLimitAndTheTableNeverHoldsMore() {
        table = new ConnectionTable(3, DirectorTimeouts.defaults(), now);
        TrackedConnection first = addTcp(40_000);
        assertThat(addTcp(40_001)).isNotNull();
        assertThat(add(Ipv4.UDP, CLIENT, 40_002, true)).isNotNull();
        assertThat(table.isFull()).isTrue();

        assertThat(addTcp(40_003)).isNull();
        assertThat(add(Ipv4.UDP, CLIENT, 40_004, true)).isNull();

        assertThat(table.size()).isEqualTo(3);
        assertThat(in(Ipv4.TCP, CLIENT, 40_003)).isNull();
        assertThat(server.totalConnections()).as("five opened, two refused and closed by the caller").isEqualTo(5);
        assertCountsAgree();
        table.remove(first);
        assertThat(table.isFull()).isFalse();
        assertThat(addTcp(40_003)).as("room again after a removal").isNotNull();
        assertThat(table.size()).isEqualTo(3);
        assertCountsAgree();
    }

    @Test
    void aTableGrownThroughManyResizesFindsEveryEntryBothWaysAndExpiresThemAll() {
        int n = 100_000;
        table = new ConnectionTable(n, DirectorTimeouts.defaults(), now);
        List<TrackedConnection> entries = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            // 391 client addresses x 256 ports: distinct flows that share address and port bits.
            entries.add(add(Ipv4.TCP, CLIENT + (i >>> 8), 10_000 + (i & 0xFF), true));
        }
        assertThat(table.size()).isEqualTo(n);
        assertThat(addTcp(9_999)).as("limit").isNull();
        for (int i = 0; i < n; i++) {
            TrackedConnection e = entries.get(i);
            assertThat(in(Ipv4.TCP, CLIENT + (i >>> 8), 10_000 + (i & 0xFF))).isSameAs(e);
            assertThat(out(Ipv4.TCP, CLIENT + (i >>> 8), 10_000 + (i & 0xFF))).isSameAs(e);
        }
        assertThat(table.inState(TcpState.NONE)).isEqualTo(n);
        assertServer(0, n);
        long due = now + TcpState.NONE.defaultTimeout().toMillis();

        table.expire(due - 1);
        assertThat(table.size()).as("none before NONE's timeout").isEqualTo(n);
        table.expire(due);

        assertThat(table.size()).isZero();
        assertThat(table.expiredTotal()).isEqualTo(n);
        assertThat(table.inState(TcpState.NONE)).isZero();
        assertServer(0, 0);
        for (int i = 0; i < n; i += 97) {
            assertThat(in(Ipv4.TCP, CLIENT + (i >>> 8), 10_000 + (i & 0xFF))).isNull();
            assertThat(out(Ipv4.TCP, CLIENT + (i >>> 8), 10_000 + (i & 0xFF))).isNull();
        }
    }

    /** Every state the kernel's tcp_states can reach from NONE (LAST_ACK, LISTEN, SYNACK are not reachable). */
    @ParameterizedTest
    @EnumSource(value = TcpState.class, names = {"NONE", "SYN_SENT", "SYN_RECV", "ESTABLISHED", "FIN_WAIT",
            "CLOSE_WAIT", "TIME_WAIT", "CLOSE"})
    void anEntryExpiresAtItsStatesTimeoutAndNotATickBefore(TcpState target) {
        // A distinct timeout per state (a multiple of the tick), so expiring at another state's would show.
        DirectorTimeouts t = DirectorTimeouts.defaults();
        for (TcpState s : TcpState.values()) {
            t = t.with(s, Duration.ofMillis(5_000 + 700L * s.ordinal()));
        }
        table = new ConnectionTable(100, t, now);
        TrackedConnection e = addTcp(40_000);
        now += 1_000;
        switch (target) {
            case NONE -> { }
            case SYN_SENT -> seen(e, OUTPUT, SYN);
            case SYN_RECV -> seen(e, INPUT, SYN);
            case ESTABLISHED -> {
                seen(e, INPUT, SYN);
                seen(e, INPUT, ACK);
            }
            case FIN_WAIT -> {
                seen(e, INPUT, SYN);
                seen(e, INPUT, ACK);
                seen(e, OUTPUT, FIN | ACK);
            }
            case CLOSE_WAIT -> {
                seen(e, INPUT, SYN);
                seen(e, INPUT, ACK);
                seen(e, INPUT, FIN | ACK);
            }
            case TIME_WAIT -> {
                seen(e, INPUT, SYN);
                seen(e, INPUT, ACK);
                seen(e, INPUT, FIN | ACK);
                seen(e, OUTPUT, FIN | ACK);
            }
            case CLOSE -> {
                seen(e, INPUT, SYN);
                seen(e, INPUT, ACK);
                seen(e, INPUT, RST);
            }
            default -> throw new IllegalArgumentException(target.name());
        }
        assertThat(e.state()).isEqualTo(target);
        long lastPacket = target == TcpState.NONE ? now - 1_000 : now;
        long due = lastPacket + t.tcpMillis(target);
        assertThat(e.expiresAt()).isEqualTo(due);

        table.expire(due - TICK);
        table.expire(due - 1);
        assertThat(in(Ipv4.TCP, CLIENT, 40_000)).as("1 ms before its timeout").isSameAs(e);
        table.expire(due);
        assertThat(in(Ipv4.TCP, CLIENT, 40_000)).as("at its timeout").isNull();
        assertThat(table.expiredTotal()).isEqualTo(1);
        assertCountsAgree();
    }

    /**
     * ESTABLISHED's 900 s is more than a turn of the wheel (8192 ticks of 100 ms): the entry's slot comes round once
     * before it is due.
     */
    @Test
    void anEstablishedEntryOutlivesATurnOfTheWheelAndEveryPacketRestartsItsTimeout() {
        TrackedConnection e = established(40_000);
        long timeout = TcpState.ESTABLISHED.defaultTimeout().toMillis();
        for (int i = 0; i < 3; i++) {
            now += timeout - 1;
            table.expire(now);
            assertThat(in(Ipv4.TCP, CLIENT, 40_000)).as("packet %d", i).isSameAs(e);
            seen(e, OUTPUT, ACK);
        }
        // The last packet came off a tick boundary: the entry goes at the first tick at or after its expiry.
        assertThat(now % TICK).isNotZero();
        table.expire(now + timeout - 1);
        assertThat(table.size()).isEqualTo(1);
        table.expire(now + timeout + TICK - 1);
        assertThat(table.size()).as("less than a tick late").isZero();
    }

    @Test
    void aChangedTimeoutAppliesFromTheNextPacket() {
        table.setTimeouts(DirectorTimeouts.defaults().with(TcpState.ESTABLISHED, Duration.ofSeconds(30)));
        TrackedConnection shorter = established(40_000);
        TrackedConnection longer = established(40_001);
        long start = now;

        now = start + 10_000;
        table.setTimeouts(DirectorTimeouts.defaults().with(TcpState.ESTABLISHED, Duration.ofSeconds(5)));
        table.expire(start + 20_000);
        assertThat(table.size()).as("no packet yet: both keep the 30 s they had").isEqualTo(2);
        now = start + 20_000;
        seen(shorter, INPUT, ACK);
        table.setTimeouts(DirectorTimeouts.defaults().with(TcpState.ESTABLISHED, Duration.ofSeconds(60)));
        seen(longer, INPUT, ACK);

        table.expire(start + 25_000 - 1);
        assertThat(in(Ipv4.TCP, CLIENT, 40_000)).isSameAs(shorter);
        table.expire(start + 25_000);
        assertThat(in(Ipv4.TCP, CLIENT, 40_000)).as("5 s after its last packet").isNull();
        table.expire(start + 80_000 - 1);
        assertThat(in(Ipv4.TCP, CLIENT, 40_001)).as("past the old 30 s").isSameAs(longer);
        table.expire(start + 80_000);
        assertThat(in(Ipv4.TCP, CLIENT, 40_001)).as("60 s after its last packet").isNull();
    }

    /**
     * The states and counts along a NAT connection's life, as {@code set_tcp_state} moves them. The kernel counts
     * ESTABLISHED active and FIN_WAIT, CLOSE_WAIT, TIME_WAIT, CLOSE, NONE inactive; see
     * {@link #preEstablishedStatesCountAsActiveAsInCurrentKernels()} for SYN_SENT and SYN_RECV.
     */
    @Test
    void theServersCountsFollowTheEntryThroughAHandshakeAndAClose() {
        TrackedConnection e = addTcp(40_000);
        assertServer(0, 1);
        assertCountsAgree();
        seen(e, INPUT, SYN);
        assertThat(e.state()).isEqualTo(TcpState.SYN_RECV);
        seen(e, OUTPUT, SYN | ACK);
        assertThat(e.state()).isEqualTo(TcpState.SYN_RECV);
        seen(e, INPUT, ACK);
        assertThat(e.state()).isEqualTo(TcpState.ESTABLISHED);
        assertServer(1, 0);
        seen(e, OUTPUT, ACK);
        seen(e, INPUT, ACK);
        assertServer(1, 0);
        seen(e, INPUT, FIN | ACK);
        assertThat(e.state()).isEqualTo(TcpState.CLOSE_WAIT);
        assertServer(0, 1);
        seen(e, OUTPUT, FIN | ACK);
        assertThat(e.state()).isEqualTo(TcpState.TIME_WAIT);
        assertServer(0, 1);
        seen(e, INPUT, ACK);
        assertThat(e.state()).isEqualTo(TcpState.TIME_WAIT);

        // The client reuses the port: SYN in TIME_WAIT starts over, and a reset closes it.
        seen(e, INPUT, SYN);
        assertThat(e.state()).isEqualTo(TcpState.SYN_RECV);
        seen(e, OUTPUT, SYN | ACK);
        seen(e, INPUT, ACK);
        assertServer(1, 0);
        seen(e, OUTPUT, RST);
        assertThat(e.state()).isEqualTo(TcpState.CLOSE);
        assertServer(0, 1);

        // A second, established connection and a UDP flow on the same server.
        established(40_001);
        TrackedConnection udp = add(Ipv4.UDP, CLIENT, 5353, true);
        seen(udp, INPUT, 0);
        seen(udp, OUTPUT, 0);
        assertThat(udp.state()).isNull();
        assertThat(table.udpEntries()).isEqualTo(1);
        assertServer(1, 2);

        table.expire(now + TcpState.CLOSE.defaultTimeout().toMillis());
        assertThat(in(Ipv4.TCP, CLIENT, 40_000)).isNull();
        assertServer(1, 1);
        assertCountsAgree();
        table.expire(now + DirectorTimeouts.DEFAULT_UDP.toMillis());
        assertServer(1, 0);
        assertCountsAgree();
        table.expire(now + TcpState.ESTABLISHED.defaultTimeout().toMillis());
        assertServer(0, 0);
        assertThat(table.size()).isZero();
        assertCountsAgree();
    }

    /**
     * Current mainline's {@code set_tcp_state} counts through {@code tcp_state_active()}: SYN_SENT, SYN_RECV,
     * ESTABLISHED and SYNACK are active ({@code tcp_state_active_table}), the rest inactive; kernels before it
     * counted ESTABLISHED alone.
     */
    @Test
    void preEstablishedStatesCountAsActiveAsInCurrentKernels() {
        TrackedConnection e = addTcp(40_000);
        assertServer(0, 1);
        seen(e, INPUT, SYN);
        assertThat(e.state()).isEqualTo(TcpState.SYN_RECV);
        assertServer(1, 0);
        seen(e, INPUT, ACK);
        assertServer(1, 0);
        seen(e, INPUT, FIN | ACK);
        assertServer(0, 1);
        TrackedConnection passive = addTcp(40_001);
        seen(passive, OUTPUT, SYN);
        assertThat(passive.state()).isEqualTo(TcpState.SYN_SENT);
        assertServer(1, 1);
    }

    @Test
    void anEntryWithoutRepliesIsFoundInboundOnlyAndUsesInputOnlyUntilAReplyIsSeen() {
        TrackedConnection dr = add(Ipv4.TCP, CLIENT, 40_000, false);
        TrackedConnection nat = add(Ipv4.TCP, CLIENT, 40_001, true);
        assertThat(in(Ipv4.TCP, CLIENT, 40_000)).isSameAs(dr);
        assertThat(out(Ipv4.TCP, CLIENT, 40_000)).as("replies bypass the director").isNull();
        assertThat(dr.noOutput()).isTrue();
        assertThat(nat.noOutput()).isFalse();
        for (TrackedConnection e : List.of(dr, nat)) {
            seen(e, INPUT, SYN);
            seen(e, INPUT, ACK);
            assertThat(e.state()).isEqualTo(TcpState.ESTABLISHED);
        }
        assertServer(2, 0);

        // The cells where INPUT-ONLY differs from INPUT: FIN from ESTABLISHED and from FIN_WAIT.
        seen(dr, INPUT, FIN | ACK);
        seen(nat, INPUT, FIN | ACK);
        assertThat(dr.state()).isEqualTo(TcpState.FIN_WAIT);
        assertThat(nat.state()).isEqualTo(TcpState.CLOSE_WAIT);
        seen(dr, INPUT, FIN | ACK);
        assertThat(dr.state()).as("INPUT-ONLY FIN keeps FIN_WAIT").isEqualTo(TcpState.FIN_WAIT);
        assertThat(dr.noOutput()).isTrue();

        // A reply seen on it (IP_VS_CONN_F_NOOUTPUT cleared): from then on the INPUT part applies.
        seen(dr, OUTPUT, ACK);
        assertThat(dr.noOutput()).isFalse();
        assertThat(dr.state()).isEqualTo(TcpState.FIN_WAIT);
        seen(dr, INPUT, FIN | ACK);
        assertThat(dr.state()).as("INPUT FIN takes FIN_WAIT to TIME_WAIT").isEqualTo(TcpState.TIME_WAIT);

        table.remove(dr);
        assertThat(in(Ipv4.TCP, CLIENT, 40_000)).isNull();
        assertThat(out(Ipv4.TCP, CLIENT, 40_001)).as("the NAT entry's reply chain is intact").isSameAs(nat);
        assertCountsAgree();
    }

    /** A packet with none of RST, SYN, FIN, ACK takes the entry to CLOSE and its timeout, as the kernel does. */
    @Test
    void aPacketWithNoStateFlagClosesTheEntry() {
        TrackedConnection e = established(40_000);
        seen(e, INPUT, 0x08);
        assertThat(e.state()).isEqualTo(TcpState.CLOSE);
        assertThat(e.expiresAt()).isEqualTo(now + TcpState.CLOSE.defaultTimeout().toMillis());
        assertServer(0, 1);
    }

    @Test
    void removingAnEntryThatAlreadyExpiredChangesNothing() {
        // a: NONE's 2 s. b: UDP, due exactly one turn of the wheel (8192 ticks) later: the same wheel slot.
        table.setTimeouts(new DirectorTimeouts(Duration.ofMinutes(15), Duration.ofMinutes(2),
                Duration.ofMillis(2_000 + 8_192 * TICK)));
        TrackedConnection a = addTcp(40_000);
        TrackedConnection b = add(Ipv4.UDP, CLIENT, 40_001, true);
        table.expire(now + 2_000);
        assertThat(in(Ipv4.TCP, CLIENT, 40_000)).isNull();
        assertThat(table.size()).isEqualTo(1);

        table.remove(a);

        assertThat(table.size()).isEqualTo(1);
        assertCountsAgree();
        table.expire(b.expiresAt());
        assertThat(in(Ipv4.UDP, CLIENT, 40_001)).as("b expires on time").isNull();
        assertThat(table.size()).isZero();
    }
}
