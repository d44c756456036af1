package dev.ferry.director;

import dev.ferry.director.device.FrameSender;
import dev.ferry.director.device.IoUringTunDevice;
import dev.ferry.director.device.PacketBatch;
import dev.ferry.director.device.PacketDevice;
import dev.ferry.director.sync.SyncSender;
import dev.ferry.director.table.ConnectionTable;
import dev.ferry.director.table.PersistenceTemplates;
import dev.ferry.director.table.TableCounts;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.LongSupplier;

/**
 * One worker of a director: it owns one queue of the device and the share of the connections whose client
 * endpoint {@link FlowSteering} gives it. Each turn it receives a batch of packets (waiting up to
 * {@link #POLL_MILLIS}; one packet on a device that does not batch, up to {@link #BATCH} through an io_uring), runs
 * the tasks other threads queued, then each of its packets — through its {@link NatPipeline} when it owns the
 * connection, into the owner's {@link HandoffRing} when not — and the packets other workers handed it, sending what
 * the pipeline forwards (a batching device submits those writes with the next receive), and on a 100 ms tick
 * expires its table and publishes its counts.
 *
 * <p>Threading: everything but {@link #submit}, {@link #handOver}, {@link #counts()} and {@link #stop()} runs on the
 * worker's own thread; those four may be called from any thread.
 */
final class DirectorWorker implements Runnable {
    private static final Logger log = LoggerFactory.getLogger(DirectorWorker.class);
    /** How long a read waits for a packet before the worker looks at its tick and its tasks. */
    static final int POLL_MILLIS = 100;
    private static final long TICK_MILLIS = 100;
    /** How often the worker that holds them expires the director's persistence templates. */
    private static final long TEMPLATE_SWEEP_MILLIS = 1000;
    /** How often {@code drop_entry} samples the table while it is on (IPVS: every second). */
    private static final long DROP_ENTRY_MILLIS = 1000;
    /** At least 576 bytes for an ICMP error quoting a packet (RFC 1812 4.3.2.3). */
    private static final int REPLY_BUFFER = 1024;
    private static final long READ_ERROR_LOG_MILLIS = 10_000;
    /** What the packets other workers hand this one may take, waiting (some 700 full-size packets). */
    private static final int INBOX_BYTES = 1 << 20;
    /** The most packets one receive returns: the reads an io_uring device keeps armed. */
    static final int BATCH = IoUringTunDevice.ARMED_READS;

    private final String director;
    private final int index;
    private final PacketDevice device;
    /** Where direct services' frames leave; null without {@code interface}. */
    private final FrameSender link;
    private final ConnectionTable table;
    private final NatPipeline pipeline;
    private final DirectorStats.Shard stats;
    private final LongSupplier clockMillis;
    /** The director's persistence templates, which this worker expires; null for the other workers. */
    private final PersistenceTemplates templates;
    private final SynDefense defense;
    private final java.util.SplittableRandom random = new java.util.SplittableRandom();
    private final Queue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    /** Where other workers hand this one packets; null with one worker. */
    private final HandoffRing inbox;
    private final Arena rings = Arena.ofShared();
    private DirectorWorker[] peers = {this};
    private volatile TableCounts counts;
    private volatile boolean running = true;
    private long lastReadErrorLog = Long.MIN_VALUE;
    /** The active side of connection sync: this worker's datagram of changed entries; null without. */
    private SyncSender.Shard sync;

    DirectorWorker(String director, int index, int workers, PacketDevice device, FrameSender link,
                   ConnectionTable table,
                   NatPipeline pipeline, DirectorStats.Shard stats, LongSupplier clockMillis,
                   PersistenceTemplates templates, SynDefense defense) {
        this.director = director;
        this.index = index;
        this.device = device;
        this.link = link;
        this.table = table;
        this.pipeline = pipeline;
        this.stats = stats;
        this.clockMillis = clockMillis;
        this.templates = templates;
        this.defense = defense;
        this.counts = table.counts();
        this.inbox = workers > 1 ? new HandoffRing(rings, INBOX_BYTES) : null;
    }

    /** The director's workers, this one among them at its index; set before the threads start. */
    void connect(DirectorWorker[] all) {
        this.peers = all;
    }

    /**
     * Sends this worker's table changes through {@code shard} (an active director's sync), each entry again every
     * {@code resyncMillis} while it sees packets; set before the thread starts.
     */
    void sync(SyncSender.Shard shard, long resyncMillis) {
        this.sync = shard;
        table.setListener(shard, resyncMillis);
    }

    ConnectionTable table() {
        return table;
    }

    NatPipeline pipeline() {
        return pipeline;
    }

    PacketDevice device() {
        return device;
    }

    long clockMillis() {
        return clockMillis.getAsLong();
    }

    SynDefense defense() {
        return defense;
    }

    /** This worker's table counters as of its last tick (at most 100 ms old). */
    TableCounts counts() {
        return counts;
    }

    /** Queues {@code task} to run on this worker before its next packet, and wakes it. */
    void submit(Runnable task) {
        tasks.add(task);
        device.wakeup();
    }

    /** Asks the worker to stop (within its poll time): it clears its table on the way out. */
    void stop() {
        running = false;
        device.wakeup();
    }

    /** Called by another worker: copies a packet this one owns into its inbox and wakes it. */
    private boolean handOver(MemorySegment packet, int length) {
        if (!inbox.offer(packet, length)) {
            return false;
        }
        device.wakeup();
        return true;
    }

    @Override
    public void run() {
        try (Arena arena = Arena.ofConfined()) {
            PacketBatch batch = new PacketBatch(arena, BATCH);
            MemorySegment packet = batch.buffer(); // the inbox's: a one-packet device's packet is done with by then
            MemorySegment reply = arena.allocate(REPLY_BUFFER);
            long nextTick = clockMillis.getAsLong() + TICK_MILLIS;
            long nextSweep = clockMillis.getAsLong() + TEMPLATE_SWEEP_MILLIS;
            long nextDropEntry = clockMillis.getAsLong() + DROP_ENTRY_MILLIS;
            while (running) {
                int n = receive(batch);
                // Tasks first: a reload handed over before a packet arrived applies to that packet.
                runTasks();
                long now = clockMillis.getAsLong();
                // Own packets first, then the inbox, which reuses the batch's buffer.
                for (int i = 0; i < n; i++) {
                    route(batch.packet(i), batch.length(i), reply, now);
                }
                drainInbox(packet, reply, now);
                for (int failed = batch.takeSendFailures(); failed > 0; failed--) {
                    stats.dropped(DropReason.WRITE_FAILED);
                }
                if (sync != null && (n <= 0 || now >= nextTick)) {
                    sync.flush(); // when idle, or at least every tick; a full datagram went at once
                }
                if (now >= nextTick) {
                    table.expire(now);
                    defense.update(table.size(), table.limit());
                    table.setSecure(defense.secureTcp());
                    counts = table.counts();
                    nextTick = now + TICK_MILLIS;
                }
                if (now >= nextDropEntry) {
                    if (defense.dropEntry()) {
                        stats.entriesDropped(table.dropHalfOpen(random.nextInt()));
                    }
                    nextDropEntry = now + DROP_ENTRY_MILLIS;
                }
                if (templates != null && now >= nextSweep) {
                    templates.expire(now);
                    nextSweep = now + TEMPLATE_SWEEP_MILLIS;
                }
            }
            runTasks();
            if (sync != null) {
                sync.flush();
            }
            table.clear();
            counts = table.counts();
        } catch (RuntimeException | Error e) {
            log.error("director '{}' worker {} stopped: {}", director, index, e.toString(), e);
            throw e;
        } finally {
            running = false;
        }
    }

    /** Frees the rings; called once every worker of the director has stopped (others may offer until then). */
    void release() {
        rings.close();
    }

    private void route(MemorySegment packet, int n, MemorySegment reply, long now) {
        int owner = peers.length == 1 ? index : FlowSteering.owner(packet, n, pipeline, peers.length, index);
        if (owner == index) {
            handle(packet, n, reply, now);
        } else if (peers[owner].handOver(packet, n)) {
            stats.handedOver();
        } else {
            stats.dropped(DropReason.HANDOFF_FULL);
        }
    }

    private void drainInbox(MemorySegment packet, MemorySegment reply, long now) {
        if (inbox == null) {
            return;
        }
        for (int n; (n = inbox.poll(packet)) >= 0; ) {
            handle(packet, n, reply, now);
        }
    }

    private void runTasks() {
        for (Runnable task; (task = tasks.poll()) != null; ) {
            task.run();
        }
    }

    private int receive(PacketBatch batch) {
        try {
            return device.receive(batch, POLL_MILLIS);
        } catch (IOException e) {
            long now = clockMillis.getAsLong();
            if (lastReadErrorLog == Long.MIN_VALUE || now - lastReadErrorLog >= READ_ERROR_LOG_MILLIS) {
                lastReadErrorLog = now;
                log.warn("director '{}': {}", director, e.getMessage());
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
            switch (verdict) {
                case FORWARD -> device.send(packet, pipeline.length());
                case REPLY -> device.send(reply, pipeline.length());
                case FRAME -> {
                    if (link == null) {
                        stats.dropped(DropReason.WRITE_FAILED); // no interface: validation refuses direct without
                    } else {
                        link.send(packet, pipeline.length(), pipeline.frameDestination());
                    }
                }
                case DROP -> {
                }
            }
        } catch (IOException e) {
            stats.dropped(DropReason.WRITE_FAILED);
        }
    }
}
