package dev.ferry.admin;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ferry.director.Director;
import dev.ferry.director.TestPackets;
import dev.ferry.director.device.InMemoryDevice;
import dev.ferry.director.sync.SyncMessage;
import dev.ferry.director.table.TcpState;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A standby director's sync in the admin API and the metrics: a sync datagram sent over loopback UDP (as an active
 * director would) is counted as received and applied, a garbage one as malformed. The director runs over an
 * in-memory device.
 */
@Timeout(60)
class DirectorSyncAdminApiTest {
    @TempDir
    Path dir;
    private AdminHarness harness;

    @AfterEach
    void stop() {
        if (harness != null) {
            harness.close();
        }
    }

    @Test
    void aStandbySaysWhatItReceivedAppliedAndRefused() throws Exception {
        int port;
        try (DatagramSocket probe = new DatagramSocket(0, java.net.InetAddress.getByName("127.0.0.1"))) {
            port = probe.getLocalPort();
        }
        harness = AdminHarness.start(dir, """
                admin: { listen: 127.0.0.1:0 }
                backends:
                  - name: web
                    servers: [ { name: rs1, address: 10.101.0.11:8080 } ]
                directors:
                  - name: lvs2
                    device: test0
                    sync: { role: standby, listen: 127.0.0.1:%d, id: 3 }
                    services: [ { vip: 10.200.0.100:80, backend: web } ]
                """.formatted(port), (config, backends) -> new Director(config, backends,
                new InMemoryDevice(config.device()), () -> System.nanoTime() / 1_000_000));
        InetSocketAddress standby = new InetSocketAddress("127.0.0.1", port);
        try (DatagramChannel ch = DatagramChannel.open()) {
            SyncMessage.Writer w = new SyncMessage.Writer(3);
            w.add(new SyncMessage.Entry(6, TcpState.ESTABLISHED, 0, TestPackets.ip("10.100.0.2"), 40_000,
                    TestPackets.ip("10.200.0.100"), 80, TestPackets.ip("10.101.0.11"), 8080, 900));
            ch.send(w.datagram(), standby);
            ch.send(ByteBuffer.wrap(new byte[]{9, 9, 9}), standby);
        }

        JsonNode sync = await().atMost(Duration.ofSeconds(10)).until(
                () -> AdminApi.JSON.readTree(harness.call("GET", "/api/v1/directors", null).body())
                        .path("directors").path(0).path("sync"),
                n -> n.path("applied").asInt() == 1 && n.path("malformed").asInt() == 1);
        assertThat(sync.path("role").asText()).isEqualTo("standby");
        assertThat(sync.path("listen").asText()).isEqualTo("127.0.0.1:" + port);
        assertThat(sync.path("id").asInt()).isEqualTo(3);
        assertThat(sync.path("received").asInt()).isEqualTo(1);
        assertThat(sync.path("received_datagrams").asInt()).isEqualTo(2);
        assertThat(sync.path("rejected").asInt()).isZero();

        String scrape = harness.call("GET", "/metrics", null).body();
        assertThat(AdminHarness.value(scrape, "ferry_director_sync_total", "director", "lvs2", "direction", "received",
                "result", "applied")).isEqualTo(1.0);
        assertThat(AdminHarness.value(scrape, "ferry_director_sync_datagrams_total", "director", "lvs2",
                "direction", "received", "result", "malformed")).isEqualTo(1.0);
        assertThat(harness.balancer.backends().get("web").server("rs1").orElseThrow().active()).isEqualTo(1);
    }
}
