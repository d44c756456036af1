package dev.ferry.director.table;

import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;

/**
 * How long an idle tracked connection lives in each state, as {@code ipvsadm --set tcp tcpfin udp} sets them:
 * {@code tcp} is ESTABLISHED's timeout, {@code tcpFin} FIN_WAIT's, {@code udp} every UDP entry's; the other TCP
 * states keep IPVS's defaults ({@link TcpState#defaultTimeout()}).
 */
public final class DirectorTimeouts {
    public static final Duration DEFAULT_UDP = Duration.ofSeconds(300);

    private final long[] tcpMillis = new long[TcpState.values().length];
    private final long udpMillis;

    public DirectorTimeouts(Duration tcp, Duration tcpFin, Duration udp) {
        for (TcpState s : TcpState.values()) {
            tcpMillis[s.ordinal()] = s.defaultTimeout().toMillis();
        }
        tcpMillis[TcpState.ESTABLISHED.ordinal()] = tcp.toMillis();
        tcpMillis[TcpState.FIN_WAIT.ordinal()] = tcpFin.toMillis();
        this.udpMillis = udp.toMillis();
    }

    /** IPVS's defaults: tcp 900 s, tcp_fin 120 s, udp 300 s. */
    public static DirectorTimeouts defaults() {
        return new DirectorTimeouts(TcpState.ESTABLISHED.defaultTimeout(), TcpState.FIN_WAIT.defaultTimeout(),
                DEFAULT_UDP);
    }

    /** Sets one TCP state's timeout (tests use short ones); returns a copy. */
    public DirectorTimeouts with(TcpState state, Duration timeout) {
        DirectorTimeouts copy = new DirectorTimeouts(Duration.ofMillis(tcpMillis(TcpState.ESTABLISHED)),
                Duration.ofMillis(tcpMillis(TcpState.FIN_WAIT)), Duration.ofMillis(udpMillis));
        System.arraycopy(tcpMillis, 0, copy.tcpMillis, 0, tcpMillis.length);
        copy.tcpMillis[state.ordinal()] = timeout.toMillis();
        return copy;
    }

    public long tcpMillis(TcpState state) {
        return tcpMillis[state.ordinal()];
    }

    public long udpMillis() {
        return udpMillis;
    }

    /** Every TCP state's timeout, for the status API. */
    public Map<TcpState, Duration> tcp() {
        Map<TcpState, Duration> m = new EnumMap<>(TcpState.class);
        for (TcpState s : TcpState.values()) {
            m.put(s, Duration.ofMillis(tcpMillis[s.ordinal()]));
        }
        return m;
    }
}
