package dev.ferry.director.table;

import dev.ferry.director.table.TcpStateTable.Direction;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Ferry's TCP state machine against IPVS's, cell by cell. The rows below were written out from the kernel's
 * {@code tcp_states} table in {@code net/netfilter/ipvs/ip_vs_proto_tcp.c} (current mainline: the INPUT and
 * INPUT-ONLY ACK rows take NONE to ESTABLISHED), never from {@link TcpStateTable}'s arrays: for each direction a
 * packet travels and the flag that decides (the kernel's {@code tcp_state_idx}), the state each of the 11 states
 * moves to. The {@code tcp_states_dos} (secure_tcp) table is checked by {@link SynDefenseTablesTest}.
 */
class TcpStateTableTest {
    private static final int FIN = 0x01;
    private static final int SYN = 0x02;
    private static final int RST = 0x04;
    private static final int PSH = 0x08;
    private static final int ACK = 0x10;
    private static final int URG = 0x20;
    private static final int ECE = 0x40;
    private static final int CWR = 0x80;

    /** direction | deciding flag | from -> to, every cell of the kernel's INPUT, OUTPUT and INPUT-ONLY parts. */
    private static final String KERNEL_TCP_STATES = """
            INPUT     | SYN | NONE        -> SYN_RECV
            INPUT     | SYN | ESTABLISHED -> ESTABLISHED
            INPUT     | SYN | SYN_SENT    -> ESTABLISHED
            INPUT     | SYN | SYN_RECV    -> SYN_RECV
            INPUT     | SYN | FIN_WAIT    -> SYN_RECV
            INPUT     | SYN | TIME_WAIT   -> SYN_RECV
            INPUT     | SYN | CLOSE       -> SYN_RECV
            INPUT     | SYN | CLOSE_WAIT  -> SYN_RECV
            INPUT     | SYN | LAST_ACK    -> SYN_RECV
            INPUT     | SYN | LISTEN      -> SYN_RECV
            INPUT     | SYN | SYNACK      -> SYN_RECV
            INPUT     | FIN | NONE        -> CLOSE
            INPUT     | FIN | ESTABLISHED -> CLOSE_WAIT
            INPUT     | FIN | SYN_SENT    -> SYN_SENT
            INPUT     | FIN | SYN_RECV    -> TIME_WAIT
            INPUT     | FIN | FIN_WAIT    -> TIME_WAIT
            INPUT     | FIN | TIME_WAIT   -> TIME_WAIT
            INPUT     | FIN | CLOSE       -> CLOSE
            INPUT     | FIN | CLOSE_WAIT  -> CLOSE_WAIT
            INPUT     | FIN | LAST_ACK    -> LAST_ACK
            INPUT     | FIN | LISTEN      -> LISTEN
            INPUT     | FIN | SYNACK      -> TIME_WAIT
            INPUT     | ACK | NONE        -> ESTABLISHED
            INPUT     | ACK | ESTABLISHED -> ESTABLISHED
            INPUT     | ACK | SYN_SENT    -> SYN_SENT
            INPUT     | ACK | SYN_RECV    -> ESTABLISHED
            INPUT     | ACK | FIN_WAIT    -> FIN_WAIT
            INPUT     | ACK | TIME_WAIT   -> TIME_WAIT
            INPUT     | ACK | CLOSE       -> CLOSE
            INPUT     | ACK | CLOSE_WAIT  -> CLOSE_WAIT
            INPUT     | ACK | LAST_ACK    -> CLOSE
            INPUT     | ACK | LISTEN      -> LISTEN
            INPUT     | ACK | SYNACK      -> ESTABLISHED
            INPUT     | RST | NONE        -> CLOSE
            INPUT     | RST | ESTABLISHED -> CLOSE
            INPUT     | RST | SYN_SENT    -> CLOSE
            INPUT     | RST | SYN_RECV    -> SYN_RECV
            INPUT     | RST | FIN_WAIT    -> CLOSE
            INPUT     | RST | TIME_WAIT   -> CLOSE
            INPUT     | RST | CLOSE       -> CLOSE
            INPUT     | RST | CLOSE_WAIT  -> CLOSE
            INPUT     | RST | LAST_ACK    -> LAST_ACK
            INPUT     | RST | LISTEN      -> LISTEN
            INPUT     | RST | SYNACK      -> SYN_RECV

            OUTPUT    | SYN | NONE        -> SYN_SENT
            OUTPUT    | SYN | ESTABLISHED -> ESTABLISHED
            OUTPUT    | SYN | SYN_SENT    -> SYN_SENT
            OUTPUT    | SYN | SYN_RECV    -> SYN_RECV
            OUTPUT    | SYN | FIN_WAIT    -> SYN_SENT
            OUTPUT    | SYN | TIME_WAIT   -> SYN_SENT
            OUTPUT    | SYN | CLOSE       -> SYN_SENT
            OUTPUT    | SYN | CLOSE_WAIT  -> SYN_SENT
            OUTPUT    | SYN | LAST_ACK    -> SYN_SENT
            OUTPUT    | SYN | LISTEN      -> LISTEN
            OUTPUT    | SYN | SYNACK      -> SYN_RECV
            OUTPUT    | FIN | NONE        -> TIME_WAIT
            OUTPUT    | FIN | ESTABLISHED -> FIN_WAIT
            OUTPUT    | FIN | SYN_SENT    -> SYN_SENT
            OUTPUT    | FIN | SYN_RECV    -> TIME_WAIT
            OUTPUT    | FIN | FIN_WAIT    -> FIN_WAIT
            OUTPUT    | FIN | TIME_WAIT   -> TIME_WAIT
            OUTPUT    | FIN | CLOSE       -> CLOSE
            OUTPUT    | FIN | CLOSE_WAIT  -> TIME_WAIT
            OUTPUT    | FIN | LAST_ACK    -> LAST_ACK
            OUTPUT    | FIN | LISTEN      -> LISTEN
            OUTPUT    | FIN | SYNACK      -> TIME_WAIT
            OUTPUT    | ACK | NONE        -> ESTABLISHED
            OUTPUT    | ACK | ESTABLISHED -> ESTABLISHED
            OUTPUT    | ACK | SYN_SENT    -> SYN_SENT
            OUTPUT    | ACK | SYN_RECV    -> ESTABLISHED
            OUTPUT    | ACK | FIN_WAIT    -> FIN_WAIT
            OUTPUT    | ACK | TIME_WAIT   -> TIME_WAIT
            OUTPUT    | ACK | CLOSE       -> CLOSE
            OUTPUT    | ACK | CLOSE_WAIT  -> CLOSE_WAIT
            OUTPUT    | ACK | LAST_ACK    -> LAST_ACK
            OUTPUT    | ACK | LISTEN      -> ESTABLISHED
            OUTPUT    | ACK | SYNACK      -> ESTABLISHED
            OUTPUT    | RST | NONE        -> CLOSE
            OUTPUT    | RST | ESTABLISHED -> CLOSE
            OUTPUT    | RST | SYN_SENT    -> SYN_SENT
            OUTPUT    | RST | SYN_RECV    -> CLOSE
            OUTPUT    | RST | FIN_WAIT    -> CLOSE
            OUTPUT    | RST | TIME_WAIT   -> TIME_WAIT
            OUTPUT    | RST | CLOSE       -> CLOSE
            OUTPUT    | RST | CLOSE_WAIT  -> CLOSE
            OUTPUT    | RST | LAST_ACK    -> CLOSE
            OUTPUT    | RST | LISTEN      -> CLOSE
            OUTPUT    | RST | SYNACK      -> CLOSE

            INPUT_ONLY| SYN | NONE        -> SYN_RECV
            INPUT_ONLY| SYN | ESTABLISHED -> ESTABLISHED
            INPUT_ONLY| SYN | SYN_SENT    -> ESTABLISHED
            INPUT_ONLY| SYN | SYN_RECV    -> SYN_RECV
            INPUT_ONLY| SYN | FIN_WAIT    -> SYN_RECV
            INPUT_ONLY| SYN | TIME_WAIT   -> SYN_RECV
            INPUT_ONLY| SYN | CLOSE       -> SYN_RECV
            INPUT_ONLY| SYN | CLOSE_WAIT  -> SYN_RECV
            INPUT_ONLY| SYN | LAST_ACK    -> SYN_RECV
            INPUT_ONLY| SYN | LISTEN      -> SYN_RECV
            INPUT_ONLY| SYN | SYNACK      -> SYN_RECV
            INPUT_ONLY| FIN | NONE        -> CLOSE
            INPUT_ONLY| FIN | ESTABLISHED -> FIN_WAIT
            INPUT_ONLY| FIN | SYN_SENT    -> SYN_SENT
            INPUT_ONLY| FIN | SYN_RECV    -> TIME_WAIT
            INPUT_ONLY| FIN | FIN_WAIT    -> FIN_WAIT
            INPUT_ONLY| FIN | TIME_WAIT   -> TIME_WAIT
            INPUT_ONLY| FIN | CLOSE       -> CLOSE
            INPUT_ONLY| FIN | CLOSE_WAIT  -> CLOSE_WAIT
            INPUT_ONLY| FIN | LAST_ACK    -> LAST_ACK
            INPUT_ONLY| FIN | LISTEN      -> LISTEN
            INPUT_ONLY| FIN | SYNACK      -> TIME_WAIT
            INPUT_ONLY| ACK | NONE        -> ESTABLISHED
            INPUT_ONLY| ACK | ESTABLISHED -> ESTABLISHED
            INPUT_ONLY| ACK | SYN_SENT    -> SYN_SENT
            INPUT_ONLY| ACK | SYN_RECV    -> ESTABLISHED
            INPUT_ONLY| ACK | FIN_WAIT    -> FIN_WAIT
            INPUT_ONLY| ACK | TIME_WAIT   -> TIME_WAIT
            INPUT_ONLY| ACK | CLOSE       -> CLOSE
            INPUT_ONLY| ACK | CLOSE_WAIT  -> CLOSE_WAIT
            INPUT_ONLY| ACK | LAST_ACK    -> CLOSE
            INPUT_ONLY| ACK | LISTEN      -> LISTEN
            INPUT_ONLY| ACK | SYNACK      -> ESTABLISHED
            INPUT_ONLY| RST | NONE        -> CLOSE
            INPUT_ONLY| RST | ESTABLISHED -> CLOSE
            INPUT_ONLY| RST | SYN_SENT    -> CLOSE
            INPUT_ONLY| RST | SYN_RECV    -> SYN_RECV
            INPUT_ONLY| RST | FIN_WAIT    -> CLOSE
            INPUT_ONLY| RST | TIME_WAIT   -> CLOSE
            INPUT_ONLY| RST | CLOSE       -> CLOSE
            INPUT_ONLY| RST | CLOSE_WAIT  -> CLOSE
            INPUT_ONLY| RST | LAST_ACK    -> LAST_ACK
            INPUT_ONLY| RST | LISTEN      -> LISTEN
            INPUT_ONLY| RST | SYNACK      -> CLOSE
            """;

    record Cell(Direction direction, String flag, TcpState from, TcpState to) {
        @Override
        public String toString() {
            return direction + " " + flag + ": " + from + " -> " + to;
        }
    }

    static List<Cell> kernelCells() {
        List<Cell> cells = new ArrayList<>();
        for (String line : KERNEL_TCP_STATES.strip().split("\\n")) {
            if (line.isBlank()) {
                continue;
            }
            String[] f = line.replace("|", " ").replace("->", " ").trim().split("\\s+");
            assertThat(f).as(line).hasSize(4);
            cells.add(new Cell(Direction.valueOf(f[0]), f[1], TcpState.valueOf(f[2]), TcpState.valueOf(f[3])));
        }
        return cells;
    }

    private static int bit(String flag) {
        return switch (flag) {
            case "SYN" -> SYN;
            case "FIN" -> FIN;
            case "ACK" -> ACK;
            case "RST" -> RST;
            default -> throw new IllegalArgumentException(flag);
        };
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("kernelCells")
    void aPacketWithOneFlagMovesTheStateAsTheKernelTableSays(Cell cell) {
        assertThat(TcpStateTable.next(cell.from(), cell.direction(), bit(cell.flag()))).isEqualTo(cell.to());
    }

    @Test
    void theRowsCoverEveryCellOfTheKernelTableOnce() {
        List<Cell> cells = kernelCells();
        assertThat(cells).hasSize(3 * 4 * 11);
        assertThat(cells.stream().map(c -> c.direction() + " " + c.flag() + " " + c.from()).distinct())
                .hasSize(cells.size());
    }

    /** The flag combinations of a TCP header's eight flag bits that differ in which of RST, SYN, FIN, ACK are set. */
    static Stream<Integer> flagCombinations() {
        return IntStream.range(0, 16).boxed().flatMap(m -> {
            int flags = ((m & 1) != 0 ? RST : 0) | ((m & 2) != 0 ? SYN : 0) | ((m & 4) != 0 ? FIN : 0)
                    | ((m & 8) != 0 ? ACK : 0);
            return Stream.of(flags, flags | PSH | URG | ECE | CWR);
        });
    }

    /**
     * {@code tcp_state_idx}: RST decides before SYN, SYN before FIN, FIN before ACK; the other flags never matter.
     * A packet with none of the four takes the connection to CLOSE: {@code set_tcp_state} starts from
     * {@code new_state = IP_VS_TCP_S_CLOSE} and skips the table lookup when the index is negative.
     */
    @ParameterizedTest(name = "flags {0}")
    @MethodSource("flagCombinations")
    void theFirstOfRstSynFinAckDecidesAndAPacketWithNoneGoesToClose(int flags) {
        Map<String, TcpState> kernel = new HashMap<>();
        for (Cell c : kernelCells()) {
            kernel.put(c.direction() + " " + c.flag() + " " + c.from(), c.to());
        }
        String deciding = (flags & RST) != 0 ? "RST" : (flags & SYN) != 0 ? "SYN" : (flags & FIN) != 0 ? "FIN"
                : (flags & ACK) != 0 ? "ACK" : null;
        for (Direction d : Direction.values()) {
            for (TcpState from : TcpState.values()) {
                TcpState expected = deciding == null ? TcpState.CLOSE : kernel.get(d + " " + deciding + " " + from);
                assertThat(TcpStateTable.next(from, d, flags)).as("%s from %s, flags 0x%02x", d, from, flags)
                        .isEqualTo(expected);
            }
        }
    }

    /** The kernel's {@code IP_VS_TCP_S_*} order, which Ferry's ordinals index by. */
    @Test
    void theStatesAreTheKernelsInTheKernelsOrder() {
        assertThat(Arrays.stream(TcpState.values()).map(Enum::name)).containsExactly("NONE", "ESTABLISHED",
                "SYN_SENT", "SYN_RECV", "FIN_WAIT", "TIME_WAIT", "CLOSE", "CLOSE_WAIT", "LAST_ACK", "LISTEN",
                "SYNACK");
    }

    /** The kernel's {@code tcp_timeouts}, in seconds (HZ units written out). */
    @ParameterizedTest(name = "{0}: {1} s")
    @CsvSource(textBlock = """
            NONE,        2
            ESTABLISHED, 900
            SYN_SENT,    120
            SYN_RECV,    60
            FIN_WAIT,    120
            TIME_WAIT,   120
            CLOSE,       10
            CLOSE_WAIT,  60
            LAST_ACK,    30
            LISTEN,      120
            SYNACK,      120
            """)
    void eachStatesDefaultTimeoutIsTheKernels(TcpState state, long seconds) {
        assertThat(state.defaultTimeout()).isEqualTo(Duration.ofSeconds(seconds));
        assertThat(DirectorTimeouts.defaults().tcpMillis(state)).isEqualTo(seconds * 1000);
    }
}
