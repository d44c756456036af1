package dev.ferry.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real TCP server on 127.0.0.1 (port 0) for integration tests: each accepted connection runs {@code behaviour} on
 * a virtual thread. Blocking sockets keep the server's behaviour obvious to read.
 */
public final class TestServer implements AutoCloseable {
    /** What the server does with one accepted connection. */
    @FunctionalInterface
    public interface Behaviour {
        void serve(Socket socket) throws IOException;
    }

    private final String name;
    private final ServerSocket listener;
    private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
    private final AtomicInteger accepted = new AtomicInteger();
    private final List<Socket> open = new CopyOnWriteArrayList<>();

    private TestServer(String name, int port, Behaviour behaviour) throws IOException {
        this.name = name;
        this.listener = new ServerSocket();
        listener.setReuseAddress(true);
        listener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 512);
        threads.submit(() -> acceptLoop(behaviour));
    }

    public static TestServer start(String name, Behaviour behaviour) {
        return startOn(0, name, behaviour);
    }

    /** Listens on a given loopback port, e.g. to bring back a server a test stopped. */
    public static TestServer startOn(int port, String name, Behaviour behaviour) {
        try {
            return new TestServer(name, port, behaviour);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@link #naming(String)} on a given port. */
    public static TestServer naming(String name, int port) {
        return startOn(port, name, s -> {
            s.getOutputStream().write(name.getBytes(StandardCharsets.UTF_8));
            s.close();
        });
    }

    /** Writes its name and closes: each connection through Ferry reveals which server was picked. */
    public static TestServer naming(String name) {
        return start(name, s -> {
            s.getOutputStream().write(name.getBytes(StandardCharsets.UTF_8));
            s.close();
        });
    }

    /** Echoes every byte; on the client's FIN, finishes echoing and sends its own FIN. */
    public static TestServer echo(String name) {
        return start(name, s -> {
            InputStream in = s.getInputStream();
            OutputStream out = s.getOutputStream();
            in.transferTo(out);
            s.shutdownOutput();
        });
    }

    private void acceptLoop(Behaviour behaviour) {
        while (!listener.isClosed()) {
            try {
                Socket s = listener.accept();
                accepted.incrementAndGet();
                open.add(s);
                threads.submit(() -> {
                    try (s) {
                        behaviour.serve(s);
                    } catch (IOException ignored) {
                        // The test decides what a broken connection means; the server just lets go.
                    } finally {
                        open.remove(s);
                    }
                    return null;
                });
            } catch (IOException e) {
                return;
            }
        }
    }

    public String name() {
        return name;
    }

    public int port() {
        return listener.getLocalPort();
    }

    public String address() {
        return "127.0.0.1:" + port();
    }

    public InetSocketAddress socketAddress() {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), port());
    }

    public int accepted() {
        return accepted.get();
    }

    /** Connections accepted and not yet done with (their behaviour still running). */
    public int openConnections() {
        return open.size();
    }

    @Override
    public void close() {
        try {
            listener.close();
        } catch (IOException ignored) {
            // closing a test listener cannot fail in a way a test cares about
        }
        for (Socket s : open) {
            try {
                s.close();
            } catch (IOException ignored) {
                // as above
            }
        }
        threads.shutdownNow();
    }

    /** A loopback port on which nothing listens (bound once, then released): connecting to it is refused. */
    public static int closedPort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
