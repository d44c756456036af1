package dev.ferry.proxy.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http2.DefaultHttp2HeadersDecoder;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2Headers;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Predicate;

/**
 * A raw HTTP/2 client for tests: frames written byte by byte over a plain socket (so a test can send what no real
 * client would), frames read one at a time, response header blocks decoded with Netty's HPACK decoder. Request
 * header blocks are HPACK literals without indexing or Huffman coding (RFC 7541 6.2.2), so any name and value,
 * upper case included, goes out as written.
 *
 * <p>Threading: one test thread.
 */
final class RawH2 implements AutoCloseable {
    static final int DATA = 0, HEADERS = 1, PRIORITY = 2, RST_STREAM = 3, SETTINGS = 4, PING = 6, GOAWAY = 7,
            WINDOW_UPDATE = 8, CONTINUATION = 9;
    static final int END_STREAM = 1, ACK = 1, END_HEADERS = 4;
    static final byte[] PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    /** One frame read; {@code headers} is the decoded block of a HEADERS frame (with END_HEADERS). */
    record Frame(int type, int flags, int stream, byte[] payload, Http2Headers headers) {
        /** RST_STREAM's and GOAWAY's error code. */
        long errorCode() {
            ByteBuffer b = ByteBuffer.wrap(payload);
            return Integer.toUnsignedLong(type == GOAWAY ? b.getInt(4) : b.getInt(0));
        }

        /** GOAWAY's last stream id. */
        int lastStreamId() {
            return ByteBuffer.wrap(payload).getInt(0) & 0x7fffffff;
        }

        boolean endStream() {
            return (flags & END_STREAM) != 0 && (type == DATA || type == HEADERS);
        }

        @Override
        public String toString() {
            return "type " + type + " flags " + flags + " stream " + stream + " length " + payload.length
                    + (headers != null ? " " + headers : "")
                    + (type == RST_STREAM || type == GOAWAY ? " code " + errorCode() : "");
        }
    }

    private final Socket socket;
    private final OutputStream out;
    private final DataInputStream in;
    private final DefaultHttp2HeadersDecoder decoder = new DefaultHttp2HeadersDecoder(false);
    /** Frames of other streams read by {@link #response}, kept for their own {@code response} call. */
    private final List<Frame> deferred = new ArrayList<>();

    private RawH2(Socket socket) throws IOException {
        this.socket = socket;
        this.out = socket.getOutputStream();
        this.in = new DataInputStream(socket.getInputStream());
    }

    /** Over a socket already connected (e.g. TLS with ALPN h2); sends nothing yet. */
    static RawH2 over(Socket s) throws IOException {
        s.setSoTimeout(15_000);
        return new RawH2(s);
    }

    /** Connects and sends nothing yet. */
    static RawH2 connect(InetSocketAddress a) throws IOException {
        Socket s = new Socket(a.getAddress(), a.getPort());
        s.setSoTimeout(15_000);
        s.setTcpNoDelay(true);
        return new RawH2(s);
    }

    /** Connects and sends the preface and an empty SETTINGS frame. */
    static RawH2 open(InetSocketAddress a) throws IOException {
        RawH2 c = connect(a);
        c.raw(PREFACE);
        c.frame(SETTINGS, 0, 0, new byte[0]);
        return c;
    }

    synchronized void raw(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    /**
     * Writes one whole frame. Synchronized, and header and payload in one write: {@link #read} acknowledges
     * SETTINGS on the reading thread while a test may be writing frames on another, and two frames' bytes
     * interleaved would read as a FRAME_SIZE_ERROR.
     */
    synchronized void frame(int type, int flags, int stream, byte[] payload) throws IOException {
        byte[] whole = Arrays.copyOf(header(payload.length, type, flags, stream), 9 + payload.length);
        System.arraycopy(payload, 0, whole, 9, payload.length);
        out.write(whole);
        out.flush();
    }

    /** The nine bytes of a frame header (RFC 9113 4.1). */
    static byte[] header(int length, int type, int flags, int stream) {
        return new byte[]{(byte) (length >> 16), (byte) (length >> 8), (byte) length, (byte) type, (byte) flags,
                (byte) (stream >> 24), (byte) (stream >> 16), (byte) (stream >> 8), (byte) stream};
    }

    /** A HEADERS frame with END_HEADERS. */
    void headers(int stream, boolean endStream, String... nameValues) throws IOException {
        frame(HEADERS, END_HEADERS | (endStream ? END_STREAM : 0), stream, block(nameValues));
    }

    /** A GET of {@code path} on {@code stream} with END_STREAM. */
    void get(int stream, String authority, String path) throws IOException {
        headers(stream, true, ":method", "GET", ":scheme", "http", ":authority", authority, ":path", path);
    }

    void rst(int stream, int code) throws IOException {
        frame(RST_STREAM, 0, stream, ByteBuffer.allocate(4).putInt(code).array());
    }

    void ping(long data) throws IOException {
        frame(PING, 0, 0, ByteBuffer.allocate(8).putLong(data).array());
    }

    /** An HPACK block of literal fields without indexing and without Huffman coding (RFC 7541 6.2.2). */
    static byte[] block(String... nameValues) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (int i = 0; i < nameValues.length; i += 2) {
            b.write(0);
            for (String s : new String[]{nameValues[i], nameValues[i + 1]}) {
                byte[] bytes = s.getBytes(StandardCharsets.ISO_8859_1);
                integer(b, bytes.length);
                b.writeBytes(bytes);
            }
        }
        return b.toByteArray();
    }

    /** An HPACK integer with a 7-bit prefix and the Huffman bit clear (RFC 7541 5.1). */
    private static void integer(ByteArrayOutputStream b, int value) {
        if (value < 127) {
            b.write(value);
            return;
        }
        b.write(127);
        value -= 127;
        while (value >= 128) {
            b.write((value & 0x7f) | 0x80);
            value >>>= 7;
        }
        b.write(value);
    }

    /** The next frame, or null when the connection ended (closed or reset). */
    Frame read() throws IOException {
        int length;
        try {
            length = in.readUnsignedShort() << 8 | in.readUnsignedByte();
        } catch (EOFException | SocketException e) {
            return null;
        }
        int type = in.readUnsignedByte();
        int flags = in.readUnsignedByte();
        int stream = in.readInt() & 0x7fffffff;
        byte[] payload = in.readNBytes(length);
        Http2Headers headers = null;
        if (type == HEADERS) {
            ByteBuf block = Unpooled.wrappedBuffer(payload);
            try {
                headers = decoder.decodeHeaders(stream, block);
            } catch (Http2Exception e) {
                throw new IOException("undecodable response header block", e);
            } finally {
                block.release();
            }
        }
        if (type == SETTINGS && (flags & ACK) == 0) {
            try {
                frame(SETTINGS, ACK, 0, new byte[0]);
            } catch (IOException e) {
                // The peer closed already; what it sent before is still read.
            }
        }
        return new Frame(type, flags, stream, payload, headers);
    }

    /**
     * Reads until a frame matches {@code until} (returned last), the connection ends, or {@code max} frames; returns
     * what was read.
     */
    List<Frame> readUntil(Predicate<Frame> until, int max) throws IOException {
        List<Frame> frames = new ArrayList<>();
        for (int i = 0; i < max; i++) {
            Frame f = read();
            if (f == null) {
                return frames;
            }
            frames.add(f);
            if (until.test(f)) {
                return frames;
            }
        }
        throw new AssertionError("no matching frame within " + max + " frames: " + frames.subList(0,
                Math.min(frames.size(), 20)));
    }

    /** Reads to the connection's end (at most {@code max} frames); whether it ended. */
    boolean closedWithin(int max) throws IOException {
        for (int i = 0; i < max; i++) {
            if (read() == null) {
                return true;
            }
        }
        return false;
    }

    /** The response on {@code stream}: its head, then its body once END_STREAM came (or null on a reset). */
    record Response(Http2Headers head, String body, long resetCode) {
        int status() {
            return head == null ? 0 : Integer.parseInt(head.status().toString());
        }
    }

    /** Reads until {@code stream} ended (END_STREAM or RST_STREAM); fails when the connection ends first. */
    Response response(int stream) throws IOException {
        Http2Headers head = null;
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        List<Frame> seen = new ArrayList<>();
        // Frames of this stream read earlier while another stream's response was awaited come first.
        java.util.ArrayDeque<Frame> earlier = new java.util.ArrayDeque<>();
        deferred.removeIf(d -> d.stream() == stream && earlier.add(d));
        for (int i = 0; i < 100_000; i++) {
            Frame f = earlier.poll();
            if (f == null) {
                f = read();
                if (f == null) {
                    throw new AssertionError("connection ended before stream " + stream + " did, after "
                            + seen.subList(Math.max(0, seen.size() - 10), seen.size()));
                }
                if (f.stream() != stream) {
                    if (f.stream() != 0) {
                        deferred.add(f);
                    }
                    continue;
                }
            }
            seen.add(f);
            if (f.type() == RST_STREAM) {
                return new Response(head, body.toString(StandardCharsets.UTF_8), f.errorCode());
            }
            if (f.type() == HEADERS && head == null) {
                head = f.headers();
            } else if (f.type() == DATA) {
                body.writeBytes(f.payload());
            }
            if (f.endStream()) {
                return new Response(head, body.toString(StandardCharsets.UTF_8), -1);
            }
        }
        throw new AssertionError("no end of stream " + stream);
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
