package dev.ferry.director.lab;

import dev.ferry.director.device.IoUringTunDevice;
import dev.ferry.director.device.PacketBatch;
import dev.ferry.director.device.TunDevice;
import dev.ferry.testing.Requirements;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link IoUringTunDevice} on a real TUN device in a network namespace of its own: datagrams a socket sends into the
 * device come out of one receive as a batch, are written back from the buffers they were read into (addresses and
 * ports swapped, which keeps both checksums valid) and reach the socket; a wakeup from another thread ends a long
 * wait at once. Needs root (a namespace and a TUN device); in CI a run without root fails.
 */
class IoUringTunDeviceLabTest {
    private static final String DEVICE = "fu0";
    private static final String LOCAL = "10.77.0.1";
    private static final String PEER = "10.77.0.2";

    private String ns;
    private IoUringTunDevice device;

    @BeforeEach
    void namespace() throws Exception {
        Requirements.requireRoot();
        Requirements.requireCommand("ip", "apt-get install iproute2");
        Requirements.require(Files.exists(Path.of("/dev/net/tun")), "/dev/net/tun (the tun module)");
        ns = "fu" + Long.toHexString(System.nanoTime() & 0xffffffL);
        assertThat(NetnsLab.run(30, "ip", "netns", "add", ns).exit()).isZero();
        assertThat(NetnsLab.run(30, "ip", "-n", ns, "link", "set", "lo", "up").exit()).isZero();
    }

    @AfterEach
    void remove() throws Exception {
        if (device != null) {
            device.close();
        }
        if (ns != null) {
            NetnsLab.run(30, "ip", "netns", "del", ns);
        }
    }

    private IoUringTunDevice open() throws Exception {
        TunDevice tun = Netns.call(ns, () -> TunDevice.open(DEVICE, false));
        try {
            device = IoUringTunDevice.over(tun);
        } catch (java.io.IOException e) {
            tun.close();
            Requirements.require(false, "io_uring (" + e.getMessage() + ")");
        }
        NetnsLab.Result r = NetnsLab.run(30, "ip", "-n", ns, "addr", "add", LOCAL + "/24", "dev", DEVICE);
        assertThat(r.exit()).as(r.output()).isZero();
        return device;
    }

    @Test
    void datagramsComeOutAsABatchAndGoBackFromTheirOwnBuffers() throws Exception {
        IoUringTunDevice dev = open();
        DatagramSocket socket = Netns.call(ns, () -> new DatagramSocket(new InetSocketAddress(LOCAL, 0)));
        try (socket; Arena arena = Arena.ofConfined()) {
            socket.setSoTimeout(10_000);
            int count = 20;
            for (int i = 0; i < count; i++) {
                byte[] text = ("datagram " + i).getBytes(StandardCharsets.US_ASCII);
                socket.send(new DatagramPacket(text, text.length, new InetSocketAddress(PEER, 9)));
            }
            PacketBatch batch = new PacketBatch(arena, IoUringTunDevice.ARMED_READS);
            int received = 0;
            int largest = 0;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (received < count && System.nanoTime() < deadline) {
                int n = dev.receive(batch, 1_000);
                largest = Math.max(largest, n);
                for (int i = 0; i < n; i++) {
                    MemorySegment p = batch.packet(i);
                    if ((p.get(JAVA_BYTE, 0) & 0xf0) != 0x40 || p.get(JAVA_BYTE, 9) != 17) {
                        continue; // not our UDP (the kernel may send others into a new device)
                    }
                    received++;
                    swap(p, 12, 16, 4); // addresses: both checksums stay valid
                    swap(p, 20, 22, 2); // ports
                    dev.send(p, batch.length(i));
                }
            }
            dev.receive(batch, 0); // submits the last writes

            assertThat(received).isEqualTo(count);
            assertThat(largest).as("the most packets one receive returned").isGreaterThan(1);
            Set<String> echoed = new HashSet<>();
            for (int i = 0; i < count; i++) {
                DatagramPacket in = new DatagramPacket(new byte[100], 100);
                socket.receive(in);
                assertThat(in.getSocketAddress()).isEqualTo(new InetSocketAddress(PEER, 9));
                echoed.add(new String(in.getData(), 0, in.getLength(), StandardCharsets.US_ASCII));
            }
            assertThat(echoed).hasSize(count).contains("datagram 0", "datagram 19");
        }
    }

    @Test
    void aWakeupFromAnotherThreadEndsALongWaitAtOnce() throws Exception {
        IoUringTunDevice dev = open();
        try (Arena arena = Arena.ofConfined()) {
            PacketBatch batch = new PacketBatch(arena, IoUringTunDevice.ARMED_READS);
            dev.receive(batch, 0); // arms the reads and the wakeup's read
            CompletableFuture<Void> waker = CompletableFuture.runAsync(() -> {
                try {
                    TimeUnit.MILLISECONDS.sleep(200); // lets the receive below start waiting; the test needs no order
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                dev.wakeup();
            });
            long t0 = System.nanoTime();
            int n;
            do {
                n = dev.receive(batch, 60_000); // a packet the kernel sends into the new device may come first
            } while (n > 0 && System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(30));

            assertThat(n).isZero();
            assertThat(System.nanoTime() - t0).isLessThan(TimeUnit.SECONDS.toNanos(30));
            waker.get(10, TimeUnit.SECONDS);
        }
    }

    private static void swap(MemorySegment p, long a, long b, int length) {
        for (int i = 0; i < length; i++) {
            byte x = p.get(JAVA_BYTE, a + i);
            p.set(JAVA_BYTE, a + i, p.get(JAVA_BYTE, b + i));
            p.set(JAVA_BYTE, b + i, x);
        }
    }
}
