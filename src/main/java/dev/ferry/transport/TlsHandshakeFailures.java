package dev.ferry.transport;

import io.netty.handler.codec.DecoderException;
import io.netty.handler.ssl.NotSslRecordException;
import io.netty.handler.ssl.SslHandshakeTimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.channels.ClosedChannelException;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/**
 * Failed TLS handshakes of one frontend, counted by reason (the metric
 * {@code ferry_tls_handshake_failures_total{frontend,reason}}) and logged at WARN, at most one line per
 * {@link #LOG_INTERVAL} per frontend: the first failure at once, later ones summed into the next line, so a scanner or
 * a broken certificate cannot flood the log but never goes unseen.
 *
 * <p>Threading: {@link #record} from any event loop; counters are adders, the log limiter is synchronised (failures
 * are rare next to connections, and each takes the lock once).
 */
public final class TlsHandshakeFailures {
    private static final Logger log = LoggerFactory.getLogger(TlsHandshakeFailures.class);
    static final Duration LOG_INTERVAL = Duration.ofSeconds(10);

    /** Why a handshake failed; {@link #label()} is the metric's {@code reason}. */
    public enum Reason {
        /** The client sent bytes that are not TLS (plain HTTP to a TLS port, a scanner). */
        NOT_TLS,
        /** No TLS version both sides speak (Ferry takes 1.2 and 1.3). */
        PROTOCOL_VERSION,
        /** No cipher suite both sides have. */
        NO_SHARED_CIPHER,
        /** The client refused Ferry's certificate (unknown CA, wrong name, expired): an alert from the client. */
        CERTIFICATE_REFUSED,
        /** {@code client_auth: required} and the client sent no certificate. */
        CLIENT_CERTIFICATE_MISSING,
        /** The client's certificate does not verify against {@code ca} (another CA, expired, not for clients). */
        CLIENT_CERTIFICATE_INVALID,
        /** The handshake did not finish in time. */
        TIMEOUT,
        /** The client closed or reset the connection during the handshake. */
        CLIENT_CLOSED,
        /** Anything else (the log line has the detail). */
        OTHER;

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private final String frontend;
    private final LongSupplier nanoTime;
    private final Map<Reason, LongAdder> counts = new EnumMap<>(Reason.class);
    private long nextLogNanos;
    private boolean logged;
    private long suppressed;

    public TlsHandshakeFailures(String frontend) {
        this(frontend, System::nanoTime);
    }

    /** @param nanoTime the clock of the log limiter (tests walk it) */
    TlsHandshakeFailures(String frontend, LongSupplier nanoTime) {
        this.frontend = frontend;
        this.nanoTime = nanoTime;
        for (Reason r : Reason.values()) {
            counts.put(r, new LongAdder());
        }
    }

    /** The frontend these handshakes were for. */
    public String frontend() {
        return frontend;
    }

    /** Failed handshakes so far for {@code reason}. */
    public long count(Reason reason) {
        return counts.get(reason).sum();
    }

    /** Counts one failure and logs it unless a line went out less than {@link #LOG_INTERVAL} ago. */
    public void record(Throwable cause, Object client) {
        Reason reason = classify(cause);
        counts.get(reason).increment();
        log.debug("frontend '{}': TLS handshake from {} failed: {}: {}", frontend, client, reason.label(),
                messages(cause), cause);
        String line;
        synchronized (this) {
            long now = nanoTime.getAsLong();
            if (logged && now - nextLogNanos < 0) {
                suppressed++;
                return;
            }
            line = suppressed == 0 ? "" : " (and " + suppressed + " more failed handshake(s) since the last line)";
            logged = true;
            suppressed = 0;
            nextLogNanos = now + LOG_INTERVAL.toNanos();
        }
        log.warn("frontend '{}': TLS handshake from {} failed: {} ({}){}", frontend, client, reason.label(),
                detail(cause), line);
    }

    /** The reason a handshake failed with {@code cause}, read from the exception's type and message. */
    public static Reason classify(Throwable cause) {
        Throwable c = cause instanceof DecoderException && cause.getCause() != null ? cause.getCause() : cause;
        if (c instanceof NotSslRecordException) {
            return Reason.NOT_TLS;
        }
        if (c instanceof SslHandshakeTimeoutException) {
            return Reason.TIMEOUT;
        }
        if (c instanceof ClosedChannelException) {
            return Reason.CLIENT_CLOSED;
        }
        String m = messages(c).toLowerCase(Locale.ROOT);
        // The server checks one certificate only, the client's: its trust manager's exceptions are about that one.
        if (m.contains("peer_did_not_return_a_certificate") || m.contains("empty client certificate chain")) {
            return Reason.CLIENT_CERTIFICATE_MISSING;
        }
        if (hasCertificateException(c) || m.contains("certificate_verify_failed")
                || m.contains("unable to find valid certification path")) {
            return Reason.CLIENT_CERTIFICATE_INVALID;
        }
        if (m.contains("no_shared_cipher") || m.contains("no cipher suites in common") || m.contains("no_cipher")
                || m.contains("no shared cipher")) {
            return Reason.NO_SHARED_CIPHER;
        }
        if (m.contains("protocol_version") || m.contains("unsupported_protocol") || m.contains("no_protocols")
                || m.contains("protocol version") || m.contains("wrong_version") || m.contains("wrong version")
                || m.contains("no appropriate protocol")) {
            return Reason.PROTOCOL_VERSION;
        }
        if (m.contains("alert") && (m.contains("certificate") || m.contains("unknown_ca") || m.contains("unknown ca")
                || m.contains("bad_certificate"))) {
            return Reason.CERTIFICATE_REFUSED;
        }
        if (m.contains("closed") || m.contains("connection reset") || m.contains("broken pipe")) {
            return Reason.CLIENT_CLOSED;
        }
        return Reason.OTHER;
    }

    private static boolean hasCertificateException(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c instanceof java.security.cert.CertificateException
                    || c instanceof java.security.cert.CertPathValidatorException) {
                return true;
            }
        }
        return false;
    }

    private static String messages(Throwable t) {
        StringBuilder b = new StringBuilder();
        for (Throwable c = t; c != null && b.length() < 2000; c = c.getCause() == c ? null : c.getCause()) {
            b.append(c.getClass().getSimpleName()).append(": ").append(c.getMessage()).append(' ');
        }
        return b.toString();
    }

    private static String detail(Throwable cause) {
        Throwable t = cause;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        String m = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
        return m.length() > 200 ? m.substring(0, 200) + "..." : m;
    }
}
