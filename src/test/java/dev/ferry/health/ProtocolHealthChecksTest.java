package dev.ferry.health;

import dev.ferry.backend.Server;
import dev.ferry.config.ConfigLoader;
import dev.ferry.runtime.Balancer;
import dev.ferry.testing.Requirements;
import dev.ferry.testing.ServerProcess;
import dev.ferry.testing.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Issue 15 item 16d: layer-4 checks that speak the server's protocol, against the real servers. A server frozen with
 * SIGSTOP still has its kernel complete handshakes, so a plain {@code type: tcp} check keeps passing while the server
 * answers nobody; the protocol check ({@code redis} PING/PONG, {@code pgsql} SSLRequest, {@code mysql} greeting, or
 * {@code tcp} with {@code send}/{@code expect}) times out and takes it out, and brings it back once it runs again.
 * Each test runs both checks against the same server at once (two backends).
 */
@Timeout(180)
class ProtocolHealthChecksTest {
    private static final Duration UP = Duration.ofSeconds(60);

    @TempDir
    Path dir;
    private final List<AutoCloseable> resources = new ArrayList<>();

    @AfterEach
    void tearDown() throws Exception {
        for (AutoCloseable r : resources.reversed()) {
            r.close();
        }
    }

    private ServerProcess start(String name, List<String> command, String asUser, int port) throws Exception {
        ServerProcess server = ServerProcess.start(name, command, asUser, dir.resolve(name + ".log"), port, UP);
        resources.add(server);
        return server;
    }

    @Test
    void redisPingFindsAFrozenRedisThatATcpCheckKeepsUp() throws Exception {
        Requirements.requireCommand("redis-server", "apt-get install redis-server");
        int port = TestServer.closedPort();
        ServerProcess redis = start("redis-server", List.of("redis-server", "--port", Integer.toString(port),
                "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir.toString()), null, port);
        frozenServerIsDownForTheCheckButUpForAPlainTcpCheck("type: redis", redis, "PONG");
    }

    @Test
    void tcpSendExpectFindsAFrozenRedisThatATcpCheckKeepsUp() throws Exception {
        Requirements.requireCommand("redis-server", "apt-get install redis-server");
        int port = TestServer.closedPort();
        ServerProcess redis = start("redis-server", List.of("redis-server", "--port", Integer.toString(port),
                "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir.toString()), null, port);
        frozenServerIsDownForTheCheckButUpForAPlainTcpCheck(
                "type: tcp, send: \"PING\\r\\n\", expect_binary: 2b504f4e470d0a", redis, "reply contains 0x2b504f4e470d0a");
    }

    @Test
    void pgsqlSslRequestFindsAFrozenPostgresThatATcpCheckKeepsUp() throws Exception {
        Path postgres = Requirements.onPath("postgres") ? Path.of("postgres") : newestPostgres();
        Requirements.require(postgres != null, "postgres and initdb (apt-get install postgresql)");
        Path bin = postgres.isAbsolute() ? postgres.getParent() : null;
        String initdb = bin == null ? "initdb" : bin.resolve("initdb").toString();
        String user = "root".equals(System.getProperty("user.name")) ? "nobody" : null; // postgres refuses root
        Path data = dir.resolve("pgdata");
        if (user != null) {
            UserPrincipalLookupService users = dir.getFileSystem().getUserPrincipalLookupService();
            Files.setOwner(dir, users.lookupPrincipalByName(user));
        }
        Process init = new ProcessBuilder(ServerProcess.asUser(List.of(initdb, "-D", data.toString(), "-A", "trust",
                "-U", "ferry", "--no-sync", "--no-instructions"), user)).redirectErrorStream(true)
                .redirectOutput(dir.resolve("initdb.log").toFile()).start();
        assertThat(init.waitFor() == 0).as("initdb: %s", Files.readString(dir.resolve("initdb.log"))).isTrue();
        int port = TestServer.closedPort();
        ServerProcess pg = start("postgres", List.of(postgres.toString(), "-D", data.toString(), "-p",
                Integer.toString(port), "-k", dir.toString(), "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"),
                user, port);
        frozenServerIsDownForTheCheckButUpForAPlainTcpCheck("type: pgsql", pg, "pgsql answered the SSL request (N)");
    }

    @Test
    void mysqlGreetingFindsAFrozenMariadbThatATcpCheckKeepsUp() throws Exception {
        Requirements.requireCommand("mariadbd", "apt-get install mariadb-server");
        int port = TestServer.closedPort();
        Path data = Files.createDirectories(dir.resolve("mysql"));
        List<String> command = new ArrayList<>(List.of("mariadbd", "--no-defaults", "--datadir=" + data,
                "--port=" + port, "--bind-address=127.0.0.1", "--socket=" + data.resolve("sock"),
                "--skip-grant-tables", "--innodb-buffer-pool-size=8M", "--skip-log-bin"));
        if ("root".equals(System.getProperty("user.name"))) {
            command.add("--user=root");
        }
        ServerProcess mariadb = start("mariadbd", command, null, port);
        String greeting = frozenServerIsDownForTheCheckButUpForAPlainTcpCheck("type: mysql", mariadb, "mysql ");
        assertThat(greeting).contains("MariaDB");
    }

    /** The newest /usr/lib/postgresql/N/bin/postgres (Debian keeps it off the PATH), or null. */
    private static Path newestPostgres() throws IOException {
        Path root = Path.of("/usr/lib/postgresql");
        if (!Files.isDirectory(root)) {
            return null;
        }
        try (var versions = Files.list(root)) {
            return versions.map(v -> v.resolve("bin/postgres")).filter(Files::isExecutable)
                    .max(java.util.Comparator.comparing(Path::toString)).orElse(null);
        }
    }

    /**
     * Checks {@code server} with {@code check} (a YAML flow mapping's entries) and with a plain tcp check, freezes
     * it, and sees the first take it out while the second keeps passing; thaws it and sees it back.
     *
     * @return the protocol check's reason while the server was up
     */
    private String frozenServerIsDownForTheCheckButUpForAPlainTcpCheck(String check, ServerProcess server,
                                                                       String passReason) throws Exception {
        String address = "127.0.0.1:" + server.port();
        String timing = "interval: 100ms, timeout: 400ms, rise: 1, fall: 1";
        Path file = dir.resolve("ferry.yaml");
        Files.writeString(file, """
                frontends:
                  - { name: checked, listen: 127.0.0.1:0, backend: checked }
                  - { name: plain, listen: 127.0.0.1:0, backend: plain }
                backends:
                  - name: checked
                    servers: [ { name: s, address: %s } ]
                    health_check: { %s, %s }
                  - name: plain
                    servers: [ { name: s, address: %s } ]
                    health_check: { type: tcp, %s }
                """.formatted(address, check, timing, address, timing), StandardCharsets.UTF_8);
        Balancer balancer = new Balancer(ConfigLoader.load(file), 1);
        resources.add(balancer);
        balancer.start();
        Server checked = balancer.backends().get("checked").server("s").orElseThrow();
        Server plain = balancer.backends().get("plain").server("s").orElseThrow();
        ServerHealth checkedHealth = balancer.health().get("checked").stats().of(checked);
        ServerHealth plainHealth = balancer.health().get("plain").stats().of(plain);

        await().atMost(Duration.ofSeconds(20)).until(() -> checkedHealth.checksPassed() >= 2 && checked.healthy()
                && plainHealth.checksPassed() >= 2 && plain.healthy());
        String upReason = checkedHealth.lastReason();
        assertThat(upReason).startsWith(passReason);
        assertThat(checkedHealth.checksFailed()).isZero();

        server.freeze();
        await().atMost(Duration.ofSeconds(20)).until(() -> !checked.healthy());
        assertThat(checkedHealth.lastReason()).isEqualTo("timed out after 400 ms");
        // Meanwhile, and for three more checks, the kernel completes every plain check's handshake.
        long plainPassed = plainHealth.checksPassed();
        await().atMost(Duration.ofSeconds(20)).until(() -> plainHealth.checksPassed() >= plainPassed + 3);
        assertThat(plain.healthy()).as("the plain tcp check's verdict on the frozen server").isTrue();
        assertThat(plainHealth.checksFailed()).isZero();
        System.out.printf("%s: up as '%s'; frozen: down as '%s' after %d failed check(s), while the plain tcp "
                        + "check passed %d of %d%n", check, upReason, checkedHealth.lastReason(),
                checkedHealth.checksFailed(), plainHealth.checksPassed(),
                plainHealth.checksPassed() + plainHealth.checksFailed());

        server.thaw();
        await().atMost(Duration.ofSeconds(20)).until(checked::healthy);
        assertThat(checkedHealth.lastReason()).startsWith(passReason);
        return upReason;
    }
}
