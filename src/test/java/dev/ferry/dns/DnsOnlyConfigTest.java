package dev.ferry.dns;

import dev.ferry.testing.DnsClient;
import io.netty.handler.codec.dns.DnsRecordType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
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
 * DNS load balancing is a deployment of its own: a file with {@code dns:} and no {@code frontends:} passes
 * {@code ferry validate} and {@code ferry run} serves it (issue 15, item 20: it was refused with "needs at least
 * one frontend"); a file with nothing to serve is still refused.
 */
@Timeout(90)
class DnsOnlyConfigTest {
    private static final Pattern DNS_LINE = Pattern.compile("dns\\s+udp\\+tcp\\s+127\\.0\\.0\\.1:(\\d+)");
    private static final String DNS_ONLY = """
            backends:
              - name: web
                servers:
                  - { name: web1, address: 127.0.0.11:80 }
            dns:
              listen: 127.0.0.1:0
              zones:
                - origin: example.com
                  records:
                    - { name: www, type: A, backend: web }
                    - { name: mail, type: A, value: 192.0.2.25 }
            """;

    @TempDir
    Path dir;
    private Process process;
    private final List<String> stdout = new CopyOnWriteArrayList<>();
    private final List<String> stderr = new CopyOnWriteArrayList<>();

    @AfterEach
    void tearDown() throws Exception {
        if (process != null && process.isAlive()) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    private Process ferry(String... args) throws IOException {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> command = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), "dev.ferry.Ferry"));
        command.addAll(List.of(args));
        stdout.clear();
        stderr.clear();
        process = new ProcessBuilder(command).start();
        pump(process.getInputStream(), stdout);
        pump(process.getErrorStream(), stderr);
        return process;
    }

    private static void pump(InputStream in, List<String> lines) {
        Thread.ofVirtual().start(() -> {
            try (var r = new java.io.BufferedReader(new java.io.InputStreamReader(in, StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    lines.add(line);
                }
            } catch (IOException ignored) {
                // the process ended
            }
        });
    }

    @Test
    void aDnsOnlyFileValidatesAndRuns() throws Exception {
        Path file = Files.writeString(dir.resolve("ferry.yaml"), DNS_ONLY);
        Process validate = ferry("validate", "-c", file.toString());
        assertThat(validate.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(validate.exitValue()).as("validate: %s %s", stdout, stderr).isZero();

        ferry("run", "-c", file.toString());
        await().atMost(Duration.ofSeconds(30)).until(() -> stdout.stream().anyMatch(l -> DNS_LINE.matcher(l).find())
                || !process.isAlive());
        assertThat(process.isAlive()).as("run: %s %s", stdout, stderr).isTrue();
        Matcher m = stdout.stream().map(DNS_LINE::matcher).filter(Matcher::find).findFirst().orElseThrow();
        DnsClient dns = new DnsClient(new InetSocketAddress("127.0.0.1", Integer.parseInt(m.group(1))));
        assertThat(dns.udp("www.example.com", DnsRecordType.A).answerData()).containsExactly("127.0.0.11");
        assertThat(dns.tcp("mail.example.com", DnsRecordType.A).answerData()).containsExactly("192.0.2.25");
        assertThat(process.toHandle().destroy()).isTrue();
        assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).isZero();
    }

    @Test
    void aFileWithNothingToServeIsStillRefused() throws Exception {
        Path file = Files.writeString(dir.resolve("ferry.yaml"), "backends: []\n");
        Process validate = ferry("validate", "-c", file.toString());
        assertThat(validate.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(validate.exitValue()).isEqualTo(1);
        await().atMost(Duration.ofSeconds(5)).until(() -> String.join("\n", stdout).concat(String.join("\n", stderr))
                .contains("needs something to serve: at least one frontend (where traffic enters), a dns: responder or a director"));
    }
}
