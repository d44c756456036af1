package dev.ferry.feedback;

import dev.ferry.backend.Server;
import dev.ferry.health.AgentProbe;
import dev.ferry.health.AgentReply;
import dev.ferry.transport.Transport;
import io.netty.channel.EventLoop;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.util.Optional;
import java.util.function.Consumer;

/** Polls {@code ferry agent} (or an HAProxy agent) on each server's address at the backend's {@code agent_port}. */
public final class TcpAgentPoller implements AgentPoller {
    private static final Logger log = LoggerFactory.getLogger(TcpAgentPoller.class);

    private final AgentProbe probe;
    private final EventLoop loop;
    private final int agentPort;

    public TcpAgentPoller(Transport transport, EventLoop loop, int agentPort) {
        this.probe = new AgentProbe(transport);
        this.loop = loop;
        this.agentPort = agentPort;
    }

    @Override
    public void poll(Server server, long timeoutNanos, Consumer<Optional<AgentReply>> done) {
        InetSocketAddress target = new InetSocketAddress(server.address().getAddress(), agentPort);
        probe.check(loop, target, timeoutNanos, result -> {
            if (result.agent().isEmpty()) {
                log.debug("feedback: agent of server '{}' at {}: {}", server.name(), target, result.reason());
            }
            done.accept(result.agent());
        });
    }
}
