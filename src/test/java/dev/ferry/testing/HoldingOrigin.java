package dev.ferry.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An HTTP/1.1 origin on a real socket that keeps its connections and answers every request with its name, except
 * requests whose path starts with {@code /hold}: those it holds, unanswered, until {@link #release()} (or 60 s), so
 * a test can look at a proxy while requests are in flight. Requests without a body only, as the tests send.
 *
 * <p>Threading: each connection is served on a virtual thread of its {@link TestServer}; the methods may be called
 * from any thread.
 */
public final class HoldingOrigin implements AutoCloseable {
    private final CountDownLatch released = new CountDownLatch(1);
    private final AtomicInteger held = new AtomicInteger();
    private final TestServer server;

    private HoldingOrigin(String name) {
        this.server = TestServer.start(name, socket -> {
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(),
                    StandardCharsets.ISO_8859_1));
            OutputStream out = socket.getOutputStream();
            boolean hold = false;
            for (String line; (line = in.readLine()) != null; ) {
                if (line.startsWith("GET /hold")) {
                    hold = true;
                }
                if (line.isEmpty()) {
                    if (hold) {
                        hold = false;
                        awaitRelease();
                    }
                    out.write(("HTTP/1.1 200 OK\r\nContent-Length: " + name.length() + "\r\n\r\n" + name)
                            .getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                }
            }
        });
    }

    private void awaitRelease() {
        held.incrementAndGet();
        try {
            released.await(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            held.decrementAndGet();
        }
    }

    public static HoldingOrigin start(String name) {
        return new HoldingOrigin(name);
    }

    public String address() {
        return server.address();
    }

    /** Requests held now. */
    public int held() {
        return held.get();
    }

    /** Answers the held requests, and from now on every request at once. */
    public void release() {
        released.countDown();
    }

    @Override
    public void close() {
        release();
        server.close();
    }
}
