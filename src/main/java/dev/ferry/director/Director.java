package dev.ferry.director;

import dev.ferry.backend.Backend;
import dev.ferry.backend.Server;
import dev.ferry.config.HostPort;
import dev.ferry.config.DirectorConfig;
import dev.ferry.config.DirectorServiceConfig;
import dev.ferry.director.device.ErrnoException;
import dev.ferry.director.device.FrameSender;
import dev.ferry.director.device.PacketDevice;
import dev.ferry.director.device.PacketSocket;
import dev.ferry.director.packet.Ipv4;
import dev.ferry.director.sync.SyncMessage;
import dev.ferry.director.sync.SyncReceiver;
import dev.ferry.director.sync.SyncSender;
import dev.ferry.director.sync.SyncStats;
import dev.ferry.director.table.ConnectionTable;
import dev.ferry.director.table.DirectorTimeouts;
import dev.ferry.director.table.PersistenceTemplate;
import dev.ferry.director.table.PersistenceTemplates;
import dev.ferry.director.table.TableCounts;
import dev.ferry.director.table.TrackedConnection;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.LongSupplier;

/**
 * A running director: {@code workers} threads ({@link DirectorWorker}), each on its own queue of the TUN device with
 * its own share of the connection table, read the packets routed to the device, run each through a
 * {@link NatPipeline} and write what it says back. A connection belongs to one worker ({@link FlowSteering}); a
 * packet read by another is handed over. Each worker expires its table on a 100 ms tick and runs the tasks other
 * threads hand it (a reload's new services and timeouts, a listing of the table). With one worker this is exactly
 * one thread, one queue and one table.
 *
 * <p>Threading: {@link #start}, {@link #reconfigure}, {@link #connections} and {@link #close} may be called from any
 * thread (the balancer calls them under its lock); {@link #counts()} and {@link #stats()} are safe to read anywhere.
 */
public final class Director implements AutoCloseable {
    /** How long a read waits for a packet before a worker looks at its tick and its tasks. */
    static final int POLL_MILLIS = DirectorWorker.POLL_MILLIS;

    private final String name;
    private final List<PacketDevice> queues;
    /** Where direct services' frames leave, one per worker; empty without {@code interface}. */
    private final List<FrameSender> links;
    private final DirectorStats stats;
    private final DirectorWorker[] workers;
    /** Persistence templates, shared by the workers (a client's connections may belong to different ones). */
    private final PersistenceTemplates templates = new PersistenceTemplates();
    private final LongSupplier clockMillis;
    /** Service labels by index; an index is never reused, so an entry of a removed service keeps its label. */
    private final List<String> labels = new CopyOnWriteArrayList<>();
    private final Map<String, Integer> indexes = new HashMap<>();
    private volatile DirectorConfig config;
    private volatile List<VirtualService> services;
    private final List<Thread> threads = new ArrayList<>();
    private final SyncStats syncStats = new SyncStats();
    /** The active side of connection sync, or null. */
    private final SyncSender syncSender;
    /** The standby side of connection sync, or null. */
    private final SyncReceiver syncReceiver;
    private boolean running;
    private boolean closed;

    /** A director with one worker over {@code device} (open), not yet running. */
    public Director(DirectorConfig config, Map<String, Backend> backends, PacketDevice device,
                    LongSupplier clockMillis) {
        this(config, backends, List.of(device), clockMillis);
    }

    /**
     * A director with one worker per queue of {@code queues} (open queues of one device), not yet running.
     *
     * @param clockMillis a monotonic clock in milliseconds (the tables' timeouts run on it)
     */
    public Director(DirectorConfig config, Map<String, Backend> backends, List<PacketDevice> queues,
                    LongSupplier clockMillis) {
        this(config, backends, queues, List.of(), NatPipeline.NO_NEIGHBOURS, clockMillis);
    }

    /**
     * A director with one worker per queue of {@code queues}, whose direct services send frames through
     * {@code links} (one per queue, open; or none) to the MACs {@code neighbours} knows, not yet running.
     *
     * @param clockMillis a monotonic clock in milliseconds (the tables' timeouts run on it)
     */
    public Director(DirectorConfig config, Map<String, Backend> backends, List<PacketDevice> queues,
                    List<FrameSender> links, Neighbours neighbours, LongSupplier clockMillis) {
        if (!links.isEmpty() && links.size() != queues.size()) {
            throw new IllegalArgumentException("one frame sender per queue, or none");
        }
        this.name = config.name();
        this.queues = List.copyOf(queues);
        this.links = List.copyOf(links);
        this.config = config;
        this.clockMillis = clockMillis;
        this.services = services(config, backends);
        int n = queues.size();
        this.stats = new DirectorStats(n);
        this.workers = new DirectorWorker[n];
        long now = clockMillis.getAsLong();
        for (int i = 0; i < n; i++) {
            ConnectionTable table = new ConnectionTable(share(config.maxConnections(), i, n), timeouts(config), now);
            SynDefense defense = new SynDefense(config.defense());
            FrameSender link = links.isEmpty() ? null : links.get(i);
            NatPipeline pipeline = new NatPipeline(services, table, templates, defense, stats.shard(i),
                    TunnelRoutes.SYSTEM, neighbours, link == null ? TunnelRoutes.DEFAULT_MTU : link.mtu());
            // The first worker also expires the shared templates.
            workers[i] = new DirectorWorker(name, i, n, queues.get(i), link, table, pipeline, stats.shard(i),
                    clockMillis, i == 0 ? templates : null, defense);
        }
        for (DirectorWorker w : workers) {
            w.connect(workers);
        }
        DirectorConfig.Sync sync = config.sync().orElse(null);
        SyncSender sender = null;
        SyncReceiver receiver = null;
        try {
            if (sync != null && sync.role() == DirectorConfig.Sync.Role.ACTIVE) {
                sender = SyncSender.open(sync.peer().orElseThrow().resolve(),
                        sync.listen().map(HostPort::resolve).orElse(null), sync.id(), syncStats);
                for (DirectorWorker w : workers) {
                    w.sync(sender.shard(), RESYNC_MILLIS);
                }
            } else if (sync != null) {
                receiver = SyncReceiver.open(sync.listen().orElseThrow().resolve(), sync.id(), syncStats,
                        this::deliver, name);
            }
        } catch (IOException | RuntimeException e) {
            for (DirectorWorker w : workers) {
                w.release();
            }
            throw new DeviceUnavailableException("director '" + name + "': sync cannot use "
                    + sync.listen().map(HostPort::toString).orElse("a UDP socket") + ": " + e.getMessage(), e);
        }
        this.syncSender = sender;
        this.syncReceiver = receiver;
    }

    /** How often an active director sends an entry that keeps seeing packets again (at most half its timeout). */
    static final long RESYNC_MILLIS = 60_000;

    /**
     * The standby's receiver hands over one datagram's entries: each goes to the worker that owns its connection
     * ({@link FlowSteering}), one task per worker, which takes it into its table.
     */
    private void deliver(List<SyncMessage.Entry> entries) {
        int n = workers.length;
        if (n == 1) {
            submit(workers[0], entries);
            return;
        }
        List<List<SyncMessage.Entry>> parts = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            parts.add(new ArrayList<>());
        }
        for (SyncMessage.Entry e : entries) {
            parts.get(FlowSteering.worker(e.protocol(), e.clientAddress(), e.clientPort(), n)).add(e);
        }
        for (int i = 0; i < n; i++) {
            if (!parts.get(i).isEmpty()) {
                submit(workers[i], parts.get(i));
            }
        }
    }

    private void submit(DirectorWorker w, List<SyncMessage.Entry> entries) {
        w.submit(() -> {
            long now = w.clockMillis();
            for (SyncMessage.Entry e : entries) {
                if (applySynced(w, e, now)) {
                    syncStats.countApplied();
                } else {
                    syncStats.countRejected();
                }
            }
        });
    }

    /** On worker {@code w}: takes synced entry {@code e} into its table, bound to the matching service's server. */
    private static boolean applySynced(DirectorWorker w, SyncMessage.Entry e, long now) {
        VirtualService service = null;
        for (VirtualService s : w.pipeline().services()) {
            if (s.matches(e.protocol(), e.virtualAddress(), e.virtualPort())) {
                service = s;
                break;
            }
            if (service == null && s.catchesAllPorts(e.protocol(), e.virtualAddress())) {
                service = s;
            }
        }
        if (service == null) {
            return false;
        }
        Server server = null;
        for (Server candidate : service.backend().servers()) {
            InetSocketAddress a = candidate.address();
            if (a != null && a.getAddress() instanceof Inet4Address v4 && Ipv4.address(v4.getAddress()) == e.realAddress()
                    && (service.port() == 0 || a.getPort() == e.realPort())) {
                server = candidate;
                break;
            }
        }
        if (server == null) {
            return false;
        }
        ConnectionTable.Synced result = w.table().synced(e.protocol(), e.clientAddress(), e.clientPort(),
                e.virtualAddress(), e.virtualPort(), e.realAddress(), e.realPort(), service.index(), e.replies(),
                e.noOutput(), e.replies() ? NatPipeline.NAT : NatPipeline.method(service, server), e.state(),
                e.secondsLeft() * 1000, server::open, now);
        return result != ConnectionTable.Synced.FULL;
    }

    /** The connection sync counters (all zero without sync). */
    public SyncStats syncStats() {
        return syncStats;
    }

    /** Where a standby receives sync datagrams (the bound port), or null when this is no standby. */
    public InetSocketAddress syncListenAddress() {
        return syncReceiver == null ? null : syncReceiver.localAddress();
    }

    /**
     * Worker {@code i}'s part of a limit of {@code limit} entries: the limit split evenly (IPVS has one table;
     * here each worker has its own, so the sum of the parts is the limit).
     */
    static int share(int limit, int i, int workers) {
        return limit / workers + (i < limit % workers ? 1 : 0);
    }

    /**
     * Opens (or creates) {@code config}'s TUN device, a queue per worker, and with an {@code interface} a packet
     * socket on it per worker, and builds the director over them.
     *
     * @throws DeviceUnavailableException without CAP_NET_ADMIN, without {@code /dev/net/tun}, when the name is
     *                                    taken by a device of another kind, or without the interface or CAP_NET_RAW
     */
    public static Director open(DirectorConfig config, Map<String, Backend> backends) {
        List<PacketDevice> queues = new ArrayList<>();
        List<FrameSender> links = new ArrayList<>();
        try {
            queues.addAll(TunQueues.open(config));
            if (config.netInterface().isPresent()) {
                for (int i = 0; i < queues.size(); i++) {
                    links.add(PacketSocket.open(config.netInterface().get()));
                }
            }
            Neighbours neighbours = config.netInterface().map(Neighbours::onInterface)
                    .orElse(NatPipeline.NO_NEIGHBOURS);
            return new Director(config, backends, queues, links, neighbours, Director::monotonicMillis);
        } catch (ErrnoException e) {
            queues.forEach(PacketDevice::close);
            links.forEach(FrameSender::close);
            throw new DeviceUnavailableException("director '" + config.name() + "': " + e.getMessage(), e);
        } catch (RuntimeException e) {
            queues.forEach(PacketDevice::close);
            links.forEach(FrameSender::close);
            throw e;
        }
    }

    private static long monotonicMillis() {
        return System.nanoTime() / 1_000_000;
    }

    /** Starts the worker threads. */
    public synchronized void start() {
        if (!threads.isEmpty()) {
            throw new IllegalStateException("started");
        }
        running = true;
        for (int i = 0; i < workers.length; i++) {
            String thread = "ferry-director-" + name + (workers.length > 1 ? "-" + i : "");
            Thread t = Thread.ofPlatform().name(thread).daemon(true).unstarted(workers[i]);
            threads.add(t);
            t.start();
        }
        if (syncReceiver != null) {
            syncReceiver.start();
        }
    }

    public String name() {
        return name;
    }

    public DirectorConfig config() {
        return config;
    }

    public String deviceName() {
        return queues.getFirst().name();
    }

    /** The number of workers (queues of the device). */
    /** What the workers move packets with: {@code uring} or {@code syscalls} (also after a fallback). */
    public String io() {
        return TunQueues.io(queues.getFirst());
    }

    public int workers() {
        return workers.length;
    }

    /** The virtual services new connections are scheduled for. */
    public List<VirtualService> services() {
        return services;
    }

    /** {@code tcp 10.200.0.100:80} for a service index of this director, past or present. */
    public String label(int service) {
        return service < labels.size() ? labels.get(service) : "service " + service;
    }

    /** The tables' counters (all workers together) as of their last tick (at most 100 ms old). */
    public TableCounts counts() {
        List<TableCounts> parts = new ArrayList<>(workers.length);
        for (DirectorWorker w : workers) {
            parts.add(w.counts());
        }
        return TableCounts.sum(parts);
    }

    public DirectorStats stats() {
        return stats;
    }

    /** The SYN-flood defence strategies in force on any worker now: {@code drop_entry}, {@code drop_packet}, {@code secure_tcp}. */
    public List<String> defenseActive() {
        boolean entry = false;
        boolean packet = false;
        boolean secure = false;
        for (DirectorWorker w : workers) {
            entry |= w.defense().dropEntry();
            packet |= w.defense().dropPacket();
            secure |= w.defense().secureTcp();
        }
        List<String> on = new ArrayList<>(3);
        if (entry) {
            on.add("drop_entry");
        }
        if (packet) {
            on.add("drop_packet");
        }
        if (secure) {
            on.add("secure_tcp");
        }
        return on;
    }

    /** The persistence templates alive now. */
    public int templateCount() {
        return templates.size();
    }

    /** Up to {@code limit} persistence templates, like the entries {@code ipvsadm -Lnc} shows with client port 0. */
    public List<TemplateView> templates(int limit) {
        long now = clockMillis.getAsLong();
        List<TemplateView> out = new ArrayList<>();
        for (PersistenceTemplate t : templates.list(limit)) {
            out.add(TemplateView.of(t, label(t.service()), now));
        }
        return out;
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
        for (int i = 0; i < workers.length; i++) {
            DirectorWorker w = workers[i];
            int limit = share(next.maxConnections(), i, workers.length);
            w.defense().reconfigure(next.defense());
            run(w, () -> {
                w.pipeline().setServices(nextServices);
                w.table().setTimeouts(timeouts);
                w.table().setLimit(limit);
            });
        }
    }

    /** Why {@code next} cannot be applied to this running director, or null when it can. */
    public String needsRestart(DirectorConfig next) {
        return needsRestart(config, next);
    }

    /** Why a director running {@code config} could not take {@code next} in place, or null when it could. */
    public static String needsRestart(DirectorConfig config, DirectorConfig next) {
        String name = config.name();
        if (!next.device().equals(config.device())) {
            return "director '" + name + "' moves from device " + config.device() + " to " + next.device();
        }
        if (next.io() != config.io()) {
            return "director '" + name + "' changes its io from " + config.io().key() + " to " + next.io().key();
        }
        if (next.workers() != config.workers()) {
            return "director '" + name + "' changes its workers from " + config.workers() + " to " + next.workers();
        }
        if (!next.sync().equals(config.sync())) {
            return "director '" + name + "' changes its sync settings";
        }
        if (!next.netInterface().equals(config.netInterface())) {
            return "director '" + name + "' changes its interface from " + config.netInterface().orElse("none")
                    + " to " + next.netInterface().orElse("none");
        }
        return null;
    }

    /** Up to {@code limit} tracked connections, like {@code ipvsadm -Lnc}, each worker's read on that worker. */
    public synchronized CompletableFuture<List<ConnectionView>> connections(int limit) {
        List<CompletableFuture<List<ConnectionView>>> parts = new ArrayList<>();
        for (DirectorWorker w : workers) {
            CompletableFuture<List<ConnectionView>> part = new CompletableFuture<>();
            parts.add(part);
            run(w, () -> {
                long now = w.clockMillis();
                List<ConnectionView> out = new ArrayList<>();
                for (TrackedConnection e : w.table().entries(limit)) {
                    out.add(ConnectionView.of(e, label(e.service()), now));
                }
                part.complete(out);
            });
        }
        return CompletableFuture.allOf(parts.toArray(CompletableFuture[]::new)).thenApply(done -> {
            List<ConnectionView> all = new ArrayList<>();
            for (CompletableFuture<List<ConnectionView>> part : parts) {
                for (ConnectionView v : part.join()) {
                    if (all.size() < limit) {
                        all.add(v);
                    }
                }
            }
            return all;
        });
    }

    /**
     * Runs {@code task} on worker {@code w}, or here when the workers are not running (then nothing else touches
     * the tables). Called with this object's lock held, which {@link #close} holds while the workers stop.
     */
    private void run(DirectorWorker w, Runnable task) {
        if (running) {
            w.submit(task);
        } else {
            task.run();
        }
    }

    /** Stops the workers (within their poll time), lets every tracked connection's server go and closes the device. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (syncReceiver != null) {
            syncReceiver.close(); // no more tasks for the workers
        }
        boolean wasRunning = running;
        running = false;
        for (DirectorWorker w : workers) {
            w.stop();
        }
        for (Thread t : threads) {
            try {
                t.join(10L * POLL_MILLIS + 5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        for (DirectorWorker w : workers) {
            if (!wasRunning) {
                w.table().clear();
            }
            w.release();
        }
        templates.clear();
        if (syncSender != null) {
            syncSender.close();
        }
        queues.forEach(PacketDevice::close);
        links.forEach(FrameSender::close);
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
            long persistence = s.persistence().map(p -> p.timeout().toMillis()).orElse(0L);
            int netmask = s.persistence().map(DirectorServiceConfig.Persistence::netmask).orElse(-1);
            out.add(new VirtualService(index, protocol, Ipv4.parse(s.vip().host()), s.vip().port(), backend,
                    persistence, netmask, s.forwarding(), s.sloppyTcp()));
        }
        return List.copyOf(out);
    }

    private static DirectorTimeouts timeouts(DirectorConfig c) {
        return new DirectorTimeouts(c.timeouts().tcp(), c.timeouts().tcpFin(), c.timeouts().udp());
    }

    @Override
    public String toString() {
        return "director " + name + " on " + deviceName();
    }
}
