package dev.ferry.director.table;

import dev.ferry.backend.Server;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * A director's persistence templates (IPVS {@code ip_vs_sched_persist}), keyed by service and client group (the
 * client's address under the service's netmask), shared by its workers: a client's connections may hash to
 * different workers, but they must all find the same template. Looked up only when a connection is scheduled.
 *
 * <p>A template's server is used while it is available ({@link Server#takesPersistentClients()}: still in its
 * backend, healthy, not in maintenance; a drained server keeps its persistent clients, as a quiesced IPVS server
 * does); once it is not, the next connection is scheduled anew and makes a new template.
 *
 * <p>Threading: any worker; the map is concurrent and each template guards itself.
 */
public final class PersistenceTemplates {
    private final ConcurrentHashMap<Long, PersistenceTemplate> templates = new ConcurrentHashMap<>();

    /**
     * The template for a new connection of {@code clientGroup} to service {@code service}, with the connection
     * counted: the live one when its server is available, else a new one on the server {@code schedule} picks.
     *
     * @return null when {@code schedule} found no server
     */
    public PersistenceTemplate acquire(int service, int protocol, int clientGroup, int virtualAddress,
                                       int virtualPort, long timeoutMillis, long nowMillis,
                                       Supplier<Server> schedule) {
        long key = ((long) service << 32) | (clientGroup & 0xFFFF_FFFFL);
        PersistenceTemplate live = templates.get(key);
        if (live != null) {
            if (live.server.takesPersistentClients() && live.attach()) {
                return live;
            }
            live.retire();
            templates.remove(key, live);
        }
        Server server = schedule.get();
        if (server == null) {
            return null;
        }
        PersistenceTemplate fresh = new PersistenceTemplate(key, protocol, clientGroup, virtualAddress, virtualPort,
                service, server, timeoutMillis, nowMillis);
        fresh.attach();
        PersistenceTemplate raced = templates.putIfAbsent(key, fresh);
        if (raced != null && raced.server.takesPersistentClients() && raced.attach()) {
            // Another worker made one for this client group at the same moment: follow it.
            return raced;
        }
        if (raced != null) {
            templates.put(key, fresh);
        }
        return fresh;
    }

    /** Gives back a connection {@link #acquire} counted that was not tracked after all. */
    public void release(PersistenceTemplate template, long nowMillis) {
        template.release(nowMillis);
    }

    /** Removes the templates that have no connections and whose timeout has passed. */
    public int expire(long nowMillis) {
        int removed = 0;
        for (PersistenceTemplate t : templates.values()) {
            if (t.expireIfIdle(nowMillis) && templates.remove(t.key, t)) {
                removed++;
            }
        }
        return removed;
    }

    public int size() {
        return templates.size();
    }

    /** Up to {@code max} templates, for the connections API. */
    public List<PersistenceTemplate> list(int max) {
        List<PersistenceTemplate> out = new ArrayList<>(Math.min(max, templates.size()));
        for (PersistenceTemplate t : templates.values()) {
            if (out.size() >= max) {
                break;
            }
            out.add(t);
        }
        return out;
    }

    /** Forgets every template (the director stops). */
    public void clear() {
        templates.values().forEach(PersistenceTemplate::retire);
        templates.clear();
    }
}
