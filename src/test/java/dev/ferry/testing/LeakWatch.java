package dev.ferry.testing;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.slf4j.LoggerFactory;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fails a test when Netty's leak detector (PARANOID in the build) reports a ByteBuf that was never released. Netty
 * reports leaks through its logger when a later allocation finds a collected, unreleased buffer, so after each test
 * this collects garbage and allocates a few buffers to make any pending report come out.
 */
public final class LeakWatch implements BeforeEachCallback, AfterEachCallback {
    private static final String DETECTOR = "io.netty.util.ResourceLeakDetector";
    private final boolean quiet;
    private ListAppender<ILoggingEvent> appender;
    private boolean wasAdditive;

    /** Watches as an extension ({@code @ExtendWith(LeakWatch.class)}): reports also reach the console. */
    public LeakWatch() {
        this(false);
    }

    private LeakWatch(boolean quiet) {
        this.quiet = quiet;
    }

    /**
     * A watch whose reports go to it only, not to the console, for a test that leaks on purpose: Netty's report
     * carries the buffer's access records (about 160 lines) that would otherwise land in the build's output.
     */
    static LeakWatch quiet() {
        return new LeakWatch(true);
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        appender = new ListAppender<>();
        appender.start();
        Logger detector = (Logger) LoggerFactory.getLogger(DETECTOR);
        detector.addAppender(appender);
        wasAdditive = detector.isAdditive();
        if (quiet) {
            detector.setAdditive(false);
        }
    }

    @Override
    public void afterEach(ExtensionContext context) {
        try {
            assertThat(collect()).as("ByteBufs never released").isEmpty();
        } finally {
            detach();
        }
    }

    /** Collects garbage and allocates, so pending leak reports come out; returns every leak reported so far. */
    List<String> collect() {
        for (int i = 0; i < 5; i++) {
            System.gc();
            ByteBuf probe = ByteBufAllocator.DEFAULT.directBuffer(16);
            probe.release();
        }
        return appender.list.stream().map(ILoggingEvent::getFormattedMessage).filter(m -> m.contains("LEAK")).toList();
    }

    /** Stops listening without checking (for a test of the watch itself). */
    void detach() {
        Logger detector = (Logger) LoggerFactory.getLogger(DETECTOR);
        detector.detachAppender(appender);
        detector.setAdditive(wasAdditive);
    }
}
