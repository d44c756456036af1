package dev.ferry.admin;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ferry.backend.Backend;
import dev.ferry.backend.Server;
import dev.ferry.backend.ServerState;
import dev.ferry.config.AdminConfig;
import dev.ferry.config.BackendConfig;
import dev.ferry.config.ConfigLoader;
import dev.ferry.config.FrontendConfig;
import dev.ferry.config.FerryConfig;
import dev.ferry.config.HostPort;
import dev.ferry.config.KeyPositions;
import dev.ferry.director.Director;
import dev.ferry.director.device.InMemoryDevice;
import dev.ferry.runtime.Balancer;
import dev.ferry.runtime.Reloader;
import dev.ferry.testing.Clients;
import dev.ferry.testing.Configs;
import dev.ferry.testing.HoldingOrigin;
import dev.ferry.testing.Requirements;
import dev.ferry.testing.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Level;
import java.util.logging.Logger;

import static dev.ferry.director.TestPackets.ACK;
import static dev.ferry.director.TestPackets.SYN;
import static dev.ferry.director.TestPackets.tcp;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The live dashboard in a real headless Chromium (Debian's {@code chromium} and {@code chromium-driver}, driven by
 * Selenium), against a real {@link Balancer} and {@link AdminServer} on loopback with traffic flowing through it.
 * Skipped, with a message, only when the browser or its driver is not installed ({@code .ci/run} installs both), and
 * the HTTP/2 test also when nghttp is not (nghttp2-client); in CI ({@code CI=true}) a missing tool fails instead.
 */
class DashboardBrowserTest {
    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    /** A server name that would run script if the page ever parsed names as HTML. */
    private static final String HOSTILE_NAME = "<img src=nowhere onerror=window.ferryInjected=1>";
    private static final Duration PAGE = Duration.ofSeconds(15);
    /** Names that would make elements if the page ever parsed them as HTML (names allow no '/' or spaces). */
    private static final String DIRECTOR = "lvs<i>1";
    private static final String DIRECTOR_SERVER = "rs<b>1";
    private static final String VIP = "10.200.0.100";
    private static final String REAL = "10.101.0.11";
    private static final String CLIENT = "10.100.0.7";
    private static final int MAX_TRAFFIC_CONNECTIONS = 20_000;
    /**
     * Selenium warns that it has no DevTools bindings for this Chromium's version; the test uses only WebDriver
     * calls, so that warning is noise. Held here because java.util.logging keeps loggers weakly.
     */
    private static final List<Logger> QUIET = List.of(
            Logger.getLogger("org.openqa.selenium.devtools.CdpVersionFinder"),
            Logger.getLogger("org.openqa.selenium.chromium.ChromiumDriver"));

    private static final List<TestServer> servers = new ArrayList<>();
    /** The http frontend's origins s1 and s2: they answer their name, and hold requests for /hold until released. */
    private static final List<HoldingOrigin> holding = new ArrayList<>();
    private static final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static Balancer balancer;
    private static AdminServer admin;
    private static ScheduledExecutorService traffic;
    private static ChromeDriver browser;
    private static String dashboard;
    /**
     * The director's device: its packets exist only in this memory, none goes on a network. The traffic task keeps
     * a connection of the director test moving through it ({@link #directorFlow}, a client port; 0 before).
     */
    private static volatile InMemoryDevice directorDevice;
    private static volatile int directorFlow;

    private static boolean browserInstalled() {
        return Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER);
    }

    @BeforeAll
    static void start(@TempDir Path profile) throws Exception {
        if (!browserInstalled()) {
            return; // each test then reports itself skipped, with the reason (see everyServerReady)
        }
        for (String name : List.of("alpha", "beta", "gamma")) {
            servers.add(TestServer.naming(name));
        }
        Configs configs = Configs.tcp("wrr").server(servers.get(0), 3).server(servers.get(1), 2)
                .server(servers.get(2), 1)
                // Nothing listens there: every attempt fails and is retried elsewhere, so the page shows errors.
                .server(HOSTILE_NAME, "127.0.0.1:" + TestServer.closedPort(), 1);
        for (String name : List.of("s1", "s2")) {
            holding.add(HoldingOrigin.start(name));
        }
        FerryConfig tcp = configs.build();
        // An http frontend over two origins and a server nothing listens on, which its health check takes down.
        FerryConfig web = ConfigLoader.parse("""
                frontends:
                  - { name: web, listen: 127.0.0.1:0, mode: http, routes: [ { backend: site } ] }
                backends:
                  - name: site
                    scheduler: rr
                    health_check: { type: tcp, interval: 200ms, timeout: 200ms, rise: 1, fall: 1 }
                    servers:
                      - { name: s1, address: %s }
                      - { name: s2, address: %s }
                      - { name: broken, address: 127.0.0.1:%d }
                """.formatted(holding.get(0).address(), holding.get(1).address(), TestServer.closedPort()),
                Path.of("web.yaml"));
        // A director over an in-memory device (a TUN device would need root and a namespace to route into), with
        // its own backend: its "real server" is an address in packets only, nothing ever connects to it.
        FerryConfig lvs = ConfigLoader.parse("""
                backends:
                  - name: lvsweb
                    servers: [ { name: "%s", address: %s:8080 } ]
                directors:
                  - name: "%s"
                    device: dash0
                    max_connections: 1000
                    services: [ { vip: %s:80, backend: lvsweb } ]
                """.formatted(DIRECTOR_SERVER, REAL, DIRECTOR, VIP), Path.of("lvs.yaml"));
        List<FrontendConfig> frontends = new ArrayList<>(tcp.frontends());
        frontends.addAll(web.frontends());
        List<BackendConfig> backends = new ArrayList<>(tcp.backends());
        backends.addAll(web.backends());
        backends.addAll(lvs.backends());
        balancer = new Balancer(withAdmin(new FerryConfig(tcp.source(), Optional.empty(), frontends, backends,
                tcp.shutdownGrace(), Optional.empty(), Optional.empty(), lvs.directors(), KeyPositions.NONE),
                Optional.empty()), 1, true, (config, b) -> {
                    directorDevice = new InMemoryDevice(config.device());
                    return new Director(config, b, directorDevice, () -> System.nanoTime() / 1_000_000);
                });
        balancer.start();
        admin = AdminServer.start(balancer.config(), balancer, new Reloader(balancer, null), "test");
        dashboard = "http://127.0.0.1:" + admin.address().getPort() + "/";
        startTraffic();
        browser = openBrowser(profile);
    }

    /** A connection through Ferry, and a request on a kept HTTP connection, every 20 ms: rates and charts move. */
    private static void startTraffic() {
        traffic = Executors.newSingleThreadScheduledExecutor(
                r -> Thread.ofPlatform().daemon().name("traffic").unstarted(r));
        AtomicInteger made = new AtomicInteger();
        traffic.scheduleAtFixedRate(() -> {
            if (made.incrementAndGet() <= MAX_TRAFFIC_CONNECTIONS) {
                try {
                    moveDirectorFlow();
                    Clients.readAll(balancer.address("front"));
                    InetSocketAddress web = balancer.address("web");
                    http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + web.getPort() + "/"))
                            .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.discarding());
                } catch (UncheckedIOException | IOException e) {
                    // The page is under test here, not the proxy: a failed connection just shows as an error.
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }, 0, 20, TimeUnit.MILLISECONDS);
    }

    /** A client packet on the director test's connection (once it has one); what the director writes is dropped. */
    private static void moveDirectorFlow() {
        InMemoryDevice device = directorDevice;
        if (device == null) {
            return;
        }
        if (directorFlow != 0) {
            device.inject(tcp(CLIENT, directorFlow, VIP, 80, ACK, 64, "data".getBytes()));
        }
        while (device.poll() != null) {
            // the rewritten packets would go to the real server: here they go nowhere
        }
    }

    private static FerryConfig withAdmin(FerryConfig base, Optional<Path> tokenFile) {
        return new FerryConfig(base.source(), Optional.of(new AdminConfig(new HostPort("127.0.0.1", 0), tokenFile)),
                base.frontends(), base.backends(), base.shutdownGrace(), base.accessLog(), base.dns(),
                base.directors(), KeyPositions.NONE);
    }

    private static ChromeDriver openBrowser(Path profile) {
        QUIET.forEach(l -> l.setLevel(Level.SEVERE));
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--no-first-run", "--user-data-dir=" + profile.toAbsolutePath(), "--window-size=1400,1300");
        LoggingPreferences logs = new LoggingPreferences();
        logs.enable(LogType.BROWSER, Level.ALL);
        options.setCapability(ChromeOptions.LOGGING_PREFS, logs);
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(CHROMEDRIVER.toFile()).usingAnyFreePort().build();
        return new ChromeDriver(service, options);
    }

    @AfterAll
    static void stop() {
        if (browser != null) {
            browser.quit();
        }
        if (traffic != null) {
            traffic.shutdownNow();
        }
        if (admin != null) {
            admin.close();
        }
        if (balancer != null) {
            balancer.close();
        }
        servers.forEach(TestServer::close);
        holding.forEach(HoldingOrigin::close);
    }

    @BeforeEach
    void everyServerReady() {
        Requirements.require(browserInstalled(), "Debian's chromium and chromium-driver (" + CHROMIUM + ", "
                + CHROMEDRIVER + "); install them with: apt-get install -y chromium chromium-driver");
        Backend pool = balancer.backends().get("pool");
        for (Server s : pool.servers()) {
            pool.setState(s, ServerState.READY);
        }
    }

    @Test
    void loadsWithoutConsoleErrorsAndShowsEveryServerWithLiveRates() throws IOException {
        open(dashboard);

        await().atMost(PAGE).untilAsserted(() -> assertThat(serverNames())
                .containsExactly("alpha", "beta", "gamma", HOSTILE_NAME, "s1", "s2", "broken", DIRECTOR_SERVER));
        // Rates need two samples a second apart; traffic flows all along.
        await().atMost(PAGE).untilAsserted(() -> assertThat(cell("alpha", 5).getText()).isNotIn("—", "0.0"));
        await().atMost(PAGE).untilAsserted(() -> assertThat(cell(HOSTILE_NAME, 6).getText()).isEqualTo("100%"));
        assertThat(cell("alpha", 2).getText()).isEqualTo("3");
        assertThat(cell("beta", 2).getText()).isEqualTo("2");
        assertThat(badge("gamma").getText()).isEqualTo("up");
        assertThat(browser.findElement(By.cssSelector("[data-frontend='front'] .card-title")).getText())
                .isEqualTo("front");
        assertThat(browser.findElements(By.cssSelector(".backend canvas"))).hasSize(6);
        assertThat(browser.findElement(By.id("live")).getText()).startsWith("live");

        // The hostile name is shown as text: no element was made from it and its script never ran.
        assertThat(browser.findElements(By.cssSelector("#backends img"))).isEmpty();
        assertThat(((JavascriptExecutor) browser).executeScript("return window.ferryInjected === undefined"))
                .isEqualTo(true);

        assertThat(consoleErrors()).isEmpty();
        screenshot("dashboard.png");
        browser.manage().window().setSize(new Dimension(420, 2400));
        try {
            await().atMost(PAGE).untilAsserted(() -> assertThat(
                    browser.findElement(By.cssSelector("#backends .servers thead")).isDisplayed()).isFalse());
            screenshot("dashboard-narrow.png");
        } finally {
            browser.manage().window().setSize(new Dimension(1400, 1300));
        }
    }

    @Test
    void anHttpBackendShowsRequestRatesAP95AndWhyAServerIsDown() throws Exception {
        open(dashboard);
        // Requests, not connections: the client keeps one connection, yet each server's rate moves.
        await().atMost(PAGE).untilAsserted(() -> {
            assertThat(cell("s1", 5).getText()).isNotIn("—", "0.0");
            assertThat(cell("s2", 5).getText()).isNotIn("—", "0.0");
        });
        WebElement site = browser.findElement(By.cssSelector("[data-backend='site']"));
        assertThat(site.findElement(By.cssSelector("thead th:nth-child(6)")).getText()).isEqualToIgnoringCase("Req/s");
        assertThat(site.findElement(By.cssSelector("thead th:nth-child(8)")).getText()).isEqualToIgnoringCase("p95");
        assertThat(site.findElement(By.cssSelector(".backend-rate")).getText()).endsWith("req/s");
        assertThat(site.findElements(By.cssSelector("figcaption")).get(1).getText()).contains("p95");
        await().atMost(PAGE).untilAsserted(() -> assertThat(cell("s1", 7).getText()).endsWith(" ms"));
        assertThat(cell("s1", 7).findElement(By.tagName("span")).getDomAttribute("title")).contains("p95");
        assertThat(browser.findElement(By.cssSelector("[data-frontend='web'] .headline-unit")).getText())
                .isEqualTo("req/s");
        // The TCP backend's latency says what it is.
        WebElement pool = browser.findElement(By.cssSelector("[data-backend='pool']"));
        assertThat(pool.findElement(By.cssSelector("thead th:nth-child(8)")).getText())
                .isEqualToIgnoringCase("Connect");
        assertThat(pool.findElements(By.cssSelector("figcaption")).get(1).getText()).contains("peak-EWMA");

        // Why a server is down: the health check's reason, from the API, next to the state.
        String reason = apiServer("site", "broken").path("health").path("last_reason").asText();
        assertThat(reason).isNotBlank();
        await().atMost(PAGE).untilAsserted(() -> {
            assertThat(badge("broken").getText()).isEqualTo("down");
            assertThat(row("broken").findElement(By.cssSelector(".state-reason")).getText()).isEqualTo(reason);
        });
        assertThat(row("s1").findElement(By.cssSelector(".state-reason")).isDisplayed()).isFalse();
        assertThat(consoleErrors()).isEmpty();
        screenshot("dashboard-http.png");
    }

    @Test
    void anHttpFrontendShowsItsRequestsByProtocolAndItsOpenHttp2ConnectionsAndStreams() throws Exception {
        Requirements.requireCommand("nghttp", "apt-get install nghttp2-client");
        open(dashboard);
        WebElement card = browser.findElement(By.cssSelector("[data-frontend='web']"));
        // The traffic task's requests are HTTP/1.1 (the JDK's client); no other test sends HTTP/2.
        await().atMost(PAGE).untilAsserted(() -> assertThat(number(stat(card, "http/1.1 req"))).isPositive());
        long h2Before = apiFrontend("web").path("requests_by_protocol").path("h2").asLong();
        assertThat(stat(card, "h2 conns").getText()).isEqualTo("0");
        assertThat(stat(card, "h2 streams").getText()).isEqualTo("0");

        // One h2c connection with three streams, which the origins hold unanswered while the page is looked at (once
        // the health check has taken the server nothing listens on out, so none of the three goes there).
        await().atMost(PAGE).until(() -> apiServer("site", "broken").path("state").asText().equals("down"));
        String web = "http://127.0.0.1:" + balancer.address("web").getPort();
        Process nghttp = new ProcessBuilder("nghttp", "-n", web + "/hold/1", web + "/hold/2", web + "/hold/3")
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        try {
            await().atMost(PAGE).until(() -> holding.stream().mapToInt(HoldingOrigin::held).sum() == 3);
            await().atMost(PAGE).untilAsserted(() -> {
                assertThat(stat(card, "h2 conns").getText()).isEqualTo("1");
                assertThat(stat(card, "h2 streams").getText()).isEqualTo("3");
                assertThat(number(stat(card, "h2 req"))).isEqualTo(h2Before + 3);
            });
            screenshot("dashboard-h2.png");

            holding.forEach(HoldingOrigin::release);
            assertThat(nghttp.waitFor(20, TimeUnit.SECONDS)).isTrue();
            assertThat(nghttp.exitValue()).isZero();
            await().atMost(PAGE).untilAsserted(() -> {
                assertThat(stat(card, "h2 conns").getText()).isEqualTo("0");
                assertThat(stat(card, "h2 streams").getText()).isEqualTo("0");
            });
            assertThat(number(stat(card, "h2 req"))).isEqualTo(h2Before + 3);
        } finally {
            nghttp.destroyForcibly();
        }
        // A tcp frontend has no such stats.
        assertThat(browser.findElements(By.cssSelector("[data-frontend='front'] [data-stat]"))).isEmpty();
        assertThat(consoleErrors()).isEmpty();
    }

    /** A stat's number, whatever digit grouping the browser's locale uses. */
    private static long number(WebElement value) {
        String digits = value.getText().replaceAll("[^0-9]", "");
        assertThat(digits).as("a number in '%s'", value.getText()).isNotEmpty();
        return Long.parseLong(digits);
    }

    private static JsonNode apiFrontend(String name) throws IOException, InterruptedException {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(dashboard + "api/v1/status"))
                .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        for (JsonNode f : AdminApi.JSON.readTree(r.body()).path("frontends")) {
            if (f.path("name").asText().equals(name)) {
                return f;
            }
        }
        throw new AssertionError("no frontend " + name + " in " + r.body());
    }

    @Test
    void aDirectorCardShowsItsServiceTableStatesDropsRatesAndTrackedConnections() throws Exception {
        InMemoryDevice device = directorDevice;
        // One connection established (SYN, the server's SYN-ACK, the client's ACK), one still in its handshake, and
        // a SYN for a port the VIP has no service on, which the director drops.
        device.inject(tcp(CLIENT, 41_000, VIP, 80, SYN, 64, new byte[0]));
        device.inject(tcp(REAL, 8080, CLIENT, 41_000, SYN | ACK, 64, new byte[0]));
        device.inject(tcp(CLIENT, 41_000, VIP, 80, ACK, 64, new byte[0]));
        device.inject(tcp(CLIENT, 41_001, VIP, 80, SYN, 64, new byte[0]));
        device.inject(tcp(CLIENT, 41_002, VIP, 81, SYN, 64, new byte[0]));
        directorFlow = 41_000;
        open(dashboard);

        WebElement card = await().atMost(PAGE).until(() -> browser.findElements(By.cssSelector(".director")),
                l -> l.size() == 1).get(0);
        assertThat(card.getDomAttribute("data-director")).isEqualTo(DIRECTOR);
        assertThat(card.findElement(By.cssSelector(".card-title")).getText()).isEqualTo(DIRECTOR);
        assertThat(card.findElement(By.cssSelector(".card-head")).getText()).contains("dash0", "1 worker");
        WebElement service = card.findElements(By.cssSelector(".director-service")).stream().reduce((a, b) -> {
            throw new AssertionError("more than one service");
        }).orElseThrow();
        assertThat(service.getText()).contains("tcp " + VIP + ":80", "lvsweb");
        assertThat(service.findElement(By.cssSelector(".pill")).getText()).as("forwarding").isEqualToIgnoringCase("nat");
        await().atMost(PAGE).untilAsserted(() -> {
            assertThat(card.findElement(By.cssSelector(".director-table")).getText()).matches("(?s).*\\b2 / 1.?000.*");
            assertThat(stateChip(card, "ESTABLISHED").getText()).isEqualTo("ESTABLISHED 1");
            assertThat(stateChip(card, "SYN_RECV").getText()).isEqualTo("SYN_RECV 1");
            assertThat(dropChip(card, "no_service").getText()).startsWith("no_service 1");
        });
        assertThat(stateChip(card, "ESTABLISHED").getDomAttribute("class")).contains("chip-active");
        assertThat(stateChip(card, "TIME_WAIT").getDomAttribute("class")).doesNotContain("chip-active");
        assertThat(stateChip(card, "LISTEN").isDisplayed()).as("a rare state at zero").isFalse();
        assertThat(dropChip(card, "malformed").isDisplayed()).as("a reason that dropped nothing").isFalse();
        assertThat(stat(card, "active").getText()).isEqualTo("2");
        assertThat(stat(card, "inactive").getText()).isEqualTo("0");
        // The flow's packets keep coming: a rate from two readings a second apart.
        await().atMost(PAGE).untilAsserted(() -> assertThat(stat(card, "pkt/s in").getText()).isNotIn("—", "0.0"));
        assertThat(stat(card, "bytes in/s").getText()).endsWith("/s");

        // Opened, the list reads the connections endpoint: client, virtual, real server, state, time left.
        card.findElement(By.cssSelector(".director-connections summary")).click();
        WebElement row = await().atMost(PAGE).until(() -> card.findElements(By.cssSelector("tr.connection-row")).stream()
                .filter(r -> r.getText().contains(CLIENT + ":41000")).findFirst().orElse(null), r -> r != null);
        List<String> cells = row.findElements(By.tagName("td")).stream().map(WebElement::getText).toList();
        assertThat(cells).hasSize(5);
        assertThat(cells.get(0)).isEqualTo(CLIENT + ":41000");
        assertThat(cells.get(1)).isEqualTo("tcp " + VIP + ":80");
        assertThat(cells.get(2)).isEqualTo(REAL + ":8080 " + DIRECTOR_SERVER);
        assertThat(cells.get(3)).isEqualTo("ESTABLISHED");
        assertThat(cells.get(4)).matches("\\d+ s");
        assertThat(card.findElements(By.cssSelector("tr.connection-row"))).hasSize(2);
        assertThat(card.findElement(By.cssSelector(".director-connections summary")).getText()).contains("2");

        // The names are text: no element was made from them.
        assertThat(browser.findElements(By.cssSelector("#directors i, #directors b, #backends b"))).isEmpty();
        assertThat(consoleErrors()).isEmpty();
        screenshot("dashboard-director.png");
    }

    @Test
    void withoutADirectorThereIsNoDirectorCard(@TempDir Path dir) throws Exception {
        FerryConfig plain = ConfigLoader.parse("""
                admin: { listen: 127.0.0.1:0 }
                frontends: [ { name: f, listen: 127.0.0.1:0, backend: only } ]
                backends: [ { name: only, servers: [ { name: o1, address: 127.0.0.1:9 } ] } ]
                """, dir.resolve("plain.yaml"));
        try (Balancer without = new Balancer(plain, 1)) {
            without.start();
            try (AdminServer page = AdminServer.start(plain, without, new Reloader(without, null), "test")) {
                open("http://127.0.0.1:" + page.address().getPort() + "/");
                await().atMost(PAGE).untilAsserted(() -> assertThat(serverNames()).containsExactly("o1"));
                assertThat(browser.findElements(By.cssSelector(".director"))).isEmpty();
                assertThat(browser.findElement(By.id("directors-section")).isDisplayed()).isFalse();
                assertThat(consoleErrors()).isEmpty();
            }
        }
    }

    private static WebElement stateChip(WebElement card, String state) {
        return card.findElement(By.cssSelector(".chip[data-state='" + state + "']"));
    }

    private static WebElement dropChip(WebElement card, String reason) {
        return card.findElement(By.cssSelector(".chip[data-reason='" + reason + "']"));
    }

    /** The value of the stat labelled {@code label} in a card. */
    private static WebElement stat(WebElement card, String label) {
        return card.findElements(By.cssSelector(".stat")).stream()
                .filter(s -> s.findElement(By.cssSelector(".stat-label")).getText().equalsIgnoreCase(label))
                .findFirst().orElseThrow(() -> new AssertionError("no stat " + label))
                .findElement(By.cssSelector(".stat-value"));
    }

    @Test
    void drainAndReadyButtonsChangeTheServerState() throws Exception {
        open(dashboard);
        await().atMost(PAGE).untilAsserted(() -> assertThat(badge("beta").getText()).isEqualTo("up"));

        row("beta").findElement(By.cssSelector("button[data-action='drain']")).click();

        await().atMost(PAGE).untilAsserted(() -> assertThat(apiServer("beta").path("state").asText())
                .isEqualTo("drain"));
        await().atMost(PAGE).untilAsserted(() -> {
            assertThat(badge("beta").getText()).isEqualTo("drain");
            assertThat(cell("beta", 3).getText()).as("effective weight").isEqualTo("0");
            assertThat(row("beta").findElement(By.cssSelector("button[data-action='drain']")).isEnabled()).isFalse();
        });
        assertThat(apiServer("alpha").path("state").asText()).isEqualTo("up");

        row("beta").findElement(By.cssSelector("button[data-action='ready']")).click();

        await().atMost(PAGE).untilAsserted(() -> assertThat(apiServer("beta").path("state").asText())
                .isEqualTo("up"));
        await().atMost(PAGE).untilAsserted(() -> assertThat(badge("beta").getText()).isEqualTo("up"));
        assertThat(consoleErrors()).isEmpty();
    }

    @Test
    void reweightingShowsTheNewWeightAndARefusedWeightShowsTheApiErrorInline() throws Exception {
        open(dashboard);
        await().atMost(PAGE).untilAsserted(() -> assertThat(cell("gamma", 2).getText()).isEqualTo("1"));
        try {
            setWeight("gamma", "5");
            await().atMost(PAGE).untilAsserted(() -> assertThat(apiServer("gamma").path("configured_weight").asInt())
                    .isEqualTo(5));
            await().atMost(PAGE).untilAsserted(() -> assertThat(cell("gamma", 2).getText()).isEqualTo("5"));

            setWeight("gamma", "70000");
            WebElement error = errorRowAfter("gamma");
            await().atMost(PAGE).untilAsserted(() -> assertThat(error.getText())
                    .contains("bad weight", "0..65535", "70000"));
            assertThat(apiServer("gamma").path("configured_weight").asInt()).isEqualTo(5);
            // The browser logs the refused call: proof that the console checks of the other tests can see errors.
            assertThat(consoleErrors()).isNotEmpty().allSatisfy(e -> assertThat(e).contains("400"));
        } finally {
            Backend pool = balancer.backends().get("pool");
            pool.setWeight(pool.server("gamma").orElseThrow(), 1);
        }
    }

    @Test
    void withATokenThePageAsksForItOnceAndKeepsItForTheTab(@TempDir Path dir) throws Exception {
        Path tokenFile = dir.resolve("admin.token");
        Files.writeString(tokenFile, "s3cret-token\n");
        try (AdminServer guarded = AdminServer.start(withAdmin(balancer.config(), Optional.of(tokenFile)), balancer,
                new Reloader(balancer, null), "test")) {
            open("http://127.0.0.1:" + guarded.address().getPort() + "/");
            WebElement input = browser.findElement(By.id("token-input"));
            await().atMost(PAGE).until(input::isDisplayed);
            input.sendKeys("s3cret-token");
            browser.findElement(By.cssSelector("#token-form button[type='submit']")).click();

            await().atMost(PAGE).untilAsserted(() -> assertThat(serverNames()).contains("alpha", "beta"));
            assertThat(((JavascriptExecutor) browser).executeScript(
                    "return sessionStorage.getItem('ferry.adminToken')")).isEqualTo("s3cret-token");
            assertThat(browser.findElement(By.id("token-dialog")).isDisplayed()).isFalse();
        } finally {
            ((JavascriptExecutor) browser).executeScript("sessionStorage.clear()");
        }
    }

    private static void open(String url) {
        browser.get(url);
        consoleErrors(); // reading the log empties it: what follows belongs to this page
    }

    private static List<String> consoleErrors() {
        return browser.manage().logs().get(LogType.BROWSER).getAll().stream()
                .filter(e -> e.getLevel().intValue() >= Level.WARNING.intValue())
                .map(LogEntry::toString).toList();
    }

    private static List<String> serverNames() {
        return browser.findElements(By.cssSelector("tr.server-row")).stream()
                .map(r -> r.getDomAttribute("data-server")).toList();
    }

    private static WebElement row(String server) {
        return browser.findElements(By.cssSelector("tr.server-row")).stream()
                .filter(r -> server.equals(r.getDomAttribute("data-server"))).findFirst()
                .orElseThrow(() -> new AssertionError("no row for " + server + " in " + serverNames()));
    }

    /** The {@code index}th cell (0 = name, 2 = weight, 3 = effective, 5 = rate, 6 = errors) of a server's row. */
    private static WebElement cell(String server, int index) {
        return row(server).findElements(By.tagName("td")).get(index);
    }

    private static WebElement badge(String server) {
        return row(server).findElement(By.cssSelector(".state"));
    }

    private static WebElement errorRowAfter(String server) {
        return row(server).findElement(By.xpath("following-sibling::tr[1]"));
    }

    private static void setWeight(String server, String weight) {
        WebElement input = row(server).findElement(By.cssSelector("input.weight-input"));
        input.clear();
        input.sendKeys(weight);
        row(server).findElement(By.cssSelector("button[data-action='weight']")).click();
    }

    private static JsonNode apiServer(String server) throws IOException, InterruptedException {
        return apiServer("pool", server);
    }

    private static JsonNode apiServer(String backend, String server) throws IOException, InterruptedException {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(dashboard + "api/v1/backends/" + backend
                + "/servers/" + server)).timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return AdminApi.JSON.readTree(r.body());
    }

    private static void screenshot(String name) {
        try {
            Path target = Path.of("target", name);
            Files.createDirectories(target.getParent());
            Files.write(target, browser.getScreenshotAs(OutputType.BYTES));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
