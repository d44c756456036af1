package dev.ferry.proxy.http;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.ferry.accesslog.AccessLog;
import dev.ferry.accesslog.AccessRecord;
import dev.ferry.backend.Backend;
import dev.ferry.config.ConfigLoader;
import dev.ferry.config.FerryConfig;
import dev.ferry.transport.Transport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 15 item 34(f): an exception on the HTTP path that is not an I/O failure of the client is Ferry's own fault. It
 * is logged at WARN (rate-limited), and the request ends as an internal error: a 500 while the response has not
 * started, never a silent close recorded as client_closed. Bad input from the client (a malformed PROXY header) stays
 * a debug matter.
 */
@Timeout(60)
class HttpInternalErrorTest {
    private final Transport transport = new Transport(1);
    private final ListAppender<ILoggingEvent> logged = new ListAppender<>();
    private final Logger connectionLog = (Logger) LoggerFactory.getLogger(HttpProxyConnection.class);
    private HttpFrontend frontend;

    /** An access log whose first record fails: a bug in a part of Ferry that runs inside the connection's handler. */
    private static final class BrokenOnce implements AccessLog {
        final AtomicBoolean broken = new AtomicBoolean();
        final List<AccessRecord> records = new CopyOnWriteArrayList<>();

        @Override
        public void log(AccessRecord record) {
            if (broken.compareAndSet(false, true)) {
                throw new IllegalStateException("access log broke");
            }
            records.add(record);
        }
    }

    @AfterEach
    void tearDown() {
        connectionLog.detachAppender(logged);
        if (frontend != null) {
            frontend.stopAccepting();
            frontend.closeAll();
        }
        transport.close();
    }

    private InetSocketAddress start(String frontendExtra, AccessLog accessLog) throws Exception {
        FerryConfig config = ConfigLoader.parse("""
                frontends:
                  - { name: web, listen: 127.0.0.1:0, mode: http%s,
                      routes: [ { match: { path_prefix: /api/ }, backend: pool } ] }
                backends:
                  - { name: pool, servers: [ { address: 127.0.0.1:9 } ] }
                """.formatted(frontendExtra), Path.of("internal.yaml"));
        Backend pool = new Backend(config.backends().getFirst());
        frontend = new HttpFrontend(config.frontends().getFirst(), Map.of("pool", pool), transport, accessLog,
                Optional.empty());
        logged.start();
        connectionLog.addAppender(logged);
        return frontend.start();
    }

    private List<String> warnings() {
        return logged.list.stream().filter(e -> e.getLevel() == Level.WARN).map(ILoggingEvent::getFormattedMessage)
                .toList();
    }

    @Test
    void aBugOnTheRequestPathAnswers500AndIsLoggedAtWarn() throws Exception {
        BrokenOnce accessLog = new BrokenOnce();
        InetSocketAddress front = start("", accessLog);

        try (Raw client = new Raw(front)) {
            Raw.Response r = client.send("GET /elsewhere HTTP/1.1\r\nHost: a.test\r\n\r\n").read();
            assertThat(r).as("a response, not a silent close").isNotNull();
            assertThat(r.status()).isEqualTo(500);
            assertThat(client.closedByPeer()).isTrue();
        }
        assertThat(accessLog.broken).isTrue();
        assertThat(warnings()).singleElement().asString()
                .contains("web: internal error on the connection from")
                .contains("java.lang.IllegalStateException: access log broke");
        assertThat(accessLog.records).extracting(AccessRecord::termination).doesNotContain("client_closed");
    }

    @Test
    void badInputFromTheClientIsNotAnInternalError() throws Exception {
        BrokenOnce accessLog = new BrokenOnce();
        accessLog.broken.set(true);
        InetSocketAddress front = start(", proxy_protocol: true", accessLog);

        try (Raw client = new Raw(front)) {
            client.send("PROXY NONSENSE here\r\nGET /api/ HTTP/1.1\r\nHost: a.test\r\n\r\n");
            assertThat(client.closedByPeer()).isTrue();
        }
        assertThat(warnings()).isEmpty();
    }
}
