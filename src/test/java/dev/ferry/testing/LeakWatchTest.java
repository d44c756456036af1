package dev.ferry.testing;

import io.netty.buffer.ByteBufAllocator;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.awaitility.Awaitility.await;

/** The leak watch itself: a ByteBuf dropped without release is reported, so the test that dropped it fails. */
class LeakWatchTest {

    @Test
    void aBufferThatIsNeverReleasedIsReported() {
        LeakWatch watch = new LeakWatch();
        watch.beforeEach(null);
        try {
            leakOne();
            // Netty reports a leak when a later allocation finds the collected buffer: a few GC rounds may be needed.
            await().atMost(Duration.ofSeconds(20)).until(() -> !watch.collect().isEmpty());
        } finally {
            watch.detach();
        }
    }

    private static void leakOne() {
        ByteBufAllocator.DEFAULT.directBuffer(64).writeLong(42);
    }
}
