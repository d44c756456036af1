package dev.ferry.proxy.admission;

import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The token bucket and the key table on a hand-walked clock: burst then one per interval, refill, Retry-After-sized
 * waits, LRU eviction at {@code size}, idle expiry, and busy keys kept.
 */
class KeyTableTest {
    private static final long S = TimeUnit.SECONDS.toNanos(1);
    private static final long EXPIRE = 60 * S;
    /** An origin far from 0, as nanoTime's is. */
    private long now = 7_000 * S;

    @Test
    void aFullBucketLetsTheBurstThroughThenOnePerInterval() {
        KeyTable t = new KeyTable(100, EXPIRE, TokenBucket.of(2, 5), TokenBucket.NONE);
        for (int i = 0; i < 5; i++) {
            assertThat(t.takeRequest(1, now)).as("request %d of the burst", i).isZero();
        }
        long wait = t.takeRequest(1, now);
        assertThat(wait).as("the sixth waits for half a second (2/s)").isEqualTo(S / 2);
        now += S / 2 - 1;
        assertThat(t.takeRequest(1, now)).as("one nanosecond early").isEqualTo(1);
        now += 1;
        assertThat(t.takeRequest(1, now)).isZero();
        assertThat(t.takeRequest(1, now)).isEqualTo(S / 2);
    }

    @Test
    void theBucketRefillsToItsBurstAndNoFurther() {
        KeyTable t = new KeyTable(100, EXPIRE, TokenBucket.of(1, 3), TokenBucket.NONE);
        for (int i = 0; i < 3; i++) {
            assertThat(t.takeRequest(9, now)).isZero();
        }
        assertThat(t.takeRequest(9, now)).isPositive();
        now += 30 * S;
        int passed = 0;
        while (t.takeRequest(9, now) == 0) {
            passed++;
        }
        assertThat(passed).as("after a long pause: a full burst, not 30").isEqualTo(3);
    }

    @Test
    void keysAreCountedApart() {
        KeyTable t = new KeyTable(100, EXPIRE, TokenBucket.of(0.5, 1), TokenBucket.NONE);
        assertThat(t.takeRequest(1, now)).isZero();
        assertThat(t.takeRequest(1, now)).isEqualTo(2 * S);
        assertThat(t.takeRequest(2, now)).as("another key has its own bucket").isZero();
    }

    @Test
    void connectionAndRequestBucketsAreSeparate() {
        KeyTable t = new KeyTable(100, EXPIRE, TokenBucket.of(1, 1), TokenBucket.of(1, 2));
        assertThat(t.takeConnection(5, now)).isZero();
        assertThat(t.takeConnection(5, now)).isZero();
        assertThat(t.takeConnection(5, now)).isEqualTo(S);
        assertThat(t.takeRequest(5, now)).isZero();
    }

    @Test
    void theLeastRecentlyUsedKeyGoesWhenTheTableIsFull() {
        KeyTable t = new KeyTable(3, EXPIRE, TokenBucket.of(1, 1), TokenBucket.NONE);
        assertThat(t.stripes()).as("a small table is one exact LRU").isEqualTo(1);
        t.takeRequest(1, now);
        t.takeRequest(2, now);
        t.takeRequest(3, now);
        t.takeRequest(1, now + 1);       // 1 is now the most recently used; 2 the least
        t.takeRequest(4, now + 2);
        assertThat(t.size()).isEqualTo(3);
        assertThat(t.tracks(2)).as("least recently used, evicted").isFalse();
        assertThat(t.tracks(1)).isTrue();
        assertThat(t.tracks(3)).isTrue();
        assertThat(t.tracks(4)).isTrue();
        // An evicted key comes back with a full bucket: forgetting costs at most one burst.
        assertThat(t.takeRequest(2, now + 3)).isZero();
    }

    @Test
    void idleKeysExpireAndBusyKeysStay() {
        KeyTable t = new KeyTable(1000, EXPIRE, TokenBucket.NONE, TokenBucket.NONE);
        KeyTable.Entry busy = t.acquire(1, now, true, 10);
        assertThat(busy).isNotNull();
        t.acquire(2, now, true, 10);
        t.release(t.acquire(3, now, true, 10), true, now);
        assertThat(t.sweep(now + EXPIRE)).as("nothing idle for longer than expire yet").isEqualTo(3);
        now += EXPIRE + 1;
        assertThat(t.sweep(now)).as("only the keys with connections open remain").isEqualTo(2);
        assertThat(t.tracks(3)).isFalse();
        t.release(busy, true, now);
        assertThat(t.sweep(now + EXPIRE + 1)).isEqualTo(1);
    }

    @Test
    void aBusyKeyIsNeverEvictedEvenWhenTheTableIsFull() {
        KeyTable t = new KeyTable(2, EXPIRE, TokenBucket.NONE, TokenBucket.NONE);
        KeyTable.Entry held = t.acquire(1, now, true, 1);
        t.acquire(2, now + 1, true, 1);
        assertThat(t.acquire(3, now + 2, true, 1)).isNotNull();
        assertThat(t.tracks(1)).isTrue();
        assertThat(t.tracks(2)).isTrue();
        assertThat(t.acquire(1, now + 3, true, 1)).as("key 1 still counts its connection").isNull();
        t.release(held, true, now + 4);
        assertThat(t.acquire(1, now + 5, true, 1)).isNotNull();
    }

    @Test
    void concurrencyIsCountedUpAndDown() {
        KeyTable t = new KeyTable(10, EXPIRE, TokenBucket.NONE, TokenBucket.NONE);
        KeyTable.Entry a = t.acquire(7, now, false, 2);
        KeyTable.Entry b = t.acquire(7, now, false, 2);
        assertThat(t.acquire(7, now, false, 2)).isNull();
        assertThat(t.acquire(7, now, true, 2)).as("connections are counted apart from requests").isNotNull();
        t.release(a, false, now);
        assertThat(t.acquire(7, now, false, 2)).isNotNull();
        t.release(b, false, now);
    }

    @Test
    void aBigTableIsStripedAndStaysNearItsSize() {
        KeyTable t = new KeyTable(100_000, EXPIRE, TokenBucket.of(10, 10), TokenBucket.NONE);
        assertThat(t.stripes()).isEqualTo(64);
        for (long k = 0; k < 300_000; k++) {
            t.takeRequest(k, now);
        }
        assertThat(t.size()).isLessThanOrEqualTo(100_000).isGreaterThan(90_000);
    }

    @Test
    void manyThreadsCountingUpAndDownLeaveNothingBehind() throws Exception {
        KeyTable t = new KeyTable(1000, EXPIRE, TokenBucket.NONE, TokenBucket.NONE);
        int threads = 4;
        int rounds = 20_000;
        java.util.List<Thread> workers = new java.util.ArrayList<>();
        java.util.concurrent.atomic.AtomicInteger refused = new java.util.concurrent.atomic.AtomicInteger();
        for (int w = 0; w < threads; w++) {
            int seed = w;
            workers.add(Thread.ofPlatform().start(() -> {
                for (int i = 0; i < rounds; i++) {
                    long key = (i * 31L + seed) % 50;
                    KeyTable.Entry e = t.acquire(key, now, true, threads);
                    if (e == null) {
                        refused.incrementAndGet();
                    } else {
                        t.release(e, true, now);
                    }
                }
            }));
        }
        for (Thread w : workers) {
            w.join(60_000);
        }
        assertThat(refused).as("at most one slot per thread is held at once: never over the limit").hasValue(0);
        assertThat(t.sweep(now + EXPIRE + 1)).as("every slot came back, so every key could expire").isZero();
    }

    @Test
    void aReloadWithTheSameLimitKeepsTheKeysAndAChangedOneStartsAfresh() {
        dev.ferry.config.RateLimitConfig config = new dev.ferry.config.RateLimitConfig(
                new dev.ferry.config.HashKey(dev.ferry.config.HashKey.Kind.SOURCE_IP, ""), 32, 128, 1, 1, 0, 1, 0, 0,
                429, 100, java.time.Duration.ofMinutes(1));
        RuleStats stats = new AdmissionStats().rule("routes[0]");
        RateLimiter first = RateLimiter.of(config, stats, null);
        assertThat(RateLimiter.of(config, stats, first).table()).isSameAs(first.table());
        dev.ferry.config.RateLimitConfig faster = new dev.ferry.config.RateLimitConfig(config.key(), 32, 128, 5, 5, 0,
                1, 0, 0, 429, 100, java.time.Duration.ofMinutes(1));
        assertThat(RateLimiter.of(faster, stats, first).table()).isNotSameAs(first.table());
    }

    @Test
    void slowRatesAndHugeBurstsDoNotOverflow() {
        TokenBucket b = TokenBucket.of(0.001, Integer.MAX_VALUE);
        assertThat(b.toleranceNanos()).isPositive();
        KeyTable t = new KeyTable(10, EXPIRE, b, TokenBucket.NONE);
        for (int i = 0; i < 1000; i++) {
            assertThat(t.takeRequest(1, now)).isZero();
        }
        KeyTable slow = new KeyTable(10, EXPIRE, TokenBucket.of(0.001, 1), TokenBucket.NONE);
        assertThat(slow.takeRequest(1, now)).isZero();
        assertThat(slow.takeRequest(1, now)).isEqualTo(1000 * S);
    }
}
