package dev.ferry.director.table;

import dev.ferry.backend.Backend;
import dev.ferry.backend.Server;
import dev.ferry.director.packet.Ipv4;
import dev.ferry.director.table.ConnectionTable.Synced;
import dev.ferry.testing.Configs;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static dev.ferry.director.table.TcpStateTable.Direction.INPUT;
import static dev.ferry.director.table.TcpStateTable.Direction.OUTPUT;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The table's side of connection sync: the listener hears of state changes and periodic refreshes (what the active
 * director sends), and {@link ConnectionTable#synced} inserts or updates an entry with a given state and timeout,
 * the server's active and inactive counts following (what the standby does).
 */
class ConnectionTableSyncTest {
    private static final int CLIENT = Ipv4.parse("10.100.0.2");
    private static final int VIP = Ipv4.parse("10.200.0.100");
    private static final int RS1 = Ipv4.parse("10.101.0.11");
    private static final int RS2 = Ipv4.parse("10.101.0.12");

    private Server rs1;
    private Server rs2;
    private ConnectionTable table;
    private long now = 1_000_000;

    @BeforeEach
    void rig() {
        Backend backend = new Backend(Configs.tcp("rr").server("rs1", "10.101.0.11:8080", 1)
                .server("rs2", "10.101.0.12:8080", 1).build().backends().get(0));
        rs1 = backend.server("rs1").orElseThrow();
        rs2 = backend.server("rs2").orElseThrow();
        table = new ConnectionTable(2, DirectorTimeouts.defaults(), now);
    }

    private Synced sync(int port, int real, TcpState state, long timeout) {
        Server s = real == RS1 ? rs1 : rs2;
        return table.synced(Ipv4.TCP, CLIENT, port, VIP, 80, real, 8080, 0, true, false, 0, state, timeout, s::open, now);
    }

    @Test
    void theListenerHearsStateChangesAndRefreshesOfBusyEntries() {
        List<String> heard = new ArrayList<>();
        table.setListener((e, at) -> heard.add(e.stateName() + " " + (e.expiresAt() - at)), 60_000);
        TrackedConnection e = table.add(Ipv4.TCP, CLIENT, 40_000, VIP, 80, RS1, 8080, 0, rs1.open(), true, now);
        table.seen(e, INPUT, Ipv4.TCP_SYN, now);
        table.seen(e, OUTPUT, Ipv4.TCP_SYN | Ipv4.TCP_ACK, now);
        table.seen(e, INPUT, Ipv4.TCP_ACK, now);
        table.seen(e, INPUT, Ipv4.TCP_ACK, now += 30_000); // same state, too soon: nothing
        assertThat(heard).containsExactly("SYN_RECV 60000", "ESTABLISHED 900000");
        table.seen(e, OUTPUT, Ipv4.TCP_ACK, now += 30_000); // 60 s after the last: a refresh
        table.seen(e, INPUT, Ipv4.TCP_FIN | Ipv4.TCP_ACK, now += 1);
        assertThat(heard).containsExactly("SYN_RECV 60000", "ESTABLISHED 900000", "ESTABLISHED 900000",
                "CLOSE_WAIT 60000"); // IPVS: a client's FIN in ESTABLISHED
        TrackedConnection udp = table.add(Ipv4.UDP, CLIENT, 53, VIP, 53, RS1, 53, 0, rs1.open(), true, now);
        table.seen(udp, INPUT, 0, now);
        table.seen(udp, INPUT, 0, now + 1);
        assertThat(heard).hasSize(5).last().isEqualTo("UDP 300000");
    }

    @Test
    void aSyncedEntryIsInsertedWithItsStateAndTimeoutAndItsServerCountsIt() {
        assertThat(sync(40_000, RS1, TcpState.ESTABLISHED, 850_000)).isEqualTo(Synced.INSERTED);
        TrackedConnection e = table.findInbound(Ipv4.TCP, CLIENT, 40_000, VIP, 80);
        assertThat(e.state()).isEqualTo(TcpState.ESTABLISHED);
        assertThat(e.expiresAt()).isEqualTo(now + 850_000);
        assertThat(table.findOutbound(Ipv4.TCP, RS1, 8080, CLIENT, 40_000)).isSameAs(e);
        assertThat(rs1.active()).isEqualTo(1);
        assertThat(table.inState(TcpState.ESTABLISHED)).isEqualTo(1);

        // A FIN on the active director: the update moves it to inactive; the entry goes when its timeout passes.
        assertThat(sync(40_000, RS1, TcpState.FIN_WAIT, 120_000)).isEqualTo(Synced.UPDATED);
        assertThat(e.state()).isEqualTo(TcpState.FIN_WAIT);
        assertThat(rs1.active()).isZero();
        assertThat(rs1.inactive()).isEqualTo(1);
        assertThat(table.size()).isEqualTo(1);
        table.expire(now + 120_100);
        assertThat(table.size()).isZero();
        assertThat(rs1.inactive()).isZero();
    }

    @Test
    void anEntryTrackedWithAnotherServerIsReplacedAndAFullTableTakesNoMore() {
        sync(40_000, RS1, TcpState.SYN_RECV, 60_000);
        assertThat(sync(40_000, RS2, TcpState.ESTABLISHED, 900_000)).isEqualTo(Synced.REPLACED);
        assertThat(table.findInbound(Ipv4.TCP, CLIENT, 40_000, VIP, 80).realAddress()).isEqualTo(RS2);
        assertThat(rs1.active() + rs1.inactive()).isZero();
        assertThat(rs2.active()).isEqualTo(1);
        assertThat(table.size()).isEqualTo(1);

        assertThat(sync(40_001, RS1, TcpState.ESTABLISHED, 900_000)).isEqualTo(Synced.INSERTED);
        assertThat(sync(40_002, RS1, TcpState.ESTABLISHED, 900_000)).isEqualTo(Synced.FULL);
        assertThat(rs1.active()).as("no lease taken for a refused entry").isEqualTo(1);
    }

    @Test
    void aSyncedEntryGoesOnWithItsOwnPackets() {
        List<TrackedConnection> heard = new ArrayList<>();
        table.setListener((e, at) -> heard.add(e), 60_000);
        sync(40_000, RS1, TcpState.ESTABLISHED, 900_000);
        assertThat(heard).as("a synced entry is not synced back").isEmpty();
        TrackedConnection e = table.findInbound(Ipv4.TCP, CLIENT, 40_000, VIP, 80);
        table.seen(e, INPUT, Ipv4.TCP_RST, now);
        assertThat(e.state()).isEqualTo(TcpState.CLOSE);
        assertThat(rs1.active()).isZero();
    }
}
