package dev.ferry;

import dev.ferry.testing.Clients;
import dev.ferry.testing.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** Ferry as a real process: `ferry run`, signals, exit codes and what a user reads on the console. */
@Timeout(90)
class FerryProcessTest {
    private static final Pattern LISTENING = Pattern.compile("frontend (\\S+)\\s+tcp\\s+127\\.0\\.0\\.1:(\\d+)");

    @TempDir
    Path dir;
    private final List<AutoCloseable> resources = new ArrayList<>();
    private Process process;
    private final List<String> stdout = new CopyOnWriteArrayList<>();
    private final List<String> stderr = new CopyOnWriteArrayList<>();

    @AfterEach
    void tearDown() throws Exception {
        if (process != null && process.isAlive()) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        for (AutoCloseable r : resources) {
            r.close();
        }
    }

    private Process ferry(String... args) throws IOException {
        return ferryUnder(List.of(), args);
    }

    /** Ferry started through {@code wrapper} (e.g. {@code nohup}), which runs it with the rest of the command. */
    private Process ferryUnder(List<String> wrapper, String... args) throws IOException {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> command = new ArrayList<>(wrapper);
        command.addAll(List.of(java, "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), "dev.ferry.Ferry"));
        command.addAll(List.of(args));
        process = new ProcessBuilder(command).start();
        pump(process.getInputStream(), stdout);
        pump(process.getErrorStream(), stderr);
        return process;
    }

    /** SIGTERM through the process handle: Process.destroy() would also close our ends of its output pipes. */
    private void sigterm() {
        assertThat(process.toHandle().destroy()).isTrue();
    }

    private static void pump(java.io.InputStream in, List<String> lines) {
        Thread.ofVirtual().start(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    lines.add(line);
                }
            } catch (IOException ignored) {
                // the process ended
            }
        });
    }

    private Path config(String yaml) throws IOException {
        Path file = dir.resolve("ferry.yaml");
        Files.writeString(file, yaml);
        return file;
    }

    private InetSocketAddress awaitListening() {
        await().atMost(Duration.ofSeconds(30)).until(() -> stdout.stream().anyMatch(l -> LISTENING.matcher(l).find()));
        for (String line : stdout) {
            Matcher m = LISTENING.matcher(line);
            if (m.find()) {
                return new InetSocketAddress("127.0.0.1", Integer.parseInt(m.group(2)));
            }
        }
        throw new AssertionError("no frontend line in " + stdout);
    }

    @Test
    void sigtermLetsALiveConnectionFinishThenExitsZero() throws Exception {
        TestServer echo = TestServer.echo("E");
        resources.add(echo);
        Path file = config("""
                shutdown_grace: 20s
                frontends:
                  - { name: front, listen: 127.0.0.1:0, mode: tcp, backend: pool }
                backends:
                  - name: pool
                    scheduler: rr
                    servers:
                      - { name: e1, address: %s }
                """.formatted(echo.address()));
        ferry("run", "-c", file.toString());
        InetSocketAddress front = awaitListening();

        try (Socket inFlight = Clients.connect(front)) {
            inFlight.getOutputStream().write("before ".getBytes(StandardCharsets.UTF_8));
            assertThat(new String(inFlight.getInputStream().readNBytes(7), StandardCharsets.UTF_8)).isEqualTo("before ");

            sigterm();
            // New connections are refused once the listener is closed...
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                    assertThatThrownBy(() -> new Socket(front.getAddress(), front.getPort()).close())
                            .isInstanceOf(ConnectException.class));
            // ...while the live one keeps working until it ends by itself.
            inFlight.getOutputStream().write("after".getBytes(StandardCharsets.UTF_8));
            assertThat(new String(inFlight.getInputStream().readNBytes(5), StandardCharsets.UTF_8)).isEqualTo("after");
            assertThat(process.isAlive()).isTrue();
            inFlight.shutdownOutput();
            assertThat(inFlight.getInputStream().read()).isEqualTo(-1);
        }
        assertThat(process.waitFor(15, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).isZero();
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(stdout).as("stderr: %s", stderr).anyMatch(l -> l.contains("ferry stopped")));
        // The refused-connection probe above may itself be accepted just before the listener closes: 1 or 2.
        assertThat(String.join("\n", stdout)).contains("frontend front").containsPattern("\\d+ connection\\(s\\)");
    }

    @Test
    void afterTheGracePeriodRemainingConnectionsAreClosedAndTheExitCodeIsStillZero() throws Exception {
        TestServer echo = TestServer.echo("E");
        resources.add(echo);
        Path file = config("""
                shutdown_grace: 300ms
                frontends:
                  - { name: front, listen: 127.0.0.1:0, mode: tcp, backend: pool }
                backends:
                  - { name: pool, servers: [ { address: %s } ] }
                """.formatted(echo.address()));
        ferry("run", "-c", file.toString());
        InetSocketAddress front = awaitListening();
        try (Socket idle = Clients.connect(front)) {
            idle.getOutputStream().write('x');
            assertThat(idle.getInputStream().read()).isEqualTo('x');
            sigterm();
            assertThat(idle.getInputStream().read()).isEqualTo(-1); // closed by Ferry when the grace ran out
        }
        assertThat(process.waitFor(15, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).isZero();
        await().atMost(Duration.ofSeconds(5)).until(() ->
                stdout.stream().anyMatch(l -> l.contains("still open when the grace period ended")));
    }

    @Test
    void sighupReloadsTheFileAndABrokenFileChangesNothing() throws Exception {
        TestServer a = TestServer.naming("A");
        TestServer b = TestServer.naming("B");
        resources.add(a);
        resources.add(b);
        String template = """
                frontends:
                  - { name: front, listen: 127.0.0.1:%d, mode: tcp, backend: pool }
                backends:
                  - { name: pool, servers: [ { name: s, address: %s } ] }
                """;
        Path file = config(template.formatted(0, a.address()));
        ferry("run", "-c", file.toString());
        InetSocketAddress front = awaitListening();
        assertThat(Clients.readAll(front)).isEqualTo("A");

        Files.writeString(file, template.formatted(front.getPort(), b.address()));
        signal("HUP");
        await().atMost(Duration.ofSeconds(20)).until(() -> Clients.readAll(front).equals("B"));

        Files.writeString(file, template.formatted(front.getPort(), a.address()).replace("servers:", "srvers:"));
        signal("HUP");
        await().atMost(Duration.ofSeconds(20)).until(() -> stderr.stream().anyMatch(l -> l.contains("refused, nothing changed")));
        assertThat(String.join("\n", stderr)).contains("did you mean 'servers'");
        for (int i = 0; i < 3; i++) {
            assertThat(Clients.readAll(front)).isEqualTo("B");
        }
    }

    /** Under nohup SIGHUP starts ignored and the JVM keeps it so: Ferry says so at start instead of failing silently. */
    @Test
    void underNohupFerrySaysThatSighupWillNotReload() throws Exception {
        dev.ferry.testing.Requirements.requireCommand("nohup", "apt-get install coreutils");
        Path file = config("""
                frontends:
                  - { name: front, listen: 127.0.0.1:0, mode: tcp, backend: pool }
                backends:
                  - { name: pool, servers: [ { address: 127.0.0.1:9 } ] }
                """);
        ferryUnder(List.of("nohup"), "run", "-c", file.toString());
        awaitListening();
        await().atMost(Duration.ofSeconds(10)).until(() -> java.util.stream.Stream.concat(stdout.stream(),
                stderr.stream()).anyMatch(l -> l.contains("SIGHUP is ignored in this process")));
    }

    private void signal(String name) throws Exception {
        Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).start();
        assertThat(kill.waitFor(5, TimeUnit.SECONDS)).isTrue();
        assertThat(kill.exitValue()).isZero();
    }

    @Test
    void aPortInUseExitsTwoWithOneClearLine() throws Exception {
        try (ServerSocket busy = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            Path file = config("""
                    frontends:
                      - { name: front, listen: 127.0.0.1:%d, mode: tcp, backend: pool }
                    backends:
                      - { name: pool, servers: [ { address: 127.0.0.1:9 } ] }
                    """.formatted(busy.getLocalPort()));
            ferry("run", "-c", file.toString());
            assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(process.exitValue()).isEqualTo(2);
            await().atMost(Duration.ofSeconds(5)).until(() -> !stderr.isEmpty());
            assertThat(stderr).containsExactly("ferry: cannot listen on 127.0.0.1:" + busy.getLocalPort()
                    + " for frontend 'front': address already in use");
        }
    }

    @Test
    void aBrokenConfigExitsOneNamingFileLineAndKeyWithoutAStackTrace() throws Exception {
        Path file = config("""
                frontends:
                  - { name: front, listen: 127.0.0.1:0, mode: tcp, backend: pool }
                backends:
                  - name: pool
                    servers:
                      - { address: 127.0.0.1:80, wieght: 3 }
                """);
        ferry("validate", "-c", file.toString());
        assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).isEqualTo(1);
        await().atMost(Duration.ofSeconds(5)).until(() -> stderr.size() >= 2);
        String err = String.join("\n", stderr);
        assertThat(err).contains(file + ":6:").contains("wieght").contains("did you mean 'weight'");
        assertThat(err).doesNotContain("Exception").doesNotContain("\tat ");
    }

    @Test
    void aMissingConfigFileIsOneClearLine() throws Exception {
        ferry("run", "-c", dir.resolve("nope.yaml").toString());
        assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).isEqualTo(1);
        await().atMost(Duration.ofSeconds(5)).until(() -> !stderr.isEmpty());
        assertThat(stderr.get(0)).contains("nope.yaml").doesNotContain("Exception");
    }

    @Test
    void unknownCommandLineOptionsAreAUsageErrorWithExitOne() throws Exception {
        ferry("run", "--bogus");
        assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).isEqualTo(1);
        await().atMost(Duration.ofSeconds(5)).until(() -> !stderr.isEmpty());
        assertThat(stderr.get(0)).contains("Unknown option: '--bogus'");
    }

    @Test
    void theAgentAnswersWithThisHostsLoadAndStopsOnSigterm() throws Exception {
        ferry("agent", "--listen", "127.0.0.1:0");
        Pattern listening = Pattern.compile("ferry agent \\S+ listening on 127\\.0\\.0\\.1:(\\d+); now answering: up .*");
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                assertThat(stdout).as("stderr: %s", stderr).anyMatch(l -> listening.matcher(l).matches()));
        Matcher m = listening.matcher(stdout.stream().filter(l -> listening.matcher(l).matches()).findFirst()
                .orElseThrow());
        assertThat(m.matches()).isTrue();
        String reply = Clients.readAll(new java.net.InetSocketAddress("127.0.0.1", Integer.parseInt(m.group(1))));

        assertThat(reply).matches("up cpu=[01]\\.\\d{3} mem=[01]\\.\\d{3} io=[01]\\.\\d{3} procs=\\d+ running=\\d+ "
                + "load1=\\d+\\.\\d{2} cpus=\\d+\\n");
        assertThat(dev.ferry.health.AgentReply.parse(reply).load()).isPresent();

        sigterm();
        assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).isZero();
    }

    @Test
    void theAgentRefusesABadListenAddressWithExitOne() throws Exception {
        ferry("agent", "--listen", "127.0.0.1:99999");
        assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).isEqualTo(1);
        await().atMost(Duration.ofSeconds(5)).until(() -> !stderr.isEmpty());
        assertThat(stderr.get(0)).startsWith("ferry agent: --listen 127.0.0.1:99999: ").doesNotContain("Exception");
    }
}
