package dev.ferry.testing;

import org.junit.jupiter.api.Test;
import org.opentest4j.AssertionFailedError;
import org.opentest4j.TestAbortedException;

import static org.assertj.core.api.Assertions.assertThat;

/** With CI=true an assumption that fails is a failure, not a skip; elsewhere it stays a skip (issue 22 item 7). */
class CiRefusesSkipsTest {

    @Test
    void inCiAnAbortedTestBecomesAFailureThatSaysWhy() {
        Throwable t = CiRefusesSkips.refused(new TestAbortedException("Assumption failed: needs dig"), true);
        assertThat(t).isInstanceOf(AssertionFailedError.class)
                .hasMessage("CI=true and this test would be skipped: Assumption failed: needs dig");
    }

    @Test
    void onADevelopersMachineTheSkipStays() {
        TestAbortedException skip = new TestAbortedException("needs dig");
        assertThat(CiRefusesSkips.refused(skip, false)).isSameAs(skip);
    }

    @Test
    void otherFailuresPassThroughUnchanged() {
        AssertionError failure = new AssertionError("boom");
        assertThat(CiRefusesSkips.refused(failure, true)).isSameAs(failure);
    }
}
