package dev.ferry;

import dev.ferry.testing.Clients;
import dev.ferry.testing.Requirements;
import dev.ferry.testing.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
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
import static org.awaitility.Awaitility.await;

/**
 * Log rotation as logrotate does it with nginx: rename the access log, send SIGUSR1 (or SIGHUP), and new lines go to a
 * new file under the old name while Ferry keeps running.
 */
@Timeout(90)
class AccessLogRotationTest {
    private static final Pattern LISTENING = Pattern.compile("frontend (\\S+)\\s+tcp\\s+127\\.0\\.0\\.1:(\\d+)");

    @TempDir
    Path dir;
    private Process process;
    private TestServer echo;
    private final List<String> stdout = new CopyOnWriteArrayList<>();
    private final List<String> stderr = new CopyOnWriteArrayList<>();

    @AfterEach
    void tearDown() throws Exception {
        if (process != null && process.isAlive()) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        if (echo != null) {
            echo.close();
        }
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

    private InetSocketAddress start(Path log) throws Exception {
        echo = TestServer.echo("E");
        Path file = dir.resolve("ferry.yaml");
        Files.writeString(file, """
                access_log: { path: %s }
                frontends:
                  - { name: front, listen: 127.0.0.1:0, mode: tcp, backend: pool }
                backends:
                  - { name: pool, servers: [ { name: e1, address: %s } ] }
                """.formatted(log, echo.address()));
        String java = ProcessHandle.current().info().command().orElse("java");
        process = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED", "-cp",
                System.getProperty("java.class.path"), "dev.ferry.Ferry", "run", "-c", file.toString()).start();
        pump(process.getInputStream(), stdout);
        pump(process.getErrorStream(), stderr);
        await().atMost(Duration.ofSeconds(30)).until(() -> stdout.stream().anyMatch(l -> LISTENING.matcher(l).find()));
        for (String line : stdout) {
            Matcher m = LISTENING.matcher(line);
            if (m.find()) {
                return new InetSocketAddress("127.0.0.1", Integer.parseInt(m.group(2)));
            }
        }
        throw new AssertionError("no frontend line in " + stdout);
    }

    /** One connection through Ferry that the access log records when it ends. */
    private static void connection(InetSocketAddress front) throws IOException {
        try (Socket s = Clients.connect(front)) {
            s.getOutputStream().write("ping".getBytes(StandardCharsets.US_ASCII));
            assertThat(new String(s.getInputStream().readNBytes(4), StandardCharsets.US_ASCII)).isEqualTo("ping");
            s.shutdownOutput();
            s.getInputStream().readAllBytes();
        }
    }

    private static long lines(Path file) throws IOException {
        return Files.exists(file) ? Files.readAllLines(file).size() : 0;
    }

    private void signal(String name) throws Exception {
        Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).inheritIO().start();
        assertThat(kill.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(kill.exitValue()).isZero();
    }

    private void rotatesOn(String signal) throws Exception {
        Requirements.requireCommand("kill", "apt-get install procps");
        Path log = dir.resolve("access.log");
        Path rotated = dir.resolve("access.log.1");
        InetSocketAddress front = start(log);

        connection(front);
        await().atMost(Duration.ofSeconds(10)).until(() -> lines(log) == 1);
        Files.move(log, rotated);

        signal(signal);
        await("a new " + log + " after SIG" + signal).atMost(Duration.ofSeconds(10)).until(() -> Files.exists(log));
        connection(front);
        connection(front);
        await().atMost(Duration.ofSeconds(10)).until(() -> lines(log) == 2);
        assertThat(lines(rotated)).isEqualTo(1);
        assertThat(process.isAlive()).as("ferry survives SIG" + signal).isTrue();
        assertThat(String.join("\n", stderr)).contains("access log: reopened " + log);
    }

    @Test
    void usr1ReopensTheAccessLogAfterARename() throws Exception {
        rotatesOn("USR1");
    }

    @Test
    void hupReloadsAndReopensTheAccessLog() throws Exception {
        rotatesOn("HUP");
    }
}
