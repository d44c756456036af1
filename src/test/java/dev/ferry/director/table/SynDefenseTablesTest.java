package dev.ferry.director.table;

import dev.ferry.backend.Backend;
import dev.ferry.backend.ConnectionLease;
import dev.ferry.backend.Server;
import dev.ferry.director.packet.Ipv4;
import dev.ferry.director.table.TcpStateTable.Direction;
import dev.ferry.testing.Configs;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 19 item 6, the table's part of the SYN-flood defence: IPVS's {@code tcp_states_dos} cell by cell (written
 * out from {@code ip_vs_proto_tcp.c}, never from {@link TcpStateTable}), the short half-open timeouts of
 * {@code secure_tcp}, and {@code drop_entry}'s sampling, which takes half-open entries only.
 */
class SynDefenseTablesTest {
    private static final String[] ORDER = {"NONE", "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT", "TIME_WAIT",
            "CLOSE", "CLOSE_WAIT", "LAST_ACK", "LISTEN", "SYNACK"};
    private static final String SNO = "NONE";

    /** direction flag: the next state of each state in {@link #ORDER}, as the kernel's {@code tcp_states_dos}. */
    private static final String KERNEL_TCP_STATES_DOS = """
            INPUT SYN: sSR sES sES sSR sSR sSR sSR sSR sSR sSR sSA
            INPUT FIN: sCL sCW sSS sTW sTW sTW sCL sCW sLA sLI sSA
            INPUT ACK: sES sES sSS sSR sFW sTW sCL sCW sCL sLI sSA
            INPUT RST: sCL sCL sCL sSR sCL sCL sCL sCL sLA sLI sCL
            OUTPUT SYN: sSS sES sSS sSA sSS sSS sSS sSS sSS sLI sSA
            OUTPUT FIN: sTW sFW sSS sTW sFW sTW sCL sTW sLA sLI sTW
            OUTPUT ACK: sES sES sSS sES sFW sTW sCL sCW sLA sES sES
            OUTPUT RST: sCL sCL sSS sCL sCL sTW sCL sCL sCL sCL sCL
            INPUT_ONLY SYN: sSA sES sES sSR sSA sSA sSA sSA sSA sSA sSA
            INPUT_ONLY FIN: sCL sFW sSS sTW sFW sTW sCL sCW sLA sLI sTW
            INPUT_ONLY ACK: sES sES sSS sES sFW sTW sCL sCW sCL sLI sES
            INPUT_ONLY RST: sCL sCL sCL sSR sCL sCL sCL sCL sLA sLI sCL
            """;

    private static TcpState kernel(String s) {
        return TcpState.valueOf(switch (s) {
            case "sNO" -> SNO;
            case "sES" -> "ESTABLISHED";
            case "sSS" -> "SYN_SENT";
            case "sSR" -> "SYN_RECV";
            case "sFW" -> "FIN_WAIT";
            case "sTW" -> "TIME_WAIT";
            case "sCL" -> "CLOSE";
            case "sCW" -> "CLOSE_WAIT";
            case "sLA" -> "LAST_ACK";
            case "sLI" -> "LISTEN";
            case "sSA" -> "SYNACK";
            default -> throw new IllegalArgumentException(s);
        });
    }

    @Test
    void everyCellOfTheSecureTableIsTheKernels() {
        int cells = 0;
        for (String line : KERNEL_TCP_STATES_DOS.strip().split("\n")) {
            String[] head = line.substring(0, line.indexOf(':')).split(" ");
            Direction direction = Direction.valueOf(head[0]);
            int flags = switch (head[1]) {
                case "SYN" -> 0x02;
                case "FIN" -> 0x01;
                case "ACK" -> 0x10;
                default -> 0x04;
            };
            String[] next = line.substring(line.indexOf(':') + 1).trim().split(" ");
            for (int i = 0; i < ORDER.length; i++) {
                assertThat(TcpStateTable.next(TcpState.valueOf(ORDER[i]), direction, flags, true))
                        .as("%s %s from %s", direction, head[1], ORDER[i]).isEqualTo(kernel(next[i]));
                cells++;
            }
        }
        assertThat(cells).isEqualTo(3 * 4 * 11);
        // The normal table is untouched: without secure, a client's ACK completes the handshake it saw.
        assertThat(TcpStateTable.next(TcpState.SYN_RECV, Direction.INPUT, 0x10, false)).isEqualTo(TcpState.ESTABLISHED);
        assertThat(TcpStateTable.next(TcpState.SYN_RECV, Direction.INPUT, 0x10, true)).isEqualTo(TcpState.SYN_RECV);
    }

    private final Server server = new Backend(Configs.tcp("rr").server("rs1", "10.101.0.11:8080", 1).build()
            .backends().get(0)).server("rs1").orElseThrow();
    private long now = 1_000_000;

    private TrackedConnection add(ConnectionTable table, int clientPort) {
        ConnectionLease lease = server.open();
        return table.add(Ipv4.TCP, 0x0A640002, clientPort, 0x0AC80064, 80, 0x0A65000B, 8080, 0, lease, true, now);
    }

    @Test
    void secureTcpShortensTheHalfOpenTimeoutsAndLeavesTheOthers() {
        ConnectionTable table = new ConnectionTable(1000, DirectorTimeouts.defaults(), now);
        TrackedConnection normal = add(table, 1);
        table.seen(normal, Direction.INPUT, 0x02, now);
        assertThat(normal.expiresAt() - now).isEqualTo(60_000);

        table.setSecure(true);
        TrackedConnection halfOpen = add(table, 2);
        table.seen(halfOpen, Direction.INPUT, 0x02, now);
        assertThat(halfOpen.state()).isEqualTo(TcpState.SYN_RECV);
        assertThat(halfOpen.expiresAt() - now).isEqualTo(ConnectionTable.SECURE_HALF_OPEN_MILLIS);
        table.seen(halfOpen, Direction.OUTPUT, 0x12, now);
        assertThat(halfOpen.state()).isEqualTo(TcpState.SYNACK);
        assertThat(halfOpen.expiresAt() - now).isEqualTo(ConnectionTable.SECURE_HALF_OPEN_MILLIS);
        table.seen(halfOpen, Direction.OUTPUT, 0x10, now);
        assertThat(halfOpen.state()).isEqualTo(TcpState.ESTABLISHED);
        assertThat(halfOpen.expiresAt() - now).as("ESTABLISHED keeps its timeout").isEqualTo(900_000);
    }

    @Test
    void dropEntryTakesHalfOpenEntriesOnlyAThirtySecondOfTheBucketsAtATime() {
        ConnectionTable table = new ConnectionTable(100_000, DirectorTimeouts.defaults(), now);
        List<TrackedConnection> established = new ArrayList<>();
        for (int port = 1; port <= 4000; port++) {
            TrackedConnection e = add(table, port);
            table.seen(e, Direction.INPUT, 0x02, now);
            if (port % 4 == 0) {
                table.seen(e, Direction.OUTPUT, 0x12, now);
                table.seen(e, Direction.INPUT, 0x10, now);
                established.add(e);
            }
        }
        assertThat(table.inState(TcpState.ESTABLISHED)).isEqualTo(1000);
        int first = table.dropHalfOpen(12345);
        // 4,000 entries over 8,192 buckets, a thirty-second of them sampled: about 94 of the 3,000 half-open ones.
        assertThat(first).isBetween(30, 250);
        assertThat(table.size()).isEqualTo(4000 - first);
        int total = first;
        for (int start = 0; start < 40; start++) {
            total += table.dropHalfOpen(start * 256);
        }
        assertThat(total).isEqualTo(3000);
        assertThat(table.droppedEntries()).isEqualTo(3000);
        assertThat(table.size()).isEqualTo(1000);
        assertThat(established).allSatisfy(e -> assertThat(e.state()).isEqualTo(TcpState.ESTABLISHED));
        assertThat(server.active()).as("the dropped ones let their server go").isEqualTo(1000);
    }
}
