package dev.ferry.transport;

import io.netty.channel.Channel;
import io.netty.util.concurrent.FastThreadLocal;

import java.util.Arrays;
import java.util.concurrent.RejectedExecutionException;

/**
 * Flushes asked for while an event loop handles ready sockets, done together once the sockets stop bringing work.
 *
 * <p>Two ways to drive it:
 * <ul>
 *   <li>On Ferry's own event loops ({@link Transport}) the loop's select strategy, {@link FlushWhenDrained}, does the
 *       flushes: while any are pending it polls without blocking, handles what the poll brings, and flushes when a
 *       poll finds nothing new or the oldest pending flush has waited {@link FlushWhenDrained#MAX_HOLD_NANOS}.
 *       A client that writes a burst of requests thus has them forwarded in one burst once it is done, which wakes
 *       the server once rather than once per request.</li>
 *   <li>On any other event loop, a task queued by the first {@link #flushSoon} runs after the batch of ready
 *       sockets being handled (Netty runs tasks after I/O).</li>
 * </ul>
 * Either way each peer gets its bytes in one burst instead of a wake-up per message; on a machine where clients and
 * servers share cores those wake-ups, each a context switch on the peer's core, were what held Ferry's requests per
 * second below HAProxy's.
 *
 * <p>Thread contract: one instance per event-loop thread; everything here only on that thread, for channels of that
 * loop. A channel closed before its flush is flushed as a no-op (Netty fails and releases its unsent writes), so
 * callers that close deliberately write-and-flush first.
 */
public final class LoopFlusher implements Runnable {
    private static final FastThreadLocal<LoopFlusher> LOOP = new FastThreadLocal<>() {
        @Override
        protected LoopFlusher initialValue() {
            return new LoopFlusher();
        }
    };

    private Channel[] channels = new Channel[64];
    private Channel[] spare = new Channel[64];
    private int count;
    private long pendingSince;
    private boolean drivenBySelect;
    private boolean taskQueued;

    LoopFlusher() {
    }

    /** Flushes {@code ch} once the event loop has handled the sockets that are ready now. */
    public static void flushSoon(Channel ch) {
        LOOP.get().add(ch);
    }

    /** The flusher of the calling thread. */
    static LoopFlusher current() {
        return LOOP.get();
    }

    /** From now on {@link FlushWhenDrained} decides when to flush: no task is queued. */
    void driveFromSelect() {
        drivenBySelect = true;
    }

    boolean hasPending() {
        return count > 0;
    }

    /** {@link System#nanoTime()} when the oldest pending flush was asked for. */
    long pendingSince() {
        return pendingSince;
    }

    void add(Channel ch) {
        if (count > 0 && channels[count - 1] == ch) {
            return;
        }
        if (count == 0) {
            pendingSince = System.nanoTime();
        }
        if (count == channels.length) {
            channels = Arrays.copyOf(channels, count * 2);
        }
        channels[count++] = ch;
        if (!drivenBySelect && !taskQueued) {
            taskQueued = true;
            try {
                ch.eventLoop().execute(this);
            } catch (RejectedExecutionException shuttingDown) {
                run();
            }
        }
    }

    /** The queued task: flushes everything pending. */
    @Override
    public void run() {
        taskQueued = false;
        flushAll();
    }

    /** Flushes every pending channel, in the order first asked for. */
    void flushAll() {
        // A flush can complete writes whose listeners ask for more flushes: those go to the other array (their
        // pendingSince set by add) and a later round.
        int n = count;
        Channel[] batch = channels;
        channels = spare;
        count = 0;
        for (int i = 0; i < n; i++) {
            batch[i].flush();
            batch[i] = null;
        }
        spare = batch;
    }
}
