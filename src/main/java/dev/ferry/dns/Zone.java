package dev.ferry.dns;

import dev.ferry.backend.Backend;
import dev.ferry.backend.Server;
import dev.ferry.backend.ServerState;
import dev.ferry.config.DnsRecordConfig;
import dev.ferry.config.DnsZoneConfig;
import io.netty.handler.codec.dns.DnsRecordType;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * One zone Ferry is authoritative for: its static records (SOA and NS at the apex included), its backend-backed
 * records, and the names that exist in it. Backend-backed SRV records name their targets
 * {@code <server>.<srv owner>} (the server's name made a DNS label); Ferry answers A and AAAA for those names too.
 *
 * <p>Threading: immutable apart from the rotations, which synchronize; {@link #lookup} may run on any event loop.
 */
final class Zone {
    /** SOA timers (seconds) for secondaries, which Ferry does not feed; the minimum field is the zone's ttl. */
    private static final int REFRESH = 3600;
    private static final int RETRY = 600;
    private static final int EXPIRE = 86_400;
    private static final int MAX_CNAME_CHAIN = 8;

    /** One configured entry at an owner name. */
    private sealed interface Entry permits Static, Backed {
        DnsRecordType type();
    }

    private record Static(ResourceRecord record) implements Entry {
        public DnsRecordType type() {
            return record.type();
        }
    }

    private record Backed(DnsRecordConfig config, Backend backend, WeightedRotation rotation) implements Entry {
        public DnsRecordType type() {
            return netty(config.type());
        }
    }

    private final String origin;
    private final ResourceRecord soa;
    private final Map<String, List<Entry>> byOwner = new HashMap<>();
    /** Every owner and every name between an owner and the apex (empty non-terminals exist too). */
    private final Set<String> names = new HashSet<>();
    /** Owners of backend-backed SRV records, whose targets Ferry names and answers for. */
    private final Map<String, Backed> srvOwners = new HashMap<>();
    private final DnsStats stats;

    Zone(DnsZoneConfig config, Map<String, Backend> backends, long serial, DnsStats stats) {
        this.origin = config.origin();
        this.stats = stats;
        this.soa = new ResourceRecord(origin, DnsRecordType.SOA, config.ttl(), Rdata.soa(
                config.nameServers().getFirst(), config.hostmaster(), serial, REFRESH, RETRY, EXPIRE, config.ttl()));
        add(origin, new Static(soa));
        for (String ns : config.nameServers()) {
            add(origin, new Static(new ResourceRecord(origin, DnsRecordType.NS, config.ttl(), Rdata.name(ns))));
        }
        for (DnsRecordConfig r : config.records()) {
            if (r.backend().isPresent()) {
                Backed backed = new Backed(r, backends.get(r.backend().get()), new WeightedRotation());
                add(r.name(), backed);
                if (r.type() == dev.ferry.config.DnsRecordType.SRV) {
                    srvOwners.put(r.name(), backed);
                }
            } else {
                add(r.name(), new Static(new ResourceRecord(r.name(), netty(r.type()), r.ttl(), staticData(r))));
            }
        }
    }

    private void add(String owner, Entry entry) {
        byOwner.computeIfAbsent(owner, o -> new ArrayList<>()).add(entry);
        for (String name = owner; ; name = name.substring(name.indexOf('.') + 1)) {
            names.add(name);
            if (name.equals(origin)) {
                break;
            }
        }
    }

    String origin() {
        return origin;
    }

    /** Whether {@code name} (lower case, no final dot) is this zone's apex or below it. */
    boolean contains(String name) {
        return name.equals(origin) || name.endsWith("." + origin);
    }

    /**
     * Answers {@code type} at {@code name}, following CNAMEs that stay in the zone.
     *
     * @param asked the name as the client wrote it (answers echo its case), without final dot
     * @param type  the question's type; {@link DnsRecordType#ANY} collects every type
     */
    Answer lookup(String asked, DnsRecordType type) {
        Answer.Builder answer = new Answer.Builder(origin);
        String owner = asked;
        Set<String> followed = new HashSet<>();
        for (int hops = 0; hops <= MAX_CNAME_CHAIN; hops++) {
            String name = DnsNames.lowerCase(owner);
            int before = answer.answers.size();
            List<Entry> entries = byOwner.get(name);
            if (entries == null) {
                if (!synthesizedTarget(name, owner, type, answer) && !names.contains(name)) {
                    answer.rcode = Answer.NXDOMAIN;
                }
                return finish(answer, before);
            }
            Static cname = cname(entries);
            if (cname != null && type != DnsRecordType.CNAME && type != DnsRecordType.ANY) {
                answer.answers.add(cname.record().named(owner));
                followed.add(name);
                String target = decodeName(cname.record().rdata());
                if (!contains(target) || followed.contains(target)) {
                    // Out of the zone (the client's resolver goes on), or a loop: each CNAME answered once.
                    return answer.build();
                }
                owner = target;
                continue;
            }
            for (Entry e : entries) {
                if (type == DnsRecordType.ANY || e.type().equals(type)) {
                    collect(e, owner, answer);
                }
            }
            return finish(answer, before);
        }
        return answer.build();
    }

    /**
     * Negative answers carry the SOA, whose minimum field tells resolvers how long to cache them; also when the
     * name was reached through CNAMEs (RFC 2308 section 3), the answer section then holding the chain.
     */
    private Answer finish(Answer.Builder answer, int answersBeforeLastName) {
        if (answer.answers.size() == answersBeforeLastName) {
            answer.authority.add(soa);
        }
        return answer.build();
    }

    private static Static cname(List<Entry> entries) {
        for (Entry e : entries) {
            if (e instanceof Static s && s.type().equals(DnsRecordType.CNAME)) {
                return s;
            }
        }
        return null;
    }

    private void collect(Entry entry, String owner, Answer.Builder answer) {
        switch (entry) {
            case Static s -> answer.answers.add(s.record().named(owner));
            case Backed b -> collectBacked(b, owner, answer);
        }
    }

    private void collectBacked(Backed b, String owner, Answer.Builder answer) {
        DnsRecordConfig config = b.config();
        List<Server> candidates = candidates(b.backend(), config.type());
        Map<Server, String> labels = config.type() == dev.ferry.config.DnsRecordType.SRV
                ? TargetLabels.of(b.backend().servers()) : Map.of();
        for (Server s : b.rotation().choose(candidates, config.answers())) {
            InetAddress address = s.address().getAddress();
            if (config.type() == dev.ferry.config.DnsRecordType.SRV) {
                String label = labels.get(s);
                if (label == null) {
                    continue; // removed between the two reads of the backend; the next answer is exact again
                }
                String target = label + "." + config.name();
                answer.answers.add(new ResourceRecord(owner, DnsRecordType.SRV, config.ttl(),
                        Rdata.srv(config.priority(), Math.min(65_535, Math.max(0, s.weight())), s.address().getPort(),
                                target)));
                answer.additional.add(new ResourceRecord(target, addressType(address), config.ttl(),
                        Rdata.address(address)));
            } else {
                answer.answers.add(new ResourceRecord(owner, netty(config.type()), config.ttl(),
                        Rdata.address(address)));
            }
        }
    }

    /**
     * The servers a backed record may answer with: those the schedulers may choose now, with a weight above 0 and
     * an address of the record's family. When none is up, every server not in maintenance (failing open), counted.
     */
    private List<Server> candidates(Backend backend, dev.ferry.config.DnsRecordType type) {
        List<Server> up = new ArrayList<>();
        for (Server s : backend.snapshot().servers()) {
            if (s.weight() > 0 && fits(s, type)) {
                up.add(s);
            }
        }
        if (!up.isEmpty()) {
            return up;
        }
        List<Server> all = new ArrayList<>();
        for (Server s : backend.servers()) {
            if (s.state() != ServerState.MAINT && fits(s, type)) {
                all.add(s);
            }
        }
        if (!all.isEmpty()) {
            stats.countAllServersDown();
        }
        return all;
    }

    private static boolean fits(Server s, dev.ferry.config.DnsRecordType type) {
        InetAddress address = s.address().getAddress();
        return switch (type) {
            case A -> address instanceof Inet4Address;
            case AAAA -> address instanceof Inet6Address;
            default -> address != null;
        };
    }

    /** A and AAAA for {@code <server>.<srv owner>}; true when {@code name} is such a target. */
    private boolean synthesizedTarget(String name, String owner, DnsRecordType type, Answer.Builder answer) {
        int dot = name.indexOf('.');
        Backed srv = dot < 0 ? null : srvOwners.get(name.substring(dot + 1));
        if (srv == null) {
            return false;
        }
        String label = name.substring(0, dot);
        for (Map.Entry<Server, String> e : TargetLabels.of(srv.backend().servers()).entrySet()) {
            if (e.getValue().equals(label)) {
                InetAddress address = e.getKey().address().getAddress();
                DnsRecordType has = addressType(address);
                if (type == DnsRecordType.ANY || type.equals(has)) {
                    answer.answers.add(new ResourceRecord(owner, has, srv.config().ttl(), Rdata.address(address)));
                }
                return true;
            }
        }
        return false;
    }

    private static DnsRecordType addressType(InetAddress address) {
        return address instanceof Inet6Address ? DnsRecordType.AAAA : DnsRecordType.A;
    }

    private static byte[] staticData(DnsRecordConfig r) {
        return switch (r.type()) {
            case A, AAAA -> Rdata.address(literal(r.value().orElseThrow()));
            case CNAME -> Rdata.name(r.value().orElseThrow());
            case TXT -> Rdata.txt(r.value().orElseThrow());
            case SRV -> Rdata.srv(r.priority(), r.weight(), r.port(), r.target().orElseThrow());
        };
    }

    private static InetAddress literal(String text) {
        byte[] bytes = io.netty.util.NetUtil.createByteArrayFromIpAddressString(text);
        try {
            return InetAddress.getByAddress(bytes);
        } catch (java.net.UnknownHostException e) {
            throw new IllegalArgumentException("not an address literal: " + text, e);
        }
    }

    /** Reads back a name written by {@link Rdata#name}. */
    private static String decodeName(byte[] rdata) {
        StringBuilder name = new StringBuilder();
        for (int i = 0; i < rdata.length && rdata[i] != 0; i += rdata[i] + 1) {
            if (!name.isEmpty()) {
                name.append('.');
            }
            name.append(new String(rdata, i + 1, rdata[i], java.nio.charset.StandardCharsets.US_ASCII));
        }
        return name.toString();
    }

    static DnsRecordType netty(dev.ferry.config.DnsRecordType type) {
        return switch (type) {
            case A -> DnsRecordType.A;
            case AAAA -> DnsRecordType.AAAA;
            case CNAME -> DnsRecordType.CNAME;
            case TXT -> DnsRecordType.TXT;
            case SRV -> DnsRecordType.SRV;
        };
    }

    /** Keeps the zone's names to itself in logs. */
    @Override
    public String toString() {
        return origin;
    }

    /** DNS labels for a backend's servers, unique within the backend, stable while the server list is. */
    static final class TargetLabels {
        private TargetLabels() {
        }

        static Map<Server, String> of(List<Server> servers) {
            Map<Server, String> labels = new LinkedHashMap<>();
            Set<String> used = new HashSet<>();
            for (int i = 0; i < servers.size(); i++) {
                String label = label(servers.get(i).name());
                if (!used.add(label)) {
                    label = label(label + "-" + (i + 1));
                    used.add(label);
                }
                labels.put(servers.get(i), label);
            }
            return labels;
        }

        private static String label(String name) {
            String label = name.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9-]", "-").replaceAll("^-+|-+$", "");
            if (label.length() > 63) {
                label = label.substring(label.length() - 63);
            }
            return label.isEmpty() ? "server" : label;
        }
    }
}
