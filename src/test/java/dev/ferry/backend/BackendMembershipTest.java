package dev.ferry.backend;

import dev.ferry.config.BackendConfig;
import dev.ferry.config.BackendTimeouts;
import dev.ferry.config.HostPort;
import dev.ferry.config.SchedulerConfig;
import dev.ferry.config.ServerConfig;
import dev.ferry.schedule.PickContext;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Servers added and removed at run time: new ones take connections at once, removed ones drain, then leave. */
class BackendMembershipTest {
    private static final InetSocketAddress B = new InetSocketAddress("127.0.0.2", 80);

    private static Backend backend() {
        return new Backend(new BackendConfig("pool", SchedulerConfig.of("rr"), BackendConfig.DEFAULT_HASH_KEY,
                List.of(new ServerConfig("a", new HostPort("127.0.0.1", 80), 1, 0, Optional.empty())),
                Optional.empty(), Optional.empty(), Duration.ZERO, Optional.empty(), 0, BackendTimeouts.DEFAULTS,
                Optional.empty()));
    }

    private static List<String> members(Backend backend) {
        return backend.snapshot().servers().stream().map(Server::name).toList();
    }

    @Test
    void anAddedServerIsPickedAtOnce() {
        Backend backend = backend();
        Server b = backend.addServer("b", B, 2, 0, Optional.empty());
        assertThat(members(backend)).containsExactly("a", "b");
        assertThat(b.weight()).isEqualTo(2);
        assertThat(List.of(backend.pick(PickContext.EMPTY), backend.pick(PickContext.EMPTY))).contains(b);
        assertThatThrownBy(() -> backend.addServer("b", B, 1, 0, Optional.empty()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("already has a server named 'b'");
    }

    @Test
    void aRemovedServerWithoutConnectionsLeavesAtOnce() {
        Backend backend = backend();
        Server b = backend.addServer("b", B, 1, 0, Optional.empty());
        backend.removeServer(b);
        assertThat(backend.servers()).extracting(Server::name).containsExactly("a");
        assertThat(members(backend)).containsExactly("a");
    }

    @Test
    void aRemovedServerDrainsItsConnectionsThenLeaves() {
        Backend backend = backend();
        Server b = backend.addServer("b", B, 1, 0, Optional.empty());
        ConnectionLease lease = b.open();
        backend.removeServer(b);
        assertThat(b.retired()).isTrue();
        assertThat(b.state()).isEqualTo(ServerState.DRAIN);
        assertThat(b.weight()).as("no new connections").isZero();
        assertThat(backend.servers()).extracting(Server::name).containsExactly("a", "b");
        for (int i = 0; i < 4; i++) {
            assertThat(backend.pick(PickContext.EMPTY)).isNotSameAs(b);
        }
        lease.close();
        assertThat(backend.servers()).extracting(Server::name).containsExactly("a");
    }

    @Test
    void addingADrainingServerAgainRevivesIt() {
        Backend backend = backend();
        Server b = backend.addServer("b", B, 1, 0, Optional.empty());
        ConnectionLease lease = b.open();
        backend.removeServer(b);
        Server again = backend.addServer("b", B, 4, 0, Optional.empty());
        assertThat(again).isSameAs(b);
        assertThat(b.retired()).isFalse();
        assertThat(b.state()).isEqualTo(ServerState.READY);
        assertThat(b.weight()).isEqualTo(4);
        lease.close();
        assertThat(backend.servers()).extracting(Server::name).containsExactly("a", "b");
    }
}
