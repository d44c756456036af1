package dev.ferry.proxy;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counters of one frontend. Threading: updated from every event loop; all fields are atomics.
 */
public final class FrontendStats {
    private final LongAdder accepted = new LongAdder();
    private final AtomicInteger active = new AtomicInteger();
    private final LongAdder rejectedNoServer = new LongAdder();
    private final LongAdder rejectedLimit = new LongAdder();
    private final LongAdder retries = new LongAdder();
    private final LongAdder localFailures = new LongAdder();
    private final LongAdder serverConnectionsDiscarded = new LongAdder();
    private final LongAdder badProxyHeaders = new LongAdder();
    private final LongAdder bytesFromClients = new LongAdder();
    private final LongAdder bytesToClients = new LongAdder();

    /** Counts a new client connection and returns how many are open now. */
    public int opened() {
        accepted.increment();
        return active.incrementAndGet();
    }

    /** Counts a client connection that ended and returns how many are open now. */
    public int closed() {
        return active.decrementAndGet();
    }

    public void rejectedNoServer() {
        rejectedNoServer.increment();
    }

    public void rejectedLimit() {
        rejectedLimit.increment();
    }

    public void retried() {
        retries.increment();
    }

    /** A server connection Ferry could not open for a limit of its own machine (no descriptors, ports, memory). */
    public void localFailure() {
        localFailures.increment();
    }

    public long localFailures() {
        return localFailures.sum();
    }

    /**
     * An HTTP server connection closed because the server sent bytes beyond the end of its response (a body on a 204,
     * 304 or HEAD answer, more than its Content-Length, anything while idle): it could not go back to the pool.
     */
    public void serverConnectionDiscarded() {
        serverConnectionsDiscarded.increment();
    }

    public long serverConnectionsDiscarded() {
        return serverConnectionsDiscarded.sum();
    }

    /** A client of a {@code proxy_protocol} frontend whose first bytes were no PROXY header: closed at once. */
    public void badProxyHeader() {
        badProxyHeaders.increment();
    }

    public long badProxyHeaders() {
        return badProxyHeaders.sum();
    }

    public void addBytesFromClient(long n) {
        bytesFromClients.add(n);
    }

    public void addBytesToClient(long n) {
        bytesToClients.add(n);
    }

    public long accepted() {
        return accepted.sum();
    }

    public int active() {
        return active.get();
    }

    public long noServer() {
        return rejectedNoServer.sum();
    }

    public long overLimit() {
        return rejectedLimit.sum();
    }

    public long retries() {
        return retries.sum();
    }

    public long bytesFromClients() {
        return bytesFromClients.sum();
    }

    public long bytesToClients() {
        return bytesToClients.sum();
    }
}
