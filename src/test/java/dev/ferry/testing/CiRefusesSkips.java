package dev.ferry.testing;

import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.LifecycleMethodExecutionExceptionHandler;
import org.junit.jupiter.api.extension.TestExecutionExceptionHandler;
import org.opentest4j.AssertionFailedError;
import org.opentest4j.TestAbortedException;

/**
 * With {@code CI=true}, a test that would be skipped through an assumption ({@code Assumptions.assumeTrue}, in the
 * test or in a {@code @BeforeEach}/{@code @BeforeAll}) fails instead, saying why it would have been skipped; on a
 * developer's machine it still skips with its reason. {@link Requirements} already fails in CI; this closes the hole
 * for a test that calls JUnit's assumptions directly. Registered for every test class (see
 * {@code junit-platform.properties}). A {@code @Disabled} test is never run, so no extension sees it: {@code .ci/run}
 * fails the run on any skipped test in the surefire reports ({@code scripts/no-skipped-tests}).
 *
 * <p>Threading: stateless.
 */
public final class CiRefusesSkips implements TestExecutionExceptionHandler, LifecycleMethodExecutionExceptionHandler {

    @Override
    public void handleTestExecutionException(ExtensionContext context, Throwable throwable) throws Throwable {
        throw refused(throwable);
    }

    @Override
    public void handleBeforeAllMethodExecutionException(ExtensionContext context, Throwable throwable)
            throws Throwable {
        throw refused(throwable);
    }

    @Override
    public void handleBeforeEachMethodExecutionException(ExtensionContext context, Throwable throwable)
            throws Throwable {
        throw refused(throwable);
    }

    /** The failure that replaces a skip in CI, or {@code throwable} itself. */
    static Throwable refused(Throwable throwable) {
        return refused(throwable, Requirements.inCi());
    }

    static Throwable refused(Throwable throwable, boolean inCi) {
        if (!inCi || !(throwable instanceof TestAbortedException)) {
            return throwable;
        }
        AssertionFailedError e = new AssertionFailedError(
                "CI=true and this test would be skipped: " + throwable.getMessage());
        e.addSuppressed(throwable);
        return e;
    }
}
