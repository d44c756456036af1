package dev.ferry.director;

import dev.ferry.backend.Backend;
import dev.ferry.config.DirectorConfig;
import dev.ferry.config.DirectorServiceConfig;
import dev.ferry.director.device.ErrnoException;
import dev.ferry.director.device.PacketDevice;
import dev.ferry.director.device.TunDevice;
import dev.ferry.director.packet.Ipv4;
import dev.ferry.director.table.ConnectionTable;
import dev.ferry.director.table.DirectorTimeouts;
import dev.ferry.director.table.TableCounts;
import dev.ferry.director.table.TrackedConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.LongSupplier;

/**
 * A running director: one worker thread reads the packets routed into its device, runs each through the
 * {@link NatPipeline} and writes what the pipeline says back into the device, expires the connection table on a
 * 100 ms tick, and runs the tasks other threads hand it (a reload's new services and timeouts, a listing of the
 * table). The device, the pipeline and the table are touched by the worker only.
 *
 * <p>Threading: {@link #start}, {@link #reconfigure}, {@link #connections} and {@link #close} may be called from any
 * thread (the balancer calls them under its lock); {@link #counts()} and {@link #stats()} are safe to read anywhere.
 */
public final class Director implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Director.class);
    /** How long a read waits for a packet before the worker looks at its tick and its tasks. */
    static final int POLL_MILLIS = 100;
    private static final long TICK_MILLIS = 100;
    /** At least 576 bytes for an ICMP error quoting a packet (RFC 1812 4.3.2.3). */
    private static final int REPLY_BUFFER = 1024;
    private static final long READ_ERROR_LOG_MILLIS = 10_000;

    private final String name;
    private final PacketDevice device;
    private final LongSupplier clockMillis;
    private final DirectorStats stats = new DirectorStats();
    private final ConnectionTable table;
    private final NatPipeline pipeline;
    private final Queue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    /** Service labels by index; an index is never reused, so an entry of a removed service keeps its label. */
    private final List<String> labels = new CopyOnWriteArrayList<>();
    private final Map<String, Integer> indexes = new HashMap<>();
    private volatile DirectorConfig config;
    private volatile List<VirtualService> services;
    private volatile TableCounts counts;
    private volatile boolean running;
    private Thread worker;
    private long lastReadErrorLog = Long.MIN_VALUE;

    /**
     * A director over {@code device} (open), not yet running.
     *
     * @param clockMillis a monotonic clock in milliseconds (the table's timeouts run on it)
     */
    public Director(DirectorConfig config, Map<String, Backend> backends, PacketDevice device,
                    LongSupplier clockMillis) {
        this.name = config.name();
        this.device = device;
        this.clockMillis = clockMillis;
        this.config = config;
        this.services = services(config, backends);
        this.table = new ConnectionTable(config.maxConnections(), timeouts(config), clockMillis.getAsLong());
        this.pipeline = new NatPipeline(services, table, stats);
        this.counts = table.counts();
    }

    /**
     * Opens (or creates) {@code config}'s TUN device and builds the director over it.
     *
     * @throws DeviceUnavailableException without CAP_NET_ADMIN, without {@code /dev/net/tun}, or when the name is
     *                                    taken by a device of another kind
     */
    public static Director open(DirectorConfig config, Map<String, Backend> backends) {
        try {
            TunDevice device = TunDevice.open(config.device(), config.workers() > 1);
            return new Director(config, backends, device, Director::monotonicMillis);
        } catch (ErrnoException e) {
            throw new DeviceUnavailableException("director '" + config.name() + "': " + e.getMessage(), e);
        }
    }

    private static long monotonicMillis() {
        return System.nanoTime() / 1_000_000;
    }

    /** Starts the worker thread. */
    public synchronized void start() {
        if (worker != null) {
            throw new IllegalStateException("started");
        }
        running = true;
        worker = Thread.ofPlatform().name("ferry-director-" + name).daemon(true).unstarted(this::work);
        worker.start();
    }

    public String name() {
        return name;
    }

    public DirectorConfig config() {
        return config;
    }

    public String deviceName() {
        return device.name();
    }

    /** The virtual services new connections are scheduled for. */
    public List<VirtualService> services() {
        return services;
    }

    /** {@code tcp 10.200.0.100:80} for a service index of this director, past or present. */
    public String label(int service) {
        return service < labels.size() ? labels.get(service) : "service " + service;
    }

    /** The table's counters as of the last tick (at most 100 ms old). */
    public TableCounts counts() {
        return counts;
    }

    public DirectorStats stats() {
        return stats;
    }

    /**
     * New services, backends, timeouts and limit (a reload): tracked connections keep their servers and live on
     * until they end, as in IPVS; the device stays open. The caller checked {@link #needsRestart}.
     */
    public synchronized void reconfigure(DirectorConfig next, Map<String, Backend> backends) {
        List<VirtualService> nextServices = services(next, backends);
        DirectorTimeouts timeouts = timeouts(next);
        config = next;
        services = nextServices;
        run(() -> {
            pipeline.setServices(nextServices);
            table.setTimeouts(timeouts);
            table.setLimit(next.maxConnections());
            counts = table.counts();
        });
    }

    /** Why {@code next} cannot be applied to this running director, or null when it can. */
    public String needsRestart(DirectorConfig next) {
        if (!next.device().equals(config.device())) {
            return "director '" + name + "' moves from device " + config.device() + " to " + next.device();
        }
        if (next.workers() != config.workers()) {
            return "director '" + name + "' changes its workers from " + config.workers() + " to " + next.workers();
        }
        return null;
    }

    /** Up to {@code limit} tracked connections, like {@code ipvsadm -Lnc}, read on the worker. */
    public synchronized CompletableFuture<List<ConnectionView>> connections(int limit) {
        CompletableFuture<List<ConnectionView>> result = new CompletableFuture<>();
        run(() -> {
            long now = clockMillis.getAsLong();
            List<ConnectionView> out = new ArrayList<>();
            for (TrackedConnection e : table.entries(limit)) {
                out.add(ConnectionView.of(e, label(e.service()), now));
            }
            result.complete(out);
        });
        return result;
    }

    /**
     * Runs {@code task} on the worker, or here when the worker is not running (then nothing else touches the table).
     * Called with this object's lock held, which {@link #close} holds while the worker stops.
     */
    private void run(Runnable task) {
        if (running) {
            tasks.add(task);
        } else {
            task.run();
        }
    }

    private void work() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment packet = arena.allocate(PacketDevice.MAX_PACKET);
            MemorySegment reply = arena.allocate(REPLY_BUFFER);
            long nextTick = clockMillis.getAsLong() + TICK_MILLIS;
            while (running) {
                int n = read(packet);
                // Tasks first: a reload handed over before a packet arrived applies to that packet.
                runTasks();
                long now = clockMillis.getAsLong();
                if (n > 0) {
                    handle(packet, n, reply, now);
                }
                if (now >= nextTick) {
                    table.expire(now);
                    counts = table.counts();
                    nextTick = now + TICK_MILLIS;
                }
            }
            runTasks();
            table.clear();
            counts = table.counts();
        } catch (RuntimeException | Error e) {
            log.error("director '{}' stopped: {}", name, e.toString(), e);
            throw e;
        } finally {
            running = false;
        }
    }

    private void runTasks() {
        for (Runnable task; (task = tasks.poll()) != null; ) {
            task.run();
        }
    }

    private int read(MemorySegment packet) {
        try {
            return device.read(packet, POLL_MILLIS);
        } catch (IOException e) {
            long now = clockMillis.getAsLong();
            if (lastReadErrorLog == Long.MIN_VALUE || now - lastReadErrorLog >= READ_ERROR_LOG_MILLIS) {
                lastReadErrorLog = now;
                log.warn("director '{}': {}", name, e.getMessage());
            }
            try {
                Thread.sleep(POLL_MILLIS); // a broken device would otherwise spin
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
                running = false;
            }
            return 0;
        }
    }

    private void handle(MemorySegment packet, int n, MemorySegment reply, long now) {
        NatPipeline.Verdict verdict = pipeline.process(packet, n, reply, now);
        if (verdict == NatPipeline.Verdict.DROP) {
            return;
        }
        try {
            device.write(verdict == NatPipeline.Verdict.FORWARD ? packet : reply, pipeline.length());
        } catch (IOException e) {
            stats.dropped(DropReason.WRITE_FAILED);
        }
    }

    /** Stops the worker (within its poll time), lets every tracked connection's server go and closes the device. */
    @Override
    public synchronized void close() {
        running = false;
        if (worker != null) {
            try {
                worker.join(10L * POLL_MILLIS + 5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        } else {
            table.clear();
        }
        device.close();
    }

    private List<VirtualService> services(DirectorConfig c, Map<String, Backend> backends) {
        List<VirtualService> out = new ArrayList<>();
        for (DirectorServiceConfig s : c.services()) {
            int protocol = s.protocol() == DirectorServiceConfig.Protocol.TCP ? Ipv4.TCP : Ipv4.UDP;
            String label = s.protocol().key() + " " + s.vip().host() + ":" + s.vip().port();
            int index = indexes.computeIfAbsent(label, l -> {
                labels.add(l);
                return labels.size() - 1;
            });
            Backend backend = backends.get(s.backend());
            if (backend == null) {
                throw new IllegalArgumentException("director '" + c.name() + "': no backend '" + s.backend() + "'");
            }
            out.add(new VirtualService(index, protocol, Ipv4.parse(s.vip().host()), s.vip().port(), backend));
        }
        return List.copyOf(out);
    }

    private static DirectorTimeouts timeouts(DirectorConfig c) {
        return new DirectorTimeouts(c.timeouts().tcp(), c.timeouts().tcpFin(), c.timeouts().udp());
    }

    @Override
    public String toString() {
        return "director " + name + " on " + device.name();
    }
}
