package dev.ferry;

import dev.ferry.config.ConfigException;
import dev.ferry.config.FerryConfig;
import dev.ferry.demo.Demo;
import dev.ferry.demo.DemoHttpServer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.concurrent.Callable;

/** {@code ferry demo}: three demo servers and Ferry in front of them, until Ctrl-C. */
@Command(name = "demo", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = "Start three demo HTTP servers and Ferry in front of them (until Ctrl-C).")
final class DemoCommand implements Callable<Integer> {
    @Option(names = "--http-listen", paramLabel = "HOST:PORT", defaultValue = Demo.HTTP_LISTEN,
            description = "where the demo's HTTP frontend listens (default: ${DEFAULT-VALUE})")
    String httpListen;

    @Option(names = "--tcp-listen", paramLabel = "HOST:PORT", defaultValue = Demo.TCP_LISTEN,
            description = "where the demo's TCP frontend listens (default: ${DEFAULT-VALUE})")
    String tcpListen;

    @Option(names = "--admin-listen", paramLabel = "HOST:PORT", defaultValue = Demo.ADMIN_LISTEN,
            description = "where the dashboard and admin API listen (default: ${DEFAULT-VALUE})")
    String adminListen;

    @Option(names = "--print-config", description = "print the demo's configuration as YAML and exit")
    boolean printConfig;

    @Override
    public Integer call() throws Exception {
        try (Demo demo = new Demo()) {
            if (printConfig) {
                System.out.print(demo.yaml(httpListen, tcpListen, adminListen));
                return Ferry.EXIT_OK;
            }
            FerryConfig config;
            try {
                config = demo.config(httpListen, tcpListen, adminListen);
            } catch (ConfigException e) {
                System.err.println("ferry: " + e.getMessage());
                return Ferry.EXIT_CONFIG;
            }
            return new Service(config, null, null).runUntilStopped(balancer -> {
                StringBuilder s = new StringBuilder("\nFerry demo is running. Demo servers (weights 3, 2, 1):\n");
                for (DemoHttpServer server : demo.servers()) {
                    s.append("  ").append(server.name()).append("  http://127.0.0.1:")
                            .append(server.address().getPort()).append("/\n");
                }
                var http = balancer.address("demo-http");
                s.append("\nHTTP on 127.0.0.1:").append(http.getPort())
                        .append(": /api/... goes to demo-1, everything else to demo-2 and demo-3 (wrr 2:1):\n")
                        .append("  curl -s http://127.0.0.1:").append(http.getPort()).append("/api/users\n")
                        .append("  for i in $(seq 6); do curl -s http://127.0.0.1:").append(http.getPort())
                        .append("/; done\n")
                        .append("  curl -si http://127.0.0.1:").append(http.getPort())
                        .append("/ | grep -i via    # Ferry's Via header\n");
                var tcp = balancer.address("demo-tcp");
                s.append("\nTCP: each new connection is scheduled with wrr, so the names rotate demo-1, demo-1, ")
                        .append("demo-2, ...\n")
                        .append("  for i in $(seq 6); do curl -s http://127.0.0.1:").append(tcp.getPort())
                        .append("/; done\n")
                        .append("\nWatch it live on the dashboard: http://").append(adminListen).append("/\n")
                        .append("\nPress Ctrl-C to stop.\n");
                System.out.println(s);
            });
        }
    }
}
