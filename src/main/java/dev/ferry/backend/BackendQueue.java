package dev.ferry.backend;

import dev.ferry.config.QueueConfig;
import dev.ferry.schedule.PickContext;

import java.util.Objects;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * A backend's queue ({@code queue: {size, timeout}}, HAProxy's backend queue): where a request (http) or a new
 * connection (tcp) waits while every server that could take it is at its {@code max_connections}, instead of being
 * refused at once. First come first served: each slot a server frees ({@link Server} lets go of a connection or a
 * request) goes to the oldest waiter, which is then sent on its own event loop to the server the scheduler picks, or,
 * while the overload flag still holds every server back (IPVS clears it only below 75% of {@code max_connections}),
 * to a server with a free slot under its limit. A waiter that finds no room after all (another took the slot) goes
 * back to the head of the queue. Past {@code size} waiters a newcomer is refused at once; past {@code timeout} a
 * waiter is told to give up (503, or a reset at layer 4); a waiter that leaves (its client went) is removed and takes
 * no slot.
 *
 * <p>Only a request's or a connection's first pick waits; a retry after a failure is answered as without a queue.
 * Only while some usable server is at its limit (or others wait already) does anything wait: with no server up a
 * request is refused at once.
 *
 * <p>Threading: the queue of waiters is a lock-free deque shared by every event loop; {@link #slotFreed} and
 * {@link #serversChanged} run on any thread and only hand a woken waiter to its own loop ({@link Loop#execute});
 * a {@link Ticket} is touched only on its loop. {@link #enqueue} is called on the waiter's loop.
 */
public final class BackendQueue {
    /** The event loop a waiter lives on: its clock, its timer and its task queue (injected, so tests walk time). */
    public interface Loop {
        long nanoTime();

        /** Runs {@code task} on the loop soon; from any thread. */
        void execute(Runnable task);

        /** Runs {@code task} on the loop after {@code delayNanos}; returns what cancels it. On the loop. */
        Runnable schedule(Runnable task, long delayNanos);
    }

    /** What waits: told once, on its loop, the server to go to, or null when it must give up (timeout, queue gone). */
    @FunctionalInterface
    public interface Waiter {
        void dequeued(Server server);
    }

    private final Backend backend;
    private volatile QueueConfig config;
    private volatile boolean closed;
    private final ConcurrentLinkedDeque<Ticket> waiting = new ConcurrentLinkedDeque<>();
    /** Waiters not yet sent, timed out or gone: those in {@link #waiting} and those woken on their way to a loop. */
    private final AtomicInteger length = new AtomicInteger();
    private final LongAdder queued = new LongAdder();
    private final LongAdder dispatched = new LongAdder();
    private final LongAdder timeouts = new LongAdder();
    private final LongAdder full = new LongAdder();
    private final LongAdder abandoned = new LongAdder();
    private final DurationHistogram waits = new DurationHistogram();

    BackendQueue(Backend backend, QueueConfig config) {
        this.backend = backend;
        this.config = Objects.requireNonNull(config);
    }

    public QueueConfig config() {
        return config;
    }

    /**
     * What a client refused by the queue (full, or its wait ran out) is told to wait before it tries again, as
     * {@code Retry-After}: the queue's timeout in whole seconds, at least 1.
     */
    public long retryAfterSeconds() {
        long millis = config.timeout().toMillis();
        return Math.max(1, (millis + 999) / 1000);
    }

    /** A reload's new size and timeout: for waiters that come from now on. */
    void setConfig(QueueConfig config) {
        this.config = Objects.requireNonNull(config);
    }

    /**
     * Waits for a slot, when one is worth waiting for: some usable server is at its limit (or others wait already).
     * Call on the waiter's loop, after the scheduler found no server.
     *
     * @return null when nobody is at a limit (refuse as without a queue); a {@linkplain Ticket#refused() refused}
     *         ticket when the queue is full (refuse at once; {@code waiter} is never told); else the waiting ticket,
     *         whose waiter is told once what became of it
     */
    public Ticket enqueue(Loop loop, PickContext context, Waiter waiter) {
        if (closed || (length.get() == 0 ? !anyAtLimit() : !anyUsable())) {
            return null;
        }
        QueueConfig c = config;
        if (length.incrementAndGet() > c.size()) {
            length.decrementAndGet();
            full.increment();
            return Ticket.REFUSED;
        }
        Ticket t = new Ticket(this, loop, context, waiter, loop.nanoTime());
        queued.increment();
        waiting.offerLast(t);
        t.cancelTimer = loop.schedule(t::expire, c.timeout().toNanos());
        // A slot may have come free between the failed pick and the offer, with nobody in the queue to take it.
        passOnRoom();
        return t;
    }

    /**
     * Whether a connection to {@code server} that has nothing to do should close rather than idle (in a keep-alive
     * pool, or as an HTTP/2 connection without streams): the server is at its limit, or would be with {@code extra}
     * more, while requests wait here. An idle connection holds a slot a waiting request (of any event loop) needs,
     * and an overloaded server is not picked, so its idle connections would only hold slots. Any thread.
     */
    public boolean wantsSlotOf(Server server, int extra) {
        int u = server.upperThreshold();
        return server.isOverloaded() || (u > 0 && length.get() > 0 && load(server) + extra >= u);
    }

    /** A server let go of a connection or request: the oldest waiter, if any, may take the slot. Any thread. */
    void slotFreed(Server server) {
        if (length.get() > 0) {
            wakeOne(server);
        }
    }

    /** The snapshot changed (a server up, a weight, a limit raised): a waiter is woken to see if there is room now. */
    void serversChanged() {
        if (length.get() > 0) {
            wakeOne(null);
        }
    }

    /** The backend no longer has a queue (reload) or is gone: every waiter is sent where there is room, or gives up. */
    void close() {
        closed = true;
        for (Ticket t; (t = waiting.pollFirst()) != null; ) {
            Ticket woken = t;
            woken.loop.execute(() -> woken.woken(null));
        }
    }

    private void wakeOne(Server hint) {
        Ticket t = waiting.pollFirst();
        if (t != null) {
            t.loop.execute(() -> t.woken(hint));
        }
    }

    /** After a waiter went (or came), wakes the next one if a slot is still free. */
    private void passOnRoom() {
        if (length.get() > 0 && !waiting.isEmpty() && roomFor(null, null) != null) {
            wakeOne(null);
        }
    }

    /** The server to send a woken waiter to: the scheduler's pick, else one with a free slot under its limit. */
    private Server claim(PickContext context, Server hint) {
        Server picked = backend.pick(context);
        return picked != null ? picked : roomFor(context, hint);
    }

    /** A server of the snapshot with a free slot ({@code hint} first), the one with the most of them; or null. */
    private Server roomFor(PickContext context, Server hint) {
        if (hint != null && hasRoom(hint, context)) {
            return hint;
        }
        Server best = null;
        long bestRoom = 0;
        for (Server s : backend.snapshot().servers()) {
            if (hasRoom(s, context)) {
                long room = s.upperThreshold() == 0 ? Long.MAX_VALUE : s.upperThreshold() - load(s);
                if (best == null || room > bestRoom) {
                    best = s;
                    bestRoom = room;
                }
            }
        }
        return best;
    }

    private static boolean hasRoom(Server s, PickContext context) {
        if (s.index() < 0 || s.weight() <= 0 || (context != null && context.avoids(s))) {
            return false;
        }
        int u = s.upperThreshold();
        return u == 0 ? !s.isOverloaded() : load(s) < u;
    }

    private static long load(Server s) {
        return (long) s.active() + s.inactive();
    }

    private boolean anyUsable() {
        for (Server s : backend.snapshot().servers()) {
            if (s.weight() > 0) {
                return true;
            }
        }
        return false;
    }

    private boolean anyAtLimit() {
        for (Server s : backend.snapshot().servers()) {
            int u = s.upperThreshold();
            if (u > 0 && s.weight() > 0 && (s.isOverloaded() || load(s) >= u)) {
                return true;
            }
        }
        return false;
    }

    // ---- what the status API and the metrics read ----

    /** Waiting now. */
    public int length() {
        return Math.max(0, length.get());
    }

    /** Waiters ever queued (refused ones not counted). */
    public long queuedTotal() {
        return queued.sum();
    }

    /** Waiters sent to a server. */
    public long dispatchedTotal() {
        return dispatched.sum();
    }

    /** Waiters that gave up at the timeout (503 / reset). */
    public long timeoutsTotal() {
        return timeouts.sum();
    }

    /** Newcomers refused at once because the queue was full. */
    public long fullTotal() {
        return full.sum();
    }

    /** Waiters that left before a slot came (their client went, or their request ended otherwise). */
    public long abandonedTotal() {
        return abandoned.sum();
    }

    /** How long the waiters that were sent to a server waited. */
    public DurationHistogram waits() {
        return waits;
    }

    /**
     * One waiter's place in the queue. Touched only on its loop: {@link #cancel()} when its client leaves.
     */
    public static final class Ticket {
        static final Ticket REFUSED = new Ticket(null, null, null, null, 0);

        private final BackendQueue queue;
        private final Loop loop;
        private final PickContext context;
        private final Waiter waiter;
        private final long since;
        private Runnable cancelTimer = () -> { };
        /** Sent, timed out or cancelled: nothing more happens to this waiter. */
        private boolean done;

        private Ticket(BackendQueue queue, Loop loop, PickContext context, Waiter waiter, long since) {
            this.queue = queue;
            this.loop = loop;
            this.context = context;
            this.waiter = waiter;
            this.since = since;
            this.done = queue == null;
        }

        /** Whether the queue was full: the newcomer is refused at once and its waiter never told. */
        public boolean refused() {
            return queue == null;
        }

        /** The waiter leaves (its client went): removed, takes no slot, is never told. Idempotent; on its loop. */
        public void cancel() {
            if (done) {
                return;
            }
            finish();
            queue.abandoned.increment();
        }

        private void finish() {
            done = true;
            cancelTimer.run();
            // When it is not in the deque any more a wake is on its way here, and passes the slot on (woken).
            queue.waiting.remove(this);
            queue.length.decrementAndGet();
        }

        private void expire() {
            if (done) {
                return;
            }
            finish();
            queue.timeouts.increment();
            waiter.dequeued(null);
        }

        /** A slot may be free ({@code hint}: the server that freed it, null: anywhere). On this ticket's loop. */
        private void woken(Server hint) {
            if (done) {
                // It left (or timed out) after it was taken off the queue: the slot goes to the next waiter.
                queue.slotFreed(hint);
                return;
            }
            Server s = queue.claim(context, hint);
            if (s == null && !queue.closed) {
                queue.waiting.offerFirst(this);
                queue.passOnRoom();
                return;
            }
            done = true;
            cancelTimer.run();
            queue.length.decrementAndGet();
            if (s == null) {
                queue.timeouts.increment();
            } else {
                queue.dispatched.increment();
                queue.waits.record(loop.nanoTime() - since);
            }
            waiter.dequeued(s);
            // Sent to a slot that an idle pooled connection may fill without a new one: the next waiter may go too.
            queue.passOnRoom();
        }
    }
}
