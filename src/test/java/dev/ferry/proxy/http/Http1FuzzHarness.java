package dev.ferry.proxy.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The fuzz targets' way into Ferry's HTTP/1 codec (package-private): runs {@link RequestDecoder} and
 * {@link ResponseDecoder} in an {@link EmbeddedChannel} over given bytes, describes what they passed on in a canonical
 * text form, and forwards each message the way the proxy does (hop-by-hop fields removed, the head re-encoded by
 * {@link RequestHead#encode} or {@link ResponseHead#encode} after {@link ResponseFraming#prepare}, the body by
 * {@link BodyWriter}) so the target can re-parse the forwarded bytes and compare.
 *
 * <p>Everything here releases what it was given: the fuzz targets run with the leak detector at PARANOID.
 */
public final class Http1FuzzHarness {
    private Http1FuzzHarness() {
    }

    /** What a decoder made of some bytes: one canonical text per message, then the failure (if any). */
    public record Decoded(List<String> messages, int failureStatus, String failureDetail, byte[] forwarded) {
        public boolean failed() {
            return failureStatus != 0;
        }
    }

    /**
     * Decodes {@code input} as requests, in two reads split at {@code split}, with the given limits; {@code forwarded}
     * holds the bytes the proxy would send a server for the messages decoded (heads after hop-by-hop removal, bodies
     * re-chunked as Ferry does).
     */
    public static Decoded requests(byte[] input, int split, int maxLine, int maxFields, int maxCount) {
        return run(new RequestDecoder(maxLine, maxFields, maxCount, n -> {
        }), null, input, split);
    }

    /** Decodes {@code input} as the response(s) to one request (a HEAD request when {@code head}); see {@link #requests}. */
    public static Decoded response(byte[] input, int split, boolean head) {
        ResponseDecoder decoder = new ResponseDecoder();
        decoder.expectResponseTo(head);
        return run(decoder, decoder, input, split);
    }

    private static Decoded run(MessageDecoder decoder, ResponseDecoder responses, byte[] input, int split) {
        EmbeddedChannel ch = new EmbeddedChannel(decoder);
        EmbeddedChannel out = new EmbeddedChannel();
        List<String> messages = new ArrayList<>();
        int[] failure = {0};
        String[] detail = {null};
        int at = Math.max(0, Math.min(split, input.length));
        try {
            ch.writeInbound(Unpooled.copiedBuffer(input, 0, at));
            ch.writeInbound(Unpooled.copiedBuffer(input, at, input.length - at));
            ch.finish(); // channelInactive: ends a close-delimited body
            StringBuilder message = null;
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            boolean chunked = false;
            Object msg;
            while ((msg = ch.readInbound()) != null) {
                try {
                    switch (msg) {
                        case RequestHead h -> {
                            message = new StringBuilder(describe(h));
                            h.removeConnectionFields(false);
                            chunked = h.isChunked();
                            message.append(" forwarded:").append(fieldsOf(h.fields()));
                            writeAndRelease(out, h.encode(out.alloc()));
                        }
                        case ResponseHead h -> {
                            message = new StringBuilder(describe(h));
                            h.removeConnectionFields(false);
                            if (h.code() >= 200 || h.code() == 101) {
                                ResponseFraming.prepare(h, false, true);
                            }
                            chunked = ResponseFraming.chunkedToClient(h, false);
                            message.append(" forwarded:").append(fieldsOf(h.fields()));
                            writeAndRelease(out, h.encode(out.alloc(), 0));
                        }
                        case DecodeFailure f -> {
                            failure[0] = f.status().code();
                            detail[0] = f.detail();
                        }
                        case HttpContent c -> {
                            ByteBuf data = c.content();
                            body.write(ByteBufUtil.getBytes(data), 0, data.readableBytes());
                            BodyWriter.write(out, c.retain(), chunked);
                            if (c instanceof LastHttpContent last && message != null) {
                                message.append(" body:").append(ByteBufUtil.hexDump(body.toByteArray()));
                                message.append(" trailers:");
                                for (Map.Entry<String, String> t : last.trailingHeaders()) {
                                    message.append('[').append(t.getKey().toLowerCase(java.util.Locale.ROOT))
                                            .append(": ").append(t.getValue()).append(']');
                                }
                                messages.add(message.toString());
                                message = null;
                                body.reset();
                            }
                        }
                        case ByteBuf raw -> messages.add("raw:" + raw.readableBytes());
                        default -> messages.add("other:" + msg.getClass().getSimpleName());
                    }
                } finally {
                    ReferenceCountUtil.release(msg);
                }
            }
            if (message != null) {
                messages.add(message + " (body incomplete)");
            }
            out.flushOutbound();
            ByteArrayOutputStream forwarded = new ByteArrayOutputStream();
            Object o;
            while ((o = out.readOutbound()) != null) {
                ByteBuf b = (ByteBuf) o;
                forwarded.writeBytes(ByteBufUtil.getBytes(b));
                b.release();
            }
            return new Decoded(messages, failure[0], detail[0], forwarded.toByteArray());
        } finally {
            ch.finishAndReleaseAll();
            out.finishAndReleaseAll();
        }
    }

    private static void writeAndRelease(EmbeddedChannel out, ByteBuf head) {
        out.write(head);
    }

    /** The request as a server would see it after forwarding (the version is always HTTP/1.1 on the way out). */
    private static String describe(RequestHead h) {
        return h.method().name() + " " + h.uri() + " framing:" + (h.isChunked() ? "chunked" : "length " + h.contentLength());
    }

    private static String describe(ResponseHead h) {
        return h.code() + " framing:" + h.framing() + (h.framing() == ResponseHead.Framing.LENGTH ? " " + h.contentLength() : "");
    }

    /** The fields in order, names in lower case (a name's case carries no meaning). */
    private static String fieldsOf(HeadFields fields) {
        StringBuilder b = new StringBuilder();
        fields.forEach((n, v) -> b.append('[').append(n.toLowerCase(java.util.Locale.ROOT)).append(": ").append(v)
                .append(']'));
        return b.toString();
    }

    /** For messages in failures. */
    public static String text(byte[] bytes) {
        return new String(bytes, StandardCharsets.ISO_8859_1);
    }
}
