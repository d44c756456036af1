package dev.ferry.config;

import java.time.Duration;
import java.util.Locale;
import java.util.Optional;

/**
 * {@code health_check:} of a backend: what every check has (how often, how long, how many results turn a server, the
 * port), and the probe of its one {@code type} with that type's own settings.
 *
 * @param probe     what is sent and judged, by {@code type} (tcp, http, grpc, agent, redis, pgsql or mysql); only the
 *                  check's own type's settings exist
 * @param interval  time between two probes of a server (key {@code interval})
 * @param timeout   the longest one probe may take (key {@code timeout})
 * @param rise      passes in a row that bring a down server up (key {@code rise})
 * @param fall      failures in a row that take an up server down (key {@code fall})
 * @param checkPort probe this port instead of the server's (key {@code check_port})
 */
public record HealthCheckConfig(Probe probe, Duration interval, Duration timeout, int rise, int fall,
                                Optional<Integer> checkPort) {

    /** The values of {@code type}, one per {@link Probe} record. */
    public enum Type {
        TCP, HTTP, GRPC, AGENT, REDIS, PGSQL, MYSQL;

        /** As the file writes it. */
        public String key() {
            return name().toLowerCase(Locale.ROOT);
        }

        /** The probe of this type with every setting left out of the file. */
        public Probe defaults() {
            return switch (this) {
                case TCP -> TcpCheck.CONNECT;
                case HTTP -> HttpCheck.DEFAULTS;
                case GRPC -> GrpcCheck.DEFAULTS;
                case AGENT -> new AgentCheck();
                case REDIS -> new RedisCheck();
                case PGSQL -> new PgsqlCheck();
                case MYSQL -> new MysqlCheck();
            };
        }
    }

    /** The check's {@code type}: that of its probe. */
    public Type type() {
        return probe.type();
    }

    /**
     * The probe of one check type with that type's settings. Sealed, so a check holds one type's settings and no
     * other's; {@code dev.ferry.health.HealthProbes} maps each to the probe that runs it.
     */
    public sealed interface Probe
            permits TcpCheck, HttpCheck, GrpcCheck, AgentCheck, RedisCheck, PgsqlCheck, MysqlCheck {

        /** The {@code type} this probe is written as. */
        Type type();
    }

    /**
     * {@code type: tcp}: a connect, or with {@code send}/{@code expect} a request and a reply.
     *
     * @param send   bytes sent once connected (keys {@code send}, {@code send_binary})
     * @param expect bytes the reply must contain (keys {@code expect}, {@code expect_binary})
     */
    public record TcpCheck(Optional<CheckBytes> send, Optional<CheckBytes> expect) implements Probe {
        /** A plain connect check. */
        public static final TcpCheck CONNECT = new TcpCheck(Optional.empty(), Optional.empty());

        @Override
        public Type type() {
            return Type.TCP;
        }
    }

    /**
     * {@code type: http}: one request, judged by its status and optionally its body.
     *
     * @param path         the request path (default {@code /})
     * @param method       the request method, upper case (default GET)
     * @param host         the Host header (default: the server's address)
     * @param expectStatus accepted status range, e.g. {@code 200-399} (key {@code expect_status})
     * @param expectBody   a substring the body must contain (key {@code expect_body})
     */
    public record HttpCheck(String path, String method, Optional<String> host, StatusRange expectStatus,
                            Optional<String> expectBody) implements Probe {
        /** {@code GET /}, any Host, 200 to 399, any body. */
        public static final HttpCheck DEFAULTS = new HttpCheck("/", "GET", Optional.empty(), StatusRange.DEFAULT,
                Optional.empty());

        @Override
        public Type type() {
            return Type.HTTP;
        }
    }

    /**
     * {@code type: grpc}: one {@code grpc.health.v1.Health/Check} call over h2c (HTTP/2 by prior knowledge), passing
     * when the answer is {@code SERVING}.
     *
     * @param service the service asked about (key {@code service}; default {@code ""}: the server as a whole)
     */
    public record GrpcCheck(String service) implements Probe {
        /** The server as a whole ({@code service: ""}). */
        public static final GrpcCheck DEFAULTS = new GrpcCheck("");

        @Override
        public Type type() {
            return Type.GRPC;
        }
    }

    /** {@code type: agent}: asks an HAProxy-style agent (default port: the backend's feedback agent port). */
    public record AgentCheck() implements Probe {
        @Override
        public Type type() {
            return Type.AGENT;
        }
    }

    /** {@code type: redis}: PING, expecting +PONG. */
    public record RedisCheck() implements Probe {
        @Override
        public Type type() {
            return Type.REDIS;
        }
    }

    /** {@code type: pgsql}: an SSLRequest, expecting PostgreSQL's one-byte answer. */
    public record PgsqlCheck() implements Probe {
        @Override
        public Type type() {
            return Type.PGSQL;
        }
    }

    /** {@code type: mysql}: expects the server's greeting. */
    public record MysqlCheck() implements Probe {
        @Override
        public Type type() {
            return Type.MYSQL;
        }
    }

    /** An inclusive range of HTTP status codes. */
    public record StatusRange(int low, int high) {
        public static final StatusRange DEFAULT = new StatusRange(200, 399);

        public boolean contains(int status) {
            return status >= low && status <= high;
        }
    }
}
