package dev.ferry.proxy;

import dev.ferry.backend.DurationHistogram;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * How long the requests of one frontend took, by the backend they were routed to (for
 * {@code ferry_request_duration_seconds{frontend,backend}}): from the arrival of the request head to the end of the
 * response, or to the moment the request ended otherwise.
 *
 * <p>Threading: {@link #record(String, long)} from any event loop; the histograms are lock-free.
 */
public final class RequestDurations {
    private final ConcurrentHashMap<String, DurationHistogram> byBackend = new ConcurrentHashMap<>();

    /** Records one request routed to {@code backend} that took {@code nanos}. */
    public void record(String backend, long nanos) {
        DurationHistogram h = byBackend.get(backend);
        if (h == null) {
            h = byBackend.computeIfAbsent(backend, b -> new DurationHistogram());
        }
        h.record(nanos);
    }

    /** The histogram of every backend that had a request so far, by backend name (a sorted copy of the map). */
    public Map<String, DurationHistogram> byBackend() {
        return new TreeMap<>(byBackend);
    }
}
