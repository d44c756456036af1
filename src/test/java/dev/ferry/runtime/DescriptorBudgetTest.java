package dev.ferry.runtime;

import dev.ferry.testing.Configs;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** max_connections against RLIMIT_NOFILE, as checked at start (issue 15, item 15). */
class DescriptorBudgetTest {
    @Test
    void theDefaultTenThousandConnectionsDoNotFitTwentyThousandDescriptorsAndStartSaysSo() {
        DescriptorBudget budget = DescriptorBudget.of(Configs.tcp("rr").server("a", "127.0.0.1:1", 1)
                .frontendMaxConnections(10_000).build(), 20_000);
        assertThat(budget.needed()).isEqualTo(20_000 + DescriptorBudget.RESERVE);
        assertThat(budget.enough()).isFalse();
        assertThat(budget.connectionsTheLimitHolds()).isEqualTo(9_872);
        assertThat(budget.describe()).startsWith("file descriptors: limit 20,000 (RLIMIT_NOFILE), max_connections "
                + "may need 20,256").contains("NOT ENOUGH").contains("ulimit -n");
    }

    @Test
    void aLimitThatHoldsEveryConnectionIsJustReported() {
        DescriptorBudget budget = DescriptorBudget.of(Configs.tcp("rr").server("a", "127.0.0.1:1", 1)
                .frontendMaxConnections(1_000).build(), 65_536);
        assertThat(budget.enough()).isTrue();
        assertThat(budget.describe()).doesNotContain("NOT ENOUGH");
    }

    @Test
    void thisProcessHasALimitOnLinux() {
        assertThat(DescriptorBudget.processLimit()).isPresent();
    }
}
