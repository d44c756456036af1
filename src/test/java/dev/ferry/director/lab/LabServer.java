package dev.ferry.director.lab;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real server of the lab, listening inside its namespace (created there through {@link Netns}):
 * <ul>
 *   <li>HTTP on 8080: {@code GET /} answers {@code NAME CLIENT:PORT}; {@code GET /bytes/N} sends N bytes of
 *   {@link #pattern}; {@code POST /upload} answers {@code LENGTH SHA-256} of the body;</li>
 *   <li>TCP on 9000: greets with {@code NAME\n}, reads until the client's FIN, answers {@code bye N\n} (N bytes
 *   read) and closes; data starting with {@code R} makes it reset the connection instead;</li>
 *   <li>UDP on 5300: answers each datagram with {@code NAME } and the datagram.</li>
 * </ul>
 * Every client address seen is recorded, so a test can check the server saw the client's own address; the
 * director's own health checks (from {@link #DIRECTOR}) are not counted.
 */
final class LabServer implements AutoCloseable {
    static final int HTTP = 8080;
    static final int TCP = 9000;
    static final int UDP = 5300;
    /** The director's address on the servers' bridge, where its health checks come from. */
    static final String DIRECTOR = "10.101.0.1";

    private final String name;
    /** The director's address toward this server (its health checks come from there and are not counted). */
    private final String director;
    private final List<String> clients = new CopyOnWriteArrayList<>();
    private final AtomicInteger tcpConnections = new AtomicInteger();

    private final ExecutorService handlers = Executors.newVirtualThreadPerTaskExecutor();
    private HttpServer http;
    private ServerSocket tcp;
    private DatagramSocket udp;

    private LabServer(String name, String director) {
        this.name = name;
        this.director = director;
    }

    /** Starts the servers of {@code name} inside namespace {@code ns} (of the NAT topology). */
    static LabServer start(String ns, String name) throws Exception {
        return start(ns, name, DIRECTOR);
    }

    /** Starts the servers of {@code name} inside namespace {@code ns}, whose director is at {@code director}. */
    static LabServer start(String ns, String name, String director) throws Exception {
        return start(ns, name, director, null);
    }

    /**
     * As {@link #start(String, String, String)}, the UDP server bound to {@code udpAddress} (null: every address):
     * a real server whose answers bypass the director must send them from the VIP.
     */
    static LabServer start(String ns, String name, String director, String udpAddress) throws Exception {
        LabServer s = new LabServer(name, director);
        Netns.call(ns, () -> {
            s.http = HttpServer.create(new InetSocketAddress(HTTP), 256);
            s.tcp = new ServerSocket();
            s.tcp.setReuseAddress(true);
            s.tcp.bind(new InetSocketAddress(TCP), 256);
            s.udp = udpAddress == null ? new DatagramSocket(UDP)
                    : new DatagramSocket(new InetSocketAddress(udpAddress, UDP));
            return null;
        });
        s.http.setExecutor(s.handlers);
        s.http.createContext("/", s::http);
        s.http.start();
        Thread.ofVirtual().start(s::acceptTcp);
        Thread.ofVirtual().start(s::serveUdp);
        return s;
    }

    /** The byte at offset {@code i} of a download (not periodic in any small window). */
    static byte pattern(long i) {
        return (byte) ((i * 131 + (i >>> 9)) & 0xFF);
    }

    String name() {
        return name;
    }

    private final AtomicInteger resets = new AtomicInteger();

    /** Client addresses (without port) of every HTTP request and TCP connection, in order. */
    List<String> clients() {
        return clients;
    }

    int tcpConnections() {
        return tcpConnections.get();
    }



    private void http(HttpExchange x) throws IOException {
        InetSocketAddress peer = x.getRemoteAddress();
        clients.add(peer.getAddress().getHostAddress());
        String path = x.getRequestURI().getPath();
        try (x) {
            if (path.startsWith("/bytes/")) {
                long n = Long.parseLong(path.substring("/bytes/".length()));
                x.sendResponseHeaders(200, n);
                try (OutputStream out = x.getResponseBody()) {
                    byte[] chunk = new byte[64 * 1024];
                    for (long sent = 0; sent < n; ) {
                        int len = (int) Math.min(chunk.length, n - sent);
                        for (int i = 0; i < len; i++) {
                            chunk[i] = pattern(sent + i);
                        }
                        out.write(chunk, 0, len);
                        sent += len;
                    }
                }
                return;
            }
            if (path.equals("/upload")) {
                MessageDigest sha = sha256();
                long n = 0;
                try (InputStream in = x.getRequestBody()) {
                    byte[] b = new byte[64 * 1024];
                    for (int r; (r = in.read(b)) > 0; ) {
                        sha.update(b, 0, r);
                        n += r;
                    }
                }
                reply(x, n + " " + HexFormat.of().formatHex(sha.digest()) + "\n");
                return;
            }
            reply(x, name + " " + peer.getAddress().getHostAddress() + ":" + peer.getPort() + "\n");
        }
    }

    private static void reply(HttpExchange x, String text) throws IOException {
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        x.sendResponseHeaders(200, b.length);
        try (OutputStream out = x.getResponseBody()) {
            out.write(b);
        }
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private void acceptTcp() {
        while (!tcp.isClosed()) {
            try {
                Socket s = tcp.accept();
                String peer = s.getInetAddress().getHostAddress();
                if (!peer.equals(director)) {
                    tcpConnections.incrementAndGet();
                    clients.add(peer);
                }
                handlers.execute(() -> serveTcp(s));
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    private void serveTcp(Socket s) {
        try (s) {
            OutputStream out = s.getOutputStream();
            out.write((name + "\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            long n = 0;
            byte[] b = new byte[16 * 1024];
            InputStream in = s.getInputStream();
            for (int r; (r = in.read(b)) > 0; ) {
                if (n == 0 && b[0] == 'R') {
                    s.setSoLinger(true, 0); // asked to reset: the close sends RST
                    return;
                }
                n += r;
            }
            out.write(("bye " + n + "\n").getBytes(StandardCharsets.US_ASCII));
        } catch (IOException e) {
            // the client went away; by a reset, when the message says so (health checks reset too: not counted)
            if (String.valueOf(e.getMessage()).contains("reset")
                    && !s.getInetAddress().getHostAddress().equals(director)) {
                resets.incrementAndGet();
            }
        }
    }

    /** TCP connections from clients (not the director's health checks) whose read ended in a reset. */
    int resets() {
        return resets.get();
    }

    private void serveUdp() {
        byte[] b = new byte[2048];
        while (!udp.isClosed()) {
            try {
                DatagramPacket p = new DatagramPacket(b, b.length);
                udp.receive(p);
                clients.add(p.getAddress().getHostAddress());
                byte[] prefix = (name + " ").getBytes(StandardCharsets.US_ASCII);
                byte[] answer = new byte[prefix.length + p.getLength()];
                System.arraycopy(prefix, 0, answer, 0, prefix.length);
                System.arraycopy(b, 0, answer, prefix.length, p.getLength());
                udp.send(new DatagramPacket(answer, answer.length, p.getSocketAddress()));
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    /** Stops listening; open TCP connections are closed as their handlers end. */
    @Override
    public void close() throws IOException {
        http.stop(0);
        tcp.close();
        udp.close();
        handlers.shutdownNow();
    }
}
