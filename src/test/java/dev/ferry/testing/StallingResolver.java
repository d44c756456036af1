package dev.ferry.testing;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.net.spi.InetAddressResolver;
import java.net.spi.InetAddressResolverProvider;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The JVM's host name resolver for tests (registered in {@code META-INF/services}): every name is resolved by the
 * built-in resolver, except the names a test {@linkplain #gate gates}, whose lookup blocks until the test opens the
 * gate (a DNS server that is slow to answer), then answers 127.0.0.1. A gate also records whether the looking-up
 * thread held a given object's monitor, so a test can tell whether a lock was held across a name lookup.
 */
public final class StallingResolver extends InetAddressResolverProvider {
    private static final Map<String, Gate> GATES = new ConcurrentHashMap<>();

    /** A gated name: its lookups wait until {@link #open()}. */
    public static final class Gate implements AutoCloseable {
        private final String host;
        private final Object watched;
        private final CountDownLatch entered = new CountDownLatch(1);
        private final CountDownLatch open = new CountDownLatch(1);
        private volatile boolean watchedLockHeld;

        private Gate(String host, Object watched) {
            this.host = host;
            this.watched = watched;
        }

        /** Waits up to {@code seconds} for a lookup of the name to begin; true when one did. */
        public boolean awaitLookup(long seconds) throws InterruptedException {
            return entered.await(seconds, TimeUnit.SECONDS);
        }

        /** Whether the thread that looked the name up held the watched object's monitor meanwhile. */
        public boolean watchedLockHeld() {
            return watchedLockHeld;
        }

        /** Lets the lookups answer. */
        public void open() {
            open.countDown();
        }

        @Override
        public void close() {
            open();
            GATES.remove(host);
        }
    }

    /** Gates {@code host} (lower case); lookups of it record whether they hold {@code watched}'s monitor. */
    public static Gate gate(String host, Object watched) {
        Gate g = new Gate(host, watched);
        GATES.put(host, g);
        return g;
    }

    @Override
    public InetAddressResolver get(Configuration configuration) {
        InetAddressResolver builtin = configuration.builtinResolver();
        return new InetAddressResolver() {
            @Override
            public Stream<InetAddress> lookupByName(String host, LookupPolicy policy) throws UnknownHostException {
                Gate g = GATES.get(host);
                if (g == null) {
                    return builtin.lookupByName(host, policy);
                }
                g.watchedLockHeld = Thread.holdsLock(g.watched);
                g.entered.countDown();
                try {
                    // Bounded, so that a test that fails to open the gate cannot hang the JVM.
                    if (!g.open.await(30, TimeUnit.SECONDS)) {
                        throw new UnknownHostException(host + ": gate never opened");
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new UnknownHostException(host + ": interrupted");
                }
                return Stream.of(InetAddress.getLoopbackAddress());
            }

            @Override
            public String lookupByAddress(byte[] addr) throws UnknownHostException {
                return builtin.lookupByAddress(addr);
            }
        };
    }

    @Override
    public String name() {
        return "ferry-test-stalling-resolver";
    }
}
