package dev.ferry.proxy.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.LastHttpContent;

/**
 * Turns the bytes of one side of an HTTP/1.1 connection into messages: a head ({@link RequestHead} or
 * {@link ResponseHead}), then its body as {@code HttpContent} parts ending in a {@code LastHttpContent} (at once for
 * a message without a body), or a {@link DecodeFailure}, after which nothing more is decoded.
 *
 * <p>Body parts are slices of the buffers the socket filled, never copies; chunked bodies are de-chunked (and
 * re-chunked on the way out by {@link BodyWriter}). A head split over several reads is kept until it is whole.
 *
 * <p>After a message that may switch protocols (a 101 response; a request asking for an upgrade) the decoder holds
 * what follows, byte for byte, instead of reading it as HTTP: when the decoder is then removed from the pipeline
 * (the switch happened) those bytes are passed on as they are; when the upgrade did not happen, {@link #resume()}
 * decodes them as the next messages.
 *
 * <p>Threading: one channel, its event loop.
 */
abstract class MessageDecoder extends ChannelInboundHandlerAdapter {
    /** Longest chunk-size line (with extensions) accepted. */
    private static final int MAX_CHUNK_LINE = 4096;
    /** Largest trailer section accepted. */
    private static final int MAX_TRAILERS = 8192;
    /** Trailer fields were checked by {@link HeadParser#trailers} and filtered by {@link TrailerFields}. */
    private static final DefaultHttpHeadersFactory TRAILERS = DefaultHttpHeadersFactory.trailersFactory()
            .withValidation(false);

    private enum State { HEAD, LENGTH, CHUNK_SIZE, CHUNK_DATA, CHUNK_END, TRAILERS, UNTIL_CLOSE, HOLD, FAILED }

    private ByteBuf cumulation;
    private State state = State.HEAD;
    private long remaining;
    private boolean removed;
    private ChannelHandlerContext ctx;
    /** Whether the message being decoded is followed by a hold (see {@link #holdsWhatFollows}). */
    private boolean holdNext;
    /** Inside {@link #channelRead}: a {@link #resume()} then simply lets the decoding go on. */
    private boolean decoding;

    /**
     * Reads the next head from {@code in} and passes it on; returns the framing of its body, or null when the head
     * is not complete yet (nothing consumed).
     */
    abstract ResponseHead.Framing decodeHead(ChannelHandlerContext ctx, ByteBuf in) throws HeadParser.BadMessage;

    /** Length of the body of the head just decoded, for {@link ResponseHead.Framing#LENGTH}. */
    abstract long contentLength();

    /** Called with the size of each buffer read, before it is decoded. */
    void arrived(int bytes) {
    }

    /**
     * Called when a message is complete, before its end is passed on, with the number of bytes that followed it in
     * the same read (the start of the next message, or bytes that belong to no message).
     */
    void messageEnded(int bytesBehind) {
    }

    /**
     * Whether a head may start now. When not, the bytes are passed on as they are (a {@code ByteBuf}), never decoded:
     * the next handler decides what they mean (for a server connection, that the server said more than it was asked).
     */
    boolean expectsHead() {
        return true;
    }

    /** Whether the head just decoded switched protocols (a 101): what follows it is held, not decoded. */
    boolean switchedProtocols() {
        return false;
    }

    /**
     * Whether what follows the message whose head was just decoded is held rather than decoded, until the decoder
     * leaves the pipeline or {@link #resume()} is called: a 101, or a request asking to switch protocols.
     */
    boolean holdsWhatFollows() {
        return switchedProtocols();
    }

    /**
     * Decodes what was held after a message that could have switched protocols and did not (the upgrade was
     * declined or answered by Ferry): it is the next message. Nothing happens when nothing is held. The held bytes are
     * decoded in a task of their own (never inside the caller), or by the read in progress when called from it.
     */
    void resume() {
        if (state != State.HOLD) {
            return;
        }
        state = State.HEAD;
        holdNext = false;
        if (!decoding && cumulation != null && ctx != null) {
            ctx.executor().execute(this::decodeHeld);
        }
    }

    private void decodeHeld() {
        ByteBuf held = cumulation;
        if (held == null || removed || state != State.HEAD) {
            return;
        }
        cumulation = null;
        process(ctx, held);
        ctx.fireChannelReadComplete();
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf bytes)) {
            ctx.fireChannelRead(msg);
            return;
        }
        arrived(bytes.readableBytes());
        if (state == State.FAILED) {
            bytes.release();
            return;
        }
        ByteBuf in = cumulation == null ? bytes
                : ByteToMessageDecoder.MERGE_CUMULATOR.cumulate(ctx.alloc(), cumulation, bytes);
        cumulation = null;
        process(ctx, in);
    }

    /** Decodes {@code in} (owned) as far as it goes; keeps the rest for the next read. */
    private void process(ChannelHandlerContext ctx, ByteBuf in) {
        decoding = true;
        try {
            decode(ctx, in);
        } catch (HeadParser.BadMessage e) {
            state = State.FAILED;
            in.skipBytes(in.readableBytes());
            ctx.fireChannelRead(e.failure());
        } finally {
            decoding = false;
            if (removed && in.isReadable()) {
                // Removed while decoding (the switch to a tunnel happens inside the last read): pass the rest on.
                ctx.fireChannelRead(in);
                ctx.fireChannelReadComplete();
            } else if (in.isReadable() && state != State.FAILED && !removed) {
                cumulation = in;
            } else {
                in.release();
            }
        }
    }

    private void decode(ChannelHandlerContext ctx, ByteBuf in) throws HeadParser.BadMessage {
        while (in.isReadable()) {
            switch (state) {
                case HEAD -> {
                    if (!expectsHead()) {
                        ctx.fireChannelRead(in.readRetainedSlice(in.readableBytes()));
                        return;
                    }
                    ResponseHead.Framing framing = decodeHead(ctx, in);
                    if (framing == null) {
                        return;
                    }
                    holdNext = holdsWhatFollows();
                    startBody(ctx, in, framing);
                }
                case LENGTH -> {
                    int n = (int) Math.min(remaining, in.readableBytes());
                    ByteBuf part = in.readRetainedSlice(n);
                    remaining -= n;
                    if (remaining == 0) {
                        state = afterMessage(in);
                        ctx.fireChannelRead(new DefaultLastHttpContent(part, EmptyHttpHeaders.INSTANCE));
                    } else {
                        ctx.fireChannelRead(new DefaultHttpContent(part));
                    }
                }
                case CHUNK_SIZE -> {
                    if (!chunkSize(in)) {
                        return;
                    }
                }
                case CHUNK_DATA -> {
                    int n = (int) Math.min(remaining, in.readableBytes());
                    remaining -= n;
                    if (remaining == 0) {
                        state = State.CHUNK_END;
                    }
                    ctx.fireChannelRead(new DefaultHttpContent(in.readRetainedSlice(n)));
                }
                case CHUNK_END -> {
                    if (in.readableBytes() < 2) {
                        return;
                    }
                    if (in.readByte() != '\r' || in.readByte() != '\n') {
                        throw new HeadParser.BadMessage(HttpResponseStatus.BAD_REQUEST,
                                "chunk not followed by CRLF");
                    }
                    state = State.CHUNK_SIZE;
                }
                case TRAILERS -> {
                    HeadFields trailers = HeadParser.trailers(in, MAX_TRAILERS);
                    if (trailers == null) {
                        return;
                    }
                    state = afterMessage(in);
                    ctx.fireChannelRead(lastWith(trailers));
                }
                case UNTIL_CLOSE -> ctx.fireChannelRead(new DefaultHttpContent(in.readRetainedSlice(in.readableBytes())));
                case HOLD, FAILED -> {
                    return;
                }
            }
        }
    }

    /**
     * The state once a message is complete, set before its end is passed on (whoever handles the end may already
     * {@link #resume()}), after telling {@link #messageEnded} what is left in {@code in}.
     */
    private State afterMessage(ByteBuf in) {
        messageEnded(in.readableBytes());
        return holdNext ? State.HOLD : State.HEAD;
    }

    private void startBody(ChannelHandlerContext ctx, ByteBuf in, ResponseHead.Framing framing) {
        switch (framing) {
            case NONE -> {
                state = afterMessage(in);
                ctx.fireChannelRead(LastHttpContent.EMPTY_LAST_CONTENT);
            }
            case LENGTH -> {
                remaining = contentLength();
                state = State.LENGTH;
            }
            case CHUNKED -> state = State.CHUNK_SIZE;
            case UNTIL_CLOSE -> state = State.UNTIL_CLOSE;
        }
    }

    /** Reads a chunk-size line; false when it is not complete yet. */
    private boolean chunkSize(ByteBuf in) throws HeadParser.BadMessage {
        int r = in.readerIndex();
        int lf = in.indexOf(r, Math.min(in.writerIndex(), r + MAX_CHUNK_LINE), (byte) '\n');
        if (lf < 0) {
            if (in.readableBytes() >= MAX_CHUNK_LINE) {
                throw badChunk("chunk-size line too long");
            }
            return false;
        }
        if (lf == r || in.getByte(lf - 1) != '\r') {
            throw badChunk("chunk-size line without CRLF");
        }
        long size = 0;
        int i = r;
        for (; i < lf - 1; i++) {
            int d = Character.digit(in.getByte(i), 16);
            if (d < 0) {
                break;
            }
            if (size > (Long.MAX_VALUE >> 4)) {
                throw badChunk("chunk size too large");
            }
            size = size * 16 + d;
        }
        if (i == r) {
            throw badChunk("malformed chunk size");
        }
        // Extensions (ignored, but checked so nothing odd hides in them): [ BWS ] ";" ... without controls.
        for (int k = i; k < lf - 1; k++) {
            int c = in.getByte(k) & 0xff;
            if ((c < ' ' && c != '\t') || c == 0x7f) {
                throw badChunk("invalid character in a chunk extension");
            }
        }
        int ext = i;
        while (ext < lf - 1 && (in.getByte(ext) == ' ' || in.getByte(ext) == '\t')) {
            ext++;
        }
        // RFC 9112 7.1: BWS only before an extension's ";", so "3 " is as malformed as "3x".
        if (ext < lf - 1 ? in.getByte(ext) != ';' : ext > i) {
            throw badChunk("malformed chunk size");
        }
        in.readerIndex(lf + 1);
        if (size == 0) {
            state = State.TRAILERS;
        } else {
            remaining = size;
            state = State.CHUNK_DATA;
        }
        return true;
    }

    private static HeadParser.BadMessage badChunk(String detail) {
        return new HeadParser.BadMessage(HttpResponseStatus.BAD_REQUEST, detail);
    }

    /** The end of a chunked body with its trailer fields, less those no trailer may carry ({@link TrailerFields}). */
    private static LastHttpContent lastWith(HeadFields trailers) {
        HttpHeaders h = null;
        for (int i = 0; i < trailers.receivedCount(); i++) {
            if (TrailerFields.isForbidden(trailers, i)) {
                continue;
            }
            if (h == null) {
                h = TRAILERS.newHeaders();
            }
            h.add(trailers.name(i), trailers.value(i));
        }
        return h == null ? LastHttpContent.EMPTY_LAST_CONTENT : new DefaultLastHttpContent(Unpooled.EMPTY_BUFFER, h);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (state == State.UNTIL_CLOSE) {
            // The close is the end of a close-delimited body.
            state = State.HEAD;
            ctx.fireChannelRead(LastHttpContent.EMPTY_LAST_CONTENT);
        }
        releaseCumulation();
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        removed = true;
        ByteBuf held = cumulation;
        cumulation = null;
        if (held != null && held.isReadable() && state != State.FAILED) {
            ctx.fireChannelRead(held);
            ctx.fireChannelReadComplete();
        } else if (held != null) {
            held.release();
        }
    }

    private void releaseCumulation() {
        if (cumulation != null) {
            cumulation.release();
            cumulation = null;
        }
    }
}
