package dev.ferry.demo;

import dev.ferry.config.ConfigException;
import dev.ferry.config.ConfigLoader;
import dev.ferry.config.FerryConfig;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The embedded default: three demo HTTP servers on free loopback ports and the configuration that balances them.
 */
public final class Demo implements AutoCloseable {
    /** Where the demo's TCP frontend listens. */
    public static final String TCP_LISTEN = "127.0.0.1:8081";
    /** Where the demo's HTTP frontend listens. */
    public static final String HTTP_LISTEN = "127.0.0.1:8080";
    /** Where the demo's admin API and dashboard listen. */
    public static final String ADMIN_LISTEN = "127.0.0.1:9090";
    private static final int[] WEIGHTS = {3, 2, 1};

    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final List<DemoHttpServer> servers = new ArrayList<>();

    /** Starts the three demo servers (blocking) on free ports of 127.0.0.1. */
    public Demo() throws InterruptedException {
        for (int i = 1; i <= WEIGHTS.length; i++) {
            servers.add(DemoHttpServer.start("demo-" + i, new InetSocketAddress("127.0.0.1", 0), group,
                    NioServerSocketChannel.class));
        }
    }

    public List<DemoHttpServer> servers() {
        return List.copyOf(servers);
    }

    /**
     * The demo's configuration, as YAML a person could copy into a file of their own: an HTTP frontend whose
     * {@code /api/} requests go to demo-1 and everything else to demo-2 and demo-3 (wrr 2:1), and a TCP frontend
     * over all three servers (wrr 3:2:1).
     */
    public String yaml(String httpListen, String tcpListen, String adminListen) {
        StringBuilder y = new StringBuilder()
                .append("# ferry demo: the embedded default configuration\n")
                .append("shutdown_grace: 5s\n")
                .append("admin:\n")
                .append("  listen: ").append(adminListen).append('\n')
                .append("frontends:\n")
                .append("  - name: demo-http\n")
                .append("    listen: ").append(httpListen).append('\n')
                .append("    mode: http\n")
                .append("    routes:\n")
                .append("      - { match: { path_prefix: /api/ }, backend: demo-api }\n")
                .append("      - { backend: demo-web }\n")
                .append("  - name: demo-tcp\n")
                .append("    listen: ").append(tcpListen).append('\n')
                .append("    mode: tcp\n")
                .append("    backend: demo\n")
                .append("backends:\n")
                .append("  - name: demo\n")
                .append("    scheduler: wrr\n")
                .append("    servers:\n");
        for (int i = 0; i < servers.size(); i++) {
            server(y, i, WEIGHTS[i]);
        }
        y.append("  - name: demo-api\n")
                .append("    scheduler: rr\n")
                .append("    servers:\n");
        server(y, 0, 1);
        y.append("  - name: demo-web\n")
                .append("    scheduler: wrr\n")
                .append("    servers:\n");
        server(y, 1, 2);
        server(y, 2, 1);
        return y.toString();
    }

    private void server(StringBuilder y, int index, int weight) {
        DemoHttpServer s = servers.get(index);
        y.append("      - { name: ").append(s.name()).append(", address: 127.0.0.1:").append(s.address().getPort())
                .append(", weight: ").append(weight).append(" }\n");
    }

    public FerryConfig config(String httpListen, String tcpListen, String adminListen) throws ConfigException {
        return ConfigLoader.parse(yaml(httpListen, tcpListen, adminListen), Path.of("<demo>"));
    }

    @Override
    public void close() {
        servers.forEach(DemoHttpServer::close);
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

}
