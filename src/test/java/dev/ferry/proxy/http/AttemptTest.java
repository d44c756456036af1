package dev.ferry.proxy.http;

import dev.ferry.backend.Backend;
import dev.ferry.backend.Server;
import dev.ferry.config.ConfigLoader;
import dev.ferry.config.FerryConfig;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The attempt's decisions and its outcome records, without a network: after a server closed before responding,
 * resend on a fresh connection (nobody's failure), retry elsewhere or give up; at most one failure per attempt.
 * (HttpAttemptOutcomeTest checks the same outcomes through real servers.)
 */
class AttemptTest {
    private static Server server() throws Exception {
        FerryConfig config = ConfigLoader.parse("""
                frontends:
                  - { name: web, listen: 127.0.0.1:0, mode: http, backend: pool }
                backends:
                  - { name: pool, servers: [ { name: a, address: 127.0.0.1:9 } ] }
                """, Path.of("attempt.yaml"));
        return new Backend(config.backends().getFirst()).servers().getFirst();
    }

    @Test
    void aPooledConnectionThatDiedUnderAReplayableRequestIsResentAndNobodysFailure() throws Exception {
        Server s = server();
        Attempt a = new Attempt(null, s);
        assertThat(a.closedBeforeResponse(3, true, false, true)).isEqualTo(Attempt.AfterEarlyClose.RESEND_FRESH);
        assertThat(s.failures()).isZero();
    }

    @Test
    void otherwiseTheServerFailedAndAnotherIsTriedWhileTheRequestCanGoAgain() throws Exception {
        Server s = server();
        // A fresh connection (no reuse), a request already resent once, a request that cannot be replayed.
        assertThat(new Attempt(null, s).closedBeforeResponse(0, true, false, true))
                .isEqualTo(Attempt.AfterEarlyClose.RETRY_ELSEWHERE);
        assertThat(new Attempt(null, s).closedBeforeResponse(2, true, true, true))
                .isEqualTo(Attempt.AfterEarlyClose.RETRY_ELSEWHERE);
        assertThat(new Attempt(null, s).closedBeforeResponse(2, false, false, true))
                .isEqualTo(Attempt.AfterEarlyClose.GIVE_UP);
        assertThat(new Attempt(null, s).closedBeforeResponse(0, true, false, false))
                .isEqualTo(Attempt.AfterEarlyClose.GIVE_UP);
        assertThat(s.failures()).isEqualTo(4);
    }

    @Test
    void anAttemptRecordsOneFailureHoweverManySignsOfItArrive() throws Exception {
        Server s = server();
        Attempt a = new Attempt(null, s);
        a.responded(503, 1_000);
        a.failed();
        a.closedBeforeResponse(0, false, false, false);
        assertThat(s.failures()).isEqualTo(1);

        Attempt ok = new Attempt(null, s);
        ok.responded(200, 1_000);
        ok.failed();
        assertThat(s.failures()).as("a success then a broken body: both happened").isEqualTo(2);
    }
}
