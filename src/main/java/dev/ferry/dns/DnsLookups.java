package dev.ferry.dns;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.AddressedEnvelope;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.dns.DefaultDnsQuestion;
import io.netty.handler.codec.dns.DefaultDnsRecordDecoder;
import io.netty.handler.codec.dns.DnsRawRecord;
import io.netty.handler.codec.dns.DnsRecord;
import io.netty.handler.codec.dns.DnsRecordType;
import io.netty.handler.codec.dns.DnsResponse;
import io.netty.handler.codec.dns.DnsResponseCode;
import io.netty.handler.codec.dns.DnsSection;
import io.netty.resolver.dns.DnsNameResolver;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The lookups service discovery needs, on Netty's {@link DnsNameResolver}: the addresses of a name (A and AAAA
 * together) and the SRV records of a name with their targets' addresses. Every result carries the smallest TTL seen.
 * A lookup fails (rather than answering "nothing") on timeouts, SERVFAIL, REFUSED and the like, so that a flaky DNS
 * server never empties a backend; NXDOMAIN and an empty NOERROR do answer "nothing".
 *
 * <p>Threading: call from the resolver's event loop; results complete there. Nothing blocks.
 */
final class DnsLookups {
    /** An address with its TTL in seconds. */
    record Address(InetAddress address, long ttl) {
    }

    /** An SRV record with its target's addresses. */
    record Srv(int priority, int weight, int port, String target, long ttl, List<Address> addresses) {
    }

    private final DnsNameResolver resolver;
    private final EventLoop loop;

    DnsLookups(DnsNameResolver resolver, EventLoop loop) {
        this.resolver = resolver;
        this.loop = loop;
    }

    /** A and AAAA of {@code name}, asked together. */
    Future<List<Address>> addresses(String name) {
        Promise<List<Address>> result = loop.newPromise();
        List<Address> found = new ArrayList<>();
        AtomicInteger pending = new AtomicInteger(2);
        for (DnsRecordType type : List.of(DnsRecordType.A, DnsRecordType.AAAA)) {
            query(name, type).addListener((Future<Reply> f) -> {
                if (!f.isSuccess()) {
                    result.tryFailure(f.cause());
                    return;
                }
                try {
                    for (DnsRecord r : f.getNow().answers()) {
                        if (r instanceof DnsRawRecord raw && (r.type().equals(DnsRecordType.A)
                                || r.type().equals(DnsRecordType.AAAA))) {
                            found.add(new Address(address(raw.content()), r.timeToLive()));
                        }
                    }
                } catch (RuntimeException e) {
                    result.tryFailure(e);
                    return;
                } finally {
                    f.getNow().release();
                }
                if (pending.decrementAndGet() == 0) {
                    result.trySuccess(List.copyOf(found));
                }
            });
        }
        return result;
    }

    /** The SRV records of {@code name}; targets' addresses from the additional section, or asked for. */
    Future<List<Srv>> srv(String name) {
        Promise<List<Srv>> result = loop.newPromise();
        query(name, DnsRecordType.SRV).addListener((Future<Reply> f) -> {
            if (!f.isSuccess()) {
                result.tryFailure(f.cause());
                return;
            }
            Reply reply = f.getNow();
            List<Srv> records = new ArrayList<>();
            try {
                for (DnsRecord r : reply.answers()) {
                    if (r instanceof DnsRawRecord raw && r.type().equals(DnsRecordType.SRV)) {
                        ByteBuf in = raw.content().duplicate();
                        int priority = in.readUnsignedShort();
                        int weight = in.readUnsignedShort();
                        int port = in.readUnsignedShort();
                        String target = stripDot(DefaultDnsRecordDecoder.decodeName(in));
                        records.add(new Srv(priority, weight, port, target, r.timeToLive(),
                                glue(reply.additional(), target)));
                    }
                }
            } catch (RuntimeException e) {
                result.tryFailure(e);
                return;
            } finally {
                reply.release();
            }
            resolveTargets(records, result);
        });
        return result;
    }

    private void resolveTargets(List<Srv> records, Promise<List<Srv>> result) {
        List<Srv> done = new ArrayList<>(records);
        AtomicInteger pending = new AtomicInteger(1);
        for (int i = 0; i < done.size(); i++) {
            Srv s = done.get(i);
            if (!s.addresses().isEmpty() || s.target().isEmpty()) {
                continue;
            }
            int index = i;
            pending.incrementAndGet();
            addresses(s.target()).addListener((Future<List<Address>> f) -> {
                if (!f.isSuccess()) {
                    result.tryFailure(f.cause());
                    return;
                }
                done.set(index, new Srv(s.priority(), s.weight(), s.port(), s.target(), s.ttl(), f.getNow()));
                if (pending.decrementAndGet() == 0) {
                    result.trySuccess(List.copyOf(done));
                }
            });
        }
        if (pending.decrementAndGet() == 0) {
            result.trySuccess(List.copyOf(done));
        }
    }

    private static List<Address> glue(List<DnsRecord> additional, String target) {
        List<Address> addresses = new ArrayList<>();
        for (DnsRecord r : additional) {
            if (r instanceof DnsRawRecord raw && stripDot(r.name()).equalsIgnoreCase(target)
                    && (r.type().equals(DnsRecordType.A) || r.type().equals(DnsRecordType.AAAA))) {
                addresses.add(new Address(address(raw.content()), r.timeToLive()));
            }
        }
        return addresses;
    }

    /** The answer and additional records of one response, retained until {@link #release()}. */
    private record Reply(List<DnsRecord> answers, List<DnsRecord> additional) {
        void release() {
            answers.forEach(io.netty.util.ReferenceCountUtil::release);
            additional.forEach(io.netty.util.ReferenceCountUtil::release);
        }
    }

    private Future<Reply> query(String name, DnsRecordType type) {
        Promise<Reply> result = loop.newPromise();
        resolver.query(new DefaultDnsQuestion(name, type)).addListener(
                (Future<AddressedEnvelope<DnsResponse, java.net.InetSocketAddress>> f) -> {
                    if (!f.isSuccess()) {
                        result.tryFailure(f.cause());
                        return;
                    }
                    AddressedEnvelope<DnsResponse, java.net.InetSocketAddress> envelope = f.getNow();
                    try {
                        DnsResponse response = envelope.content();
                        DnsResponseCode code = response.code();
                        if (code.equals(DnsResponseCode.NXDOMAIN)) {
                            result.trySuccess(new Reply(List.of(), List.of()));
                        } else if (!code.equals(DnsResponseCode.NOERROR)) {
                            result.tryFailure(new UnknownHostException(type.name() + " " + name + ": "
                                    + code.toString().toUpperCase(Locale.ROOT)));
                        } else {
                            result.trySuccess(new Reply(retained(response, DnsSection.ANSWER),
                                    retained(response, DnsSection.ADDITIONAL)));
                        }
                    } finally {
                        envelope.release();
                    }
                });
        return result;
    }

    private static List<DnsRecord> retained(DnsResponse response, DnsSection section) {
        List<DnsRecord> records = new ArrayList<>();
        for (int i = 0, n = response.count(section); i < n; i++) {
            DnsRecord r = response.recordAt(section, i);
            records.add(io.netty.util.ReferenceCountUtil.retain(r));
        }
        return records;
    }

    private static InetAddress address(ByteBuf content) {
        try {
            return InetAddress.getByAddress(ByteBufUtil.getBytes(content));
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("an A or AAAA record of " + content.readableBytes() + " bytes", e);
        }
    }

    private static String stripDot(String name) {
        String lower = name.toLowerCase(Locale.ROOT);
        return lower.endsWith(".") ? lower.substring(0, lower.length() - 1) : lower;
    }
}
