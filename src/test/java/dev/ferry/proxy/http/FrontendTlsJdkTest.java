package dev.ferry.proxy.http;

import dev.ferry.transport.TlsTerminator;
import io.netty.handler.ssl.SslProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link FrontendTlsTest} on the JDK's TLS ({@code -Dferry.tls.provider=jdk}), where BoringSSL does not load: the
 * version floor, suites and groups (set per engine there), client certificates and their headers, and the reload.
 * Session tickets, the session cache switch and OCSP stapling from a file are BoringSSL's only (refused on the JDK, see
 * {@link TlsFilesTest}), so those tests are left out here.
 */
@Timeout(120)
class FrontendTlsJdkTest extends FrontendTlsTest {
    @BeforeEach
    void onTheJdk() {
        System.setProperty("ferry.tls.provider", "jdk");
        assertThat(TlsTerminator.defaultProvider()).isEqualTo(SslProvider.JDK);
    }

    @AfterEach
    void back() {
        System.clearProperty("ferry.tls.provider");
    }

    @Override
    void sessionTicketsResumeAndCanBeSwitchedOff() {
        // BoringSSL only
    }

    @Override
    void ticketKeysFromAFileRotateByReload() {
        // BoringSSL only
    }

    @Override
    void ocspResponseIsStapled() {
        // BoringSSL only
    }
}
