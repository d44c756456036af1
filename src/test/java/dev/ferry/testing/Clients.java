package dev.ferry.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;

/** Plain blocking socket clients for tests. */
public final class Clients {
    private Clients() {
    }

    public static Socket connect(InetSocketAddress address) {
        try {
            Socket s = new Socket();
            s.connect(address, 5_000);
            s.setSoTimeout(10_000);
            return s;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Connects and reads, expecting Ferry to reset the connection. The reset may arrive so soon that the connect
     * itself reports it, or only on the first read; either way it must be a reset, not a clean end of stream.
     */
    public static SocketException expectReset(InetSocketAddress address) {
        try (Socket s = new Socket()) {
            s.connect(address, 5_000);
            s.setSoTimeout(10_000);
            int b = s.getInputStream().read();
            throw new AssertionError("expected a reset, but read returned " + b);
        } catch (SocketException e) {
            if (String.valueOf(e.getMessage()).contains("reset")) {
                return e;
            }
            throw new AssertionError("expected a reset, got " + e, e);
        } catch (IOException e) {
            throw new AssertionError("expected a reset, got " + e, e);
        }
    }

    /** Connects, reads everything until the server closes, and returns it as text. */
    public static String readAll(InetSocketAddress address) {
        try (Socket s = connect(address)) {
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
