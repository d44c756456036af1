package dev.ferry.testing;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.netty.buffer.ByteBufAllocator;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The leak watch itself ({@link LeakWatch}, registered for every test): a ByteBuf dropped without release is
 * reported. This test LEAKS ON PURPOSE ({@link LeaksOnPurpose}), so the watch does not fail it, and the deliberate
 * leak's report is captured, not printed (issue 15 item 34(d): it put 160 lines into every build).
 */
class LeakWatchTest {

    @Test
    @LeaksOnPurpose
    void aBufferThatIsNeverReleasedIsReportedAndKeptOffTheConsole() {
        ListAppender<ILoggingEvent> console = new ListAppender<>();
        console.start();
        Logger root = (Logger) LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME);
        root.addAppender(console);
        try {
            leakOne();
            // Netty reports a leak when a later allocation finds the collected buffer: a few GC rounds may be needed.
            await().atMost(Duration.ofSeconds(20)).until(() -> !LeakWatch.reportsOfThisTest().isEmpty());
            assertThat(LeakWatch.reportsOfThisTest()).singleElement().asString().contains("LEAK").contains("leakOne");
        } finally {
            root.detachAppender(console);
        }
        assertThat(console.list).as("what reached the root logger's appenders (the console)")
                .noneMatch(e -> e.getLoggerName().equals("io.netty.util.ResourceLeakDetector"));
    }

    @Test
    void aTestThatReleasesWhatItAllocatesPasses() {
        ByteBufAllocator.DEFAULT.directBuffer(64).writeLong(42).release();
    }

    private static void leakOne() {
        ByteBufAllocator.DEFAULT.directBuffer(64).writeLong(42);
    }
}
