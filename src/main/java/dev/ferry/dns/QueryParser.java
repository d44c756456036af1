package dev.ferry.dns;

import io.netty.buffer.ByteBuf;
import io.netty.channel.socket.DatagramPacket;
import io.netty.handler.codec.dns.DatagramDnsQueryDecoder;
import io.netty.handler.codec.dns.DnsQuery;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * Parses one DNS message into a query with Netty's codec, for UDP and TCP alike (TCP frames are handed over without
 * their length prefix). Extends the datagram decoder only to reach its parsing; it is never put in a pipeline.
 *
 * <p>Threading: stateless; safe from any thread.
 */
final class QueryParser extends DatagramDnsQueryDecoder {

    /**
     * The query in {@code message}; the caller releases it. {@code message} itself is neither consumed nor released.
     *
     * @throws Exception when the message is malformed (truncated names, counts beyond the data, ...)
     */
    DnsQuery parse(ByteBuf message, InetSocketAddress sender, InetSocketAddress recipient) throws Exception {
        List<Object> out = new ArrayList<>(1);
        decode(null, new DatagramPacket(message.duplicate(), recipient, sender), out);
        return (DnsQuery) out.getFirst();
    }
}
