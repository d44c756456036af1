package dev.ferry.director.table;

import static dev.ferry.director.table.TcpState.CLOSE;
import static dev.ferry.director.table.TcpState.CLOSE_WAIT;
import static dev.ferry.director.table.TcpState.ESTABLISHED;
import static dev.ferry.director.table.TcpState.FIN_WAIT;
import static dev.ferry.director.table.TcpState.LAST_ACK;
import static dev.ferry.director.table.TcpState.LISTEN;
import static dev.ferry.director.table.TcpState.SYN_RECV;
import static dev.ferry.director.table.TcpState.SYN_SENT;
import static dev.ferry.director.table.TcpState.SYNACK;
import static dev.ferry.director.table.TcpState.TIME_WAIT;

/**
 * IPVS's TCP state transitions (the {@code tcp_states} table of {@code ip_vs_proto_tcp.c}, not the
 * {@code secure_tcp} one): for each direction a packet travels and the first of RST, SYN, FIN, ACK it carries, the
 * state a connection in each state moves to. {@link Direction#INPUT} is client to server, {@link Direction#OUTPUT}
 * server to client (NAT sees both), {@link Direction#INPUT_ONLY} is used while no reply has been seen on a
 * connection whose replies bypass the director (tunnel, direct). As current mainline, an ACK arriving from the
 * client (INPUT or INPUT_ONLY) takes a connection in NONE to ESTABLISHED (older kernels took it to CLOSE).
 */
public final class TcpStateTable {
    /** Which way a packet travels. */
    public enum Direction { INPUT, OUTPUT, INPUT_ONLY }

    private static final int SYN = 0;
    private static final int FIN = 1;
    private static final int ACK = 2;
    private static final int RST = 3;

    // Columns: from NONE, ESTABLISHED, SYN_SENT, SYN_RECV, FIN_WAIT, TIME_WAIT, CLOSE, CLOSE_WAIT, LAST_ACK,
    // LISTEN, SYNACK.
    private static final TcpState[][][] NEXT = {
        { // INPUT
            {SYN_RECV, ESTABLISHED, ESTABLISHED, SYN_RECV, SYN_RECV, SYN_RECV, SYN_RECV, SYN_RECV, SYN_RECV,
                SYN_RECV, SYN_RECV},
            {CLOSE, CLOSE_WAIT, SYN_SENT, TIME_WAIT, TIME_WAIT, TIME_WAIT, CLOSE, CLOSE_WAIT, LAST_ACK, LISTEN,
                TIME_WAIT},
            {ESTABLISHED, ESTABLISHED, SYN_SENT, ESTABLISHED, FIN_WAIT, TIME_WAIT, CLOSE, CLOSE_WAIT, CLOSE,
                LISTEN, ESTABLISHED},
            {CLOSE, CLOSE, CLOSE, SYN_RECV, CLOSE, CLOSE, CLOSE, CLOSE, LAST_ACK, LISTEN, SYN_RECV},
        },
        { // OUTPUT
            {SYN_SENT, ESTABLISHED, SYN_SENT, SYN_RECV, SYN_SENT, SYN_SENT, SYN_SENT, SYN_SENT, SYN_SENT, LISTEN,
                SYN_RECV},
            {TIME_WAIT, FIN_WAIT, SYN_SENT, TIME_WAIT, FIN_WAIT, TIME_WAIT, CLOSE, TIME_WAIT, LAST_ACK, LISTEN,
                TIME_WAIT},
            {ESTABLISHED, ESTABLISHED, SYN_SENT, ESTABLISHED, FIN_WAIT, TIME_WAIT, CLOSE, CLOSE_WAIT, LAST_ACK,
                ESTABLISHED, ESTABLISHED},
            {CLOSE, CLOSE, SYN_SENT, CLOSE, CLOSE, TIME_WAIT, CLOSE, CLOSE, CLOSE, CLOSE, CLOSE},
        },
        { // INPUT_ONLY
            {SYN_RECV, ESTABLISHED, ESTABLISHED, SYN_RECV, SYN_RECV, SYN_RECV, SYN_RECV, SYN_RECV, SYN_RECV,
                SYN_RECV, SYN_RECV},
            {CLOSE, FIN_WAIT, SYN_SENT, TIME_WAIT, FIN_WAIT, TIME_WAIT, CLOSE, CLOSE_WAIT, LAST_ACK, LISTEN,
                TIME_WAIT},
            {ESTABLISHED, ESTABLISHED, SYN_SENT, ESTABLISHED, FIN_WAIT, TIME_WAIT, CLOSE, CLOSE_WAIT, CLOSE,
                LISTEN, ESTABLISHED},
            {CLOSE, CLOSE, CLOSE, SYN_RECV, CLOSE, CLOSE, CLOSE, CLOSE, LAST_ACK, LISTEN, CLOSE},
        },
    };

    /**
     * IPVS's {@code tcp_states_dos}, used while {@code secure_tcp} is on: a client's ACK no longer completes a
     * handshake the director saw only half of (SYN_RECV stays until the server's SYN-ACK, which leads to SYNACK, and
     * ESTABLISHED comes with the server's ACK in NAT, or the client's ACK after SYNACK), so a flood of forged SYNs and
     * ACKs does not count as active connections of the servers.
     */
    private static final TcpState[][][] SECURE = {
        { // INPUT
            {SYN_RECV, ESTABLISHED, ESTABLISHED, SYN_RECV, SYN_RECV, SYN_RECV, SYN_RECV, SYN_RECV, SYN_RECV,
                SYN_RECV, SYNACK},
            {CLOSE, CLOSE_WAIT, SYN_SENT, TIME_WAIT, TIME_WAIT, TIME_WAIT, CLOSE, CLOSE_WAIT, LAST_ACK, LISTEN,
                SYNACK},
            {ESTABLISHED, ESTABLISHED, SYN_SENT, SYN_RECV, FIN_WAIT, TIME_WAIT, CLOSE, CLOSE_WAIT, CLOSE, LISTEN,
                SYNACK},
            {CLOSE, CLOSE, CLOSE, SYN_RECV, CLOSE, CLOSE, CLOSE, CLOSE, LAST_ACK, LISTEN, CLOSE},
        },
        { // OUTPUT
            {SYN_SENT, ESTABLISHED, SYN_SENT, SYNACK, SYN_SENT, SYN_SENT, SYN_SENT, SYN_SENT, SYN_SENT, LISTEN,
                SYNACK},
            {TIME_WAIT, FIN_WAIT, SYN_SENT, TIME_WAIT, FIN_WAIT, TIME_WAIT, CLOSE, TIME_WAIT, LAST_ACK, LISTEN,
                TIME_WAIT},
            {ESTABLISHED, ESTABLISHED, SYN_SENT, ESTABLISHED, FIN_WAIT, TIME_WAIT, CLOSE, CLOSE_WAIT, LAST_ACK,
                ESTABLISHED, ESTABLISHED},
            {CLOSE, CLOSE, SYN_SENT, CLOSE, CLOSE, TIME_WAIT, CLOSE, CLOSE, CLOSE, CLOSE, CLOSE},
        },
        { // INPUT_ONLY
            {SYNACK, ESTABLISHED, ESTABLISHED, SYN_RECV, SYNACK, SYNACK, SYNACK, SYNACK, SYNACK, SYNACK, SYNACK},
            {CLOSE, FIN_WAIT, SYN_SENT, TIME_WAIT, FIN_WAIT, TIME_WAIT, CLOSE, CLOSE_WAIT, LAST_ACK, LISTEN,
                TIME_WAIT},
            {ESTABLISHED, ESTABLISHED, SYN_SENT, ESTABLISHED, FIN_WAIT, TIME_WAIT, CLOSE, CLOSE_WAIT, CLOSE,
                LISTEN, ESTABLISHED},
            {CLOSE, CLOSE, CLOSE, SYN_RECV, CLOSE, CLOSE, CLOSE, CLOSE, LAST_ACK, LISTEN, CLOSE},
        },
    };

    private TcpStateTable() {
    }

    /**
     * The state after a packet with TCP {@code flags} travelling {@code direction} (IPVS {@code set_tcp_state}):
     * RST counts before SYN, SYN before FIN, FIN before ACK; a packet with none of them moves the connection to
     * CLOSE, as the kernel does.
     */
    public static TcpState next(TcpState current, Direction direction, int flags) {
        return next(current, direction, flags, false);
    }

    /** As {@link #next(TcpState, Direction, int)}, from {@code tcp_states_dos} when {@code secure}. */
    public static TcpState next(TcpState current, Direction direction, int flags, boolean secure) {
        int event;
        if ((flags & 0x04) != 0) {
            event = RST;
        } else if ((flags & 0x02) != 0) {
            event = SYN;
        } else if ((flags & 0x01) != 0) {
            event = FIN;
        } else if ((flags & 0x10) != 0) {
            event = ACK;
        } else {
            return CLOSE;
        }
        return (secure ? SECURE : NEXT)[direction.ordinal()][event][current.ordinal()];
    }
}
