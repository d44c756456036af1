package dev.ferry.config;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 15 item 16d: the layer-4 protocol checks ({@code type: redis}, {@code pgsql}, {@code mysql}) and
 * {@code type: tcp} with {@code send}/{@code expect} as text or hex, read from YAML; what does not fit is refused at
 * its file, line and key, saying what is allowed.
 */
class HealthCheckProtocolConfigTest {
    private static final String FILE = "conf/ferry.yaml";

    private static String config(String healthCheck) {
        return """
                frontends: [ { name: db, listen: 127.0.0.1:0, backend: pool } ]
                backends:
                  - name: pool
                    servers: [ { address: 127.0.0.1:6379 } ]
                    health_check:
                """ + healthCheck.indent(6);
    }

    private static HealthCheckConfig read(String healthCheck) throws ConfigException {
        return ConfigLoader.parse(config(healthCheck), Path.of(FILE), ConfigLoaderTest::knownSchedulers).backends()
                .get(0).healthCheck().orElseThrow();
    }

    /** The settings of a {@code type: tcp} check. */
    private static HealthCheckConfig.TcpCheck tcp(HealthCheckConfig check) {
        return (HealthCheckConfig.TcpCheck) check.probe();
    }

    private static List<ConfigProblem> problems(String healthCheck) {
        try {
            ConfigLoader.parse(config(healthCheck), Path.of(FILE), ConfigLoaderTest::knownSchedulers);
        } catch (ConfigException e) {
            return e.problems();
        }
        throw new AssertionError("expected the configuration to be refused:\n" + healthCheck);
    }

    /** A problem on line {@code 5 + line} of the config (line 1 is the health_check's first line). */
    private static ConfigProblem at(String healthCheck, int line, String token, String key, String message) {
        int index = healthCheck.lines().skip(line - 1).findFirst().orElseThrow().indexOf(token);
        assertThat(index).isNotNegative();
        return new ConfigProblem(FILE, 5 + line, 6 + index + 1, key, message);
    }

    @Test
    void theProtocolTypesAreRead() throws Exception {
        assertThat(read("type: redis").type()).isEqualTo(HealthCheckConfig.Type.REDIS);
        assertThat(read("type: pgsql").type()).isEqualTo(HealthCheckConfig.Type.PGSQL);
        assertThat(read("type: mysql").type()).isEqualTo(HealthCheckConfig.Type.MYSQL);
    }

    @Test
    void sendAndExpectAreTextWithYamlEscapesOrHexDigits() throws Exception {
        HealthCheckConfig text = read("""
                type: tcp
                send: "PING\\r\\n"
                expect: +PONG
                """);
        assertThat(tcp(text).send().orElseThrow().bytes()).isEqualTo("PING\r\n".getBytes(StandardCharsets.US_ASCII));
        assertThat(tcp(text).expect().orElseThrow().bytes()).isEqualTo("+PONG".getBytes(StandardCharsets.US_ASCII));
        assertThat(tcp(text).send().orElseThrow()).hasToString("'PING\\r\\n'");

        HealthCheckConfig hex = read("""
                send_binary: 50494e47 0d0a
                expect_binary: 0x2B504F4E47
                """);
        assertThat(hex.type()).isEqualTo(HealthCheckConfig.Type.TCP);
        assertThat(tcp(hex).send().orElseThrow().bytes()).isEqualTo("PING\r\n".getBytes(StandardCharsets.US_ASCII));
        assertThat(tcp(hex).expect().orElseThrow().bytes()).isEqualTo("+PONG".getBytes(StandardCharsets.US_ASCII));
        assertThat(tcp(hex).expect().orElseThrow()).hasToString("0x2b504f4e47");

        // Equal bytes read twice are equal configs: a reload keeps the check.
        assertThat(read("expect_binary: 2b504f4e47")).isEqualTo(read("expect_binary: 2B 50 4F 4E 47"));
        assertThat(tcp(read("type: tcp")).send()).isEmpty();
    }

    @Test
    void sendAndExpectBelongToTypeTcpAndTextOrHexNotBoth() {
        String other = """
                type: redis
                send: PING
                """;
        assertThat(problems(other)).containsExactly(at(other, 2, "PING", "backends[0].health_check.send",
                "send applies only to type tcp; this check is type redis"));

        String both = """
                send: PING
                send_binary: 50
                """;
        assertThat(problems(both)).containsExactly(at(both, 2, "50", "backends[0].health_check.send_binary",
                "give send (text) or send_binary (hex digits), not both"));

        String badHex = """
                expect_binary: 2b5
                """;
        assertThat(problems(badHex)).containsExactly(at(badHex, 1, "2b5", "backends[0].health_check.expect_binary",
                "'2b5' is not hex bytes; write pairs of hex digits such as 2b504f4e47 (spaces between them are "
                        + "allowed)"));

        String httpKeys = """
                type: mysql
                path: /x
                """;
        assertThat(problems(httpKeys)).containsExactly(at(httpKeys, 2, "/x", "backends[0].health_check.path",
                "path applies only to type http; this check is type mysql"));

        String tooLong = "send: " + "x".repeat(HealthCheckReader.MAX_CHECK_BYTES + 1) + "\n";
        assertThat(problems(tooLong)).extracting(ConfigProblem::message).containsExactly(
                "send is " + (HealthCheckReader.MAX_CHECK_BYTES + 1) + " bytes; at most "
                        + HealthCheckReader.MAX_CHECK_BYTES + " are allowed");
    }
}
