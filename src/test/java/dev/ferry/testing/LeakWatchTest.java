package dev.ferry.testing;

import io.netty.buffer.ByteBufAllocator;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The leak watch itself: a ByteBuf dropped without release must fail the test that dropped it. */
class LeakWatchTest {

    @Test
    void aBufferThatIsNeverReleasedFailsTheTest() {
        LeakWatch watch = new LeakWatch();
        watch.beforeEach(null);
        leakOne();
        assertThatThrownBy(() -> watch.afterEach(null))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("ByteBufs never released");
    }

    @Test
    void releasedBuffersPass() {
        LeakWatch watch = new LeakWatch();
        watch.beforeEach(null);
        ByteBufAllocator.DEFAULT.directBuffer(64).release();
        watch.afterEach(null);
    }

    private static void leakOne() {
        ByteBufAllocator.DEFAULT.directBuffer(64).writeLong(42);
    }
}
