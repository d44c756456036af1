package dev.ferry.proxy.http;

import dev.ferry.backend.Backend;
import dev.ferry.backend.Server;
import dev.ferry.backend.ServerState;
import dev.ferry.backend.StickinessStats;
import dev.ferry.backend.StickyCookie;
import dev.ferry.config.ConfigLoader;
import dev.ferry.config.FerryConfig;
import dev.ferry.testing.LeakWatch;
import dev.ferry.testing.ManualClock;
import dev.ferry.testing.Requirements;
import dev.ferry.testing.TestServer;
import dev.ferry.transport.Transport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Sticky sessions and stick tables (issue 20 items 1 and 2) through real sockets: curl with its cookie jar stays on
 * its server over 100 requests (counted at the servers), moves when that server stops, goes down, enters maintenance
 * or is removed, and gets a new cookie; a drained server keeps it; a forged cookie is ignored; prefix and passive
 * modes round trip; HTTP/2 clients (curl, nghttp with cookie crumbs) stick too; {@code idle} and {@code max_age}
 * expire on a hand-moved clock; stick tables keyed by source address and by header stick, expire and stay within
 * their size.
 */
@Timeout(120)
@ExtendWith(LeakWatch.class)
class StickySessionTest {
    private final Transport transport = new Transport(2);
    private final ManualClock clock = new ManualClock();
    private final List<AutoCloseable> resources = new ArrayList<>();
    private final Map<String, Origin> origins = new LinkedHashMap<>();
    private final Map<String, TestServer> servers = new LinkedHashMap<>();
    private HttpFrontend frontend;
    private Backend backend;
    private InetSocketAddress front;
    @TempDir
    Path dir;

    @AfterEach
    void tearDown() throws Exception {
        if (frontend != null) {
            frontend.stopAccepting();
            frontend.closeAll();
        }
        for (AutoCloseable r : resources) {
            r.close();
        }
        transport.close();
    }

    /**
     * An origin that answers with its name; with {@code session}, sets {@code JSESSIONID=<name>-sess} when the
     * request has none; with {@code passive}, sets {@code SRV} to the value Ferry tells it when the request has none.
     */
    private String origin(String name, boolean session, boolean passive) {
        Origin record = new Origin();
        TestServer s = Origin.start(name, (r, out, socket) -> {
            String cookie = r.header("Cookie");
            List<String> extra = new ArrayList<>();
            if (session && (cookie == null || !cookie.contains("JSESSIONID="))) {
                extra.add("Set-Cookie: JSESSIONID=" + name + "-sess; Path=/");
            }
            if (passive && (cookie == null || !cookie.contains("SRV="))) {
                extra.add("Set-Cookie: SRV=" + r.header(StickyRequest.PASSIVE_HEADER) + "; Path=/");
            }
            Origin.text(out, 200, name, extra.toArray(String[]::new));
            return true;
        }, record);
        resources.add(s);
        origins.put(name, record);
        servers.put(name, s);
        return "{ name: " + name + ", address: " + s.address() + " }";
    }

    private void start(String backendExtra, String... serverEntries) throws Exception {
        FerryConfig config = ConfigLoader.parse("""
                frontends:
                  - { name: web, listen: 127.0.0.1:0, mode: http, backend: app }
                backends:
                  - name: app
                    scheduler: rr
                %s
                    servers: [ %s ]
                """.formatted(backendExtra.indent(4), String.join(", ", serverEntries)), dir.resolve("ferry.yaml"));
        backend = new Backend(config.backends().getFirst(), clock);
        frontend = new HttpFrontend(config.frontends().getFirst(), Map.of("app", backend), transport,
                Optional.empty());
        front = frontend.start();
    }

    private Server server(String name) {
        return backend.server(name).orElseThrow();
    }

    /** Requests per server, as the servers counted them. */
    private Map<String, Integer> counts() {
        Map<String, Integer> m = new TreeMap<>();
        origins.forEach((n, o) -> m.put(n, o.requests.size()));
        return m;
    }

    private void resetCounts() {
        origins.values().forEach(o -> o.requests.clear());
    }

    /** Runs curl; returns what it printed (each body followed by a new line). */
    private List<String> curl(String... args) throws Exception {
        Requirements.requireCommand("curl", "apt-get install curl");
        List<String> command = new ArrayList<>(List.of("curl", "-sS", "--max-time", "60", "-w", "\\n"));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(90, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        return out.lines().toList();
    }

    /** {@code n} requests of one curl with the cookie jar {@code jar} (read before, written after). */
    private List<String> curlWithJar(Path jar, int n, String... extra) throws Exception {
        List<String> args = new ArrayList<>(List.of("-c", jar.toString(), "-b", jar.toString()));
        args.addAll(List.of(extra));
        args.add("http://127.0.0.1:" + front.getPort() + "/r[1-" + n + "]");
        return curl(args.toArray(String[]::new));
    }

    /** The value of cookie {@code name} in a curl cookie jar, or null. */
    private static String jarCookie(Path jar, String name) throws Exception {
        if (!Files.exists(jar)) {
            return null;
        }
        for (String line : Files.readAllLines(jar)) {
            String[] f = line.split("\t");
            if (f.length == 7 && f[5].equals(name)) {
                return f[6];
            }
        }
        return null;
    }

    private StickyCookie cookie() {
        return backend.affinity().cookie().orElseThrow();
    }

    @Test
    void curlWithItsCookieJarStaysOnItsServerOver100RequestsAndTheServerNeverSeesTheCookie() throws Exception {
        start("sticky: { cookie: SRV }", origin("a", false, false), origin("b", false, false),
                origin("c", false, false));
        Path jar = dir.resolve("jar");
        List<String> bodies = curlWithJar(jar, 100);
        assertThat(bodies).hasSize(100).containsOnly(bodies.getFirst());
        String mine = bodies.getFirst();
        assertThat(counts().get(mine)).isEqualTo(100);
        assertThat(counts().values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(100);
        String value = jarCookie(jar, "SRV");
        assertThat(cookie().resolve(value).server()).isSameAs(server(mine));
        assertThat(value).doesNotContain("127.0.0.1");
        // Ferry's cookie never reaches the server; the first request had none, the others had only SRV.
        assertThat(origins.get(mine).requests).allSatisfy(r -> assertThat(r.header("Cookie")).isNull());
        // The server's own cookies pass untouched around Ferry's.
        resetCounts();
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + front.getPort() + "/x")).header("Cookie", "a=1; SRV=" + value
                + "; b=\"2\"").build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.body()).isEqualTo(mine);
        assertThat(r.headers().firstValue("set-cookie")).as("a valid cookie is not set again").isEmpty();
        assertThat(origins.get(mine).requests.getFirst().header("Cookie")).isEqualTo("a=1; b=\"2\"");
    }

    @Test
    void aClientWhoseServerStopsMovesToAnotherAndGetsANewCookieThenStaysThere() throws Exception {
        start("sticky: { cookie: SRV }", origin("a", false, false), origin("b", false, false),
                origin("c", false, false));
        Path jar = dir.resolve("jar");
        String first = curlWithJar(jar, 10).getFirst();
        String before = jarCookie(jar, "SRV");
        servers.get(first).close();
        resetCounts();
        List<String> after = curlWithJar(jar, 30);
        assertThat(after).hasSize(30).containsOnly(after.getFirst()).doesNotContain(first);
        assertThat(counts().get(after.getFirst())).isEqualTo(30);
        String now = jarCookie(jar, "SRV");
        assertThat(now).isNotEqualTo(before);
        assertThat(cookie().resolve(now).server()).isSameAs(server(after.getFirst()));
        // ferry_sticky_requests_total: the first request was scheduled, every later one named its server by cookie
        // (the one after the close too: its server was not known to be down, the retry went elsewhere).
        StickinessStats stats = backend.stickiness();
        assertThat(stats.total(StickinessStats.Outcome.SCHEDULED)).isEqualTo(1);
        assertThat(stats.total(StickinessStats.Outcome.COOKIE) + stats.total(StickinessStats.Outcome.MOVED))
                .isEqualTo(39);
        assertThat(stats.total(StickinessStats.Outcome.TABLE)).isZero();
    }

    @Test
    void downMaintenanceAndRemovalMoveStickyClientsDrainKeepsThem() throws Exception {
        start("sticky: { cookie: SRV }", origin("a", false, false), origin("b", false, false),
                origin("c", false, false));
        Path jar = dir.resolve("jar");
        String mine = curlWithJar(jar, 5).getFirst();

        backend.setState(server(mine), ServerState.DRAIN);
        assertThat(curlWithJar(jar, 20)).as("drain keeps sticky clients").containsOnly(mine);

        backend.setState(server(mine), ServerState.MAINT);
        List<String> moved = curlWithJar(jar, 20);
        assertThat(moved).as("maint moves them").doesNotContain(mine).containsOnly(moved.getFirst());
        String second = moved.getFirst();
        backend.setState(server(mine), ServerState.READY);
        assertThat(curlWithJar(jar, 5)).as("the new cookie holds").containsOnly(second);

        backend.setEjected(server(second), true); // as outlier detection does
        List<String> ejected = curlWithJar(jar, 10);
        assertThat(ejected).as("ejected moves them").doesNotContain(second).containsOnly(ejected.getFirst());
        backend.setEjected(server(second), false);
        second = ejected.getFirst();

        backend.setHealthy(server(second), false); // as a failed health check does
        List<String> third = curlWithJar(jar, 10);
        assertThat(third).doesNotContain(second).containsOnly(third.getFirst());
        backend.setHealthy(server(second), true);

        String now = third.getFirst();
        backend.removeServer(now);
        List<String> fourth = curlWithJar(jar, 10);
        assertThat(fourth).doesNotContain(now).containsOnly(fourth.getFirst());
        assertThat(cookie().resolve(jarCookie(jar, "SRV")).server()).isSameAs(server(fourth.getFirst()));
    }

    private HttpResponse<String> get(String cookie) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + front.getPort() + "/"))
                .timeout(Duration.ofSeconds(20));
        if (cookie != null) {
            b.header("Cookie", cookie);
        }
        return HttpClient.newHttpClient().send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String encode(byte[] raw) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
    }

    /** The {@code SRV} value of a response's {@code Set-Cookie}, or null. */
    private static String setSrv(HttpResponse<String> r) {
        for (String v : r.headers().allValues("set-cookie")) {
            if (v.startsWith("SRV=")) {
                return v.substring(4, v.indexOf(';'));
            }
        }
        return null;
    }

    @Test
    void aForgedCookieIsIgnoredTheSchedulerPicksAndAFreshCookieIsSet() throws Exception {
        // b has weight 0: the scheduler never picks it, only a valid cookie naming b sends a request there.
        String a = origin("a", false, false);
        origin("b", false, false);
        start("sticky: { cookie: SRV }", a, "{ name: b, address: " + servers.get("b").address() + ", weight: 0 }");
        String valid = cookie().insertValue(server("b"), cookie().nowSeconds());
        HttpResponse<String> ok = get("SRV=" + valid);
        assertThat(ok.body()).as("a valid cookie of b's").isEqualTo("b");
        assertThat(setSrv(ok)).isNull();

        byte[] raw = Base64.getUrlDecoder().decode(valid);
        byte[] editedId = raw.clone();
        editedId[3] ^= 0x10;
        byte[] badSignature = raw.clone();
        badSignature[raw.length - 2] ^= 0x01;
        // a's id, with b's signature kept, and with a made-up one: neither holds.
        String aValue = cookie().insertValue(server("a"), cookie().nowSeconds());
        byte[] aId = Base64.getUrlDecoder().decode(aValue);
        byte[] otherId = raw.clone();
        System.arraycopy(aId, 0, otherId, 0, 8);
        byte[] resigned = otherId.clone();
        ByteBuffer.wrap(resigned).putLong(16, 0x0123456789abcdefL);
        List<String> forged = List.of(encode(editedId), encode(badSignature), encode(otherId), encode(resigned),
                "b", "YWxwaGE", valid + "x", "");
        for (String f : forged) {
            HttpResponse<String> r = get("SRV=" + f);
            assertThat(r.body()).as("forged '%s' is ignored: the scheduler picks", f).isEqualTo("a");
            String fresh = setSrv(r);
            assertThat(fresh).as("a fresh cookie for '%s'", f).isNotNull();
            assertThat(cookie().resolve(fresh).server()).isSameAs(server("a"));
        }
        assertThat(origins.get("b").requests).hasSize(1);
        assertThat(origins.get("a").requests).allSatisfy(r -> assertThat(r.header("Cookie")).isNull());
    }

    @Test
    void prefixModePrefixesTheServersOwnCookieAndTheServerSeesItUnprefixed() throws Exception {
        start("sticky: { cookie: JSESSIONID, mode: prefix }", origin("a", true, false), origin("b", true, false));
        Path jar = dir.resolve("jar");
        List<String> bodies = curlWithJar(jar, 20);
        String mine = bodies.getFirst();
        assertThat(bodies).containsOnly(mine);
        String value = jarCookie(jar, "JSESSIONID");
        assertThat(value).endsWith("~" + mine + "-sess");
        String id = value.substring(0, value.indexOf('~'));
        assertThat(id).isEqualTo(cookie().idValue(server(mine)));
        List<Origin.Request> seen = origins.get(mine).requests;
        assertThat(seen.getFirst().header("Cookie")).isNull();
        assertThat(seen.subList(1, seen.size())).allSatisfy(r ->
                assertThat(r.header("Cookie")).isEqualTo("JSESSIONID=" + mine + "-sess"));
        // A prefix that does not verify is stripped all the same, and the scheduler picks.
        String other = mine.equals("a") ? "b" : "a";
        String forgedId = "A".repeat(id.length());
        resetCounts();
        HttpResponse<String> r = get("JSESSIONID=" + forgedId + "~" + other + "-sess");
        assertThat(origins.get(r.body()).requests.getFirst().header("Cookie"))
                .isEqualTo("JSESSIONID=" + other + "-sess");
    }

    @Test
    void passiveModeTellsTheServerItsValueAndFollowsTheCookieTheServerSets() throws Exception {
        start("sticky: { cookie: SRV, mode: passive }", origin("a", false, true), origin("b", false, true));
        Path jar = dir.resolve("jar");
        List<String> bodies = curlWithJar(jar, 20);
        String mine = bodies.getFirst();
        assertThat(bodies).containsOnly(mine);
        String value = jarCookie(jar, "SRV");
        assertThat(value).isEqualTo(cookie().idValue(server(mine)));
        // Ferry passes the cookie on untouched in passive mode, and tells the server its value every time.
        List<Origin.Request> seen = origins.get(mine).requests;
        assertThat(seen).allSatisfy(r -> assertThat(r.header(StickyRequest.PASSIVE_HEADER)).isEqualTo(value));
        assertThat(seen.get(1).header("Cookie")).isEqualTo("SRV=" + value);
    }

    private static String nghttp(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("nghttp"));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        return out;
    }

    @Test
    void http2ClientsGetTheCookieAndStickThroughJoinedCookieCrumbs() throws Exception {
        Requirements.requireCommand("nghttp", "apt-get install nghttp2-client");
        start("sticky: { cookie: SRV }", origin("a", false, false), origin("b", false, false),
                origin("c", false, false));
        String url = "http://127.0.0.1:" + front.getPort() + "/h2";
        // nghttp prints the response's header fields with -v: the cookie comes over HTTP/2 as over HTTP/1.
        String first = nghttp("-v", url);
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("set-cookie: SRV=([A-Za-z0-9_-]+);").matcher(first);
        assertThat(m.find()).as(first).isTrue();
        String value = m.group(1);
        String mine = cookie().resolve(value).server().name();
        resetCounts();
        // The sticky cookie in a crumb of its own between two others (RFC 9113 8.2.3), on ten streams.
        nghttp("-n", "-m", "10", "-H", "cookie: x=1", "-H", "cookie: SRV=" + value, "-H", "cookie: y=2", url);
        assertThat(counts().get(mine)).isEqualTo(10);
        assertThat(counts().values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(10);
        assertThat(origins.get(mine).requests).allSatisfy(r -> assertThat(r.header("Cookie")).isEqualTo("x=1; y=2"));
        assertThat(frontend.requestsByProtocol().h2()).isEqualTo(11);
    }

    @Test
    void idleAndMaxAgeEndStickinessOnTheClockAndTheCookieIsRefreshedForIdle() throws Exception {
        start("sticky: { cookie: SRV, idle: 10m, max_age: 1h }", origin("a", false, false),
                origin("b", false, false));
        HttpResponse<String> first = get(null);
        String server = first.body();
        String value = setSrv(first);
        assertThat(first.headers().firstValue("set-cookie").orElseThrow()).contains("Max-Age=3600");
        clock.advance(Duration.ofMinutes(1));
        HttpResponse<String> r = get("SRV=" + value);
        assertThat(r.body()).isEqualTo(server);
        assertThat(setSrv(r)).as("no refresh within a quarter of idle").isNull();
        clock.advance(Duration.ofMinutes(2));
        r = get("SRV=" + value);
        assertThat(r.body()).isEqualTo(server);
        String refreshed = setSrv(r);
        assertThat(refreshed).as("refreshed past a quarter of idle").isNotNull().isNotEqualTo(value);
        clock.advance(Duration.ofMinutes(9));
        assertThat(get("SRV=" + refreshed).body()).as("9m after the refresh").isEqualTo(server);
        // The old value, 12 minutes old now, has passed its idle time: the scheduler (rr) picks.
        HttpResponse<String> idle = get("SRV=" + value);
        assertThat(setSrv(idle)).isNotNull();
        // Kept fresh every 8 minutes, the cookie still ends an hour after it was first set.
        long firstSeen = cookie().resolve(refreshed).firstSeen();
        String last = setSrv(get("SRV=" + refreshed)); // at 12m: refreshed, 9m after its last setting
        assertThat(last).isNotNull();
        for (int i = 0; i < 5; i++) { // 20m, 28m, ... 52m
            clock.advance(Duration.ofMinutes(8));
            HttpResponse<String> k = get("SRV=" + last);
            assertThat(k.body()).isEqualTo(server);
            last = setSrv(k);
            assertThat(last).as("refresh %d", i).isNotNull();
            assertThat(cookie().resolve(last).firstSeen()).isEqualTo(firstSeen);
        }
        clock.advance(Duration.ofMinutes(8)); // 60m: max_age
        assertThat(cookie().resolve(last)).isNull();
        HttpResponse<String> expired = get("SRV=" + last);
        assertThat(setSrv(expired)).as("a fresh cookie after max_age").isNotNull();
        assertThat(cookie().resolve(setSrv(expired)).firstSeen()).isEqualTo(cookie().nowSeconds());
    }

    private HttpResponse<String> getFrom(String local, String header) throws Exception {
        HttpClient client = HttpClient.newBuilder().localAddress(InetAddress.getByName(local)).build();
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + front.getPort() + "/"))
                .timeout(Duration.ofSeconds(20));
        if (header != null) {
            b.header("X-User", header);
        }
        try {
            return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
        } finally {
            client.close();
        }
    }

    @Test
    void aStickTableOnTheSourceAddressKeepsEachClientOnItsServerAndExpires() throws Exception {
        start("stick: { on: source_ip, expire: 5m }", origin("a", false, false), origin("b", false, false),
                origin("c", false, false));
        Map<String, String> first = new TreeMap<>();
        for (int round = 0; round < 5; round++) {
            for (String client : List.of("127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5")) {
                String served = getFrom(client, null).body();
                assertThat(first.putIfAbsent(client, served) == null || first.get(client).equals(served))
                        .as("%s stays on %s (round %d)", client, first.get(client), round).isTrue();
            }
        }
        StickTableView t = new StickTableView(backend);
        assertThat(t.keys()).containsExactlyInAnyOrder("127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5");
        // rr spread the four over the three servers.
        assertThat(first.values()).contains("a", "b", "c");

        // Expire: five minutes without a request; rr then goes on where it was (four picks made: next is b).
        clock.advance(Duration.ofMinutes(5));
        String again = getFrom("127.0.0.2", null).body();
        assertThat(again).isEqualTo("b");
        assertThat(backend.affinity().table().orElseThrow().lookup("127.0.0.2")).isSameAs(server("b"));
        // A stuck server that goes down: repicked, and the entry moves.
        backend.setHealthy(server("b"), false);
        String moved = getFrom("127.0.0.2", null).body();
        assertThat(moved).isNotEqualTo("b");
        backend.setHealthy(server("b"), true);
        assertThat(getFrom("127.0.0.2", null).body()).isEqualTo(moved);
        // First round and the expired entry scheduled; the other rounds and the last request by the table; the
        // request whose stuck server was down moved.
        StickinessStats stats = backend.stickiness();
        assertThat(stats.total(StickinessStats.Outcome.SCHEDULED)).isEqualTo(5);
        assertThat(stats.total(StickinessStats.Outcome.TABLE)).isEqualTo(17);
        assertThat(stats.total(StickinessStats.Outcome.MOVED)).isEqualTo(1);
        assertThat(stats.total(StickinessStats.Outcome.COOKIE)).isZero();
    }

    @Test
    void aStickTableOnAHeaderSticksEachValueAndHoldsAtMostItsSize() throws Exception {
        start("stick: { on: header:X-User, size: 3 }", origin("a", false, false), origin("b", false, false));
        Map<String, String> first = new TreeMap<>();
        for (int round = 0; round < 4; round++) {
            for (String user : List.of("u1", "u2", "u3")) {
                String served = getFrom("127.0.0.1", user).body();
                first.putIfAbsent(user, served);
                assertThat(served).as("%s round %d", user, round).isEqualTo(first.get(user));
            }
        }
        assertThat(first).containsEntry("u1", "a").containsEntry("u2", "b").containsEntry("u3", "a");
        // A request without the header is not stuck; a fourth user makes the table evict one (size 3).
        getFrom("127.0.0.1", null);
        getFrom("127.0.0.1", "u4");
        StickTableView t = new StickTableView(backend);
        assertThat(t.keys()).hasSize(3).contains("u4");
    }

    @Test
    void aStickTableOnACookieLearnsTheServersSessionCookieFromItsResponse() throws Exception {
        start("stick: { on: cookie:JSESSIONID }", origin("a", true, false), origin("b", true, false),
                origin("c", true, false));
        Path jar = dir.resolve("jar");
        List<String> bodies = curlWithJar(jar, 20);
        String mine = bodies.getFirst();
        assertThat(bodies).containsOnly(mine);
        assertThat(jarCookie(jar, "JSESSIONID")).as("the server's cookie, untouched").isEqualTo(mine + "-sess");
        assertThat(new StickTableView(backend).keys()).containsExactly(mine + "-sess");
        // Another client with its own session lands elsewhere (rr) and sticks there.
        Path other = dir.resolve("other");
        List<String> theirs = curlWithJar(other, 10);
        assertThat(theirs).containsOnly(theirs.getFirst()).doesNotContain(mine);
        assertThat(counts().get(mine)).isEqualTo(20);
    }

    /** The stick table's keys, as the admin API lists them. */
    private record StickTableView(Backend backend) {
        List<String> keys() {
            return backend.affinity().table().orElseThrow().list(100).stream()
                    .map(dev.ferry.backend.StickTable.View::key).toList();
        }
    }
}
