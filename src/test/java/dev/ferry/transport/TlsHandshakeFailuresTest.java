package dev.ferry.transport;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.netty.handler.ssl.NotSslRecordException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import javax.net.ssl.SSLHandshakeException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/** Failed handshakes are all counted, and logged at most once per interval with the count of those not logged. */
class TlsHandshakeFailuresTest {
    private final ListAppender<ILoggingEvent> lines = new ListAppender<>();
    private final Logger logger = (Logger) LoggerFactory.getLogger(TlsHandshakeFailures.class);

    @BeforeEach
    void listen() {
        lines.start();
        logger.addAppender(lines);
    }

    @AfterEach
    void stop() {
        logger.detachAppender(lines);
    }

    private java.util.List<String> warnings() {
        return lines.list.stream().filter(e -> e.getLevel() == ch.qos.logback.classic.Level.WARN)
                .map(ILoggingEvent::getFormattedMessage).toList();
    }

    @Test
    void aBurstOfFailuresIsCountedWholeAndLoggedOncePerInterval() {
        AtomicLong now = new AtomicLong(1_000);
        TlsHandshakeFailures failures = new TlsHandshakeFailures("web", now::get);
        for (int i = 0; i < 500; i++) {
            failures.record(new NotSslRecordException("not an SSL/TLS record"), "10.0.0.1:" + (1000 + i));
            now.addAndGet(TimeUnit.MILLISECONDS.toNanos(10));
        }
        assertThat(failures.count(TlsHandshakeFailures.Reason.NOT_TLS)).isEqualTo(500);
        assertThat(warnings()).containsExactly(
                "frontend 'web': TLS handshake from 10.0.0.1:1000 failed: not_tls (not an SSL/TLS record)");

        now.addAndGet(TlsHandshakeFailures.LOG_INTERVAL.toNanos());
        failures.record(new SSLHandshakeException("error:100000f0:SSL routines:OPENSSL_internal:UNSUPPORTED_PROTOCOL"),
                "10.0.0.2:5000");
        assertThat(warnings()).hasSize(2);
        assertThat(warnings().get(1)).isEqualTo("frontend 'web': TLS handshake from 10.0.0.2:5000 failed: "
                + "protocol_version (error:100000f0:SSL routines:OPENSSL_internal:UNSUPPORTED_PROTOCOL)"
                + " (and 499 more failed handshake(s) since the last line)");
        assertThat(failures.count(TlsHandshakeFailures.Reason.PROTOCOL_VERSION)).isEqualTo(1);
    }

    @Test
    void reasonsAreReadFromBothProvidersMessages() {
        assertThat(TlsHandshakeFailures.classify(new SSLHandshakeException(
                "error:10000418:SSL routines:OPENSSL_internal:TLSV1_ALERT_UNKNOWN_CA")))
                .isEqualTo(TlsHandshakeFailures.Reason.CERTIFICATE_REFUSED);
        assertThat(TlsHandshakeFailures.classify(new SSLHandshakeException(
                "(certificate_unknown) Received fatal alert: certificate_unknown")))
                .isEqualTo(TlsHandshakeFailures.Reason.CERTIFICATE_REFUSED);
        assertThat(TlsHandshakeFailures.classify(new SSLHandshakeException(
                "error:100000b8:SSL routines:OPENSSL_internal:NO_SHARED_CIPHER")))
                .isEqualTo(TlsHandshakeFailures.Reason.NO_SHARED_CIPHER);
        assertThat(TlsHandshakeFailures.classify(new java.nio.channels.ClosedChannelException()))
                .isEqualTo(TlsHandshakeFailures.Reason.CLIENT_CLOSED);
        assertThat(TlsHandshakeFailures.classify(new SSLHandshakeException(
                "error:100000c0:SSL routines:OPENSSL_internal:PEER_DID_NOT_RETURN_A_CERTIFICATE")))
                .isEqualTo(TlsHandshakeFailures.Reason.CLIENT_CERTIFICATE_MISSING);
        assertThat(TlsHandshakeFailures.classify(new SSLHandshakeException("Empty client certificate chain")))
                .isEqualTo(TlsHandshakeFailures.Reason.CLIENT_CERTIFICATE_MISSING);
        SSLHandshakeException untrusted = new SSLHandshakeException("unable to find valid certification path to "
                + "requested target");
        untrusted.initCause(new java.security.cert.CertificateException("PKIX path building failed"));
        assertThat(TlsHandshakeFailures.classify(untrusted))
                .isEqualTo(TlsHandshakeFailures.Reason.CLIENT_CERTIFICATE_INVALID);
        assertThat(TlsHandshakeFailures.classify(new SSLHandshakeException(
                "error:1000007d:SSL routines:OPENSSL_internal:CERTIFICATE_VERIFY_FAILED")))
                .isEqualTo(TlsHandshakeFailures.Reason.CLIENT_CERTIFICATE_INVALID);
        assertThat(TlsHandshakeFailures.classify(new SSLHandshakeException("something new")))
                .isEqualTo(TlsHandshakeFailures.Reason.OTHER);
    }
}
