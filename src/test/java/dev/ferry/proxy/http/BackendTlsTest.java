package dev.ferry.proxy.http;

import dev.ferry.config.ConfigLoader;
import dev.ferry.runtime.Balancer;
import dev.ferry.testing.TestPki;
import dev.ferry.testing.TlsOrigin;
import dev.ferry.transport.UpstreamTlsFailures;
import dev.ferry.transport.UpstreamTlsFailures.Reason;
import io.netty.handler.ssl.ClientAuth;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * TLS from Ferry to the servers (issue 20 item 9, {@code tls:} on a backend or a server): real TLS origins started
 * here with certificates of a test CA made by openssl, the JDK HttpClient as the client. Pooled TLS connections are
 * reused (100 requests, 1 handshake); the right CA passes, a wrong CA or a wrong name is refused (502, counted, the
 * next server tried); a server that requires a client certificate takes Ferry's; {@code protocol: h2} sends requests
 * as streams of one TLS connection and refuses a server that does not choose h2; sessions are resumed.
 */
@Timeout(120)
class BackendTlsTest {
    @TempDir
    static Path dir;
    static TestPki pki;
    static TestPki otherPki;
    private final List<AutoCloseable> resources = new ArrayList<>();
    private Balancer balancer;
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();

    @BeforeAll
    static void certificates() {
        pki = TestPki.authority(dir, "ca");
        pki.issue("origin", "origin.test", "DNS:origin.test,IP:127.0.0.1");
        pki.issue("named", "named.test", "DNS:named.test");
        pki.issue("ferry", "ferry-client", "DNS:ferry.test");
        otherPki = TestPki.authority(dir, "other-ca");
        otherPki.issue("stranger", "origin.test", "DNS:origin.test,IP:127.0.0.1");
    }

    @AfterEach
    void tearDown() throws Exception {
        if (balancer != null) {
            balancer.close();
        }
        for (AutoCloseable r : resources) {
            r.close();
        }
        client.close();
    }

    private <T extends AutoCloseable> T keep(T r) {
        resources.add(r);
        return r;
    }

    private InetSocketAddress start(String backend) throws Exception {
        balancer = new Balancer(ConfigLoader.parse("""
                frontends:
                  - { name: front, listen: 127.0.0.1:0, mode: http, backend: pool }
                backends:
                %s
                """.formatted(backend.indent(2)), dir.resolve("test.yaml")), 1);
        balancer.start();
        return balancer.address("front");
    }

    private HttpResponse<String> get(InetSocketAddress front, String path, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + front.getPort() + path))
                .timeout(Duration.ofSeconds(20));
        if (headers.length > 0) {
            b.headers(headers);
        }
        return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private UpstreamTlsFailures failures() {
        return balancer.upstreamTlsFailures().get("pool");
    }

    @Test
    void requestsGoOverOnePooledTlsConnectionVerifiedAgainstTheCa() throws Exception {
        TlsOrigin origin = keep(TlsOrigin.http("o", pki.cert("origin"), pki.key("origin")));
        InetSocketAddress front = start("""
                - name: pool
                  tls: { ca: %s }
                  servers: [ { name: o, address: %s } ]
                """.formatted(pki.caCert(), origin.address()));
        for (int i = 0; i < 100; i++) {
            HttpResponse<String> r = get(front, "/n" + i);
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body()).isEqualTo("o /n" + i);
        }
        assertThat(origin.accepted.get()).as("TLS connections the origin accepted").isEqualTo(1);
        assertThat(origin.handshakes.get()).isEqualTo(1);
        assertThat(origin.protocols).containsExactly("http/1.1");
        // An IP address as the server's address: no SNI, and the certificate's IP name was checked.
        assertThat(origin.sniNames).isEmpty();
        assertThat(failures().total(Reason.UNTRUSTED_CERTIFICATE)).isZero();
    }

    @Test
    void aServerWhoseCertificateTheCaDidNotSignIsRefusedAndTheNextServerServes() throws Exception {
        TlsOrigin stranger = keep(TlsOrigin.http("stranger", otherPki.cert("stranger"), otherPki.key("stranger")));
        TlsOrigin good = keep(TlsOrigin.http("good", pki.cert("origin"), pki.key("origin")));
        InetSocketAddress front = start("""
                - name: pool
                  scheduler: rr
                  tls: { ca: %s }
                  servers: [ { name: stranger, address: %s }, { name: good, address: %s } ]
                """.formatted(pki.caCert(), stranger.address(), good.address()));
        for (int i = 0; i < 6; i++) {
            HttpResponse<String> r = get(front, "/x");
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body()).isEqualTo("good /x");
        }
        assertThat(stranger.requests.get()).isZero();
        assertThat(failures().count("stranger", Reason.UNTRUSTED_CERTIFICATE)).isPositive();
        assertThat(failures().count("good", Reason.UNTRUSTED_CERTIFICATE)).isZero();
    }

    @Test
    void aWrongCaAloneGives502() throws Exception {
        TlsOrigin stranger = keep(TlsOrigin.http("stranger", otherPki.cert("stranger"), otherPki.key("stranger")));
        InetSocketAddress front = start("""
                - name: pool
                  retries: 0
                  tls: { ca: %s }
                  servers: [ { name: stranger, address: %s } ]
                """.formatted(pki.caCert(), stranger.address()));
        HttpResponse<String> r = get(front, "/x");
        assertThat(r.statusCode()).isEqualTo(502);
        assertThat(stranger.requests.get()).isZero();
        assertThat(failures().count("stranger", Reason.UNTRUSTED_CERTIFICATE)).isEqualTo(1);
        assertThat(balancer.backends().get("pool").servers().getFirst().failures()).isPositive();
        try (dev.ferry.admin.MetricsExporter metrics = new dev.ferry.admin.MetricsExporter(balancer)) {
            assertThat(metrics.scrape()).contains("ferry_backend_server_tls_handshake_failures_total{backend=\"pool\","
                    + "reason=\"untrusted_certificate\",server=\"stranger\"} 1.0");
        }
    }

    @Test
    void aReloadAppliesTlsAndReadsTheFilesAgain() throws Exception {
        TlsOrigin origin = keep(TlsOrigin.http("o", pki.cert("origin"), pki.key("origin")));
        InetSocketAddress front = start("""
                - { name: pool, retries: 0, servers: [ { name: o, address: %s } ] }
                """.formatted(origin.address()));
        assertThat(get(front, "/plain").statusCode()).as("plain HTTP to a TLS port").isEqualTo(502);
        Path ca = dir.resolve("reloaded-ca.pem");
        java.nio.file.Files.copy(otherPki.caCert(), ca, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        String withTls = """
                frontends:
                  - { name: front, listen: 127.0.0.1:%d, mode: http, backend: pool }
                backends:
                  - { name: pool, retries: 0, tls: { ca: %s }, servers: [ { name: o, address: %s } ] }
                """.formatted(front.getPort(), ca, origin.address());
        balancer.reload(ConfigLoader.parse(withTls, dir.resolve("test.yaml")));
        assertThat(get(front, "/wrong-ca").statusCode()).isEqualTo(502);
        assertThat(failures().count("o", Reason.UNTRUSTED_CERTIFICATE)).isEqualTo(1);
        // The same file, now holding the right CA: a reload reads it again.
        java.nio.file.Files.copy(pki.caCert(), ca, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        balancer.reload(ConfigLoader.parse(withTls, dir.resolve("test.yaml")));
        HttpResponse<String> r = get(front, "/tls");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("o /tls");
        // A file that cannot be used refuses the reload and changes nothing.
        java.nio.file.Files.writeString(ca, "garbage");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> balancer.reload(ConfigLoader.parse(withTls,
                        dir.resolve("test.yaml"))))
                .isInstanceOf(dev.ferry.config.ConfigException.class).hasMessageContaining("backends[0].tls.ca");
        assertThat(get(front, "/still").statusCode()).isEqualTo(200);
    }

    @Test
    void theNameIsCheckedSniGivesItAndAWrongNameIsRefused() throws Exception {
        TlsOrigin named = keep(TlsOrigin.http("named", pki.cert("named"), pki.key("named")));
        InetSocketAddress front = start("""
                - name: pool
                  retries: 0
                  tls: { ca: %s }
                  servers:
                    - { name: right, address: %s, tls: { sni: named.test } }
                    - { name: wrong, address: %2$s, tls: { sni: other.test }, weight: 0 }
                    - { name: ip, address: %2$s, weight: 0 }
                """.formatted(pki.caCert(), named.address()));
        assertThat(get(front, "/a").statusCode()).isEqualTo(200);
        assertThat(named.sniNames).contains("named.test");
        assertThat(failures().total(Reason.UNTRUSTED_CERTIFICATE)).isZero();
        // Only the wrongly named server, then only the one by IP address (its certificate names no IP).
        var backend = balancer.backends().get("pool");
        backend.setWeight(backend.server("right").orElseThrow(), 0);
        backend.setWeight(backend.server("wrong").orElseThrow(), 1);
        assertThat(get(front, "/b").statusCode()).isEqualTo(502);
        assertThat(failures().count("wrong", Reason.UNTRUSTED_CERTIFICATE)).isEqualTo(1);
        backend.setWeight(backend.server("wrong").orElseThrow(), 0);
        backend.setWeight(backend.server("ip").orElseThrow(), 1);
        assertThat(get(front, "/c").statusCode()).isEqualTo(502);
        assertThat(failures().count("ip", Reason.UNTRUSTED_CERTIFICATE)).isEqualTo(1);
        assertThat(named.requests.get()).isEqualTo(1);
    }

    @Test
    void aServerThatRequiresAClientCertificateTakesFerrysAndRefusesFerryWithoutOne() throws Exception {
        TlsOrigin strict = keep(TlsOrigin.start("strict", pki.cert("origin"), pki.key("origin"),
                TlsOrigin.Mode.HTTP, ClientAuth.REQUIRE, pki.caCert(), List.of("http/1.1")));
        InetSocketAddress front = start("""
                - name: pool
                  retries: 0
                  tls: { ca: %s, client_cert: { cert: %s, key: %s } }
                  servers:
                    - { name: with, address: %s }
                    - { name: without, address: %4$s, weight: 0, tls: { verify: true } }
                """.formatted(pki.caCert(), pki.cert("ferry"), pki.key("ferry"), strict.address()));
        HttpResponse<String> r = get(front, "/mtls");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("strict /mtls");
        assertThat(strict.clientSubjects).contains("CN=ferry-client");
        balancer.close();
        balancer = null;

        int failedBefore = strict.failedHandshakes.get();
        front = start("""
                - name: pool
                  retries: 0
                  tls: { ca: %s }
                  servers: [ { name: without, address: %s } ]
                """.formatted(pki.caCert(), strict.address()));
        assertThat(get(front, "/mtls").statusCode()).isEqualTo(502);
        await().atMost(Duration.ofSeconds(20)).until(() -> strict.failedHandshakes.get() > failedBefore);
        assertThat(strict.requests.get()).isEqualTo(1);
    }

    @Test
    void protocolH2SendsEveryRequestAsAStreamOfOneTlsConnection() throws Exception {
        TlsOrigin origin = keep(TlsOrigin.http("h2o", pki.cert("origin"), pki.key("origin")));
        InetSocketAddress front = start("""
                - name: pool
                  protocol: h2
                  tls: { ca: %s }
                  servers: [ { name: o, address: %s } ]
                """.formatted(pki.caCert(), origin.address()));
        List<CompletableFuture<HttpResponse<String>>> all = new ArrayList<>();
        HttpClient h2client = keep(HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).build());
        for (int i = 0; i < 40; i++) {
            // h2c to Ferry by prior knowledge is not what the JDK client does; HTTP/1.1 connections in parallel.
            all.add(client.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + front.getPort() + "/s"
                    + i)).timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString()));
        }
        for (int i = 0; i < all.size(); i++) {
            HttpResponse<String> r = all.get(i).get();
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body()).isEqualTo("h2o /s" + i);
            assertThat(r.headers().firstValue("x-scheme")).hasValue("https");
        }
        assertThat(origin.protocols).containsExactly("h2");
        assertThat(origin.accepted.get()).isEqualTo(1);
        assertThat(new HashSet<>(origin.h2StreamConnections)).containsExactly(1);
        assertThat(origin.requests.get()).isEqualTo(40);
        h2client.close();
    }

    @Test
    void protocolH2RefusesAServerThatDoesNotChooseH2() throws Exception {
        TlsOrigin h1only = keep(TlsOrigin.start("h1", pki.cert("origin"), pki.key("origin"), TlsOrigin.Mode.HTTP,
                ClientAuth.NONE, null, List.of("http/1.1")));
        InetSocketAddress front = start("""
                - name: pool
                  retries: 0
                  protocol: h2
                  tls: { ca: %s }
                  servers: [ { name: o, address: %s } ]
                """.formatted(pki.caCert(), h1only.address()));
        assertThat(get(front, "/x").statusCode()).isEqualTo(502);
        assertThat(failures().count("o", Reason.NO_H2)).isEqualTo(1);
        assertThat(h1only.requests.get()).isZero();
    }

    @Test
    void newConnectionsToTheSameServerResumeTheSession() throws Exception {
        TlsOrigin origin = keep(TlsOrigin.http("o", pki.cert("origin"), pki.key("origin")));
        InetSocketAddress front = start("""
                - name: pool
                  tls: { ca: %s }
                  servers: [ { name: o, address: %s } ]
                """.formatted(pki.caCert(), origin.address()));
        int n = 20;
        for (int i = 0; i < n; i++) {
            // The origin closes after each answer: every request needs a new TLS connection.
            assertThat(get(front, "/r", "x-close", "1").statusCode()).isEqualTo(200);
        }
        assertThat(origin.accepted.get()).isEqualTo(n);
        assertThat(origin.resumed.get()).as("resumed handshakes of %d", n).isGreaterThanOrEqualTo(n - 2);
    }

    @Test
    void aTcpFrontendOriginatesTlsToTheServer() throws Exception {
        TlsOrigin echo = keep(TlsOrigin.start("echo", pki.cert("origin"), pki.key("origin"), TlsOrigin.Mode.ECHO,
                ClientAuth.NONE, null, List.of()));
        TlsOrigin stranger = keep(TlsOrigin.start("stranger", otherPki.cert("stranger"), otherPki.key("stranger"),
                TlsOrigin.Mode.ECHO, ClientAuth.NONE, null, List.of()));
        balancer = new Balancer(ConfigLoader.parse("""
                frontends:
                  - { name: front, listen: 127.0.0.1:0, mode: tcp, backend: pool }
                  - { name: refused, listen: 127.0.0.1:0, mode: tcp, backend: strangers }
                backends:
                  - { name: pool, tls: { ca: %s }, servers: [ { name: echo, address: %s } ] }
                  - { name: strangers, retries: 0, tls: { ca: %1$s }, servers: [ { name: s, address: %s } ] }
                """.formatted(pki.caCert(), echo.address(), stranger.address()), dir.resolve("test.yaml")), 1);
        balancer.start();
        byte[] data = "plain bytes in, TLS to the server ".repeat(2000).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        try (java.net.Socket s = dev.ferry.testing.Clients.connect(balancer.address("front"))) {
            s.getOutputStream().write(data);
            s.getOutputStream().flush();
            assertThat(s.getInputStream().readNBytes(data.length)).isEqualTo(data);
        }
        assertThat(echo.handshakes.get()).isEqualTo(1);
        dev.ferry.testing.Clients.expectReset(balancer.address("refused"));
        assertThat(balancer.upstreamTlsFailures().get("strangers").count("s", Reason.UNTRUSTED_CERTIFICATE))
                .isEqualTo(1);
    }

    @Test
    void healthChecksGoOverTlsAndAServerWithAnUntrustedCertificateGoesDown() throws Exception {
        TlsOrigin good = keep(TlsOrigin.http("good", pki.cert("origin"), pki.key("origin")));
        TlsOrigin stranger = keep(TlsOrigin.http("stranger", otherPki.cert("stranger"), otherPki.key("stranger")));
        balancer = new Balancer(ConfigLoader.parse("""
                frontends:
                  - { name: front, listen: 127.0.0.1:0, mode: http, backend: pool }
                backends:
                  - name: pool
                    tls: { ca: %s }
                    health_check: { type: http, path: /healthz, interval: 100ms, timeout: 2s, rise: 1, fall: 1 }
                    servers: [ { name: good, address: %s }, { name: stranger, address: %s } ]
                  - name: tcpcheck
                    tls: { ca: %1$s }
                    health_check: { type: tcp, interval: 100ms, timeout: 2s, rise: 1, fall: 1 }
                    servers: [ { name: good, address: %2$s }, { name: stranger, address: %3$s } ]
                """.formatted(pki.caCert(), good.address(), stranger.address()), dir.resolve("test.yaml")), 1);
        balancer.start();
        var pool = balancer.backends().get("pool");
        var tcp = balancer.backends().get("tcpcheck");
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            assertThat(pool.server("stranger").orElseThrow().healthy()).isFalse();
            assertThat(tcp.server("stranger").orElseThrow().healthy()).isFalse();
            assertThat(good.requests.get()).as("https checks that reached the good server").isPositive();
        });
        assertThat(pool.server("good").orElseThrow().healthy()).isTrue();
        assertThat(tcp.server("good").orElseThrow().healthy()).isTrue();
        assertThat(stranger.requests.get()).isZero();
    }

    @Test
    void grpcGoesToServersOverTlsAndTheGrpcHealthCheckToo() throws Exception {
        GrpcOrigin grpc = keep(GrpcOrigin.startTls("g", pki.cert("origin"), pki.key("origin")));
        InetSocketAddress front = start("""
                - name: pool
                  protocol: h2
                  tls: { ca: %s }
                  health_check: { type: grpc, interval: 100ms, timeout: 2s, rise: 1, fall: 1 }
                  servers: [ { name: g, address: 127.0.0.1:%d } ]
                """.formatted(pki.caCert(), grpc.address().getPort()));
        io.grpc.ManagedChannel channel = io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder
                .forAddress(front.getHostString(), front.getPort()).usePlaintext().build();
        resources.add(() -> {
            channel.shutdownNow();
            channel.awaitTermination(5, java.util.concurrent.TimeUnit.SECONDS);
        });
        var stub = io.grpc.testing.protobuf.SimpleServiceGrpc.newBlockingStub(channel);
        for (int i = 0; i < 20; i++) {
            var reply = stub.unaryRpc(io.grpc.testing.protobuf.SimpleRequest.newBuilder()
                    .setRequestMessage("hello").build());
            assertThat(reply.getResponseMessage()).isEqualTo("g");
        }
        assertThat(grpc.calls.get()).isEqualTo(20);
        var server = balancer.backends().get("pool").server("g").orElseThrow();
        var health = balancer.health().get("pool");
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() ->
                assertThat(health.stats().of(server).checksPassed()).isPositive());
        assertThat(server.healthy()).isTrue();
        assertThat(failures().total(Reason.NO_H2) + failures().total(Reason.UNTRUSTED_CERTIFICATE)).isZero();
    }

    @Test
    void theHandshakeCountsInTheConnectTimeoutAndAClientThatLeavesIsNobodysFailure() throws Exception {
        java.util.concurrent.CountDownLatch ended = new java.util.concurrent.CountDownLatch(2);
        // Takes the connection, never answers the ClientHello.
        dev.ferry.testing.TestServer silent = keep(dev.ferry.testing.TestServer.start("silent", socket -> {
            try {
                socket.getInputStream().transferTo(java.io.OutputStream.nullOutputStream());
            } finally {
                ended.countDown();
            }
        }));
        balancer = new Balancer(ConfigLoader.parse("""
                frontends:
                  - { name: web, listen: 127.0.0.1:0, mode: http, backend: pool }
                  - { name: tcp, listen: 127.0.0.1:0, mode: tcp, backend: patient }
                backends:
                  - { name: pool, retries: 0, tls: {}, timeouts: { connect: 500ms },
                      servers: [ { name: s, address: %s } ] }
                  - { name: patient, retries: 0, tls: {}, timeouts: { connect: 60s },
                      servers: [ { name: s, address: %1$s } ] }
                """.formatted(silent.address()),
                dir.resolve("test.yaml")), 1);
        balancer.start();
        long t0 = System.nanoTime();
        assertThat(get(balancer.address("web"), "/slow").statusCode()).isEqualTo(502);
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(15));
        assertThat(failures().count("s", Reason.TIMEOUT)).isEqualTo(1);

        try (java.net.Socket client = dev.ferry.testing.Clients.connect(balancer.address("tcp"))) {
            await().atMost(Duration.ofSeconds(20)).until(() -> silent.accepted() == 2);
            client.setSoLinger(true, 0);
        }
        // Ferry gives the handshake up as the client left: the server sees its connection end, nothing is counted.
        assertThat(ended.await(20, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        for (Reason r : Reason.values()) {
            assertThat(balancer.upstreamTlsFailures().get("patient").count("s", r)).as(r.label()).isZero();
        }
    }
}
