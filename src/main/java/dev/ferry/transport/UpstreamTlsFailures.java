package dev.ferry.transport;

import dev.ferry.logging.RateLimitedLog;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.ssl.NotSslRecordException;
import io.netty.handler.ssl.SslHandshakeTimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.channels.ClosedChannelException;
import java.security.cert.CertificateException;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Failed TLS handshakes from Ferry to the servers of one backend, counted per server and reason (the metric
 * {@code ferry_backend_server_tls_handshake_failures_total{backend,server,reason}}, the upstream twin of the
 * frontends' {@code ferry_tls_handshake_failures_total}) and logged at WARN, one line per {@link #LOG_INTERVAL} per
 * backend (with the number held back), naming the server and why.
 *
 * <p>Threading: {@link #record} from any event loop; the counters are adders in a concurrent map.
 */
public final class UpstreamTlsFailures {
    private static final Logger log = LoggerFactory.getLogger(UpstreamTlsFailures.class);
    static final Duration LOG_INTERVAL = Duration.ofSeconds(10);

    /** Why a handshake to a server failed; {@link #label()} is the metric's {@code reason}. */
    public enum Reason {
        /** Ferry refused the server's certificate: not signed by {@code ca}, a name other than {@code sni}, expired. */
        UNTRUSTED_CERTIFICATE,
        /** The server refused Ferry's certificate, or wanted one and got none ({@code client_cert}): its alert. */
        CERTIFICATE_REFUSED,
        /** No TLS version both sides speak. */
        PROTOCOL_VERSION,
        /** No cipher suite both sides have. */
        NO_SHARED_CIPHER,
        /** The server answered with bytes that are not TLS (a plain-text port). */
        NOT_TLS,
        /** {@code protocol: h2} and the server did not choose h2 by ALPN. */
        NO_H2,
        /** The handshake did not finish within the backend's connect timeout. */
        TIMEOUT,
        /** The server closed or reset the connection during the handshake. */
        SERVER_CLOSED,
        /** Anything else (the log line has the detail). */
        OTHER;

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private final String backend;
    private final RateLimitedLog lines = new RateLimitedLog(log, LOG_INTERVAL);
    private final Map<String, LongAdder[]> counts = new ConcurrentHashMap<>();

    public UpstreamTlsFailures(String backend) {
        this.backend = backend;
    }

    public String backend() {
        return backend;
    }

    /** Failed handshakes to {@code server} so far for {@code reason}. */
    public long count(String server, Reason reason) {
        LongAdder[] c = counts.get(server);
        return c == null ? 0 : c[reason.ordinal()].sum();
    }

    /** Failed handshakes over every server, for {@code reason}. */
    public long total(Reason reason) {
        return counts.values().stream().mapToLong(c -> c[reason.ordinal()].sum()).sum();
    }

    /** Counts one failure and logs it unless a line went out less than {@link #LOG_INTERVAL} ago. */
    void record(String server, Object address, UpstreamTlsException failure) {
        counts.computeIfAbsent(server, s -> newCounters())[failure.reason().ordinal()].increment();
        log.debug("backend '{}': TLS to server {} ({}) failed", backend, server, address, failure);
        lines.warn("backend '{}': TLS to server {} ({}) failed: {}", backend, server, address, failure.getMessage());
    }

    private static LongAdder[] newCounters() {
        LongAdder[] c = new LongAdder[Reason.values().length];
        for (int i = 0; i < c.length; i++) {
            c[i] = new LongAdder();
        }
        return c;
    }

    /** The reason a handshake to a server failed with {@code cause}. */
    static Reason classify(Throwable cause) {
        Throwable c = cause instanceof DecoderException && cause.getCause() != null ? cause.getCause() : cause;
        if (c instanceof NotSslRecordException) {
            return Reason.NOT_TLS;
        }
        if (c instanceof SslHandshakeTimeoutException) {
            return Reason.TIMEOUT;
        }
        if (c instanceof ClosedChannelException) {
            return Reason.SERVER_CLOSED;
        }
        for (Throwable t = c; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof CertificateException) {
                return Reason.UNTRUSTED_CERTIFICATE;
            }
        }
        String m = messages(c);
        if (m.contains("pkix") || m.contains("no subject alternative") || m.contains("certificate_verify_failed")
                || m.contains("certpathvalidator") || m.contains("hostname") && m.contains("match")) {
            return Reason.UNTRUSTED_CERTIFICATE;
        }
        if (m.contains("certificate_required") || m.contains("bad_certificate") || m.contains("bad certificate")
                || m.contains("certificate required") || m.contains("unknown_ca") || m.contains("unknown ca")
                || m.contains("certificate_unknown") || m.contains("certificate unknown")) {
            return Reason.CERTIFICATE_REFUSED;
        }
        return switch (TlsHandshakeFailures.classify(c)) {
            case NOT_TLS -> Reason.NOT_TLS;
            case PROTOCOL_VERSION -> Reason.PROTOCOL_VERSION;
            case NO_SHARED_CIPHER -> Reason.NO_SHARED_CIPHER;
            case CERTIFICATE_REFUSED, CLIENT_CERTIFICATE_MISSING, CLIENT_CERTIFICATE_INVALID ->
                    Reason.CERTIFICATE_REFUSED;
            case TIMEOUT -> Reason.TIMEOUT;
            case CLIENT_CLOSED -> Reason.SERVER_CLOSED;
            case OTHER -> Reason.OTHER;
        };
    }

    private static String messages(Throwable t) {
        StringBuilder b = new StringBuilder();
        for (Throwable c = t; c != null && b.length() < 2000; c = c.getCause() == c ? null : c.getCause()) {
            b.append(c.getClass().getSimpleName()).append(": ").append(c.getMessage()).append(' ');
        }
        return b.toString().toLowerCase(Locale.ROOT);
    }

    /** The innermost message of {@code cause}, at most 200 characters. */
    static String detail(Throwable cause) {
        Throwable t = cause;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        String m = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
        return m.length() > 200 ? m.substring(0, 200) + "..." : m;
    }
}
