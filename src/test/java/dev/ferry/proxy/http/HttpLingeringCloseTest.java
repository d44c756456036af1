package dev.ferry.proxy.http;

import dev.ferry.config.ConfigLoader;
import dev.ferry.runtime.Balancer;
import dev.ferry.testing.Requirements;
import dev.ferry.testing.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 15 item 8: a client connection Ferry closes while the client is still uploading gets a lingering close (as
 * nginx's {@code lingering_close}): the whole response goes out, then a FIN, and the client's bytes are read and
 * dropped until it closes, so the kernel never answers unread upload bytes with a reset that destroys the response.
 * Real sockets on loopback throughout.
 */
@Timeout(60)
class HttpLingeringCloseTest {
    private static final int UPLOAD = 8 * 1024 * 1024;
    private static final int CHUNK = 64 * 1024;
    private static final int RESPONSE_BODY = 2 * 1024 * 1024;

    @TempDir
    Path certs;
    private final List<AutoCloseable> resources = new ArrayList<>();
    private Balancer balancer;
    private InetSocketAddress front;

    @AfterEach
    void tearDown() throws Exception {
        for (AutoCloseable r : resources) {
            r.close();
        }
        if (balancer != null) {
            balancer.close();
        }
    }

    /** One http frontend: {@code /api} goes to the server, anything else gets Ferry's own 404. */
    private void start(String httpOptions, String server) throws Exception {
        balancer = new Balancer(config("127.0.0.1:0", httpOptions, server), 1);
        balancer.start();
        front = balancer.address("web");
    }

    private static dev.ferry.config.FerryConfig config(String listen, String httpOptions, String server)
            throws Exception {
        String yaml = """
                frontends:
                  - name: web
                    listen: %s
                    mode: http
                    routes: [ { match: { path_prefix: /api }, backend: pool } ]
                %s
                backends:
                  - { name: pool, servers: [ { name: s, address: %s } ] }
                """.formatted(listen, httpOptions.isEmpty() ? "" : "    http: " + httpOptions,
                server == null ? "127.0.0.1:" + TestServer.closedPort() : server);
        return ConfigLoader.parse(yaml, Path.of("test.yaml"));
    }

    private LingeringStats lingering() {
        return ((HttpFrontend) balancer.frontends().get(0)).lingeringStats();
    }

    /** Waits (at most 10 s) until a lingering close ended {@code how}, and for no other reason. */
    private void awaitEnded(LingeringStats.Ended how) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (lingering().count(how) == 0 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        for (LingeringStats.Ended e : LingeringStats.Ended.values()) {
            assertThat(lingering().count(e)).as("lingering closes ended " + e.label()).isEqualTo(e == how ? 1 : 0);
        }
    }

    /** Waits (at most 10 s) until Ferry has no client connection open. */
    private void awaitNoClientConnection() throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (balancer.frontends().get(0).stats().active() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(balancer.frontends().get(0).stats().active()).as("client connections open").isZero();
    }

    private Socket client() throws IOException {
        Socket s = new Socket();
        resources.add(s);
        s.connect(front, 5_000);
        s.setSoTimeout(15_000);
        return s;
    }

    /** Byte {@code i} of the origin's 401 body: a pattern, so a lost or shifted stretch shows. */
    private static byte bodyByte(int i) {
        return (byte) ('a' + (i % 26));
    }

    /**
     * The origin of the issue: it answers 401 with a 2 MiB body as soon as the request head is in, without reading
     * the upload, and says it closes. Then, as a well-behaved server, it shuts its side and drains what Ferry still
     * sends before closing (an origin that reset the connection would lose its own response before Ferry got it).
     */
    private TestServer earlyAnsweringOrigin() {
        TestServer s = TestServer.start("early", socket -> {
            InputStream in = socket.getInputStream();
            while (!Origin.readLine(in).isEmpty()) {
                // the request head; the body is never read before answering
            }
            OutputStream out = socket.getOutputStream();
            out.write(("HTTP/1.1 401 Unauthorized\r\nContent-Length: " + RESPONSE_BODY
                    + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            byte[] body = new byte[RESPONSE_BODY];
            for (int i = 0; i < body.length; i++) {
                body[i] = bodyByte(i);
            }
            out.write(body);
            out.flush();
            socket.shutdownOutput();
            socket.setSoTimeout(10_000);
            byte[] sink = new byte[CHUNK];
            try {
                while (in.read(sink) >= 0) {
                    // dropped
                }
            } catch (IOException e) {
                // Ferry closed its side: done either way
            }
            socket.close();
        });
        resources.add(s);
        return s;
    }

    /** Sends the body in 64 KiB chunks with a pause every 16 of them (a few seconds in all, bounded). */
    private static Thread uploader(Socket s, int bytes, AtomicReference<Throwable> failure) {
        return Thread.ofVirtual().start(() -> {
            try {
                OutputStream out = s.getOutputStream();
                byte[] chunk = new byte[CHUNK];
                for (int sent = 0, n = 0; sent < bytes; sent += CHUNK, n++) {
                    out.write(chunk, 0, Math.min(CHUNK, bytes - sent));
                    if (n % 16 == 15) {
                        Thread.sleep(100);
                    }
                }
                out.flush();
            } catch (IOException | InterruptedException e) {
                failure.set(e);
            }
        });
    }

    private static String readHead(InputStream in) throws IOException {
        StringBuilder head = new StringBuilder();
        for (String line; !(line = Origin.readLine(in)).isEmpty(); ) {
            head.append(line).append('\n');
        }
        return head.toString();
    }

    /**
     * Reads up to {@code n} bytes in 16 KiB pieces with a pause after each (about 1.3 s for 2 MiB), as a client busy
     * with its upload would: the end of the response is still on its way when Ferry decides to close. Stops early at
     * the end of the stream or a reset.
     */
    private static byte[] readSlowly(InputStream in, int n) throws InterruptedException {
        java.io.ByteArrayOutputStream got = new java.io.ByteArrayOutputStream(n);
        byte[] piece = new byte[16 * 1024];
        try {
            while (got.size() < n) {
                int r = in.read(piece, 0, Math.min(piece.length, n - got.size()));
                if (r < 0) {
                    break;
                }
                got.write(piece, 0, r);
                Thread.sleep(10);
            }
        } catch (IOException e) {
            // a reset: what arrived before it is the answer
        }
        return got.toByteArray();
    }

    /** (a) The case: an early 401 with a 2 MiB body arrives whole while an 8 MiB upload is still going. */
    @Test
    void anEarlyResponseToAnUnfinishedUploadArrivesWhole() throws Exception {
        start("", earlyAnsweringOrigin().address());
        Socket s = client();
        s.getOutputStream().write(("POST /api/upload HTTP/1.1\r\nHost: x\r\nContent-Length: " + UPLOAD
                + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
        AtomicReference<Throwable> uploadFailure = new AtomicReference<>();
        Thread upload = uploader(s, UPLOAD, uploadFailure);
        InputStream in = s.getInputStream();
        String head = readHead(in);
        assertThat(head).startsWith("HTTP/1.1 401").containsIgnoringCase("content-length: " + RESPONSE_BODY);
        byte[] body = readSlowly(in, RESPONSE_BODY);
        assertThat(body.length).as("response body bytes").isEqualTo(RESPONSE_BODY);
        for (int i = 0; i < body.length; i++) {
            if (body[i] != bodyByte(i)) {
                throw new AssertionError("response body differs at byte " + i);
            }
        }
        // Then Ferry's FIN: the response is all there is.
        assertThat(in.read()).isEqualTo(-1);
        upload.join(30_000);
        assertThat(uploadFailure.get()).as("the upload was not cut off by a reset").isNull();
        s.close();
        awaitEnded(LingeringStats.Ended.CLIENT_CLOSED);
    }

    /** (b) Ferry's own early answer (404, no route) to an 8 MiB upload arrives whole after the upload. */
    @Test
    void ferrysOwnAnswerToAnUnreadUploadArrivesWhole() throws Exception {
        start("", null);
        Socket s = client();
        s.getOutputStream().write(("POST /elsewhere HTTP/1.1\r\nHost: x\r\nContent-Length: " + UPLOAD
                + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
        AtomicReference<Throwable> uploadFailure = new AtomicReference<>();
        // A simple client: the whole upload first, the response after.
        uploader(s, UPLOAD, uploadFailure).join(30_000);
        assertThat(uploadFailure.get()).as("the upload was not cut off by a reset").isNull();
        InputStream in = s.getInputStream();
        String head = readHead(in);
        assertThat(head).startsWith("HTTP/1.1 404");
        String length = head.lines().filter(l -> l.toLowerCase().startsWith("content-length:")).findFirst()
                .orElseThrow();
        int n = Integer.parseInt(length.substring(length.indexOf(':') + 1).trim());
        assertThat(new String(in.readNBytes(n), StandardCharsets.UTF_8)).contains("no route");
        assertThat(in.read()).isEqualTo(-1);
        s.close();
        awaitEnded(LingeringStats.Ended.CLIENT_CLOSED);
        awaitNoClientConnection();
    }

    /** Sends an upload's head and its first 1 KiB, then reads Ferry's 404 to the end (its FIN). */
    private Socket uploadStartedAnd404Read() throws IOException {
        Socket s = client();
        s.getOutputStream().write(("POST /elsewhere HTTP/1.1\r\nHost: x\r\nContent-Length: " + UPLOAD
                + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
        s.getOutputStream().write(new byte[1024]);
        s.getOutputStream().flush();
        InputStream in = s.getInputStream();
        assertThat(readHead(in)).startsWith("HTTP/1.1 404");
        in.readAllBytes();
        return s;
    }

    /**
     * (c) A client that stops sending but keeps its connection open is let go after {@code lingering_timeout}: the
     * lingering ends as a timeout and the connection is closed.
     */
    @Test
    void lingeringEndsAfterLingeringTimeoutWhenTheClientGoesQuiet() throws Exception {
        start("{ lingering_timeout: 300ms, lingering_time: 20s }", null);
        Socket s = uploadStartedAnd404Read();
        awaitEnded(LingeringStats.Ended.TIMEOUT);
        awaitNoClientConnection();
        assertWritesFail(s);
    }

    /** Ferry's socket is gone: a write is answered with a reset, so a later one fails (bounded: 100 tries). */
    private static void assertWritesFail(Socket s) throws InterruptedException {
        for (int i = 0; i < 100; i++) {
            try {
                s.getOutputStream().write(new byte[1024]);
                s.getOutputStream().flush();
            } catch (IOException e) {
                return;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("the connection still took bytes after the lingering ended");
    }

    /** {@code lingering_time} caps the lingering even while the client keeps sending. */
    @Test
    void lingeringTimeCapsAClientThatKeepsSending() throws Exception {
        start("{ lingering_timeout: 5s, lingering_time: 500ms }", null);
        Socket s = uploadStartedAnd404Read();
        AtomicReference<Throwable> uploadFailure = new AtomicReference<>();
        Thread upload = uploader(s, UPLOAD, uploadFailure);
        awaitEnded(LingeringStats.Ended.TIME_CAP);
        awaitNoClientConnection();
        upload.join(30_000);
    }

    /** {@code lingering_bytes} caps what is dropped. */
    @Test
    void lingeringBytesCapWhatIsDropped() throws Exception {
        start("{ lingering_bytes: 256KiB }", null);
        Socket s = uploadStartedAnd404Read();
        AtomicReference<Throwable> uploadFailure = new AtomicReference<>();
        Thread upload = uploader(s, UPLOAD, uploadFailure);
        awaitEnded(LingeringStats.Ended.BYTE_CAP);
        awaitNoClientConnection();
        upload.join(30_000);
        assertThat(uploadFailure.get()).as("the rest of the upload met a closed connection").isNotNull();
    }

    /**
     * (d) {@code lingering_close: off} closes at once, as before lingering existed: the upload meets a reset and
     * nothing lingers. A reload to {@code on} applies to the next connection.
     */
    @Test
    void offClosesAtOnceAndAReloadToOnAppliesToNewConnections() throws Exception {
        start("{ lingering_close: off }", null);
        Socket s = client();
        s.getOutputStream().write(("POST /elsewhere HTTP/1.1\r\nHost: x\r\nContent-Length: " + UPLOAD
                + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
        AtomicReference<Throwable> uploadFailure = new AtomicReference<>();
        uploader(s, UPLOAD, uploadFailure).join(30_000);
        assertThat(uploadFailure.get()).as("the upload met a closed connection").isNotNull();
        awaitNoClientConnection();
        for (LingeringStats.Ended e : LingeringStats.Ended.values()) {
            assertThat(lingering().count(e)).isZero();
        }

        balancer.reload(config("127.0.0.1:" + front.getPort(), "{ lingering_close: on, lingering_timeout: 300ms }",
                null));
        uploadStartedAnd404Read();
        awaitEnded(LingeringStats.Ended.TIMEOUT);
    }

    /** {@code always} lingers even when nothing more is expected from the client (here a closing GET). */
    @Test
    void alwaysLingersAfterEveryClosingResponse() throws Exception {
        start("{ lingering_close: always }", null);
        Socket s = client();
        s.getOutputStream().write("GET /elsewhere HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                .getBytes(StandardCharsets.ISO_8859_1));
        InputStream in = s.getInputStream();
        assertThat(readHead(in)).startsWith("HTTP/1.1 404");
        in.readAllBytes();
        s.close();
        awaitEnded(LingeringStats.Ended.CLIENT_CLOSED);
    }

    /** With {@code on}, a closing response to a request without a body closes at once: nothing to linger for. */
    @Test
    void onDoesNotLingerWhenTheClientHasNothingMoreToSend() throws Exception {
        start("", null);
        Socket s = client();
        s.getOutputStream().write("GET /elsewhere HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                .getBytes(StandardCharsets.ISO_8859_1));
        InputStream in = s.getInputStream();
        assertThat(readHead(in)).startsWith("HTTP/1.1 404");
        in.readAllBytes();
        awaitNoClientConnection();
        for (LingeringStats.Ended e : LingeringStats.Ended.values()) {
            assertThat(lingering().count(e)).isZero();
        }
    }

    /**
     * Over TLS the lingering close says close_notify before the FIN and then drops the raw bytes: Ferry's own answer
     * to an unread upload arrives whole and the connection ends when the client closes it.
     */
    @ParameterizedTest
    @ValueSource(strings = {"TLSv1.3", "TLSv1.2"})
    void overTlsTheAnswerToAnUnreadUploadArrivesWhole(String protocol) throws Exception {
        selfSigned();
        balancer = new Balancer(ConfigLoader.parse("""
                frontends:
                  - name: web
                    listen: 127.0.0.1:0
                    mode: http
                    tls: { certificates: [ { cert: %s, key: %s } ] }
                    routes: [ { match: { path_prefix: /api }, backend: pool } ]
                backends:
                  - { name: pool, servers: [ { name: s, address: 127.0.0.1:%d } ] }
                """.formatted(certs.resolve("a.pem"), certs.resolve("a.key"), TestServer.closedPort()),
                Path.of("test.yaml")), 1);
        balancer.start();
        front = balancer.address("web");
        SSLSocket s = tlsClient(protocol);
        s.getOutputStream().write(("POST /elsewhere HTTP/1.1\r\nHost: a.test\r\nContent-Length: " + UPLOAD
                + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
        AtomicReference<Throwable> uploadFailure = new AtomicReference<>();
        uploader(s, UPLOAD, uploadFailure).join(30_000);
        assertThat(uploadFailure.get()).as("the upload was not cut off by a reset").isNull();
        InputStream in = s.getInputStream();
        assertThat(readHead(in)).startsWith("HTTP/1.1 404");
        assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).contains("no route");
        s.close();
        awaitEnded(LingeringStats.Ended.CLIENT_CLOSED);
        awaitNoClientConnection();
    }

    /** Writes {@code a.pem} and {@code a.key} for a.test into the temporary directory, with openssl. */
    private void selfSigned() throws Exception {
        Process p;
        try {
            p = new ProcessBuilder("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=a.test", "-addext", "subjectAltName=DNS:a.test",
                    "-keyout", certs.resolve("a.key").toString(), "-out", certs.resolve("a.pem").toString())
                    .redirectErrorStream(true).start();
        } catch (IOException e) {
            Requirements.require(false, "openssl (apt-get install openssl)");
            return;
        }
        p.getInputStream().readAllBytes();
        assertThat(p.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isZero();
    }

    /** A TLS client that trusts exactly the test's certificate {@code a.pem}. */
    private SSLSocket tlsClient(String protocol) throws Exception {
        java.security.KeyStore trust = java.security.KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        try (InputStream pem = java.nio.file.Files.newInputStream(certs.resolve("a.pem"))) {
            trust.setCertificateEntry("a", java.security.cert.CertificateFactory.getInstance("X.509")
                    .generateCertificate(pem));
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket(front.getAddress(), front.getPort());
        resources.add(s);
        s.setSoTimeout(15_000);
        SSLParameters params = s.getSSLParameters();
        params.setServerNames(List.of(new SNIHostName("a.test")));
        params.setProtocols(new String[]{protocol});
        s.setSSLParameters(params);
        s.startHandshake();
        return s;
    }
}
