package dev.ferry.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real UDP server on 127.0.0.1 (port 0) for integration tests: answers every datagram with one datagram, either
 * the same bytes ({@link #echo}) or its name, a colon and the bytes ({@link #naming}), so a test sees which server
 * a datagram reached.
 */
public final class UdpTestServer implements AutoCloseable {
    private final String name;
    private final boolean prefixName;
    private final DatagramSocket socket;
    private final ExecutorService thread = Executors.newVirtualThreadPerTaskExecutor();
    private final AtomicInteger received = new AtomicInteger();
    private final Set<SocketAddress> peers = ConcurrentHashMap.newKeySet();

    private UdpTestServer(String name, boolean prefixName) throws IOException {
        this.name = name;
        this.prefixName = prefixName;
        this.socket = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        thread.submit(this::serve);
    }

    /** Answers each datagram with the same bytes. */
    public static UdpTestServer echo(String name) {
        return start(name, false);
    }

    /** Answers each datagram with {@code name:} followed by its bytes. */
    public static UdpTestServer naming(String name) {
        return start(name, true);
    }

    private static UdpTestServer start(String name, boolean prefixName) {
        try {
            return new UdpTestServer(name, prefixName);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void serve() {
        byte[] buffer = new byte[65_535];
        byte[] prefix = (name + ":").getBytes(StandardCharsets.UTF_8);
        while (!socket.isClosed()) {
            try {
                DatagramPacket in = new DatagramPacket(buffer, buffer.length);
                socket.receive(in);
                received.incrementAndGet();
                peers.add(in.getSocketAddress());
                byte[] reply = prefixName ? concat(prefix, Arrays.copyOf(in.getData(), in.getLength()))
                        : Arrays.copyOf(in.getData(), in.getLength());
                socket.send(new DatagramPacket(reply, reply.length, in.getSocketAddress()));
            } catch (IOException e) {
                return;
            }
        }
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    public String name() {
        return name;
    }

    public int port() {
        return socket.getLocalPort();
    }

    public String address() {
        return "127.0.0.1:" + port();
    }

    /** Datagrams received so far. */
    public int received() {
        return received.get();
    }

    /** The distinct source addresses datagrams came from (Ferry's session sockets). */
    public Set<SocketAddress> peers() {
        return Set.copyOf(peers);
    }

    @Override
    public void close() {
        socket.close();
        thread.shutdownNow();
    }
}
