package dev.ferry.transport;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.haproxy.HAProxyProtocolException;
import io.netty.util.ReferenceCountUtil;

import java.nio.charset.StandardCharsets;

/**
 * Refuses a connection whose first bytes cannot begin a PROXY protocol header, at once. Netty's decoder needs 13
 * bytes before it looks (and then up to 108 for a v1 line), so a client that sends "hello\n" and waits would be held
 * until the header timeout; HAProxy refuses it as soon as the bytes differ from both signatures.
 *
 * <p>Sits before the {@code HAProxyMessageDecoder} and removes itself once the bytes seen are a signature's start
 * ({@code "PROXY "} for v1, the 12-byte v2 signature): from there the decoder decides. On a mismatch it raises
 * {@link HAProxyProtocolException} (a DecoderException), which the frontend answers as a bad header. Threading: the
 * channel's event loop.
 */
public final class ProxyHeaderPrefix extends ChannelInboundHandlerAdapter {
    private static final byte[] V1 = "PROXY ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] V2 = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};

    private boolean refused;
    /** Bytes looked at so far, and which signatures they still fit. */
    private int seen;
    private boolean maybeV1 = true;
    private boolean maybeV2 = true;

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (refused) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (!(msg instanceof ByteBuf bytes)) {
            ctx.fireChannelRead(msg);
            return;
        }
        maybeV1 = maybeV1 && continues(bytes, V1);
        maybeV2 = maybeV2 && continues(bytes, V2);
        seen += bytes.readableBytes();
        if (!maybeV1 && !maybeV2) {
            refused = true;
            bytes.release();
            ctx.fireExceptionCaught(new HAProxyProtocolException("the connection does not start with a PROXY header"));
            return;
        }
        if ((maybeV1 && seen >= V1.length) || (maybeV2 && seen >= V2.length)) {
            ctx.pipeline().remove(this); // a signature in full: the decoder decides the rest
        }
        ctx.fireChannelRead(msg);
    }

    /** Whether {@code bytes}, coming after the {@code seen} already looked at, still fit {@code signature}. */
    private boolean continues(ByteBuf bytes, byte[] signature) {
        int n = Math.min(bytes.readableBytes(), Math.max(0, signature.length - seen));
        for (int i = 0; i < n; i++) {
            if (bytes.getByte(bytes.readerIndex() + i) != signature[seen + i]) {
                return false;
            }
        }
        return true;
    }
}
