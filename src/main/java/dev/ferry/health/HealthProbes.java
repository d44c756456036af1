package dev.ferry.health;

import dev.ferry.backend.Backend;
import dev.ferry.backend.Server;
import dev.ferry.config.BackendConfig;
import dev.ferry.config.CheckBytes;
import dev.ferry.config.FeedbackConfig;
import dev.ferry.config.HealthCheckConfig;
import dev.ferry.config.HealthCheckConfig.AgentCheck;
import dev.ferry.config.HealthCheckConfig.GrpcCheck;
import dev.ferry.config.HealthCheckConfig.HttpCheck;
import dev.ferry.config.HealthCheckConfig.MysqlCheck;
import dev.ferry.config.HealthCheckConfig.PgsqlCheck;
import dev.ferry.config.HealthCheckConfig.RedisCheck;
import dev.ferry.config.HealthCheckConfig.TcpCheck;
import dev.ferry.transport.ServerTls;
import dev.ferry.transport.Transport;

import java.net.InetSocketAddress;

/**
 * The probe each health-check type runs, and where it probes: the one place that maps a check's sealed
 * {@link HealthCheckConfig.Probe} to a {@link HealthProbe}, so a new type is one more case here (the compiler asks
 * for it) and {@link BackendHealth} never looks at types. Stateless; any thread.
 */
final class HealthProbes {
    private HealthProbes() {
    }

    /** The probe for {@code hc}'s type and settings; one serves every server of the backend. */
    static HealthProbe of(HealthCheckConfig hc, Transport transport) {
        return switch (hc.probe()) {
            case TcpCheck tcp -> tcp.send().isEmpty() && tcp.expect().isEmpty() ? new TcpProbe(transport)
                    : new RequestReplyProbe(transport, tcp.send().map(CheckBytes::bytes).orElse(null),
                            tcp.expect().map(ExpectedBytes::new).orElse(null));
            case HttpCheck http -> new HttpProbe(transport, http);
            case GrpcCheck grpc -> new GrpcProbe(transport, grpc);
            case AgentCheck agent -> new AgentProbe(transport);
            case RedisCheck redis -> new RequestReplyProbe(transport, RedisPong.PING, new RedisPong());
            case PgsqlCheck pgsql -> new RequestReplyProbe(transport, PgsqlSslReply.SSL_REQUEST, new PgsqlSslReply());
            case MysqlCheck mysql -> new RequestReplyProbe(transport, null, new MysqlGreeting());
        };
    }

    /**
     * The TLS of {@code server}'s checks, or null for plain TCP: checks go over TLS when the server speaks TLS
     * ({@code tls:}) and the check probes the server's own port (HAProxy: {@code check-ssl} is implied by {@code ssl}
     * without a check port). tcp, http, grpc and redis checks speak TLS; pgsql and mysql negotiate TLS inside their
     * own protocols, and the agent port is plain, so those stay plain.
     */
    static ServerTls tls(Server server, HealthCheckConfig hc, Backend backend) {
        if (hc.checkPort().isPresent() || hc.probe() instanceof AgentCheck || hc.probe() instanceof PgsqlCheck
                || hc.probe() instanceof MysqlCheck) {
            return null;
        }
        return backend.tls().forServer(server.name(), server.address());
    }

    /** The server's own address, or its {@code check_port}; agent checks default to the agent port. */
    static InetSocketAddress target(Server server, HealthCheckConfig hc, BackendConfig config) {
        int port = hc.checkPort().orElseGet(() -> hc.probe() instanceof AgentCheck
                ? config.feedback().map(FeedbackConfig::agentPort).orElse(FeedbackConfig.DEFAULT_AGENT_PORT)
                : server.address().getPort());
        return new InetSocketAddress(server.address().getAddress(), port);
    }
}
