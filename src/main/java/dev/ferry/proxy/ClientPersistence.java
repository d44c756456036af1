package dev.ferry.proxy;

import dev.ferry.backend.Backend;
import dev.ferry.backend.Server;
import dev.ferry.config.PersistenceConfig;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Layer-4 persistence of a tcp or udp frontend ({@code persistence:}), as IPVS's {@code -p TIMEOUT -M NETMASK}: a
 * template per client group (the client's address under the netmask: {@code netmask} for IPv4, {@code netmask6}
 * for IPv6) names the server every new connection (udp: session) of the group goes to.
 *
 * <p>As in IPVS, a template lives while it has connections (it counts the ones it placed, as the kernel's template
 * is the controlling connection of its connections) and for {@code timeout} after the last of them ended; each new
 * connection of the group resets that. Its server is used while it is a member of the frontend's backend (up, not
 * ejected, not in maintenance, not removed); a draining server keeps its persistent clients, as a quiesced IPVS
 * server (weight 0) does. Otherwise the template is dropped and the next connection is scheduled anew, making a new
 * one. Like IPVS, a template does not look at the server's {@code max_connections}.
 *
 * <p>Expired templates are dropped when their group comes back and by a sweep of the whole table run by the first
 * connection after a quarter of the timeout passed (so the table holds no more than the groups seen within about
 * 1.25 times the timeout).
 *
 * <p>Threading: shared by every event loop of the frontend; the map is concurrent and each template guards itself
 * with its own lock, taken only when a connection starts or ends, never per byte or datagram.
 */
public final class ClientPersistence {
    /** A template's hold on a connection it placed: {@link #release} once when the connection ends. */
    public static final class Hold {
        private final Template template;
        private boolean released;

        private Hold(Template template) {
            this.template = template;
        }

        public Server server() {
            return template.server;
        }

        /** The connection ended. Idempotent. */
        public void release() {
            if (!released) {
                released = true;
                template.release(template.owner.clock.millis());
            }
        }

        /** The server failed this connection (a connect retried elsewhere): the template goes, the next is new. */
        public void retire() {
            release();
            template.retire();
            template.owner.templates.remove(template.group, template);
        }
    }

    /** The masked client address: IPv4 in {@code low}, IPv6 in both. */
    record Group(long high, long low, boolean v6) {
        @Override
        public String toString() {
            try {
                byte[] b = new byte[v6 ? 16 : 4];
                long l = low;
                for (int i = b.length - 1, k = 0; i >= 0; i--, k++) {
                    long word = k < 8 ? l : high;
                    b[i] = (byte) (word >>> (8 * (k % 8)));
                }
                return InetAddress.getByAddress(b).getHostAddress();
            } catch (java.net.UnknownHostException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    private static final class Template {
        final ClientPersistence owner;
        final Group group;
        final Server server;
        private int connections;
        private long idleSince;
        private boolean removed;

        Template(ClientPersistence owner, Group group, Server server, long now) {
            this.owner = owner;
            this.group = group;
            this.server = server;
            this.idleSince = now;
        }

        synchronized boolean attach() {
            if (removed) {
                return false;
            }
            connections++;
            return true;
        }

        synchronized void release(long now) {
            if (--connections == 0) {
                idleSince = now;
            }
        }

        /** Whether the template is (now) removed: it was, or it has no connections and its time is up. */
        synchronized boolean expired(long now, long timeoutMillis) {
            if (!removed && connections == 0 && now - idleSince >= timeoutMillis) {
                removed = true;
            }
            return removed;
        }

        synchronized void retire() {
            removed = true;
        }

        synchronized int connections() {
            return connections;
        }

        synchronized long idleSince() {
            return idleSince;
        }
    }

    /**
     * One template as the status shows it.
     *
     * @param millisLeft until it expires unless a connection comes; its whole timeout while it has connections
     */
    public record View(String group, String server, int connections, long millisLeft) {
    }

    private final ConcurrentHashMap<Group, Template> templates = new ConcurrentHashMap<>();
    private final PersistenceConfig config;
    private final long timeoutMillis;
    private final Clock clock;
    private volatile long nextSweep;

    public ClientPersistence(PersistenceConfig config, Clock clock) {
        this.config = config;
        this.timeoutMillis = config.timeout().toMillis();
        this.clock = clock;
        this.nextSweep = clock.millis() + Math.max(1, timeoutMillis / 4);
    }

    public PersistenceConfig config() {
        return config;
    }

    /**
     * The template for a new connection of {@code client} to {@code backend}, with the connection counted: the live
     * one when its server may still take it, else a new one on the server {@code schedule} picks.
     *
     * @return null when {@code schedule} found no server
     */
    public Hold acquire(InetSocketAddress client, Backend backend, Supplier<Server> schedule) {
        long now = clock.millis();
        if (now >= nextSweep) {
            nextSweep = now + Math.max(1, timeoutMillis / 4);
            expire(now);
        }
        Group group = group(client.getAddress());
        Template live = templates.get(group);
        if (live != null) {
            if (!live.expired(now, timeoutMillis) && usable(live.server, backend) && live.attach()) {
                return new Hold(live);
            }
            live.retire();
            templates.remove(group, live);
        }
        Server server = schedule.get();
        if (server == null) {
            return null;
        }
        Template fresh = new Template(this, group, server, now);
        fresh.attach();
        Template raced = templates.putIfAbsent(group, fresh);
        if (raced != null && usable(raced.server, backend) && raced.attach()) {
            // Another loop made one for this group at the same moment: follow it.
            return new Hold(raced);
        }
        if (raced != null) {
            templates.put(group, fresh);
        }
        return new Hold(fresh);
    }

    private static boolean usable(Server s, Backend backend) {
        return s.backend() == backend && s.takesPersistentClients();
    }

    /** Drops the templates without connections whose timeout passed; how many went. */
    public int expire(long now) {
        int removed = 0;
        for (Template t : templates.values()) {
            if (t.expired(now, timeoutMillis) && templates.remove(t.group, t)) {
                removed++;
            }
        }
        return removed;
    }

    public int size() {
        return templates.size();
    }

    /** Up to {@code max} templates, for the status. */
    public List<View> list(int max) {
        long now = clock.millis();
        List<View> out = new ArrayList<>();
        for (Template t : templates.values()) {
            if (out.size() >= max) {
                break;
            }
            int c = t.connections();
            out.add(new View(t.group.toString(), t.server.name(), c,
                    c > 0 ? timeoutMillis : Math.max(0, t.idleSince() + timeoutMillis - now)));
        }
        return out;
    }

    /** The client group of {@code address}: its first {@code netmask} (IPv6: {@code netmask6}) bits. */
    Group group(InetAddress address) {
        byte[] b = address.getAddress();
        if (address instanceof Inet4Address) {
            long v = 0;
            for (byte x : b) {
                v = (v << 8) | (x & 0xFF);
            }
            int bits = config.netmask();
            long mask = bits == 0 ? 0 : (0xFFFF_FFFFL << (32 - bits)) & 0xFFFF_FFFFL;
            return new Group(0, v & mask, false);
        }
        long high = 0;
        long low = 0;
        for (int i = 0; i < 8; i++) {
            high = (high << 8) | (b[i] & 0xFF);
            low = (low << 8) | (b[i + 8] & 0xFF);
        }
        int bits = config.netmask6();
        long highMask = bits >= 64 ? -1L : bits == 0 ? 0 : -1L << (64 - bits);
        long lowMask = bits <= 64 ? 0 : bits == 128 ? -1L : -1L << (128 - bits);
        return new Group(high & highMask, low & lowMask, true);
    }
}
