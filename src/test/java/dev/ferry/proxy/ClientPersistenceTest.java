package dev.ferry.proxy;

import dev.ferry.backend.Backend;
import dev.ferry.backend.Server;
import dev.ferry.backend.ServerState;
import dev.ferry.config.ConfigLoader;
import dev.ferry.config.PersistenceConfig;
import dev.ferry.testing.ManualClock;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Layer-4 persistence templates (issue 20 item 3) on a hand-moved clock: grouping by netmask (IPv4 and IPv6), a
 * template lives while it has connections and {@code timeout} after the last, each new connection refreshes it, a
 * server that left the pool (down, maintenance, removed) drops it, a drained one keeps it.
 */
class ClientPersistenceTest {
    private final ManualClock clock = new ManualClock();
    private final AtomicInteger schedules = new AtomicInteger();
    private Backend backend;

    private ClientPersistence persistence(int netmask, int netmask6) throws Exception {
        backend = new Backend(ConfigLoader.parse("""
                frontends: [ { name: f, listen: 127.0.0.1:0, backend: app } ]
                backends:
                  - { name: app, scheduler: rr, servers: [ { name: a, address: 127.0.0.1:1 },
                      { name: b, address: 127.0.0.1:2 } ] }
                """, Path.of("p.yaml")).backends().getFirst(), clock);
        return new ClientPersistence(new PersistenceConfig(Duration.ofSeconds(300), netmask, netmask6), clock);
    }

    private ClientPersistence.Hold connect(ClientPersistence p, String address) throws Exception {
        return p.acquire(new InetSocketAddress(InetAddress.getByName(address), 40000), backend, () -> {
            schedules.incrementAndGet();
            return backend.pick(dev.ferry.schedule.PickContext.EMPTY);
        });
    }

    @Test
    void clientsOfOneMaskedGroupShareATemplateOthersDoNot() throws Exception {
        ClientPersistence p = persistence(24, 64);
        Server first = connect(p, "10.1.2.3").server();
        assertThat(connect(p, "10.1.2.200").server()).isSameAs(first);
        assertThat(connect(p, "10.1.3.3").server()).as("another /24, rr's next").isNotSameAs(first);
        Server v6 = connect(p, "2001:db8:0:1::5").server();
        assertThat(connect(p, "2001:db8:0:1:ffff::9").server()).isSameAs(v6);
        assertThat(schedules.get()).isEqualTo(3);
        assertThat(p.size()).isEqualTo(3);
        assertThat(p.list(10)).extracting(ClientPersistence.View::group)
                .containsExactlyInAnyOrder("10.1.2.0", "10.1.3.0", "2001:db8:0:1:0:0:0:0");
    }

    @Test
    void aTemplateLivesWhileItHasConnectionsAndTimeoutAfterTheLast() throws Exception {
        ClientPersistence p = persistence(32, 128);
        ClientPersistence.Hold one = connect(p, "10.0.0.1");
        Server s = one.server();
        clock.advance(Duration.ofHours(2));
        assertThat(connect(p, "10.0.0.1").server()).as("held by a live connection").isSameAs(s);
        one.release();
        // Both connections are released now (the second one is released here too).
        connect(p, "10.0.0.1").release();
        p.list(10).forEach(v -> assertThat(v.connections()).isEqualTo(1));
        clock.advance(Duration.ofSeconds(299));
        assertThat(p.expire(clock.millis())).isZero();
        assertThat(schedules.get()).isEqualTo(1);
    }

    @Test
    void anIdleTemplateExpiresAfterItsTimeoutAndANewConnectionRefreshesIt() throws Exception {
        ClientPersistence p = persistence(32, 128);
        connect(p, "10.0.0.1").release();
        clock.advance(Duration.ofSeconds(200));
        connect(p, "10.0.0.1").release(); // refreshes: the timeout counts from this one's end
        clock.advance(Duration.ofSeconds(200));
        assertThat(p.list(10).getFirst().millisLeft()).isEqualTo(100_000);
        connect(p, "10.0.0.1").release();
        assertThat(schedules.get()).isEqualTo(1);
        clock.advance(Duration.ofSeconds(300));
        assertThat(p.expire(clock.millis())).isEqualTo(1);
        assertThat(p.size()).isZero();
        connect(p, "10.0.0.1");
        assertThat(schedules.get()).isEqualTo(2);
    }

    @Test
    void aServerThatLeftThePoolDropsItsTemplatesADrainedOneKeepsThem() throws Exception {
        ClientPersistence p = persistence(32, 128);
        Server s = connect(p, "10.0.0.1").server();
        backend.setState(s, ServerState.DRAIN);
        assertThat(connect(p, "10.0.0.1").server()).as("drain keeps persistent clients").isSameAs(s);
        backend.setState(s, ServerState.MAINT);
        Server moved = connect(p, "10.0.0.1").server();
        assertThat(moved).isNotSameAs(s);
        backend.setState(s, ServerState.READY);
        assertThat(connect(p, "10.0.0.1").server()).as("the new template holds").isSameAs(moved);
        backend.setHealthy(moved, false);
        assertThat(connect(p, "10.0.0.1").server()).isSameAs(s);
        backend.setHealthy(moved, true);
        backend.removeServer(s.name());
        assertThat(connect(p, "10.0.0.1").server()).isSameAs(moved);
    }

    @Test
    void aRetiredHoldMakesTheNextConnectionScheduleAnew() throws Exception {
        ClientPersistence p = persistence(32, 128);
        ClientPersistence.Hold h = connect(p, "10.0.0.1");
        h.retire();
        assertThat(p.size()).isZero();
        connect(p, "10.0.0.1");
        assertThat(schedules.get()).isEqualTo(2);
    }
}
