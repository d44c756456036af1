package dev.ferry.health;

import dev.ferry.backend.Backend;
import dev.ferry.backend.Server;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Slow start for one backend: every server that joins the backend's snapshot (back up, back from ejection or
 * maintenance, or added) gets its weight ramped along a {@link SlowStartRamp}; the backend republishes the weights at
 * every step. Servers present when the balancer starts begin at full weight (they all start together, so a ramp
 * would change nothing between them).
 *
 * <p>Threading: {@link #begin} may be called from any thread (it is the backend's join listener); {@link #step} runs
 * on the timeline's thread. Both synchronise on this object, briefly.
 */
public final class SlowStart {
    private static final Logger log = LoggerFactory.getLogger(SlowStart.class);

    private final Backend backend;
    private final SlowStartRamp ramp;
    private final Timeline timeline;
    private final PeriodicTask task;
    private final Consumer<Server> joinListener = this::begin;
    /** Servers ramping now, with the time each came up. */
    private final Map<Server, Long> ramping = new HashMap<>();
    private volatile boolean stopped;

    public SlowStart(Backend backend, SlowStartRamp ramp, Timeline timeline) {
        this.backend = backend;
        this.ramp = ramp;
        this.timeline = timeline;
        this.task = new PeriodicTask(timeline, this::step);
    }

    /** Listens to the backend's joins from now on. */
    public void start() {
        backend.addJoinListener(joinListener);
    }

    /**
     * Stops listening and ramping (the balancer stops, or a reload replaces this backend's health checking): servers
     * still ramping get their full weight, on the timeline's thread after any step in progress.
     */
    public void stop() {
        stopped = true;
        backend.removeJoinListener(joinListener);
        task.stop();
        timeline.execute(this::finishRamps);
    }

    private void finishRamps() {
        List<Server> unfinished;
        synchronized (this) {
            unfinished = List.copyOf(ramping.keySet());
            ramping.clear();
        }
        unfinished.forEach(s -> backend.setSlowStartShare(s, 1.0));
    }

    /** Starts (or restarts) the ramp of {@code server}, which came up now. */
    public void begin(Server server) {
        if (stopped) {
            return;
        }
        long now = timeline.nanoTime();
        synchronized (this) {
            ramping.put(server, now);
        }
        log.info("backend '{}': server '{}' starts slowly: {}% of its weight, full after {} ms", backend.name(),
                server.name(), Math.round(ramp.share(0) * 100), ramp.durationNanos() / 1_000_000);
        backend.setSlowStartShare(server, ramp.share(0));
        // A step now recomputes every ramp, so the earliest next step among all servers is kept.
        task.start(0);
    }

    /** True while {@code server} is ramping. */
    public synchronized boolean isRamping(Server server) {
        return ramping.containsKey(server);
    }

    /**
     * Republishes the share of every ramping server as of {@code nowNanos}.
     *
     * @return nanoseconds until the next step of any ramp, or {@link PeriodicTask#DONE} when no server ramps
     */
    public long step(long nowNanos) {
        long next = Long.MAX_VALUE;
        Map<Server, Double> shares = new HashMap<>();
        synchronized (this) {
            for (Iterator<Map.Entry<Server, Long>> it = ramping.entrySet().iterator(); it.hasNext(); ) {
                Map.Entry<Server, Long> e = it.next();
                long elapsed = nowNanos - e.getValue();
                shares.put(e.getKey(), ramp.share(elapsed));
                if (ramp.isDone(elapsed)) {
                    it.remove();
                } else {
                    next = Math.min(next, ramp.untilNextStep(elapsed));
                }
            }
        }
        shares.forEach((server, share) -> {
            if (share == 1.0 && server.slowStartShare() != 1.0) {
                log.info("backend '{}': server '{}' reached its full weight", backend.name(), server.name());
            }
            backend.setSlowStartShare(server, share);
        });
        return next == Long.MAX_VALUE ? PeriodicTask.DONE : next;
    }
}
