package dev.ferry.proxy.http;

import dev.ferry.config.Http2Options;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2FrameAdapter;
import io.netty.handler.codec.http2.Http2Headers;

import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The HTTP/2 fuzz target's way into {@link Http2ServerCodec} (package-private) as a frontend configures it (the
 * default {@code http.h2} limits, a 64 KiB header list), in an {@link EmbeddedChannel}. Its listener stands for
 * {@link Http2ProxyConnection}'s: the same header count limit and {@link Http2RequestChecks}, then the request made an
 * {@link Http2RequestHead}, the layer-7 exchange's head, and what an HTTP/1 server would receive for it
 * ({@link Http1Encoding#requestHead}); each accepted request is answered 200 at once so its stream ends.
 *
 * <p>Everything here releases what it was given: the fuzz targets run with the leak detector at PARANOID.
 */
public final class Http2FuzzHarness {
    static final int MAX_HEADER_LIST = 64 * 1024;
    static final int MAX_HEADER_COUNT = 100;
    private static final InetSocketAddress DESTINATION = new InetSocketAddress("127.0.0.1", 8443);

    private Http2FuzzHarness() {
    }

    /** One request as the exchange got it: its head in text, what goes to an HTTP/1 server, body bytes read. */
    public record Request(int stream, String head, byte[] http1, long bodyBytes) {
    }

    /** What the codec made of the client's bytes. */
    public record Outcome(List<Request> requests, byte[] sent, boolean open, String escaped, long violations) {
    }

    /** Feeds {@code input} to a fresh connection in two reads split at {@code split}. */
    public static Outcome run(byte[] input, int split) {
        Http2Stats stats = new Http2Stats();
        List<Request> requests = new ArrayList<>();
        Map<Integer, long[]> bodies = new java.util.HashMap<>();
        Http2ServerCodec[] codec = new Http2ServerCodec[1];
        Http2FrameAdapter listener = new Http2FrameAdapter() {
            @Override
            public void onHeadersRead(ChannelHandlerContext ctx, int streamId, Http2Headers headers, int padding,
                                      boolean endStream) throws Http2Exception {
                if (bodies.containsKey(streamId)) {
                    if (!endStream) {
                        throw Http2Exception.streamError(streamId, Http2Error.PROTOCOL_ERROR,
                                "a second header block without END_STREAM");
                    }
                    return;
                }
                int fields = 0;
                for (Map.Entry<CharSequence, CharSequence> f : headers) {
                    if (!Http2Headers.PseudoHeaderName.hasPseudoHeaderFormat(f.getKey())) {
                        fields++;
                    }
                }
                if (fields > MAX_HEADER_COUNT) {
                    throw Http2Exception.headerListSizeError(streamId, Http2Error.PROTOCOL_ERROR, true, "%s: %d > %d",
                            Http2Violation.HEADER_COUNT_MESSAGE, fields, MAX_HEADER_COUNT);
                }
                String problem = Http2RequestChecks.problem(headers);
                Http2RequestHead head = null;
                if (problem == null) {
                    try {
                        head = Http2RequestHead.of(headers, endStream, DESTINATION);
                    } catch (IllegalArgumentException e) {
                        problem = "invalid :method";
                    }
                }
                if (problem != null) {
                    throw Http2Exception.streamError(streamId, Http2Error.PROTOCOL_ERROR, "malformed request: %s",
                            problem);
                }
                String text = head.method() + " " + head.uri() + " body:" + head.declaresBody() + " " + fieldText(head);
                head.removeConnectionFields(false);
                ByteBuf http1 = Http1Encoding.requestHead(head, ByteBufAllocator.DEFAULT);
                byte[] bytes;
                try {
                    bytes = ByteBufUtil.getBytes(http1);
                } finally {
                    http1.release();
                }
                long[] body = {0};
                bodies.put(streamId, body);
                requests.add(new Request(streamId, text, bytes, 0));
                codec[0].encoder().writeHeaders(ctx, streamId, new DefaultHttp2Headers().status("200"), 0, true,
                        ctx.newPromise());
            }

            @Override
            public void onHeadersRead(ChannelHandlerContext ctx, int streamId, Http2Headers headers,
                                      int streamDependency, short weight, boolean exclusive, int padding,
                                      boolean endStream) throws Http2Exception {
                onHeadersRead(ctx, streamId, headers, padding, endStream);
            }

            @Override
            public int onDataRead(ChannelHandlerContext ctx, int streamId, ByteBuf data, int padding,
                                  boolean endOfStream) {
                long[] body = bodies.get(streamId);
                if (body != null) {
                    body[0] += data.readableBytes();
                }
                return data.readableBytes() + padding;
            }
        };
        codec[0] = Http2ServerCodec.of(Http2Options.DEFAULTS, MAX_HEADER_LIST, listener, new Http2FrameCounter(stats),
                stats);
        EmbeddedChannel ch = new EmbeddedChannel(codec[0]);
        String escaped = null;
        ByteArrayOutputStream sent = new ByteArrayOutputStream();
        try {
            int at = Math.max(0, Math.min(split, input.length));
            try {
                if (ch.isOpen()) {
                    ch.writeInbound(Unpooled.copiedBuffer(input, 0, at));
                }
                if (ch.isOpen()) {
                    ch.writeInbound(Unpooled.copiedBuffer(input, at, input.length - at));
                }
                ch.runPendingTasks();
                ch.checkException();
            } catch (RuntimeException e) {
                escaped = e.toString();
            }
            Object o;
            while ((o = ch.readOutbound()) != null) {
                ByteBuf b = (ByteBuf) o;
                sent.writeBytes(ByteBufUtil.getBytes(b));
                b.release();
            }
            Object in;
            while ((in = ch.readInbound()) != null) {
                io.netty.util.ReferenceCountUtil.release(in);
                escaped = "a message passed the codec: " + in.getClass().getSimpleName();
            }
            List<Request> withBodies = new ArrayList<>();
            for (Request r : requests) {
                withBodies.add(new Request(r.stream(), r.head(), r.http1(), bodies.get(r.stream())[0]));
            }
            long violations = 0;
            for (String kind : Http2Stats.violationKinds()) {
                violations += stats.violations(kind);
            }
            return new Outcome(withBodies, sent.toByteArray(), ch.isOpen(), escaped, violations);
        } finally {
            ch.finishAndReleaseAll();
        }
    }

    private static String fieldText(Http2RequestHead head) {
        StringBuilder b = new StringBuilder();
        head.fields().forEach((n, v) -> b.append(n).append('=').append(v).append(';'));
        return b.toString();
    }
}
