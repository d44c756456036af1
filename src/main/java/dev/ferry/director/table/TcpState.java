package dev.ferry.director.table;

import java.time.Duration;

/**
 * IPVS's TCP connection states ({@code IP_VS_TCP_S_*} in {@code ip_vs_proto_tcp.c}), in the kernel's order, with
 * their names as {@code ipvsadm -Lnc} prints them and the kernel's default timeouts ({@code tcp_timeouts}).
 */
public enum TcpState {
    NONE(2),
    ESTABLISHED(15 * 60),
    SYN_SENT(2 * 60),
    SYN_RECV(60),
    FIN_WAIT(2 * 60),
    TIME_WAIT(2 * 60),
    CLOSE(10),
    CLOSE_WAIT(60),
    LAST_ACK(30),
    LISTEN(2 * 60),
    SYNACK(120);

    private static final TcpState[] ALL = values();

    private final Duration defaultTimeout;

    TcpState(int seconds) {
        this.defaultTimeout = Duration.ofSeconds(seconds);
    }

    public Duration defaultTimeout() {
        return defaultTimeout;
    }

    /**
     * Whether a connection in this state counts as active for its server ({@code tcp_state_active_table} of current
     * kernels: the handshake states and ESTABLISHED; kernels before 4.7 counted ESTABLISHED alone).
     */
    public boolean isActive() {
        return this == ESTABLISHED || this == SYN_SENT || this == SYN_RECV || this == SYNACK;
    }

    static TcpState of(int ordinal) {
        return ALL[ordinal];
    }
}
