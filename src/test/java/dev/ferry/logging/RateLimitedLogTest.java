package dev.ferry.logging;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/** One line per interval, the rest counted and reported with the next line (an injected clock, no sleeps). */
class RateLimitedLogTest {
    private final Logger logger = (Logger) LoggerFactory.getLogger("rate-limited-test");
    private final ListAppender<ILoggingEvent> lines = new ListAppender<>();
    private final AtomicLong now = new AtomicLong(1_000);

    @BeforeEach
    void capture() {
        lines.start();
        logger.addAppender(lines);
    }

    @AfterEach
    void release() {
        logger.detachAppender(lines);
    }

    @Test
    void repeatedLinesWithinAnIntervalAreHeldBackAndCountedInTheNextLine() {
        RateLimitedLog log = new RateLimitedLog(logger, Duration.ofSeconds(10), now::get);
        assertThat(log.warn("reset client {}: {}", "a", "too many open files")).isTrue();
        for (int i = 0; i < 18_000; i++) {
            now.addAndGet(100_000); // 18,000 lines over 1.8 s
            assertThat(log.warn("reset client {}: {}", "b" + i, "too many open files")).isFalse();
        }
        assertThat(lines.list).hasSize(1);
        assertThat(log.heldBack()).isEqualTo(18_000);

        now.addAndGet(Duration.ofSeconds(10).toNanos());
        assertThat(log.warn("reset client {}: {}", "c", "too many open files")).isTrue();
        assertThat(lines.list).extracting(ILoggingEvent::getFormattedMessage).containsExactly(
                "reset client a: too many open files",
                "reset client c: too many open files (and 18,000 more like it in the last 10s)");
        assertThat(log.heldBack()).isZero();

        now.addAndGet(Duration.ofSeconds(10).toNanos());
        log.warn("reset client {}: {}", "d", "no server available");
        assertThat(lines.list.get(2).getFormattedMessage()).isEqualTo("reset client d: no server available");
    }
}
