package dev.ferry.proxy.tcp;

import dev.ferry.backend.Server;
import dev.ferry.config.OutlierConfig;
import dev.ferry.proxy.FrontendStats;
import dev.ferry.runtime.Balancer;
import dev.ferry.testing.Configs;
import dev.ferry.testing.Requirements;
import dev.ferry.testing.TestServer;
import dev.ferry.transport.LocalFailures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Running out of file descriptors is Ferry's problem, not its servers' (issue 15, item 15). The test lowers this
 * JVM's own RLIMIT_NOFILE (prlimit --pid) so that Ferry can accept a client but not open the server socket: no server
 * is counted as failing, none is ejected, no other server is tried, and once descriptors are back everything works.
 */
@Timeout(60)
class TcpDescriptorLimitTest {
    private static final long PID = ProcessHandle.current().pid();

    @Test
    void outOfDescriptorsNeverCountsAgainstHealthyServers() throws Exception {
        Requirements.requireCommand("prlimit", "apt-get install util-linux");
        Requirements.require(Files.isDirectory(Path.of("/proc/self/fd")), "Linux /proc");
        long[] saved = currentLimit();
        try (TestServer a = TestServer.echo("a"); TestServer b = TestServer.echo("b")) {
            Balancer balancer = new Balancer(Configs.tcp("rr").server(a, 1).server(b, 1).retries(2)
                    .outlier(new OutlierConfig(2, Duration.ofSeconds(30), 100)).build(), 1);
            balancer.start();
            try {
                InetSocketAddress front = balancer.address("front");
                FrontendStats stats = balancer.frontends().get(0).stats();
                // Classes load from target/classes one file (one descriptor) each: load Ferry's before the limit.
                echo(front);
                loadFerrysClasses();

                List<SocketChannel> clients = new ArrayList<>();
                for (int i = 0; i < 8; i++) {
                    clients.add(SocketChannel.open()); // their descriptors exist before the limit drops
                }
                List<SocketChannel> fillers = new ArrayList<>();
                setLimit(highestOpenDescriptor() + 64, saved[1]);
                try {
                    // Take every descriptor left but one: Ferry gets that one for the client, none for the server.
                    try {
                        while (fillers.size() < 1_000) {
                            fillers.add(SocketChannel.open());
                        }
                    } catch (IOException tooManyOpenFiles) {
                        // as intended
                    }
                    assertThat(fillers).isNotEmpty().hasSizeLessThan(1_000);
                    fillers.remove(fillers.size() - 1).close();
                    // One descriptor free (opening and closing a socket also warms up what the first open needs).
                    assertThat(canOpen()).isTrue();
                    assertThat(canOpen()).isTrue();
                    for (SocketChannel c : clients) {
                        c.connect(front);
                        Socket s = c.socket();
                        s.setSoTimeout(5_000);
                        readToEnd(s.getInputStream());
                    }
                } finally {
                    for (SocketChannel c : fillers) {
                        c.close();
                    }
                    for (SocketChannel c : clients) {
                        c.close();
                    }
                    setLimit(saved[0], saved[1]);
                }
                for (Server s : balancer.backends().get("pool").servers()) {
                    assertThat(s.failures()).as("failures of %s", s.name()).isZero();
                    assertThat(s.ejected()).as("%s ejected", s.name()).isFalse();
                }
                assertThat(stats.localFailures()).isPositive();
                assertThat(stats.retries()).isZero();
                echo(front); // with descriptors back, everything works
            } finally {
                balancer.close();
            }
        } finally {
            setLimit(saved[0], saved[1]);
        }
    }

    private static void readToEnd(InputStream in) {
        try {
            in.readAllBytes();
        } catch (IOException resetOrTimeout) {
            // a reset is the expected end; the counters below say what happened
        }
    }

    private static boolean canOpen() {
        try {
            SocketChannel.open().close();
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static void loadFerrysClasses() throws Exception {
        Path root = Path.of(LocalFailures.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        if (!Files.isDirectory(root)) {
            return; // from a jar, which stays open
        }
        try (Stream<Path> files = Files.walk(root)) {
            for (Path f : files.filter(f -> f.toString().endsWith(".class")).toList()) {
                String name = root.relativize(f).toString().replace('/', '.').replaceFirst("\\.class$", "");
                try {
                    Class.forName(name, false, LocalFailures.class.getClassLoader());
                } catch (ClassNotFoundException | LinkageError ignored) {
                    // not needed on this path
                }
            }
        }
    }

    private static void echo(InetSocketAddress front) throws IOException {
        try (SocketChannel c = SocketChannel.open(front)) {
            Socket s = c.socket();
            s.setSoTimeout(10_000);
            s.getOutputStream().write("ping".getBytes(StandardCharsets.US_ASCII));
            s.shutdownOutput();
            assertThat(new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII)).isEqualTo("ping");
        }
    }

    private static long highestOpenDescriptor() throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.mapToLong(p -> Long.parseLong(p.getFileName().toString())).max().orElse(0);
        }
    }

    private static long[] currentLimit() throws Exception {
        Process p = new ProcessBuilder("prlimit", "--pid", String.valueOf(PID), "--nofile", "--raw", "--noheadings",
                "--output", "SOFT,HARD").redirectInput(ProcessBuilder.Redirect.INHERIT).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
        assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
        String[] parts = out.split("\\s+");
        return new long[]{Long.parseLong(parts[0]), Long.parseLong(parts[1])};
    }

    private static void setLimit(long soft, long hard) throws Exception {
        // No pipes: a pipe's descriptor would be closed later by the JDK's process reaper, freeing one at random.
        Process p = new ProcessBuilder("prlimit", "--pid", String.valueOf(PID), "--nofile=" + soft + ":" + hard)
                .redirectInput(ProcessBuilder.Redirect.INHERIT).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isZero();
    }
}
