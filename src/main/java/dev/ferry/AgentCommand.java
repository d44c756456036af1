package dev.ferry;

import dev.ferry.config.Addresses;
import dev.ferry.config.FeedbackConfig;
import dev.ferry.config.HostPort;
import dev.ferry.feedback.LoadAgent;
import dev.ferry.feedback.ProcLoadSampler;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import sun.misc.Signal;

import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/**
 * {@code ferry agent [--listen HOST:PORT]}: runs on a real server and answers every TCP connection with one line of
 * its load (see {@link dev.ferry.health.LoadReport} for the format) until SIGTERM or Ctrl-C.
 */
@Command(name = "agent", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = "Report this host's load (from /proc) to Ferry's dynamic feedback over TCP.")
final class AgentCommand implements Callable<Integer> {
    @Option(names = "--listen", paramLabel = "HOST:PORT",
            defaultValue = "0.0.0.0:" + FeedbackConfig.DEFAULT_AGENT_PORT,
            description = "where to answer (default: ${DEFAULT-VALUE})")
    String listen;

    @Override
    public Integer call() {
        HostPort address;
        try {
            address = Addresses.parseListen(listen);
        } catch (IllegalArgumentException e) {
            System.err.println("ferry agent: --listen " + listen + ": " + e.getMessage());
            return Ferry.EXIT_CONFIG;
        }
        InetSocketAddress bindTo;
        try {
            bindTo = address.resolve();
        } catch (RuntimeException e) {
            System.err.println("ferry agent: --listen " + listen + ": cannot resolve " + address.host());
            return Ferry.EXIT_CONFIG;
        }
        try (LoadAgent agent = new LoadAgent(new ProcLoadSampler(Path.of("/proc"), () -> System.nanoTime() / 1_000_000))) {
            InetSocketAddress bound;
            try {
                bound = agent.start(bindTo);
            } catch (BindException e) {
                System.err.println("ferry agent: " + e.getMessage());
                return Ferry.EXIT_RUNTIME;
            } catch (IOException e) {
                System.err.println("ferry agent: cannot read this host's load from /proc (Linux only): "
                        + e.getMessage());
                return Ferry.EXIT_RUNTIME;
            }
            CountDownLatch stop = new CountDownLatch(1);
            Signal.handle(new Signal("TERM"), s -> stop.countDown());
            Signal.handle(new Signal("INT"), s -> stop.countDown());
            System.out.printf("ferry agent %s listening on %s:%d; now answering: %s", Version.current(),
                    bound.getHostString(), bound.getPort(), agent.currentLine());
            System.out.flush();
            stop.await();
            return Ferry.EXIT_OK;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Ferry.EXIT_OK;
        }
    }
}
