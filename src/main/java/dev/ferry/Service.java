package dev.ferry;

import dev.ferry.admin.AdminServer;
import dev.ferry.cluster.ClusterNode;
import dev.ferry.config.Addresses;
import dev.ferry.config.ConfigException;
import dev.ferry.config.FerryConfig;
import dev.ferry.director.DeviceUnavailableException;
import dev.ferry.proxy.Frontend;
import dev.ferry.runtime.Balancer;
import dev.ferry.runtime.Reloader;
import dev.ferry.transport.Transport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;
import sun.misc.SignalHandler;

import java.net.BindException;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.function.Consumer;

/**
 * Runs a {@link Balancer} as a process: starts it, prints what listens where, and on SIGTERM or SIGINT stops
 * accepting, drains live connections for up to {@code shutdown_grace}, prints totals and returns exit code 0. SIGHUP
 * reloads (and reopens the access log); SIGUSR1 reopens the access log (log rotation, as nginx).
 */
final class Service {
    private static final Logger log = LoggerFactory.getLogger(Service.class);

    private final FerryConfig config;
    private final Path file;
    private final int threads;
    private final ClusterNode cluster;

    /** @param file where {@code config} came from (re-read on SIGHUP), or null for an embedded configuration */
    Service(FerryConfig config, Path file, Integer threads) {
        this(config, file, threads, null);
    }

    /** @param cluster when not null, the configuration follows etcd (and SIGHUP reads it again) */
    Service(FerryConfig config, Path file, Integer threads, ClusterNode cluster) {
        this.config = config;
        this.file = file;
        this.threads = threads == null ? Transport.defaultThreads() : threads;
        this.cluster = cluster;
    }

    /**
     * Runs until a stop signal.
     *
     * @param started called once everything listens (e.g. to print demo instructions); may be null
     * @return the process exit code
     */
    int runUntilStopped(Consumer<Balancer> started) {
        Balancer balancer = new Balancer(config, threads);
        try {
            balancer.start();
        } catch (BindException | DeviceUnavailableException e) {
            System.err.println("ferry: " + e.getMessage());
            return Ferry.EXIT_RUNTIME;
        } catch (ConfigException e) {
            e.problems().forEach(System.err::println);
            return Ferry.EXIT_CONFIG;
        }
        Reloader reloader = cluster == null ? new Reloader(balancer, file) : cluster.reloader(balancer);
        AdminServer admin = null;
        if (config.admin().isPresent()) {
            try {
                admin = AdminServer.start(config, balancer, reloader, Version.current(),
                        cluster == null ? null : cluster.state());
            } catch (ConfigException e) {
                e.problems().forEach(System.err::println);
                balancer.close();
                return Ferry.EXIT_CONFIG;
            } catch (BindException e) {
                System.err.println("ferry: " + e.getMessage());
                balancer.close();
                return Ferry.EXIT_RUNTIME;
            }
        }
        CountDownLatch stop = new CountDownLatch(1);
        Signal.handle(new Signal("TERM"), s -> stop.countDown());
        Signal.handle(new Signal("INT"), s -> stop.countDown());
        if (cluster != null) {
            Signal.handle(new Signal("HUP"), s -> cluster.resync());
            cluster.start(reloader, admin == null ? "" : Addresses.format(admin.address()), Version.current());
        } else {
            SignalHandler before = Signal.handle(new Signal("HUP"),
                    s -> Thread.ofPlatform().name("ferry-reload").start(reloader::reload));
            if (before == SignalHandler.SIG_IGN) {
                // The JVM keeps a signal ignored when it started ignored (nohup does that to SIGHUP): no handler runs.
                log.warn("SIGHUP is ignored in this process (started under nohup?), so it will not reload the "
                        + "configuration; reload with POST /api/v1/reload, or start Ferry without nohup");
            }
        }
        // nginx's reopen signal: logrotate's postrotate scripts send it; without a handler it would end the JVM.
        Signal.handle(new Signal("USR1"), s -> balancer.reopenAccessLog());
        printStarted(balancer, admin);
        if (started != null) {
            started.accept(balancer);
        }
        try {
            stop.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        log.info("stopping: no new connections; live ones get up to {} ms", config.shutdownGrace().toMillis());
        if (cluster != null) {
            cluster.close();
        }
        int cut = balancer.stop((cluster == null ? config : balancer.config()).shutdownGrace());
        if (admin != null) {
            admin.close();
        }
        printTotals(balancer, cut);
        return Ferry.EXIT_OK;
    }

    private void printStarted(Balancer balancer, AdminServer admin) {
        System.out.print(StartBanner.text(config, balancer, threads,
                admin == null ? java.util.Optional.empty() : java.util.Optional.of(admin.address())));
        System.out.flush();
    }

    private static void printTotals(Balancer balancer, int cut) {
        StringBuilder s = new StringBuilder("ferry stopped.");
        for (Frontend f : balancer.frontends()) {
            s.append(String.format("%n  frontend %-12s %d connection(s), %d refused (no server), %d over limit, "
                            + "%d retries, %d bytes in, %d bytes out", f.name(), f.stats().accepted(),
                    f.stats().noServer(), f.stats().overLimit(), f.stats().retries(), f.stats().bytesFromClients(),
                    f.stats().bytesToClients()));
        }
        if (cut > 0) {
            s.append(String.format("%n  %d connection(s) were still open when the grace period ended", cut));
        }
        System.out.println(s);
    }
}
