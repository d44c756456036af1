package dev.ferry.testing;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.slf4j.LoggerFactory;

import java.lang.ref.Reference;
import java.lang.ref.ReferenceQueue;
import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Fails the test in which Netty's leak detector (PARANOID for the whole suite, set in the pom's surefire argLine)
 * reports a resource, such as a ByteBuf, that was never released. Registered for every test class through JUnit's
 * automatic extension registration ({@code META-INF/services/org.junit.jupiter.api.extension.Extension}, enabled in
 * {@code junit-platform.properties}): no class needs to ask for it.
 *
 * <p>Netty reports a leak only when a later allocation finds a collected, unreleased buffer, so after each test
 * (after its {@code @AfterEach} methods closed what it started) the watch collects garbage and allocates a few
 * buffers to make any pending report come out, and fails the test with the reports that arrived while it ran. A
 * report can still come out later (a buffer held by a thread the test left running, or dropped in an
 * {@code @AfterAll}): one that arrives between two tests fails the next test of the class, one that arrives during
 * {@code @AfterAll} fails the class, one that arrives between two classes fails the next class; each such failure
 * names the test that ended before the report, and every failure lists the test methods found in the report's
 * creation and access records (the stack traces Netty keeps at PARANOID), which usually name the culprit.
 *
 * <p>A test that leaks on purpose carries {@link LeaksOnPurpose}: it is not failed and the report is not printed.
 *
 * <p>Threading: the suite runs its tests one at a time (no parallel execution configured); the reports are
 * appended by whatever thread allocates, into a synchronized list.
 */
public final class LeakWatch implements BeforeAllCallback, BeforeEachCallback, AfterEachCallback, AfterAllCallback {
    private static final String DETECTOR = "io.netty.util.ResourceLeakDetector";
    /** Netty's wording of a leak report (ResourceLeakDetector.reportTracedLeak / reportUntracedLeak). */
    private static final String LEAK = "release() was not called before it's garbage-collected";
    /** Rounds of GC and allocation after each test: the collected buffer's reference is queued by another thread. */
    private static final int ROUNDS_AFTER_TEST = 2;
    private static final int ROUNDS_AFTER_CLASS = 5;
    /** A frame of a test class in a report ("at dev.ferry.proxy.http.HttpFramingTest.someTest(...)"). */
    private static final Pattern TEST_FRAME = Pattern.compile("(dev\\.ferry\\.[\\w.$]*Test)\\.([\\w$]+)\\(");
    /** A frame of Ferry's in a record ("\tdev.ferry.proxy.http.UpstreamConnection.reset(UpstreamConnection.java:139)"). */
    private static final Pattern FERRY_FRAME =
            Pattern.compile("(?m)^\\s*(?:at )?(dev\\.ferry\\.(?!testing\\.)[\\w.$]+\\([\\w.]+:\\d+\\))");
    /** How many of the Ferry frames in a report a failure lists. */
    private static final int FERRY_FRAMES_SHOWN = 4;

    private static final ListAppender<ILoggingEvent> APPENDER = attach();
    /** Index in the appender's list of the first report not yet attributed to a test. */
    private static int claimed;
    /** Index of the first report of the test running now. */
    private static int testStart;
    /** The last test or class that ended, for reports that arrive after it. */
    private static String lastEnded = "(none: the first test class)";
    private static boolean quietTest;

    private static ListAppender<ILoggingEvent> attach() {
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.setName("leak-watch");
        appender.start();
        ((Logger) LoggerFactory.getLogger(DETECTOR)).addAppender(appender);
        return appender;
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        Logger detector = (Logger) LoggerFactory.getLogger(DETECTOR);
        if (detector.getAppender(APPENDER.getName()) == null) {
            // Something reconfigured logging (a LoggerContext reset detaches every appender): listen again.
            detector.addAppender(APPENDER);
        }
        List<String> late = take();
        failIfAny(late, "reported between test classes, after " + lastEnded + " ended");
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        List<String> late = take();
        quietTest = context.getRequiredTestMethod().isAnnotationPresent(LeaksOnPurpose.class);
        if (quietTest) {
            ((Logger) LoggerFactory.getLogger(DETECTOR)).setAdditive(false);
        }
        testStart = claimed;
        failIfAny(late, "reported before this test began, after " + lastEnded + " ended");
    }

    @Override
    public void afterEach(ExtensionContext context) {
        try {
            flush(ROUNDS_AFTER_TEST);
            List<String> reports = take();
            if (!quietTest) {
                failIfAny(reports, "reported while this test ran");
            }
        } finally {
            if (quietTest) {
                flush(ROUNDS_AFTER_TEST);
                take();
                ((Logger) LoggerFactory.getLogger(DETECTOR)).setAdditive(true);
                quietTest = false;
            }
            lastEnded = context.getDisplayName() + " of " + context.getRequiredTestClass().getName();
        }
    }

    @Override
    public void afterAll(ExtensionContext context) {
        flush(ROUNDS_AFTER_CLASS);
        List<String> reports = take();
        lastEnded = context.getRequiredTestClass().getName();
        failIfAny(reports, "reported after the last test of " + lastEnded + " (in @AfterAll or a thread it left)");
    }

    /**
     * The leak reports that came out since the running test began, after collecting garbage so pending ones come
     * out: for a {@link LeaksOnPurpose} test that checks the watch sees its leak.
     */
    public static List<String> reportsOfThisTest() {
        flush(ROUNDS_AFTER_TEST);
        synchronized (APPENDER.list) {
            return leaks(APPENDER.list.subList(Math.min(testStart, APPENDER.list.size()), APPENDER.list.size()));
        }
    }

    /**
     * Collects garbage and allocates, so that Netty reports the buffers collected unreleased. A collected buffer's
     * reference is queued by the JVM's reference handler thread after the collection, which on a loaded machine may
     * run after the next allocation: each round waits until a reference of its own, cleared by the same collection,
     * was queued, so that every round after the first sees all that the previous one collected.
     */
    private static void flush(int rounds) {
        ReferenceQueue<Object> queue = new ReferenceQueue<>();
        for (int i = 0; i < rounds; i++) {
            WeakReference<Object> sentinel = new WeakReference<>(new Object(), queue);
            System.gc();
            try {
                queue.remove(2_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            ByteBuf probe = ByteBufAllocator.DEFAULT.directBuffer(16);
            probe.release();
            ByteBuf heap = ByteBufAllocator.DEFAULT.heapBuffer(16);
            heap.release();
            Reference.reachabilityFence(sentinel);
        }
    }

    /** The leak reports not yet attributed, now attributed to the caller. */
    private static List<String> take() {
        synchronized (APPENDER.list) {
            int size = APPENDER.list.size();
            List<String> reports = leaks(APPENDER.list.subList(Math.min(claimed, size), size));
            claimed = size;
            return reports;
        }
    }

    private static List<String> leaks(List<ILoggingEvent> events) {
        List<String> out = new ArrayList<>();
        for (ILoggingEvent e : events) {
            String m = e.getFormattedMessage();
            if (m != null && m.contains(LEAK)) {
                out.add(m);
            }
        }
        return out;
    }

    private static void failIfAny(List<String> reports, String when) {
        if (reports.isEmpty()) {
            return;
        }
        StringBuilder m = new StringBuilder().append(reports.size())
                .append(reports.size() == 1 ? " leak " : " leaks ").append(when).append(" (Netty's full report above)");
        for (String r : reports) {
            m.append("\n- ").append(r.lines().findFirst().orElse(r));
            Set<String> tests = new LinkedHashSet<>();
            Matcher t = TEST_FRAME.matcher(r);
            while (t.find()) {
                tests.add(t.group(1) + "." + t.group(2));
            }
            m.append("\n  test methods in its records: ").append(tests.isEmpty() ? "none" : String.join(", ", tests));
            Set<String> frames = new LinkedHashSet<>();
            Matcher f = FERRY_FRAME.matcher(r);
            while (f.find() && frames.size() < FERRY_FRAMES_SHOWN) {
                frames.add(f.group(1));
            }
            m.append("\n  first Ferry frames in its records: ").append(frames.isEmpty() ? "none" : String.join(", ", frames));
        }
        throw new AssertionError(m.toString());
    }
}
