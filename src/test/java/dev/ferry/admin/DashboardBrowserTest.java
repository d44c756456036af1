package dev.ferry.admin;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ferry.backend.Backend;
import dev.ferry.backend.Server;
import dev.ferry.backend.ServerState;
import dev.ferry.config.AdminConfig;
import dev.ferry.config.FerryConfig;
import dev.ferry.config.HostPort;
import dev.ferry.runtime.Balancer;
import dev.ferry.runtime.Reloader;
import dev.ferry.testing.Clients;
import dev.ferry.testing.Configs;
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

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The live dashboard in a real headless Chromium (Debian's {@code chromium} and {@code chromium-driver}, driven by
 * Selenium), against a real {@link Balancer} and {@link AdminServer} on loopback with traffic flowing through it.
 * Skipped, with a message, only when the browser or its driver is not installed ({@code .ci/run} installs both).
 */
class DashboardBrowserTest {
    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    /** A server name that would run script if the page ever parsed names as HTML. */
    private static final String HOSTILE_NAME = "<img src=nowhere onerror=window.ferryInjected=1>";
    private static final Duration PAGE = Duration.ofSeconds(15);
    private static final int MAX_TRAFFIC_CONNECTIONS = 20_000;
    /**
     * Selenium warns that it has no DevTools bindings for this Chromium's version; the test uses only WebDriver
     * calls, so that warning is noise. Held here because java.util.logging keeps loggers weakly.
     */
    private static final List<Logger> QUIET = List.of(
            Logger.getLogger("org.openqa.selenium.devtools.CdpVersionFinder"),
            Logger.getLogger("org.openqa.selenium.chromium.ChromiumDriver"));

    private static final List<TestServer> servers = new ArrayList<>();
    private static final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static Balancer balancer;
    private static AdminServer admin;
    private static ScheduledExecutorService traffic;
    private static ChromeDriver browser;
    private static String dashboard;

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
        balancer = new Balancer(withAdmin(configs.build(), Optional.empty()), 1);
        balancer.start();
        admin = AdminServer.start(balancer.config(), balancer, new Reloader(balancer, null), "test");
        dashboard = "http://127.0.0.1:" + admin.address().getPort() + "/";
        startTraffic();
        browser = openBrowser(profile);
    }

    /** A connection through Ferry every 20 ms, so rates and charts have something to show. */
    private static void startTraffic() {
        traffic = Executors.newSingleThreadScheduledExecutor(
                r -> Thread.ofPlatform().daemon().name("traffic").unstarted(r));
        AtomicInteger made = new AtomicInteger();
        traffic.scheduleAtFixedRate(() -> {
            if (made.incrementAndGet() <= MAX_TRAFFIC_CONNECTIONS) {
                try {
                    Clients.readAll(balancer.address("front"));
                } catch (UncheckedIOException e) {
                    // The page is under test here, not the proxy: a failed connection just shows as an error.
                }
            }
        }, 0, 20, TimeUnit.MILLISECONDS);
    }

    private static FerryConfig withAdmin(FerryConfig base, Optional<Path> tokenFile) {
        return new FerryConfig(base.source(), Optional.of(new AdminConfig(new HostPort("127.0.0.1", 0), tokenFile)),
                base.frontends(), base.backends(), base.shutdownGrace());
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
                .containsExactly("alpha", "beta", "gamma", HOSTILE_NAME));
        // Rates need two samples a second apart; traffic flows all along.
        await().atMost(PAGE).untilAsserted(() -> assertThat(cell("alpha", 5).getText()).isNotIn("—", "0.0"));
        await().atMost(PAGE).untilAsserted(() -> assertThat(cell(HOSTILE_NAME, 6).getText()).isEqualTo("100%"));
        assertThat(cell("alpha", 2).getText()).isEqualTo("3");
        assertThat(cell("beta", 2).getText()).isEqualTo("2");
        assertThat(badge("gamma").getText()).isEqualTo("up");
        assertThat(browser.findElement(By.cssSelector("[data-frontend='front'] .card-title")).getText())
                .isEqualTo("front");
        assertThat(browser.findElements(By.cssSelector(".backend canvas"))).hasSize(2);
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
                    browser.findElement(By.cssSelector(".servers thead")).isDisplayed()).isFalse());
            screenshot("dashboard-narrow.png");
        } finally {
            browser.manage().window().setSize(new Dimension(1400, 1300));
        }
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
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(dashboard + "api/v1/backends/pool/servers/"
                + server)).timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
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
