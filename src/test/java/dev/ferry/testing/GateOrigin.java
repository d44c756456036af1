package dev.ferry.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An HTTP/1.1 origin on a real socket (keep-alive, requests without a body) that answers {@code <name> <path>}, and
 * holds every request whose path starts with {@code /gate} until the test {@linkplain #pass(int) lets it pass}, one
 * permit per request: with {@code max_connections: 1} in front of it, the order in which held requests
 * {@linkplain #arrivals() arrived} is the order a queue sent them. It can listen on a given port, so a test can stop a
 * server and bring it back where it was.
 *
 * <p>Threading: each connection on a virtual thread of its {@link TestServer}; the methods from any thread.
 */
public final class GateOrigin implements AutoCloseable {
    private final String name;
    private final Semaphore gate = new Semaphore(0);
    private final AtomicInteger held = new AtomicInteger();
    private final AtomicInteger served = new AtomicInteger();
    private final List<String> arrivals = new CopyOnWriteArrayList<>();
    private final TestServer server;

    private GateOrigin(String name, int port) {
        this.name = name;
        this.server = TestServer.startOn(port, name, socket -> {
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(),
                    StandardCharsets.ISO_8859_1));
            OutputStream out = socket.getOutputStream();
            String path = null;
            for (String line; (line = in.readLine()) != null; ) {
                if (path == null) {
                    String[] parts = line.split(" ");
                    path = parts.length > 1 ? parts[1] : "/";
                }
                if (line.isEmpty()) {
                    if (path.startsWith("/gate")) {
                        arrivals.add(path);
                        hold();
                    }
                    byte[] body = (name + " " + path).getBytes(StandardCharsets.UTF_8);
                    out.write(("HTTP/1.1 200 OK\r\nContent-Length: " + body.length + "\r\n\r\n")
                            .getBytes(StandardCharsets.US_ASCII));
                    out.write(body);
                    out.flush();
                    served.incrementAndGet();
                    path = null;
                }
            }
        });
    }

    public static GateOrigin start(String name) {
        return new GateOrigin(name, 0);
    }

    /** Listens on {@code port} (e.g. where a stopped origin listened). */
    public static GateOrigin startOn(String name, int port) {
        return new GateOrigin(name, port);
    }

    private void hold() throws IOException {
        held.incrementAndGet();
        try {
            if (!gate.tryAcquire(60, TimeUnit.SECONDS)) {
                throw new IOException("held for 60 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        } finally {
            held.decrementAndGet();
        }
    }

    public String name() {
        return name;
    }

    public String address() {
        return server.address();
    }

    public int port() {
        return Integer.parseInt(address().substring(address().lastIndexOf(':') + 1));
    }

    /** Lets {@code n} more held (or future) {@code /gate} requests be answered. */
    public void pass(int n) {
        gate.release(n);
    }

    /** {@code /gate} requests held now. */
    public int held() {
        return held.get();
    }

    /** Responses written. */
    public int served() {
        return served.get();
    }

    /** The paths of the {@code /gate} requests in the order they arrived. */
    public List<String> arrivals() {
        return List.copyOf(arrivals);
    }

    @Override
    public void close() {
        gate.release(10_000);
        server.close();
    }
}
