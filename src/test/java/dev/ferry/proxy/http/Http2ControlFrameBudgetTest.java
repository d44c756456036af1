package dev.ferry.proxy.http;

import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Exception;
import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * The control-frame budget ({@code http.h2.max_control_frames} per {@code control_window}) on a hand-given clock:
 * the budget's frames pass, one more within the window is ENHANCE_YOUR_CALM (classified as {@code control_flood}),
 * and a new window starts the count again, over two windows.
 */
class Http2ControlFrameBudgetTest {
    private static final long WINDOW = TimeUnit.SECONDS.toNanos(10);

    @Test
    void theBudgetPassesAndOneMoreWithinTheWindowIsEnhanceYourCalm() throws Exception {
        Http2ControlFrameBudget budget = new Http2ControlFrameBudget(3, WINDOW);
        long t = 1_000;
        for (int window = 0; window < 2; window++) {
            budget.frame(t);
            budget.frame(t + 1);
            budget.frame(t + WINDOW - 1);
            long at = t + WINDOW - 1;
            Http2Exception e = catchThrowableOfType(Http2Exception.class, () -> budget.frame(at));
            assertThat(e).as("window %d", window).isNotNull();
            assertThat(e.error()).isEqualTo(Http2Error.ENHANCE_YOUR_CALM);
            assertThat(Http2Violation.of(e, false)).isEqualTo(Http2Violation.CONTROL_FLOOD);
            t += 3 * WINDOW;
        }
    }

    @Test
    void aNewWindowStartsTheCountAgain() throws Exception {
        Http2ControlFrameBudget budget = new Http2ControlFrameBudget(2, WINDOW);
        for (int i = 0; i < 10; i++) {
            long start = i * WINDOW;
            budget.frame(start);
            budget.frame(start + WINDOW / 2);
        }
    }
}
