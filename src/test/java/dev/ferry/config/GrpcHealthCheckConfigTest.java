package dev.ferry.config;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code health_check: {type: grpc, service}} read from YAML; what does not fit is refused at its line and key. */
class GrpcHealthCheckConfigTest {
    private static final String FILE = "conf/ferry.yaml";

    private static String config(String healthCheck) {
        return """
                frontends: [ { name: web, listen: 127.0.0.1:0, backend: pool } ]
                backends:
                  - name: pool
                    servers: [ { address: 127.0.0.1:50051 } ]
                    health_check:
                """ + healthCheck.indent(6);
    }

    private static HealthCheckConfig read(String healthCheck) throws ConfigException {
        return ConfigLoader.parse(config(healthCheck), Path.of(FILE), ConfigLoaderTest::knownSchedulers).backends()
                .get(0).healthCheck().orElseThrow();
    }

    private static List<ConfigProblem> problems(String healthCheck) {
        try {
            ConfigLoader.parse(config(healthCheck), Path.of(FILE), ConfigLoaderTest::knownSchedulers);
        } catch (ConfigException e) {
            return e.problems();
        }
        throw new AssertionError("expected the configuration to be refused:\n" + healthCheck);
    }

    @Test
    void typeGrpcAsksAboutTheWholeServerUnlessServiceIsGiven() throws Exception {
        HealthCheckConfig plain = read("type: grpc\ncheck_port: 50052");
        assertThat(plain.type()).isEqualTo(HealthCheckConfig.Type.GRPC);
        assertThat(plain.probe()).isEqualTo(new HealthCheckConfig.GrpcCheck(""));
        assertThat(plain.checkPort()).contains(50052);
        assertThat(read("type: grpc\nservice: \"\"").probe()).isEqualTo(new HealthCheckConfig.GrpcCheck(""));
        assertThat(read("type: grpc\nservice: grpc.health.v1.Health").probe())
                .isEqualTo(new HealthCheckConfig.GrpcCheck("grpc.health.v1.Health"));
    }

    @Test
    void serviceBelongsToTypeGrpcAndHttpKeysDoNot() {
        assertThat(problems("type: http\nservice: x")).containsExactly(new ConfigProblem(FILE, 7, 16,
                "backends[0].health_check.service", "service applies only to type grpc; this check is type http"));
        assertThat(problems("service: x")).extracting(ConfigProblem::message)
                .containsExactly("service applies only to type grpc; this check is type tcp");
        assertThat(problems("type: grpc\npath: /healthz")).extracting(ConfigProblem::message)
                .containsExactly("path applies only to type http; this check is type grpc");
        assertThat(problems("type: grpc\nservice: " + "s".repeat(1025))).extracting(ConfigProblem::message)
                .containsExactly("the service name is longer than 1024 bytes");
    }

    @Test
    void anUnknownTypeNamesGrpcAmongTheAllowed() {
        assertThat(problems("type: grcp")).extracting(ConfigProblem::message).singleElement().asString()
                .contains("grpc");
    }
}
